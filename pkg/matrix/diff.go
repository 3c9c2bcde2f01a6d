package matrix

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cellid"
)

// TemplateHash returns a digest of a template file's bytes by its path
// relative to the templates directory ("features/deploy.yml"), or "" when
// the file does not exist. Change detection uses it so that an edited
// template changes every cell that uses it.
type TemplateHash func(rel string) string

// Diff lists the cells (feature, upgrade and skew cells alike) that a change
// to the matrix or its templates adds, removes and changes. Added and
// Changed follow the head plan's order, Removed the base plan's.
type Diff struct {
	Added   []string
	Removed []string
	Changed []string
}

// Empty reports whether the change touches no cell.
func (d Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// Compare diffs two plans. A cell changes when anything that shapes its job
// changes: its distribution's cluster, tags, variables or settings; its
// feature's template file, kubernetes constraint, needs or timeout; the rule
// action that applies to it; the pipeline section. Names, tiers, docs,
// release names, rule reasons and policy change the table, not the jobs.
func Compare(base, head *Plan, baseT, headT TemplateHash) Diff {
	before := Fingerprints(base, baseT)
	after := Fingerprints(head, headT)
	var d Diff
	for _, id := range head.IDs() {
		old, ok := before[id]
		switch {
		case !ok:
			d.Added = append(d.Added, id)
		case old != after[id]:
			d.Changed = append(d.Changed, id)
		}
	}
	for _, id := range base.IDs() {
		if _, ok := after[id]; !ok {
			d.Removed = append(d.Removed, id)
		}
	}
	return d
}

// IDs lists every cell id of the plan: feature cells, then upgrade cells,
// then skew cells, each in file order.
func (p *Plan) IDs() []string {
	out := make([]string, 0, len(p.Cells)+len(p.Upgrades)+len(p.Skews))
	for _, c := range p.Cells {
		out = append(out, c.ID)
	}
	for _, u := range p.Upgrades {
		out = append(out, u.ID)
	}
	for _, s := range p.Skews {
		out = append(out, s.ID)
	}
	return out
}

// Fingerprints returns a digest per cell id of everything that shapes the
// cell's jobs.
func Fingerprints(p *Plan, t TemplateHash) map[string]string {
	if t == nil {
		t = func(string) string { return "" }
	}
	out := make(map[string]string, len(p.Cells)+len(p.Upgrades)+len(p.Skews))
	pipe := pipelineText(p.Matrix.Pipeline)
	for _, c := range p.Cells {
		var b strings.Builder
		b.WriteString(pipe)
		distributionText(&b, c.Distribution, t)
		featureText(&b, c.Feature, t)
		fmt.Fprintf(&b, "action=%s\n", c.Action)
		out[c.ID] = digest(b.String())
	}
	for _, u := range p.Upgrades {
		var b strings.Builder
		b.WriteString(pipe)
		distributionText(&b, u.Distribution, t)
		fmt.Fprintf(&b, "upgrade=%s %s\n", t(jobs.UpgradePath), p.Matrix.Upgrades.Path)
		for _, f := range u.Verify {
			featureText(&b, f, t)
		}
		out[u.ID] = digest(b.String())
	}
	for _, s := range p.Skews {
		var b strings.Builder
		b.WriteString(pipe)
		distributionText(&b, s.Distribution, t)
		for _, f := range s.Verify {
			featureText(&b, f, t)
		}
		out[s.ID] = digest(b.String())
	}
	return out
}

func pipelineText(pl Pipeline) string {
	return fmt.Sprintf("pipeline=%q %s %s %d %q %t %d %d\n", pl.Image, pl.GitLab, pl.Strategy, pl.Retry.Max, pl.Retry.When, pl.Interruptible, pl.Limits.MaxJobs, pl.Limits.MaxNeeds)
}

func distributionText(b *strings.Builder, d *Distribution, t TemplateHash) {
	c := d.Cluster
	fmt.Fprintf(b, "cluster=%s %q %q %q\n", c.Type, c.Context, c.Provision, c.Teardown)
	switch c.Type {
	case ClusterPermanent:
		fmt.Fprintf(b, "connect=%s\n", t(jobs.ConnectPath))
	case ClusterEphemeral:
		fmt.Fprintf(b, "provision=%s teardown=%s\n", t(jobs.ClusterPath(c.Provision)), t(jobs.ClusterPath(c.Teardown)))
	}
	fmt.Fprintf(b, "tags=%q\n", d.Tags)
	for _, v := range d.Variables {
		fmt.Fprintf(b, "var %q=%q\n", v.Key, v.Value)
	}
	for _, s := range d.Settings {
		fmt.Fprintf(b, "setting %q\n", s.Text)
	}
	if d.Skew != nil {
		fmt.Fprintf(b, "skew=%d %q\n", d.Skew.MaxBehind, d.Skew.Verify)
	}
}

func featureText(b *strings.Builder, f *Feature, t TemplateHash) {
	constraint, timeout := "", ""
	if f.Kubernetes != nil {
		constraint = f.Kubernetes.Text
	}
	if f.Timeout != nil {
		timeout = f.Timeout.Text
	}
	fmt.Fprintf(b, "feature=%s template=%s kubernetes=%q needs=%q timeout=%q\n", f.ID, t(jobs.FeaturePath(f.Template)), constraint, f.Needs, timeout)
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}

// Scope returns the cells a merge-request pipeline (the changed profile)
// runs for the change, in plan order: the added and changed cells and,
// transitively, the feature cells of the same chain that need them — their
// dependents consume what the changed cell made (a change to backup
// re-runs restore). Excluded cells are left out. Generate then adds the
// cells these need (Closure). SPEC: "plus the cells that need them".
func (d Diff) Scope(head *Plan) []string {
	seeds := append(append([]string{}, d.Added...), d.Changed...)
	if len(seeds) == 0 {
		return []string{}
	}
	// dependents[id] lists the cells of id's chain whose feature needs
	// id's feature directly.
	dependents := map[string][]string{}
	for _, c := range head.Cells {
		for _, n := range c.Feature.Needs {
			need := cellid.Feature(c.Distribution.ID, c.Kubernetes.String(), n)
			dependents[need] = append(dependents[need], c.ID)
		}
	}
	excluded := map[string]bool{}
	for _, c := range head.Cells {
		excluded[c.ID] = c.Excluded()
	}
	in := map[string]bool{}
	var add func(id string)
	add = func(id string) {
		if in[id] || excluded[id] {
			return
		}
		in[id] = true
		for _, dep := range dependents[id] {
			add(dep)
		}
	}
	for _, id := range seeds {
		add(id)
	}
	out := []string{}
	for _, id := range head.IDs() {
		if in[id] {
			out = append(out, id)
		}
	}
	return out
}

// Closure returns the given cell ids plus, for each feature cell, the cells
// of its chain that it needs, transitively: what a merge-request pipeline
// must run so that every changed cell can run. Ids not in the plan are
// ignored; excluded cells are never added.
func (p *Plan) Closure(ids []string) map[string]bool {
	byID := make(map[string]*Cell, len(p.Cells))
	for _, c := range p.Cells {
		byID[c.ID] = c
	}
	out := make(map[string]bool, len(ids))
	var add func(id string)
	add = func(id string) {
		if out[id] {
			return
		}
		c, ok := byID[id]
		if ok && c.Excluded() {
			return
		}
		out[id] = true
		if !ok {
			return // an upgrade or skew cell: it needs no other cell
		}
		for _, n := range c.Feature.Needs {
			add(cellid.Feature(c.Distribution.ID, c.Kubernetes.String(), n))
		}
	}
	for _, id := range ids {
		add(id)
	}
	all := make(map[string]bool, len(out))
	for _, id := range p.IDs() {
		if out[id] {
			all[id] = true
		}
	}
	return all
}

// SuggestDistribution returns validate's hint for a misspelt distribution
// id ("; did you mean \"gke\"?"), or "" when no id is close. Commands that
// take a distribution id (docs --explain) use it so that the same typo gets
// the same hint everywhere.
func (m *Matrix) SuggestDistribution(id string) string {
	if s := suggest(id, distributionIDs(m)); strings.HasPrefix(s, "; did you mean ") {
		return s
	}
	return ""
}
