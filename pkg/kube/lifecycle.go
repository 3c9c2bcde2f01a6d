package kube

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// NoLifecycle is the value of distributions.*.lifecycle for a distribution
// that follows no vendor's calendar (on-premises, self-built): its minors
// are judged by the upstream calendar alone.
const NoLifecycle = "none"

// FollowsKubernetes is the "follows" value of a product whose minors are
// exactly the upstream ones (k3s, RKE2, kind).
const FollowsKubernetes = "kubernetes"

//go:embed lifecycles.json
var embeddedLifecycles []byte

// Lifecycles is the catalog of vendors' support windows: for each product
// (amazon-eks, red-hat-openshift, k3s, ...) the Kubernetes minors it offers,
// from when, and until when in its standard and extended phases. It is kept
// as data in lifecycles.json, each date with its source, and refreshed from
// endoflife.date where that site has the product.
type Lifecycles struct {
	// Checked is the day the sources were last read.
	Checked  time.Time
	Products []*Product
}

// Product is one vendor product's lifecycle.
type Product struct {
	ID   string // endoflife.date's product id where it has one
	Name string
	// EndOfLife is the endoflife.date product that refreshes the minors,
	// or "" when the site does not have it.
	EndOfLife string
	// Follows is "kubernetes" for a product that offers exactly the
	// upstream minors on the upstream calendar; Minors is empty then.
	Follows string
	// Naming is "release" when the vendor names its releases itself
	// (OpenShift 4.20) and endoflife.date lists them by that name.
	Naming string
	// Window states the vendor's support window in words, for PROGRAM.md
	// and `docs --explain`.
	Window string
	// StandardLabel and ExtendedLabel are the vendor's names of its two
	// phases ("standard support", "Extended Update Support").
	StandardLabel string
	ExtendedLabel string
	Sources       []Source
	Minors        []VendorMinor // ascending
}

// Source is a page the product's dates were read from.
type Source struct {
	URL     string
	Checked time.Time
	Note    string
}

// VendorMinor is one Kubernetes minor as a vendor offers it.
type VendorMinor struct {
	Minor matrix.Minor
	// Release is the vendor's own name for it (OpenShift "4.20"), or "".
	Release string
	// Available is the day the vendor made the minor generally available.
	Available time.Time
	// Standard is the first day past the vendor's standard support.
	Standard time.Time
	// Extended is the first day past its extended support, or zero when
	// the vendor has no extended phase for the minor.
	Extended time.Time
	// Source says where the dates come from: a URL, or "derived: ..."
	// when they could not be verified.
	Source string
}

// Phase is where a vendor's minor stands on a given day.
type Phase string

// The phases of a vendor's minor.
const (
	PhaseUnknown  Phase = "unknown"  // the vendor's catalog does not know the minor
	PhaseUpcoming Phase = "upcoming" // not yet generally available from the vendor
	PhaseStandard Phase = "standard" // in standard support
	PhaseExtended Phase = "extended" // past standard support, in extended support
	PhaseEnded    Phase = "ended"    // the vendor no longer offers it
)

// Phase reports the minor's phase on day today.
func (v VendorMinor) Phase(today time.Time) Phase {
	t := day(today)
	switch {
	case !v.Available.IsZero() && t.Before(v.Available):
		return PhaseUpcoming
	case v.Standard.IsZero() || t.Before(v.Standard):
		return PhaseStandard
	case !v.Extended.IsZero() && t.Before(v.Extended):
		return PhaseExtended
	default:
		return PhaseEnded
	}
}

// Offered reports whether the vendor offers the minor on day today, in
// standard or extended support.
func (v VendorMinor) Offered(today time.Time) bool {
	p := v.Phase(today)
	return p == PhaseStandard || p == PhaseExtended
}

// End is the last day's successor of the vendor's support: the end of
// extended support, or of standard support when there is no extended
// phase. Zero when not announced.
func (v VendorMinor) End() time.Time {
	if !v.Extended.IsZero() {
		return v.Extended
	}
	return v.Standard
}

// Derived reports whether the minor's dates are derived rather than read
// from a vendor page.
func (v VendorMinor) Derived() bool { return strings.HasPrefix(v.Source, "derived") }

// DefaultLifecycles returns the lifecycle catalog embedded in the binary.
func DefaultLifecycles() *Lifecycles {
	l, err := ParseLifecycles(embeddedLifecycles)
	if err != nil {
		// The embedded file is checked by the package tests.
		panic(fmt.Sprintf("kube: embedded lifecycles.json: %v", err))
	}
	return l
}

// sharedLifecycles is the embedded catalog parsed once, for the readers that
// never change it (a Catalog without Lifecycles of its own, which every
// check and window asks): parsing it per call was a tenth of the CLI's
// work. DefaultLifecycles still hands each caller a catalog of its own.
var sharedLifecycles = sync.OnceValue(DefaultLifecycles)

// Product returns the product with the id, or nil.
func (l *Lifecycles) Product(id string) *Product {
	for _, p := range l.Products {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// IDs lists the product ids, in file order.
func (l *Lifecycles) IDs() []string {
	out := make([]string, len(l.Products))
	for i, p := range l.Products {
		out[i] = p.ID
	}
	return out
}

// MinorsWith returns the product's minors, ascending: its own, or the upstream
// catalog's for a product that follows Kubernetes.
func (p *Product) MinorsWith(c *Catalog) []VendorMinor {
	if p.Follows != FollowsKubernetes {
		return p.Minors
	}
	out := make([]VendorMinor, 0, len(c.Releases))
	for _, r := range c.Releases {
		out = append(out, VendorMinor{Minor: r.Minor, Available: r.Released, Standard: r.EOL, Source: "upstream Kubernetes calendar (" + c.Source + ")"})
	}
	return out
}

// Lookup returns the vendor's minor v and whether the product knows it,
// reading the upstream catalog c for a product that follows Kubernetes.
func (p *Product) Lookup(c *Catalog, v matrix.Minor) (VendorMinor, bool) {
	for _, m := range p.MinorsWith(c) {
		if m.Minor.Equal(v) {
			return m, true
		}
	}
	return VendorMinor{Minor: v}, false
}

// lifecyclesFile is the JSON shape of lifecycles.json.
type lifecyclesFile struct {
	Checked  string        `json:"checked"`
	Products []productJSON `json:"products"`
}

type productJSON struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	EndOfLife string       `json:"endoflife,omitempty"`
	Follows   string       `json:"follows,omitempty"`
	Naming    string       `json:"naming,omitempty"`
	Window    string       `json:"window"`
	Standard  string       `json:"standard,omitempty"`
	Extended  string       `json:"extended,omitempty"`
	Sources   []sourceJSON `json:"sources"`
	Minors    []minorJSON  `json:"minors,omitempty"`
}

type sourceJSON struct {
	URL     string `json:"url"`
	Checked string `json:"checked"`
	Note    string `json:"note,omitempty"`
}

type minorJSON struct {
	Minor     string `json:"minor"`
	Release   string `json:"release,omitempty"`
	Available string `json:"available"`
	Standard  string `json:"standard"`
	Extended  string `json:"extended,omitempty"`
	Source    string `json:"source"`
}

// ParseLifecycles reads a lifecycle catalog in the lifecycles.json format.
// Every product needs an id, a name, its window in words and at least one
// source; every minor its availability, end of standard support and a
// source, in a consistent order (available < standard < extended).
func ParseLifecycles(data []byte) (*Lifecycles, error) {
	var f lifecyclesFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse lifecycles: %w", err)
	}
	l := &Lifecycles{}
	var err error
	if l.Checked, err = parseDay(f.Checked); err != nil {
		return nil, fmt.Errorf("parse lifecycles: checked: %w", err)
	}
	seen := map[string]bool{}
	for i, pj := range f.Products {
		p, err := pj.product()
		if err != nil {
			return nil, fmt.Errorf("parse lifecycles: products[%d]: %w", i, err)
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("parse lifecycles: product %s listed twice", p.ID)
		}
		seen[p.ID] = true
		l.Products = append(l.Products, p)
	}
	return l, nil
}

func (pj productJSON) product() (*Product, error) {
	switch {
	case pj.ID == "" || pj.ID == NoLifecycle:
		return nil, fmt.Errorf("id %q: want a product id such as amazon-eks", pj.ID)
	case pj.Name == "" || pj.Window == "":
		return nil, fmt.Errorf("%s: name and window are required", pj.ID)
	case len(pj.Sources) == 0:
		return nil, fmt.Errorf("%s: cite at least one source", pj.ID)
	case pj.Follows != "" && pj.Follows != FollowsKubernetes:
		return nil, fmt.Errorf("%s: follows %q: only %q is known", pj.ID, pj.Follows, FollowsKubernetes)
	case pj.Follows != "" && len(pj.Minors) > 0:
		return nil, fmt.Errorf("%s: a product that follows %s lists no minors of its own", pj.ID, pj.Follows)
	case pj.Follows == "" && len(pj.Minors) == 0:
		return nil, fmt.Errorf("%s: list its minors, or say it follows kubernetes", pj.ID)
	case pj.Naming != "" && pj.Naming != "release":
		return nil, fmt.Errorf("%s: naming %q: only \"release\" is known", pj.ID, pj.Naming)
	}
	p := &Product{ID: pj.ID, Name: pj.Name, EndOfLife: pj.EndOfLife, Follows: pj.Follows, Naming: pj.Naming,
		Window: pj.Window, StandardLabel: pj.Standard, ExtendedLabel: pj.Extended}
	switch {
	case p.Follows != "":
		p.StandardLabel = "upstream support"
	case p.StandardLabel == "":
		p.StandardLabel = "standard support"
	}
	if p.ExtendedLabel == "" {
		p.ExtendedLabel = "extended support"
	}
	for i, sj := range pj.Sources {
		checked, err := parseDay(sj.Checked)
		if err != nil || sj.URL == "" {
			return nil, fmt.Errorf("%s: sources[%d]: want a url and the day it was checked", pj.ID, i)
		}
		p.Sources = append(p.Sources, Source{URL: sj.URL, Checked: checked, Note: sj.Note})
	}
	for _, mj := range pj.Minors {
		m, err := mj.minor()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pj.ID, err)
		}
		if p.Naming == "release" && m.Release == "" {
			return nil, fmt.Errorf("%s: %s: name its release", pj.ID, m.Minor)
		}
		p.Minors = append(p.Minors, m)
	}
	sort.SliceStable(p.Minors, func(i, j int) bool { return p.Minors[i].Minor.Less(p.Minors[j].Minor) })
	for i := 1; i < len(p.Minors); i++ {
		if p.Minors[i].Minor.Equal(p.Minors[i-1].Minor) {
			return nil, fmt.Errorf("%s: minor %s listed twice", pj.ID, p.Minors[i].Minor)
		}
	}
	return p, nil
}

func (mj minorJSON) minor() (VendorMinor, error) {
	v, err := ParseMinor(mj.Minor)
	if err != nil {
		return VendorMinor{}, err
	}
	m := VendorMinor{Minor: v, Release: mj.Release, Source: mj.Source}
	if m.Available, err = parseDay(mj.Available); err != nil {
		return m, fmt.Errorf("%s: available: %w", v, err)
	}
	if m.Standard, err = parseDay(mj.Standard); err != nil {
		return m, fmt.Errorf("%s: standard: %w", v, err)
	}
	if mj.Extended != "" {
		if m.Extended, err = parseDay(mj.Extended); err != nil {
			return m, fmt.Errorf("%s: extended: %w", v, err)
		}
		if !m.Extended.After(m.Standard) {
			return m, fmt.Errorf("%s: extended support ends %s, not after standard support (%s)", v, mj.Extended, mj.Standard)
		}
	}
	if !m.Standard.After(m.Available) {
		return m, fmt.Errorf("%s: standard support ends %s, not after availability (%s)", v, mj.Standard, mj.Available)
	}
	if strings.TrimSpace(m.Source) == "" {
		return m, fmt.Errorf("%s: say where the dates come from (a URL, or \"derived: ...\")", v)
	}
	return m, nil
}

// Encode renders the catalog in the lifecycles.json format, one minor a
// line. The same catalog always encodes to the same bytes.
func (l *Lifecycles) Encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"checked\": %q,\n  \"products\": [\n", FormatDate(l.Checked))
	for i, p := range l.Products {
		b.WriteString("    {\n")
		field := func(key, val string) {
			if val != "" {
				s, _ := json.Marshal(val)
				fmt.Fprintf(&b, "      %q: %s,\n", key, s)
			}
		}
		field("id", p.ID)
		field("name", p.Name)
		field("endoflife", p.EndOfLife)
		field("follows", p.Follows)
		field("naming", p.Naming)
		field("window", p.Window)
		if p.Follows == "" {
			field("standard", p.StandardLabel)
			field("extended", p.ExtendedLabel)
		}
		b.WriteString("      \"sources\": [\n")
		for j, s := range p.Sources {
			line, _ := json.Marshal(sourceJSON{URL: s.URL, Checked: FormatDate(s.Checked), Note: s.Note})
			b.WriteString("        ")
			b.Write(line)
			if j < len(p.Sources)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		if len(p.Minors) == 0 {
			b.WriteString("      ]\n")
		} else {
			b.WriteString("      ],\n      \"minors\": [\n")
			for j, m := range p.Minors {
				mj := minorJSON{Minor: m.Minor.String(), Release: m.Release, Available: FormatDate(m.Available), Standard: FormatDate(m.Standard), Source: m.Source}
				if !m.Extended.IsZero() {
					mj.Extended = FormatDate(m.Extended)
				}
				line, _ := json.Marshal(mj)
				b.WriteString("        ")
				b.Write(line)
				if j < len(p.Minors)-1 {
					b.WriteByte(',')
				}
				b.WriteByte('\n')
			}
			b.WriteString("      ]\n")
		}
		b.WriteString("    }")
		if i < len(l.Products)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes()
}
