package matrix

import (
	"fmt"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cellid"
)

// Cell is one (distribution, offered minor, feature) with what the matrix
// decides for it.
type Cell struct {
	ID           string // gke/1.35/runner
	Distribution *Distribution
	Kubernetes   Minor
	Feature      *Feature
	Action       Action
	Reason       string
	Link         string
	Rule         *Rule // the rule that decided Action, or nil
}

// Excluded reports whether the cell runs no job.
func (c *Cell) Excluded() bool { return c.Action == ActionExclude }

// Chain returns the id of the cell's distribution × minor chain ("gke/1.35").
func (c *Cell) Chain() string { return cellid.Chain(c.Distribution.ID, c.Kubernetes.String()) }

// UpgradeCell is one (distribution, from-minor, to-minor) for adjacent offered
// minors of an ephemeral distribution.
type UpgradeCell struct {
	ID           string // k3s/1.34->1.35
	Distribution *Distribution
	From, To     Minor
	Verify       []*Feature
}

// SkewCell is an ephemeral cluster whose control plane runs ControlPlane while
// its nodes run Nodes, older by one to three minors.
type SkewCell struct {
	ID           string // kind/1.35/nodes-1.32
	Distribution *Distribution
	ControlPlane Minor
	Nodes        Minor
	Verify       []*Feature
}

// Plan is the expansion of a matrix, in file order: distributions, then
// minors, then features.
type Plan struct {
	Matrix   *Matrix
	Cells    []*Cell
	Upgrades []*UpgradeCell
	Skews    []*SkewCell
}

// Expand turns a validated matrix into its cells. The result follows file
// order everywhere; it does not depend on map iteration.
func Expand(m *Matrix) *Plan {
	p := &Plan{Matrix: m}
	order := needsOrder(m.Features)
	for _, d := range m.Distributions {
		offered := m.OfferedMinors(d)
		for _, v := range offered {
			byFeature := make(map[string]*Cell, len(m.Features))
			for _, f := range order {
				byFeature[f.ID] = decide(m, d, v, f, byFeature)
			}
			for _, f := range m.Features {
				p.Cells = append(p.Cells, byFeature[f.ID])
			}
		}
		if upgradesApply(m, d) {
			for i := 0; i+1 < len(offered); i++ {
				p.Upgrades = append(p.Upgrades, &UpgradeCell{
					ID:           cellid.Upgrade(d.ID, offered[i].String(), offered[i+1].String()),
					Distribution: d,
					From:         offered[i],
					To:           offered[i+1],
					Verify:       m.featuresByID(m.Upgrades.Verify),
				})
			}
		}
		if d.Skew != nil {
			for _, v := range offered {
				for k := 1; k <= d.Skew.MaxBehind && v.Minor-k >= 0; k++ {
					nodes := NewMinor(v.Major, v.Minor-k)
					p.Skews = append(p.Skews, &SkewCell{
						ID:           cellid.Skew(d.ID, v.String(), nodes.String()),
						Distribution: d,
						ControlPlane: v,
						Nodes:        nodes,
						Verify:       m.featuresByID(d.Skew.Verify),
					})
				}
			}
		}
	}
	return p
}

// upgradesApply reports whether the distribution gets upgrade cells.
func upgradesApply(m *Matrix, d *Distribution) bool {
	if m.Upgrades == nil || d.Cluster.Type != ClusterEphemeral {
		return false
	}
	if len(m.Upgrades.Distributions) == 0 {
		return true
	}
	for _, id := range m.Upgrades.Distributions {
		if id == d.ID {
			return true
		}
	}
	return false
}

func (m *Matrix) featuresByID(ids []string) []*Feature {
	out := make([]*Feature, 0, len(ids))
	for _, id := range ids {
		if f := m.Feature(id); f != nil {
			out = append(out, f)
		}
	}
	return out
}

// decide applies, in order, the feature's constraint, the first matching rule
// and the exclusion of needed features. done holds the cells of the features
// this one needs (needsOrder puts them first).
func decide(m *Matrix, d *Distribution, v Minor, f *Feature, done map[string]*Cell) *Cell {
	c := &Cell{ID: cellid.Feature(d.ID, v.String(), f.ID), Distribution: d, Kubernetes: v, Feature: f, Action: ActionRun}
	if !f.Kubernetes.Allows(v) {
		c.Action = ActionExclude
		c.Reason = fmt.Sprintf("feature %s needs Kubernetes %s", f.ID, f.Kubernetes.Text)
		return c
	}
	if r := FirstRule(m.Rules, d.ID, v, f.ID); r != nil {
		c.Rule = r
		c.Action = r.Action
		c.Reason = r.Reason
		c.Link = r.Link
		if r.Action == ActionExclude {
			return c
		}
	}
	var gone []string
	for _, n := range f.Needs {
		if need := done[n]; need != nil && need.Excluded() {
			gone = append(gone, n)
		}
	}
	if len(gone) > 0 {
		c.Action = ActionExclude
		c.Reason = "needs excluded " + words.Plural("feature", len(gone)) + " " + strings.Join(gone, ", ")
		c.Link = ""
	}
	return c
}

// FirstRule returns the first rule that matches the cell, or nil.
func FirstRule(rules []*Rule, dist string, v Minor, feature string) *Rule {
	for _, r := range rules {
		if r.Matches(dist, v, feature) {
			return r
		}
	}
	return nil
}

// Matches reports whether every part the rule names matches the cell.
func (r *Rule) Matches(dist string, v Minor, feature string) bool {
	return matchID(r.Distribution, dist) && matchID(r.Feature, feature) && r.Kubernetes.Allows(v)
}

func matchID(ids []string, id string) bool {
	if len(ids) == 0 {
		return true
	}
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// needsOrder returns the features so that each comes after every feature it
// needs, keeping file order where needs do not decide (a stable topological
// sort). Validation has refused cycles; a cycle here keeps file order.
func needsOrder(features []*Feature) []*Feature {
	placed := make(map[string]bool, len(features))
	out := make([]*Feature, 0, len(features))
	for len(out) < len(features) {
		progress := false
		for _, f := range features {
			if placed[f.ID] {
				continue
			}
			ready := true
			for _, n := range f.Needs {
				if !placed[n] && hasFeature(features, n) {
					ready = false
					break
				}
			}
			if ready {
				placed[f.ID] = true
				out = append(out, f)
				progress = true
			}
		}
		if !progress {
			for _, f := range features {
				if !placed[f.ID] {
					placed[f.ID] = true
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// NeedsOrder is the order in which a chain runs its features: each after the
// features it needs, file order otherwise.
func (m *Matrix) NeedsOrder() []*Feature { return needsOrder(m.Features) }

func hasFeature(features []*Feature, id string) bool {
	for _, f := range features {
		if f.ID == id {
			return true
		}
	}
	return false
}

// Chains groups the plan's cells by distribution × minor, in plan order.
func (p *Plan) Chains() []Chain {
	var out []Chain
	for _, c := range p.Cells {
		if n := len(out); n > 0 && out[n-1].Distribution == c.Distribution && out[n-1].Kubernetes.Equal(c.Kubernetes) {
			out[n-1].Cells = append(out[n-1].Cells, c)
			continue
		}
		out = append(out, Chain{Distribution: c.Distribution, Kubernetes: c.Kubernetes, Cells: []*Cell{c}})
	}
	return out
}

// Chain is the cells of one distribution × minor, in feature file order.
type Chain struct {
	Distribution *Distribution
	Kubernetes   Minor
	Cells        []*Cell
}

// ID returns "gke/1.35".
func (c Chain) ID() string { return c.Distribution.ID + "/" + c.Kubernetes.String() }
