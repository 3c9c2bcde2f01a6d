package matrix

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// This file owns the policy section: its keys, their decoding and their
// defaults. The loader applies the defaults, so every consumer (the support
// table, the docs check, PROGRAM.md, publish) reads PolicyFor and trusts it;
// nothing downstream fills in a policy value of its own.
//
// To add a policy key:
//  1. a field on Policy;
//  2. its default in DefaultPolicy (per tier where tiers differ);
//  3. an entry in policyKeys that decodes it (its range, a Range in
//     format.go, checked there);
//  4. the property, with a description, in matrix/schema.json under
//     $defs.policy (its range written in by schemaValues in
//     schemagen_test.go), and its row in docs/matrix-reference.md
//     (TestReferenceDocumentsSchema says exactly what to add; a default
//     there is compared with the loader's through loaderDefaults in
//     reference_test.go).

// MaxGreenRuns is the largest policy green_runs: a streak can only be
// counted over the counting runs the history keeps (results.KeepCounting).
const MaxGreenRuns = results.KeepCounting

// DefaultMaxAge is a policy's max_age where the matrix is silent: the weekly
// schedule plus a day of slack.
var DefaultMaxAge = Duration{Text: "8d", D: 8 * 24 * time.Hour}

// DefaultFlakyAbove is a policy's flaky_above where the matrix is silent: a
// cell that flaked in more than one counting run in ten is flaky. sig-release
// asks a job to show it is not flaky before it may block a release
// (kubernetes/sig-release, release-blocking-jobs.md); one flake in a month
// of nightly runs (3%) stays under it, one a week (14%) does not.
const DefaultFlakyAbove = 0.10

// DefaultPolicy returns tier t's policy where the matrix is silent: the
// policy of a tier the file does not name, and the value of each key a
// written policy leaves out. It is the one owner of the policy defaults.
//
//   - official: requires docs, settings and a permanent cluster, 3 green
//     runs, max_age 8d;
//   - beta: requires docs and settings (a beta distribution is documented
//     before it is presented as nearly supported), 1 green run, max_age 8d;
//   - community and deprecated: no requirements, 1 green run, max_age 8d;
//   - every tier: flaky_above DefaultFlakyAbove.
//
// Every tier alerts after DefaultAlertAfter consecutive failed counting
// runs; only the official tier alerts on staleness, after its max_age
// (alert_stale follows a written max_age unless it is written too).
func DefaultPolicy(t Tier) Policy {
	p := Policy{Tier: t, Requires: []string{}, GreenRuns: 1, MaxAge: DefaultMaxAge, FlakyAbove: DefaultFlakyAbove, AlertAfter: DefaultAlertAfter}
	switch t {
	case TierOfficial:
		p.Requires = []string{RequireDocs, RequireSettings, RequirePermanentCluster}
		p.GreenRuns = 3
		p.AlertStale = p.MaxAge
	case TierBeta:
		p.Requires = []string{RequireDocs, RequireSettings}
	}
	return p
}

// DefaultAlertAfter is a policy's alert_after where the matrix is silent:
// one red night is often a flake, two in a row rarely are.
const DefaultAlertAfter = 2

// policyKey is one key of a tier's policy: decode reads the key's value
// into the policy, reporting problems at path.
type policyKey struct {
	name   string
	decode func(d *decoder, n *yaml.Node, path string, p *Policy)
}

// policyKeys are the keys a tier's policy may hold, in the order the
// reference lists them.
var policyKeys = []policyKey{
	{"requires", func(d *decoder, n *yaml.Node, path string, p *Policy) {
		items, _ := d.seq(n, path)
		p.Requires = []string{}
		for i, it := range items {
			if r, ok := d.enum(it, fmt.Sprintf("%s[%d]", path, i), Requirements...); ok {
				p.Requires = append(p.Requires, r)
			}
		}
	}},
	{"green_runs", func(d *decoder, n *yaml.Node, path string, p *Policy) {
		if v, ok := d.integer(n, path, GreenRunsRange); ok {
			p.GreenRuns = v
		}
	}},
	{"max_age", func(d *decoder, n *yaml.Node, path string, p *Policy) {
		if dur := d.duration(n, path); dur != nil {
			p.MaxAge = *dur
		}
	}},
	{"flaky_above", func(d *decoder, n *yaml.Node, path string, p *Policy) {
		if v, ok := d.share(n, path); ok {
			p.FlakyAbove = v
		}
	}},
	{"alert_after", func(d *decoder, n *yaml.Node, path string, p *Policy) {
		// A failure streak is counted over the counting runs the history
		// keeps, like green_runs.
		if v, ok := d.integer(n, path, AlertAfterRange); ok {
			p.AlertAfter = v
		}
	}},
	{"alert_stale", func(d *decoder, n *yaml.Node, path string, p *Policy) {
		if p.Tier != TierOfficial {
			d.errorf(n, path, "policy", "alert_stale applies to the official tier only: staleness alerts watch supported and qualifying levels")
			return
		}
		if dur := d.duration(n, path); dur != nil {
			p.AlertStale = *dur
		}
	}},
}

// PolicyKeys returns the names of the keys a tier's policy may hold.
func PolicyKeys() []string {
	out := make([]string, len(policyKeys))
	for i, k := range policyKeys {
		out[i] = k.name
	}
	return out
}

// policy decodes the policy section: per tier, DefaultPolicy with the keys
// the file writes.
func (d *decoder) policy(n *yaml.Node, m *Matrix) {
	pairs, _ := d.mapping(n, "policy")
	for _, p := range pairs {
		path := "policy." + p.Key
		if !contains(names(Tiers), p.Key) {
			d.errorf(p.KeyN, path, "enum", "%q is not a tier; use %s", p.Key, strings.Join(names(Tiers), ", "))
			continue
		}
		pol := DefaultPolicy(Tier(p.Key))
		pol.Pos = d.pos(p.KeyN)
		fields, _ := d.mapping(p.Value, path, PolicyKeys()...)
		for _, f := range fields {
			for _, k := range policyKeys {
				if k.name == f.Key {
					k.decode(d, f.Value, path+"."+f.Key, &pol)
				}
			}
		}
		if pol.Tier == TierOfficial && !hasKey(fields, "alert_stale") {
			pol.AlertStale = pol.MaxAge // the default follows a written max_age
		}
		m.Policy = append(m.Policy, &pol)
	}
}

// policyDefaults gives every tier the file does not name its
// DefaultPolicy, in tier order after the written ones.
func policyDefaults(m *Matrix) {
	for _, t := range Tiers {
		if m.declaredPolicy(t) == nil {
			p := DefaultPolicy(t)
			m.Policy = append(m.Policy, &p)
		}
	}
}

// Written reports whether the matrix file writes this policy (else it is
// DefaultPolicy).
func (p *Policy) Written() bool { return p.Pos.Line > 0 }

func (m *Matrix) declaredPolicy(t Tier) *Policy {
	for _, p := range m.Policy {
		if p.Tier == t {
			return p
		}
	}
	return nil
}

// PolicyFor returns the policy of tier t with its defaults: the one the
// matrix writes, else DefaultPolicy. It never returns nil; a loaded matrix
// holds a policy for every tier, and a matrix built in code gets the
// defaults.
func (m *Matrix) PolicyFor(t Tier) *Policy {
	if p := m.declaredPolicy(t); p != nil {
		return p
	}
	p := DefaultPolicy(t)
	return &p
}
