package program

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"gitlab.com/supportmatrix/supportmatrix/internal/markdown"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cellid"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// activeJobsNote says what a full run's jobs need on GitLab.com, which counts
// the jobs of all running pipelines of a project together, child pipelines
// included (lib/gitlab/ci/pipeline/chain/limit/active_jobs.rb): sharding
// does not help against that limit.
func activeJobsNote(jobs int) string {
	free := cicheck.GitLabComActiveJobs[0]
	tier := cicheck.TierFor(jobs)
	switch {
	case tier == free.Tier:
		return fmt.Sprintf("A full run takes %d jobs in child pipelines (the parent adds its own); GitLab.com counts the jobs of all running pipelines of a project together, and %s allows %d.", jobs, free.Tier, free.Jobs)
	case tier != "":
		return fmt.Sprintf("A full run takes %d jobs in child pipelines (the parent adds its own); GitLab.com counts the jobs of all running pipelines of a project together, sharding included: more than %s's %d, it needs GitLab.com %s or a self-managed GitLab.", jobs, free.Tier, free.Jobs, tier)
	}
	last := cicheck.GitLabComActiveJobs[len(cicheck.GitLabComActiveJobs)-1]
	return fmt.Sprintf("A full run takes %d jobs in child pipelines; GitLab.com counts the jobs of all running pipelines of a project together, and no tier allows that many (%s: %d): run it on a self-managed GitLab or split the program.", jobs, last.Tier, last.Jobs)
}

// PlanSchema identifies plan's JSON output.
const PlanSchema = "supportmatrix/plan/v1"

// WriteJSON writes the plan as JSON (schema PlanSchema), indented.
func (r *PlanResult) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r.json())
}

type planCellJSON struct {
	Cell         string `json:"cell"`
	Distribution string `json:"distribution"`
	Kubernetes   string `json:"kubernetes"`
	Feature      string `json:"feature"`
	Action       string `json:"action"`
	Reason       string `json:"reason"`
}

type planUpgradeJSON struct {
	Cell         string `json:"cell"`
	Distribution string `json:"distribution"`
	From         string `json:"from"`
	To           string `json:"to"`
}

type planSkewJSON struct {
	Cell         string `json:"cell"`
	Distribution string `json:"distribution"`
	Kubernetes   string `json:"kubernetes"`
	Nodes        string `json:"nodes"`
}

type planOutJSON struct {
	Schema      string            `json:"schema"`
	Cells       []planCellJSON    `json:"cells"`
	Upgrades    []planUpgradeJSON `json:"upgrades"`
	Skews       []planSkewJSON    `json:"skews"`
	Jobs        int               `json:"jobs"`
	Base        string            `json:"base,omitempty"`
	Added       []string          `json:"added,omitempty"`
	Removed     []string          `json:"removed,omitempty"`
	Changed     []string          `json:"changed,omitempty"`
	Scope       []string          `json:"scope,omitempty"`
	ChangedJobs *int              `json:"changed_jobs,omitempty"`
}

func (r *PlanResult) json() planOutJSON {
	out := planOutJSON{Schema: PlanSchema, Cells: []planCellJSON{}, Upgrades: []planUpgradeJSON{}, Skews: []planSkewJSON{}, Jobs: r.Jobs}
	for _, c := range r.Plan.Cells {
		out.Cells = append(out.Cells, planCellJSON{Cell: c.ID, Distribution: c.Distribution.ID, Kubernetes: c.Kubernetes.String(), Feature: c.Feature.ID, Action: string(c.Action), Reason: c.Reason})
	}
	for _, u := range r.Plan.Upgrades {
		out.Upgrades = append(out.Upgrades, planUpgradeJSON{Cell: u.ID, Distribution: u.Distribution.ID, From: u.From.String(), To: u.To.String()})
	}
	for _, s := range r.Plan.Skews {
		out.Skews = append(out.Skews, planSkewJSON{Cell: s.ID, Distribution: s.Distribution.ID, Kubernetes: s.ControlPlane.String(), Nodes: s.Nodes.String()})
	}
	if r.Diff != nil {
		out.Base = r.Base
		out.Added, out.Removed, out.Changed = nonNil(r.Diff.Added), nonNil(r.Diff.Removed), nonNil(r.Diff.Changed)
		out.Scope = nonNil(r.Scope)
		n := r.ChangedJobs
		out.ChangedJobs = &n
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteText writes the plan as a table, one cell a line, then the counts
// and, with a base, the change.
func (r *PlanResult) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tACTION\tREASON")
	for _, c := range r.Plan.Cells {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Action, c.Reason)
	}
	for _, u := range r.Plan.Upgrades {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.ID, cellid.KindUpgrade, "verify: "+featureList(u.Verify))
	}
	for _, s := range r.Plan.Skews {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, cellid.KindSkew, "verify: "+featureList(s.Verify))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := actionCounts(r.Plan)
	fmt.Fprintf(w, "\n%d cells: %s; %d upgrade cells, %d skew cells; %d jobs\n", len(r.Plan.Cells), counts, len(r.Plan.Upgrades), len(r.Plan.Skews), r.Jobs)
	fmt.Fprintln(w, activeJobsNote(r.Jobs))
	if r.Diff != nil {
		fmt.Fprintf(w, "\nagainst %s: %d added, %d removed, %d changed\n", r.Base, len(r.Diff.Added), len(r.Diff.Removed), len(r.Diff.Changed))
		for _, part := range []struct {
			sign string
			ids  []string
		}{{"+", r.Diff.Added}, {"-", r.Diff.Removed}, {"~", r.Diff.Changed}} {
			for _, id := range part.ids {
				fmt.Fprintf(w, "  %s %s\n", part.sign, id)
			}
		}
		fmt.Fprintf(w, "jobs: %d for every cell, %d for the changed cells only\n", r.Jobs, r.ChangedJobs)
	}
	return nil
}

func featureList(fs []*matrix.Feature) string {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.ID
	}
	if len(ids) == 0 {
		return "-"
	}
	return strings.Join(ids, ", ")
}

func actionCounts(p *matrix.Plan) string {
	order := []matrix.Action{matrix.ActionRun, matrix.ActionAllowFailure, matrix.ActionManual, matrix.ActionExclude}
	n := map[matrix.Action]int{}
	for _, c := range p.Cells {
		n[c.Action]++
	}
	parts := make([]string, 0, len(order))
	for _, a := range order {
		parts = append(parts, fmt.Sprintf("%d %s", n[a], a))
	}
	return strings.Join(parts, ", ")
}

// actionMark is the plan's markdown mark for an action.
var actionMark = map[matrix.Action]string{
	matrix.ActionRun:          "✅ run",
	matrix.ActionAllowFailure: "⚠️ allow failure",
	matrix.ActionManual:       "▶️ manual",
	matrix.ActionExclude:      "➖ excluded",
}

// Markdown is the plan for a merge request's note: counts, the change
// against the base, and one table per distribution.
func (r *PlanResult) Markdown() []byte {
	var b strings.Builder
	p := r.Plan
	b.WriteString("## Support matrix plan\n\n")
	fmt.Fprintf(&b, "%d cells (%s), %d upgrade cells, %d skew cells, %d jobs.\n\n", len(p.Cells), actionCounts(p), len(p.Upgrades), len(p.Skews), r.Jobs)
	b.WriteString(activeJobsNote(r.Jobs) + "\n\n")
	if r.Diff != nil {
		fmt.Fprintf(&b, "### Against %s\n\n", markdown.Code(r.Base))
		if r.Diff.Empty() {
			b.WriteString("No cell is added, removed or changed: the change touches the table only.\n\n")
		} else {
			fmt.Fprintf(&b, "%d added, %d removed, %d changed. The merge-request pipeline runs %d of %d jobs.\n\n", len(r.Diff.Added), len(r.Diff.Removed), len(r.Diff.Changed), r.ChangedJobs, r.Jobs)
			for _, part := range []struct {
				title string
				ids   []string
			}{{"Added", r.Diff.Added}, {"Removed", r.Diff.Removed}, {"Changed", r.Diff.Changed}} {
				if len(part.ids) == 0 {
					continue
				}
				fmt.Fprintf(&b, "<details><summary>%s (%d)</summary>\n\n", part.title, len(part.ids))
				for _, id := range part.ids {
					fmt.Fprintf(&b, "- `%s`\n", id)
				}
				b.WriteString("\n</details>\n\n")
			}
		}
	}
	for _, chain := range groupByDistribution(p) {
		d := chain.dist
		fmt.Fprintf(&b, "### %s (`%s`, %s)\n\n", markdown.Text(d.Name), d.ID, d.Tier)
		b.WriteString("| Feature |")
		for _, v := range chain.minors {
			fmt.Fprintf(&b, " %s |", v)
		}
		b.WriteString("\n| --- |")
		for range chain.minors {
			b.WriteString(" --- |")
		}
		b.WriteString("\n")
		for _, f := range p.Matrix.Features {
			fmt.Fprintf(&b, "| %s |", markdown.Text(f.Name))
			for _, v := range chain.minors {
				c := chain.cells[cellid.Feature(d.ID, v.String(), f.ID)]
				fmt.Fprintf(&b, " %s |", actionMark[c.Action])
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
		var reasons []string
		seen := map[string]bool{}
		for _, v := range chain.minors {
			for _, f := range p.Matrix.Features {
				c := chain.cells[cellid.Feature(d.ID, v.String(), f.ID)]
				if c.Reason == "" {
					continue
				}
				line := fmt.Sprintf("- %s, %s: %s", markdown.Text(f.Name), strings.ReplaceAll(string(c.Action), "_", " "), markdown.Text(c.Reason))
				if !seen[line] {
					seen[line] = true
					reasons = append(reasons, line)
				}
			}
		}
		if len(reasons) > 0 {
			b.WriteString(strings.Join(reasons, "\n"))
			b.WriteString("\n\n")
		}
	}
	return []byte(b.String())
}

type distCells struct {
	dist   *matrix.Distribution
	minors []matrix.Minor
	cells  map[string]*matrix.Cell
}

func groupByDistribution(p *matrix.Plan) []distCells {
	out := make([]distCells, len(p.Matrix.Distributions))
	index := make(map[*matrix.Distribution]int, len(out))
	for i, d := range p.Matrix.Distributions {
		out[i] = distCells{dist: d, minors: p.Matrix.OfferedMinors(d), cells: map[string]*matrix.Cell{}}
		index[d] = i
	}
	for _, c := range p.Cells {
		out[index[c.Distribution]].cells[c.ID] = c
	}
	return out
}
