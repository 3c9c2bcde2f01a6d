package kube

import (
	"fmt"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// The rules of Check's findings. RuleEndOfLife and RuleMissingMinor make
// `versions --check` fail; the others are informative.
const (
	// RuleEndOfLife: the matrix tests a minor past its upstream end of
	// life without declaring it in kubernetes.extended.
	RuleEndOfLife = "end-of-life"
	// RuleMissingMinor: a supported upstream minor, released longer ago
	// than kubernetes.adopt_within, is missing from the matrix.
	RuleMissingMinor = "missing-minor"
	// RuleUnknownMinor: the matrix tests a minor the catalog does not know
	// (newer than the catalog; refresh it).
	RuleUnknownMinor = "unknown-minor"
	// RuleExtendedNotEOL: kubernetes.extended declares a minor that is
	// still supported upstream; the entry is not needed yet.
	RuleExtendedNotEOL = "extended-not-eol"
)

// Failing reports whether a finding of Check makes `versions --check` fail.
func Failing(p matrix.Problem) bool {
	switch p.Rule {
	case RuleEndOfLife, RuleMissingMinor, RuleVendorEnded, RuleVendorAdded, RuleExtendedExpired, RuleUnknownLifecycle:
		return true
	}
	return false
}

// AdoptWithin returns the matrix's grace period for adopting a new minor:
// kubernetes.adopt_within, which the loader defaults
// (matrix.DefaultAdoptWithin).
func AdoptWithin(m *matrix.Matrix) time.Duration {
	return m.Kubernetes.AdoptWithin.D
}

// Check compares the matrix with the embedded catalog on day today; see
// Catalog.Check.
func Check(m *matrix.Matrix, today time.Time) []matrix.Problem {
	return Default().Check(m, today)
}

// Check compares the matrix's kubernetes section with the catalog on day
// today and returns its findings, all of severity Warning, in file order:
//
//   - a tested minor past its end of life that kubernetes.extended does not
//     declare (RuleEndOfLife, at the minor);
//   - a supported minor released more than the grace period ago that the
//     matrix lacks (RuleMissingMinor, at kubernetes.versions);
//   - per distribution that names a lifecycle: a tested minor its vendor
//     no longer offers (RuleVendorEnded), a minor the vendor offers in
//     standard support that its range excludes past the grace period
//     (RuleVendorAdded), a lifecycle the catalog lacks
//     (RuleUnknownLifecycle); each at the distribution's range;
//   - a kubernetes.extended reason whose dates have all passed
//     (RuleExtendedExpired);
//   - warnings ahead (RuleVendorEnding, within WarnAhead) and informative
//     notes: a tested minor the catalog does not know, an extended entry
//     for a minor still supported upstream or kept by a named lifecycle.
//
// A minor past its upstream end of life is kept without an extended entry
// while the lifecycle of some distribution offering it still supports it.
//
// Failing tells the findings that fail `versions --check`.
func (c *Catalog) Check(m *matrix.Matrix, today time.Time) []matrix.Problem {
	today = day(today)
	k := m.Kubernetes
	var ps matrix.Problems
	add := func(pos matrix.Pos, path, rule, format string, args ...any) {
		ps = append(ps, matrix.Problem{Pos: pos, Path: path, Rule: rule, Severity: matrix.Warning, Message: fmt.Sprintf(format, args...)})
	}

	for _, v := range k.Versions {
		st, r, known := c.status(v, today)
		switch {
		case st == StatusEOL && c.ExtendedReason(m, v, today) == "":
			add(v.Pos, "kubernetes.versions", RuleEndOfLife,
				"Kubernetes %s reached its upstream end of life %s and no named lifecycle supports it; drop it (supportmatrix versions --sync) or keep it in kubernetes.extended with the vendor's reason",
				v, eolPhrase(r, known))
		case !known && st != StatusEOL:
			add(v.Pos, "kubernetes.versions", RuleUnknownMinor,
				"Kubernetes %s is not in the release catalog (newest known: %s); refresh the catalog if it has been released",
				v, c.newest())
		}
	}

	grace := AdoptWithin(m)
	for _, r := range c.Supported(today) {
		if tests(m, r.Minor) || today.Sub(r.Released) <= grace {
			continue
		}
		add(versionsPos(m), "kubernetes.versions", RuleMissingMinor,
			"Kubernetes %s, released %s and supported upstream until %s, is missing; add it (supportmatrix versions --sync): kubernetes.adopt_within (%s) allowed until %s",
			r.Minor, FormatDate(r.Released), FormatDate(r.EOL), graceText(m), FormatDate(r.Released.Add(grace)))
	}

	for _, e := range k.Extended {
		st, r, _ := c.status(e.Minor, today)
		// An entry for a minor the list lacks is the loader's warning.
		if tests(m, e.Minor) && (st == StatusSupported || st == StatusUpcoming) {
			until := "its end of life"
			if !r.EOL.IsZero() {
				until = FormatDate(r.EOL)
			}
			add(e.Minor.Pos, "kubernetes.extended", RuleExtendedNotEOL,
				"Kubernetes %s is declared extended but upstream supports it until %s; the entry only matters after that", e.Minor, until)
		}
	}
	c.checkExtended(m, today, add)
	c.checkDistributions(m, today, add)
	ps.Sort()
	return ps
}

// status returns where the minor stands on day today, its release, and
// whether the catalog knows it. A minor older than every catalog entry is
// past its end of life once the oldest entry is, since minors end in order.
func (c *Catalog) status(v matrix.Minor, today time.Time) (Status, Release, bool) {
	if r, ok := c.Lookup(v); ok {
		return r.Status(today), r, true
	}
	if len(c.Releases) > 0 && v.Less(c.Releases[0].Minor) && c.Releases[0].Status(today) == StatusEOL {
		return StatusEOL, Release{Minor: v}, false
	}
	return "", Release{Minor: v}, false
}

func (c *Catalog) newest() string {
	if len(c.Releases) == 0 {
		return "none"
	}
	return c.Releases[len(c.Releases)-1].Minor.String()
}

func eolPhrase(r Release, known bool) string {
	if known && !r.EOL.IsZero() {
		return "on " + FormatDate(r.EOL)
	}
	return "before the oldest minor in the catalog"
}

func graceText(m *matrix.Matrix) string {
	return m.Kubernetes.AdoptWithin.Text
}

// tests reports whether kubernetes.versions lists the minor.
func tests(m *matrix.Matrix, v matrix.Minor) bool {
	for _, x := range m.Kubernetes.Versions {
		if x.Equal(v) {
			return true
		}
	}
	return false
}

// extendedReason returns the reason kubernetes.extended gives for the
// minor, or "" when it is not declared.
func extendedReason(m *matrix.Matrix, v matrix.Minor) string {
	for _, e := range m.Kubernetes.Extended {
		if e.Minor.Equal(v) {
			if e.Reason == "" {
				return "extended"
			}
			return e.Reason
		}
	}
	return ""
}

// versionsPos is where a finding about the versions list as a whole points:
// the kubernetes section, or the first listed minor.
func versionsPos(m *matrix.Matrix) matrix.Pos {
	if m.Kubernetes.Pos.Line > 0 {
		return m.Kubernetes.Pos
	}
	if len(m.Kubernetes.Versions) > 0 {
		return m.Kubernetes.Versions[0].Pos
	}
	return matrix.Pos{File: m.File, Line: 1, Column: 1}
}
