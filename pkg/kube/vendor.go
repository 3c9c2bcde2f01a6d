package kube

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// WarnAhead is how far ahead Check warns of a vendor ending a tested minor
// or of a declared extended reason running out; --date looks further.
const WarnAhead = 30 * 24 * time.Hour

// The rules of the per-distribution findings. RuleVendorEnded,
// RuleVendorAdded, RuleExtendedExpired and RuleUnknownLifecycle make
// `versions --check` fail; the others warn ahead or inform.
const (
	// RuleVendorEnded: a distribution is tested on a minor its vendor no
	// longer offers (past the end of extended support, or of standard
	// support where there is no extended phase).
	RuleVendorEnded = "vendor-ended"
	// RuleVendorAdded: the vendor offers a minor of kubernetes.versions in
	// standard support that the distribution's range excludes, longer ago
	// than kubernetes.adopt_within.
	RuleVendorAdded = "vendor-added"
	// RuleExtendedExpired: every date a kubernetes.extended reason gives
	// has passed; the reason no longer holds.
	RuleExtendedExpired = "extended-expired"
	// RuleUnknownLifecycle: distributions.*.lifecycle names a product the
	// catalog does not have.
	RuleUnknownLifecycle = "unknown-lifecycle"
	// RuleVendorEnding: a tested minor leaves the vendor's standard or
	// extended support within WarnAhead; a vendor-added minor is inside
	// its grace period.
	RuleVendorEnding = "vendor-ending"
	// RuleVendorUpcoming: a distribution tests a minor before its vendor
	// makes it generally available (a preview), or one the vendor's
	// catalog does not know.
	RuleVendorUpcoming = "vendor-upcoming"
	// RuleExtendedDerived: kubernetes.extended declares a minor that a
	// named lifecycle already keeps; the entry can go.
	RuleExtendedDerived = "extended-derived"
)

// lifecycles returns the vendor catalog the upstream catalog is held
// together with: c.Lifecycles, or the embedded one (shared: read only).
func (c *Catalog) lifecycles() *Lifecycles {
	if c.Lifecycles != nil {
		return c.Lifecycles
	}
	return sharedLifecycles()
}

// LifecyclesChecked is the day the vendor lifecycles were last checked
// against their sources: the day a report without a date of its own judges
// vendor windows on.
func (c *Catalog) LifecyclesChecked() time.Time { return c.lifecycles().Checked }

// Product returns the lifecycle a distribution names, or nil when it names
// none, "none", or a product the catalog lacks.
func (c *Catalog) Product(d *matrix.Distribution) *Product {
	if d.Lifecycle == "" || d.Lifecycle == NoLifecycle {
		return nil
	}
	return c.lifecycles().Product(d.Lifecycle)
}

// WindowWords states the support window a distribution follows, in words,
// for PROGRAM.md and `docs --explain`: its vendor's window, the upstream
// one for `lifecycle: none`, "" when it names no lifecycle.
func (c *Catalog) WindowWords(d *matrix.Distribution) string {
	switch d.Lifecycle {
	case "":
		return ""
	case NoLifecycle:
		return "no vendor's calendar; its minors are held to the upstream one, which supports the newest three minors for about 14 months each."
	}
	if p := c.Product(d); p != nil {
		return p.Window
	}
	return ""
}

// Window is one distribution × minor as its vendor offers it on a day: what
// the table shows beside the level.
type Window struct {
	Product *Product
	VendorMinor
	Known bool // the product's catalog knows the minor
	Phase Phase
}

// Window returns the vendor's window for the distribution's minor on day
// today, and false when the distribution names no lifecycle.
func (c *Catalog) Window(d *matrix.Distribution, v matrix.Minor, today time.Time) (Window, bool) {
	p := c.Product(d)
	if p == nil {
		return Window{}, false
	}
	vm, ok := p.Lookup(c, v)
	w := Window{Product: p, VendorMinor: vm, Known: ok, Phase: PhaseUnknown}
	if ok {
		w.Phase = vm.Phase(today)
	}
	return w, true
}

// Text says the window in words: "standard support until 2026-12-02,
// extended support until 2027-12-02", "ended 2026-10-27".
func (w Window) Text() string {
	p := w.Product
	switch w.Phase {
	case PhaseUnknown:
		return p.Name + " does not list it"
	case PhaseUpcoming:
		return "not yet available on " + p.Name + " (from " + FormatDate(w.Available) + ")"
	case PhaseEnded:
		return "dropped by " + p.Name + " on " + FormatDate(w.End())
	}
	s := p.StandardLabel + " until " + FormatDate(w.Standard)
	if w.Phase == PhaseExtended {
		s = p.StandardLabel + " ended " + FormatDate(w.Standard)
	}
	if !w.Extended.IsZero() {
		s += ", " + p.ExtendedLabel + " until " + FormatDate(w.Extended)
	}
	return s
}

// support says why a vendor keeps an upstream-ended minor:
// "Amazon EKS extended support until 2027-07-29".
func (w Window) support() string {
	if w.Phase == PhaseExtended {
		return w.Product.Name + " " + w.Product.ExtendedLabel + " until " + FormatDate(w.Extended)
	}
	return w.Product.Name + " " + w.Product.StandardLabel + " until " + FormatDate(w.Standard)
}

// DerivedExtended returns why the matrix keeps minor v on day today as the
// named lifecycles say it: each vendor of a distribution offering v that
// still supports it, with its date, joined by "; " in distribution order.
// It is "" when no named vendor supports v.
func (c *Catalog) DerivedExtended(m *matrix.Matrix, v matrix.Minor, today time.Time) string {
	var out []string
	seen := map[string]bool{}
	for _, d := range m.Distributions {
		if !d.Offers(v) {
			continue
		}
		w, ok := c.Window(d, v, today)
		if !ok || !w.Offered(today) || seen[w.Product.ID] {
			continue
		}
		seen[w.Product.ID] = true
		out = append(out, w.support())
	}
	return strings.Join(out, "; ")
}

// ExtendedReason is why the matrix keeps minor v past its upstream end of
// life on day today: the kubernetes.extended reason when declared, else the
// reason derived from the named lifecycles, else, for a minor newer than a
// kept one, that upgrades never skip a minor; "" when nothing keeps it.
func (c *Catalog) ExtendedReason(m *matrix.Matrix, v matrix.Minor, today time.Time) string {
	return c.keptBecause(m, v, today, false)
}

// keptBecause is ExtendedReason; with current, a declared reason whose
// dates have all passed does not count.
func (c *Catalog) keptBecause(m *matrix.Matrix, v matrix.Minor, today time.Time, current bool) string {
	own := func(u matrix.Minor) string {
		if r := extendedReason(m, u); r != "" {
			if until := reasonUntil(r); !current || until.IsZero() || day(today).Before(until) {
				return r
			}
		}
		return c.DerivedExtended(m, u, today)
	}
	if r := own(v); r != "" {
		return r
	}
	for _, u := range m.Kubernetes.Versions {
		if !u.Less(v) {
			break
		}
		if st, _, _ := c.status(u, today); st == StatusEOL && own(u) != "" {
			return fmt.Sprintf("kept with Kubernetes %s: clusters upgrade one minor at a time", u)
		}
	}
	return ""
}

var reasonDate = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)

// reasonUntil returns the latest date a free-text reason gives, or zero.
func reasonUntil(reason string) time.Time {
	var last time.Time
	for _, s := range reasonDate.FindAllString(reason, -1) {
		if t, err := parseDay(s); err == nil && t.After(last) {
			last = t
		}
	}
	return last
}

// rangePos is where a finding about a distribution's minors points: its
// kubernetes range, else its lifecycle, else its id.
func rangePos(d *matrix.Distribution) (matrix.Pos, string) {
	path := "distributions." + d.ID + ".kubernetes"
	switch {
	case d.Kubernetes != nil:
		return d.Kubernetes.Pos, path
	case d.LifecyclePos.Line > 0:
		return d.LifecyclePos, path
	}
	return d.Pos, path
}

// checkDistributions returns the per-distribution findings of Check.
func (c *Catalog) checkDistributions(m *matrix.Matrix, today time.Time, add func(pos matrix.Pos, path, rule, format string, args ...any)) {
	ls := c.lifecycles()
	grace := AdoptWithin(m)
	for _, d := range m.Distributions {
		switch {
		case d.Lifecycle == "" || d.Lifecycle == NoLifecycle:
			continue
		case ls.Product(d.Lifecycle) == nil:
			add(d.LifecyclePos, "distributions."+d.ID+".lifecycle", RuleUnknownLifecycle,
				"unknown lifecycle %q%s (or none)", d.Lifecycle, matrix.Suggest(d.Lifecycle, ls.IDs()))
			continue
		}
		pos, path := rangePos(d)
		for _, v := range m.OfferedMinors(d) {
			w, _ := c.Window(d, v, today)
			p := w.Product
			switch w.Phase {
			case PhaseEnded:
				add(pos, path, RuleVendorEnded,
					"%s is tested on Kubernetes %s, which %s no longer offers (%s ended %s); narrow the range (supportmatrix versions --sync)",
					d.ID, v, p.Name, endLabel(w), FormatDate(w.End()))
			case PhaseUnknown:
				add(pos, path, RuleVendorUpcoming, "%s is tested on Kubernetes %s, which the %s lifecycle does not list yet", d.ID, v, p.Name)
			case PhaseUpcoming:
				add(pos, path, RuleVendorUpcoming, "%s is tested on Kubernetes %s before %s makes it generally available (%s)", d.ID, v, p.Name, FormatDate(w.Available))
			default:
				if end := w.End(); !end.IsZero() && end.Sub(day(today)) <= WarnAhead {
					add(pos, path, RuleVendorEnding, "%s: %s ends %s of Kubernetes %s on %s; the range must drop it then",
						d.ID, p.Name, endLabel(w), v, FormatDate(end))
				} else if w.Phase == PhaseStandard && !w.Extended.IsZero() && w.Standard.Sub(day(today)) <= WarnAhead {
					add(pos, path, RuleVendorEnding, "%s: %s ends %s of Kubernetes %s on %s; %s runs until %s",
						d.ID, p.Name, p.StandardLabel, v, FormatDate(w.Standard), p.ExtendedLabel, FormatDate(w.Extended))
				}
			}
		}
		for _, v := range m.Kubernetes.Versions {
			if d.Offers(v) {
				continue
			}
			w, _ := c.Window(d, v, today)
			if w.Phase != PhaseStandard {
				continue
			}
			due := w.Available.Add(grace)
			if day(today).After(due) {
				add(pos, path, RuleVendorAdded,
					"%s offers Kubernetes %s since %s (%s), but the range of %s excludes it; kubernetes.adopt_within (%s) allowed until %s: widen the range (supportmatrix versions --sync)",
					w.Product.Name, v, FormatDate(w.Available), w.Text(), d.ID, graceText(m), FormatDate(due))
			} else {
				add(pos, path, RuleVendorEnding,
					"%s offers Kubernetes %s since %s, but the range of %s excludes it; add it by %s (kubernetes.adopt_within %s)",
					w.Product.Name, v, FormatDate(w.Available), d.ID, FormatDate(due), graceText(m))
			}
		}
	}
}

// endLabel names the phase whose end is the vendor's end of support.
func endLabel(w Window) string {
	if !w.Extended.IsZero() {
		return w.Product.ExtendedLabel
	}
	return w.Product.StandardLabel
}

// checkExtended returns the findings about kubernetes.extended entries: a
// reason whose dates have all passed fails; one a named lifecycle now
// derives is a note.
func (c *Catalog) checkExtended(m *matrix.Matrix, today time.Time, add func(pos matrix.Pos, path, rule, format string, args ...any)) {
	for _, e := range m.Kubernetes.Extended {
		if !tests(m, e.Minor) {
			continue
		}
		path := "kubernetes.extended." + e.Minor.String()
		until := reasonUntil(e.Reason)
		switch {
		case !until.IsZero() && !day(today).Before(until):
			add(e.Minor.Pos, path, RuleExtendedExpired,
				"the reason for keeping Kubernetes %s ran out on %s (%q); drop the minor (supportmatrix versions --sync) or give a current reason",
				e.Minor, FormatDate(until), oneLine(e.Reason))
		case !until.IsZero() && until.Sub(day(today)) <= WarnAhead:
			add(e.Minor.Pos, path, RuleVendorEnding, "the reason for keeping Kubernetes %s runs out on %s", e.Minor, FormatDate(until))
		}
		if st, _, _ := c.status(e.Minor, today); st != StatusEOL {
			continue
		}
		if derived := c.DerivedExtended(m, e.Minor, today); derived != "" {
			add(e.Minor.Pos, path, RuleExtendedDerived,
				"Kubernetes %s is kept by the named lifecycles (%s); the entry is no longer needed", e.Minor, derived)
		}
	}
}

// sortedMinors returns minors ascending without duplicates.
func sortedMinors(in []matrix.Minor) []matrix.Minor {
	out := append([]matrix.Minor(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Less(out[j]) })
	var uniq []matrix.Minor
	for _, v := range out {
		if len(uniq) == 0 || !uniq[len(uniq)-1].Equal(v) {
			uniq = append(uniq, v)
		}
	}
	return uniq
}
