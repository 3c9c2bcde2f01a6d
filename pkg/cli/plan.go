package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/templates"
)

// planOptions are the flags of `plan`.
type planOptions struct {
	Matrix    string
	Templates string
	Base      string
	Format    string
}

func planCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "list the cells the matrix expands to, and with --base what a change adds, removes and changes",
		ArgsUsage: " ",
		Description: `A cell is one distribution × offered Kubernetes minor × feature area, e.g.
gke/1.35/runner. The matrix decides each cell, in this order:

   1. a feature outside its kubernetes constraint is excluded;
   2. the first rule that matches decides: exclude, allow_failure or manual;
   3. a feature whose needs are excluded is excluded too;
   4. otherwise the cell runs.

Ephemeral distributions also get upgrade cells (k3s/1.34->1.35: provision
1.34, upgrade to 1.35, re-run upgrades.verify) and, with skew, skew cells
(kind/1.35/nodes-1.32: control plane 1.35, nodes 1.32).

With --base, a git ref or another matrix file, plan shows which cells the
change adds, removes and changes. A cell changes when anything that shapes its
job changes: its distribution's cluster, tags, variables or settings; its
feature's template file, kubernetes, needs or timeout; the rule action that
applies; the pipeline section. Names, tiers, docs, release names, rule
reasons and policy change the table, not the jobs. A merge-request pipeline
runs only the added and changed cells plus the cells of their chain they need.

Examples:
   supportmatrix plan
   supportmatrix plan --format json | jq '.cells[] | select(.action=="exclude")'
   supportmatrix plan --base origin/main --templates templates --format markdown`,
		Flags: []cli.Flag{
			matrixFlag(),
			templatesFlag(),
			&cli.StringFlag{Name: "base", Usage: "compare with a git `REF` or another matrix FILE", EnvVars: []string{"SUPPORTMATRIX_BASE"}},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "`FORMAT`: text, json or markdown", EnvVars: []string{"SUPPORTMATRIX_PLAN_FORMAT"}},
		},
		Action: func(c *cli.Context) error {
			o := planOptions{Matrix: c.String("matrix"), Templates: c.String("templates"), Base: c.String("base"), Format: c.String("format")}
			return runPlan(o, c.App.Writer)
		},
	}
}

// planResult is everything plan reports.
type planResult struct {
	Plan        *matrix.Plan
	Jobs        int
	Diff        *matrix.Diff
	ChangedJobs int
	Base        string
}

func runPlan(o planOptions, w io.Writer) error {
	if o.Format != "text" && o.Format != "json" && o.Format != "markdown" {
		return Usage(fmt.Errorf("--format %q: use text, json or markdown", o.Format))
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return Invalid(err)
	}
	set, err := templates.Open(o.Templates)
	if err != nil {
		return Invalid(err)
	}
	r := planResult{Plan: matrix.Expand(m)}
	if r.Jobs, err = countJobs(r.Plan, set, nil); err != nil {
		return Invalid(err)
	}
	if o.Base != "" {
		b, err := loadBase(o.Base, o.Matrix, o.Templates, set.Hash)
		if err != nil {
			return Invalid(err)
		}
		d := matrix.Compare(b.Plan, r.Plan, b.Hash, set.Hash)
		r.Diff, r.Base = &d, b.Name
		if r.ChangedJobs, err = countJobs(r.Plan, set, append(append([]string{}, d.Added...), d.Changed...)); err != nil {
			return Invalid(err)
		}
	}
	switch o.Format {
	case "json":
		return writeJSON(w, planJSON(r))
	case "markdown":
		_, err := io.WriteString(w, planMarkdown(r))
		return err
	}
	return planText(w, r)
}

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

// countJobs counts the jobs generate would write for the cells (nil: every
// cell), trigger jobs of a sharded layout included.
func countJobs(p *matrix.Plan, set *templates.Set, cells []string) (int, error) {
	if cells != nil && len(cells) == 0 {
		return 0, nil
	}
	out, err := generate.Generate(p, set, generate.Options{Cells: cells})
	if err != nil {
		return 0, err
	}
	return len(out.Manifest.Jobs), nil
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
	ChangedJobs *int              `json:"changed_jobs,omitempty"`
}

func planJSON(r planResult) planOutJSON {
	out := planOutJSON{Schema: "supportmatrix/plan/v1", Cells: []planCellJSON{}, Upgrades: []planUpgradeJSON{}, Skews: []planSkewJSON{}, Jobs: r.Jobs}
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

func planText(w io.Writer, r planResult) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tACTION\tREASON")
	for _, c := range r.Plan.Cells {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Action, c.Reason)
	}
	for _, u := range r.Plan.Upgrades {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.ID, "upgrade", "verify: "+featureList(u.Verify))
	}
	for _, s := range r.Plan.Skews {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, "skew", "verify: "+featureList(s.Verify))
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

func planMarkdown(r planResult) string {
	var b strings.Builder
	p := r.Plan
	b.WriteString("## Support matrix plan\n\n")
	fmt.Fprintf(&b, "%d cells (%s), %d upgrade cells, %d skew cells, %d jobs.\n\n", len(p.Cells), actionCounts(p), len(p.Upgrades), len(p.Skews), r.Jobs)
	b.WriteString(activeJobsNote(r.Jobs) + "\n\n")
	if r.Diff != nil {
		fmt.Fprintf(&b, "### Against `%s`\n\n", r.Base)
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
		fmt.Fprintf(&b, "### %s (`%s`, %s)\n\n", mdEscape(d.Name), d.ID, d.Tier)
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
			fmt.Fprintf(&b, "| %s |", mdEscape(f.Name))
			for _, v := range chain.minors {
				c := chain.cells[matrix.CellID(d.ID, v, f.ID)]
				fmt.Fprintf(&b, " %s |", actionMark[c.Action])
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
		var reasons []string
		seen := map[string]bool{}
		for _, v := range chain.minors {
			for _, f := range p.Matrix.Features {
				c := chain.cells[matrix.CellID(d.ID, v, f.ID)]
				if c.Reason == "" {
					continue
				}
				line := fmt.Sprintf("- %s, %s: %s", mdEscape(f.Name), strings.ReplaceAll(string(c.Action), "_", " "), mdEscape(c.Reason))
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
	return b.String()
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

// mdEscape keeps matrix text from breaking a Markdown table.
func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
