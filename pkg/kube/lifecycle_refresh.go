package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// DefaultEndOfLife is the site the vendor lifecycles are refreshed from:
// its API v1 answers /api/v1/products/<product> for each product the
// catalog names in "endoflife".
const DefaultEndOfLife = "https://endoflife.date"

// errNoProduct tells a product the site does not have (HTTP 404): the
// catalog keeps its own data for it.
var errNoProduct = errors.New("product not found")

// v1Product is endoflife.date's API v1 answer for one product: a document
// with schema_version and the product under "result", its release cycles
// newest first under "releases". Date fields are "YYYY-MM-DD" or null.
type v1Product struct {
	SchemaVersion string `json:"schema_version"`
	Result        struct {
		Name     string      `json:"name"`
		Releases []v1Release `json:"releases"`
	} `json:"result"`
}

// v1Release is one release cycle: its name ("1.33", or OpenShift's "4.20"),
// the day it was released, the end of (standard) support in eolFrom and,
// where the product has an extended phase, its end in eoesFrom.
type v1Release struct {
	Name        string  `json:"name"`
	ReleaseDate string  `json:"releaseDate"`
	EolFrom     *string `json:"eolFrom"`
	EoesFrom    *string `json:"eoesFrom"`
}

// FetchProduct downloads one product's release cycles from base (an
// endoflife.date-shaped site) and returns them as the product's minors,
// merged into p: a cycle the site has replaces the catalog's entry, dates
// the site lacks (GKE's Extended channel) keep the catalog's, minors the
// site does not list yet stay as they are. It returns errNoProduct
// (wrapped) when the site answers 404.
func FetchProduct(ctx context.Context, client *http.Client, base string, p *Product) (*Product, error) {
	url := strings.TrimSuffix(base, "/") + "/api/v1/products/" + p.EndOfLife
	body, status, err := get(ctx, client, url)
	switch {
	case err != nil:
		return nil, fmt.Errorf("fetch %s from %s: %w", p.ID, url, err)
	case status == http.StatusNotFound:
		return nil, fmt.Errorf("fetch %s from %s: %w", p.ID, url, errNoProduct)
	case status != http.StatusOK:
		return nil, fmt.Errorf("fetch %s from %s: HTTP %d %s", p.ID, url, status, http.StatusText(status))
	}
	var doc v1Product
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("fetch %s from %s: parse endoflife.date answer: %w", p.ID, url, err)
	}
	if doc.Result.Name != p.EndOfLife || len(doc.Result.Releases) == 0 {
		return nil, fmt.Errorf("fetch %s from %s: the answer is not product %s with releases", p.ID, url, p.EndOfLife)
	}
	out := *p
	out.Minors = append([]VendorMinor(nil), p.Minors...)
	for i, r := range doc.Result.Releases {
		m, ok, err := p.fromV1(r, url)
		if err != nil {
			return nil, fmt.Errorf("fetch %s from %s: releases[%d] %q: %w", p.ID, url, i, r.Name, err)
		}
		if !ok {
			continue
		}
		out.Minors = upsert(out.Minors, m)
	}
	return &out, nil
}

// fromV1 turns one API release into the product's minor; ok is false for a
// cycle older than Oldest or without an announced end of support that the
// catalog does not know either.
func (p *Product) fromV1(r v1Release, url string) (VendorMinor, bool, error) {
	var v matrix.Minor
	var err error
	release := ""
	mapping := ""
	if p.Naming == "release" {
		release = r.Name
		v, mapping, err = p.minorOfRelease(r.Name)
	} else {
		v, err = ParseMinor(r.Name)
	}
	if err != nil {
		return VendorMinor{}, false, err
	}
	if v.Less(Oldest) {
		return VendorMinor{}, false, nil
	}
	old, known := p.own(v)
	m := VendorMinor{Minor: v, Release: release, Source: url + mapping}
	if m.Available, err = parseDay(r.ReleaseDate); err != nil {
		return m, false, fmt.Errorf("releaseDate: %w", err)
	}
	switch {
	case r.EolFrom != nil:
		if m.Standard, err = parseDay(*r.EolFrom); err != nil {
			return m, false, fmt.Errorf("eolFrom: %w", err)
		}
	case known:
		m.Standard = old.Standard
		m.Source += "; end of standard support: " + sourcePart(old.Source, "end of standard support")
	default:
		return m, false, nil // not announced and nothing to derive it from
	}
	switch {
	case r.EoesFrom != nil:
		if m.Extended, err = parseDay(*r.EoesFrom); err != nil {
			return m, false, fmt.Errorf("eoesFrom: %w", err)
		}
	case known && !old.Extended.IsZero():
		m.Extended = old.Extended
		m.Source += "; extended: " + sourcePart(old.Source, "extended")
	}
	if !m.Standard.After(m.Available) || (!m.Extended.IsZero() && !m.Extended.After(m.Standard)) {
		return m, false, fmt.Errorf("dates out of order: released %s, end of support %s, end of extended support %s",
			FormatDate(m.Available), FormatDate(m.Standard), FormatDate(m.Extended))
	}
	return m, true, nil
}

// sourcePart returns what a source says of one date: the text after
// "; <label>: " when the source has such a part, else all of it (so that
// refreshing twice does not nest sources).
func sourcePart(source, label string) string {
	if _, after, ok := strings.Cut(source, "; "+label+": "); ok {
		if before, _, ok := strings.Cut(after, "; extended: "); ok && label != "extended" {
			return before
		}
		return after
	}
	return source
}

func (p *Product) own(v matrix.Minor) (VendorMinor, bool) {
	for _, m := range p.Minors {
		if m.Minor.Equal(v) {
			return m, true
		}
	}
	return VendorMinor{}, false
}

// minorOfRelease maps a vendor release name (OpenShift "4.23") to its
// Kubernetes minor: the catalog's own mapping when it has the release,
// else the offset of its newest mapped release (each vendor minor adds one
// Kubernetes minor), said in the source.
func (p *Product) minorOfRelease(name string) (matrix.Minor, string, error) {
	for _, m := range p.Minors {
		if m.Release == name {
			return m.Minor, "", nil
		}
	}
	vmaj, vmin, ok := strings.Cut(name, ".")
	n, err := strconv.Atoi(vmin)
	if !ok || err != nil || len(p.Minors) == 0 {
		return matrix.Minor{}, "", fmt.Errorf("release %q: no Kubernetes minor known for it", name)
	}
	last := p.Minors[len(p.Minors)-1]
	lmaj, lmin, _ := strings.Cut(last.Release, ".")
	ln, err := strconv.Atoi(lmin)
	if err != nil || lmaj != vmaj {
		return matrix.Minor{}, "", fmt.Errorf("release %q: no Kubernetes minor known for it", name)
	}
	v := matrix.NewMinor(last.Minor.Major, last.Minor.Minor+n-ln)
	return v, fmt.Sprintf("; Kubernetes %s derived: %s is Kubernetes %s, one minor each", v, last.Release, last.Minor), nil
}

// upsert replaces the minor's entry or inserts it in order.
func upsert(ms []VendorMinor, m VendorMinor) []VendorMinor {
	for i := range ms {
		if ms[i].Minor.Equal(m.Minor) {
			ms[i] = m
			return ms
		}
	}
	i := 0
	for i < len(ms) && ms[i].Minor.Less(m.Minor) {
		i++
	}
	ms = append(ms, VendorMinor{})
	copy(ms[i+1:], ms[i:])
	ms[i] = m
	return ms
}

// RefreshLifecycles fetches every product the catalog maps to endoflife.date
// and returns the refreshed catalog, checked on day today, and one line per
// product saying what happened. A product the site does not have (404)
// keeps its data; any other failure fails the whole refresh.
func RefreshLifecycles(ctx context.Context, client *http.Client, base string, l *Lifecycles, today time.Time) (*Lifecycles, []string, error) {
	out := &Lifecycles{Checked: day(today)}
	var notes []string
	for _, p := range l.Products {
		if p.EndOfLife == "" {
			out.Products = append(out.Products, p)
			continue
		}
		np, err := FetchProduct(ctx, client, base, p)
		if errors.Is(err, errNoProduct) {
			notes = append(notes, fmt.Sprintf("%s: not on %s; kept as it was", p.ID, base))
			out.Products = append(out.Products, p)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("refresh lifecycles: %w", err)
		}
		url := strings.TrimSuffix(base, "/") + "/api/v1/products/" + p.EndOfLife
		src := Source{URL: url, Checked: day(today), Note: "refreshed by supportmatrix versions --refresh"}
		np.Sources = append([]Source{src}, withoutURL(p.Sources, url)...)
		notes = append(notes, fmt.Sprintf("%s: %d minors from %s", p.ID, len(np.Minors), url))
		out.Products = append(out.Products, np)
	}
	return out, notes, nil
}

func withoutURL(ss []Source, url string) []Source {
	var out []Source
	for _, s := range ss {
		if s.URL != url {
			out = append(out, s)
		}
	}
	return out
}

// RefreshLifecyclesFile refreshes the lifecycle catalog at path
// (pkg/kube/lifecycles.json for the embedded one) from base and writes it
// back when it changed; on any failure the file is left as it was.
func RefreshLifecyclesFile(ctx context.Context, client *http.Client, base, path string, today time.Time) (*Lifecycles, []string, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("read lifecycles: %w", err)
	}
	l, err := ParseLifecycles(data)
	if err != nil {
		return nil, nil, false, fmt.Errorf("%s: %w", path, err)
	}
	nl, notes, err := RefreshLifecycles(ctx, client, base, l, today)
	if err != nil {
		return nil, nil, false, err
	}
	enc := nl.Encode()
	if _, err := ParseLifecycles(enc); err != nil {
		return nil, nil, false, fmt.Errorf("refresh lifecycles: the refreshed catalog does not read back: %w", err)
	}
	if bytes.Equal(enc, data) {
		return nl, notes, false, nil
	}
	if err := atomicfile.Write(path, enc); err != nil {
		return nil, nil, false, fmt.Errorf("write lifecycles: %w", err)
	}
	return nl, notes, true, nil
}

// LoadLifecycles reads a lifecycle catalog file, or returns the embedded
// one when path is "".
func LoadLifecycles(path string) (*Lifecycles, error) {
	if path == "" {
		return DefaultLifecycles(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read lifecycles: %w", err)
	}
	l, err := ParseLifecycles(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}
