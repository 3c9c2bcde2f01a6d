package docs

import (
	"bytes"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/internal/markdown"
	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
)

// ProgramFile is the name render writes the program document under, next
// to SUPPORT.md.
const ProgramFile = "PROGRAM.md"

// Options shape the program document.
type Options struct {
	// Dir is the directory, relative to the repository root, the document
	// is written to; its links are relative to it. Default "matrix".
	Dir string
	// Matrix is the matrix file as the document names it. Default: the
	// matrix's file relative to the audit's root.
	Matrix string
}

func (o Options) withDefaults(a *Audit) Options {
	if o.Dir == "" {
		o.Dir = "matrix"
	}
	if o.Matrix == "" {
		o.Matrix = filepath.ToSlash(a.Matrix.File)
		if rel, err := filepath.Rel(a.Root, a.Matrix.File); err == nil && !strings.HasPrefix(rel, "..") {
			o.Matrix = filepath.ToSlash(rel)
		}
	}
	return o
}

// link returns the path from the document's directory to a repository path.
func (o Options) link(repoPath string) string {
	rel, err := filepath.Rel(filepath.FromSlash(o.Dir), filepath.FromSlash(path.Clean(repoPath)))
	if err != nil {
		return repoPath
	}
	return filepath.ToSlash(rel)
}

// conventionLink names the page convention for the document: a link to
// Conventions when the repository has it, else the convention in words.
func (o Options) conventionLink(a *Audit) string {
	if a.HasConventions() {
		return fmt.Sprintf("[`%s`](%s)", Conventions, o.link(Conventions))
	}
	return a.conventionText()
}

// tierText says what each tier promises.
var tierText = map[matrix.Tier]string{
	matrix.TierOfficial:   "We support it. Customers may rely on every Kubernetes minor marked supported; each is tested on schedule on a permanent cluster, and the policy below decides, minor by minor, when support starts and when it lapses.",
	matrix.TierBeta:       "On its way to official. Tested on schedule and documented; problems are fixed as we find them, but there is no support commitment yet.",
	matrix.TierCommunity:  "Tested to catch regressions early, often on clusters each pipeline creates. Best effort, no commitment, no documentation required.",
	matrix.TierDeprecated: "Support is being withdrawn. Still tested until it leaves the matrix; plan a move to another distribution.",
}

// requirementText says in plain words what a policy requirement asks.
func requirementText(r string) string {
	switch r {
	case matrix.RequireDocs:
		return "a docs page in the repository with a section for every feature area the matrix runs on the distribution, and its tested settings listed, as the page convention asks"
	case matrix.RequireSettings:
		return "the tested settings, where the test clusters differ from the distribution's defaults, stated in the matrix and listed verbatim on the docs page"
	case matrix.RequirePermanentCluster:
		return "a permanent test cluster per Kubernetes minor, reached through a GitLab agent for Kubernetes, so that customers' clusters can be compared with ours"
	}
	return r
}

// Step is one thing that stands between a distribution and a tier.
type Step struct {
	Done bool
	// Text says what to do, in Markdown.
	Text string
	// Pos is where in the matrix or on the page to do it, when one place
	// says it; the zero Pos otherwise.
	Pos matrix.Pos
}

// Target is a tier a distribution can move to, with the steps to get there.
type Target struct {
	Tier  matrix.Tier
	Steps []Step
}

// Remaining returns the steps not done yet.
func (t Target) Remaining() []Step {
	var out []Step
	for _, s := range t.Steps {
		if !s.Done {
			out = append(out, s)
		}
	}
	return out
}

// targets returns the tiers above (and, for official, at) the
// distribution's own, in order: community moves to beta then official, beta
// to official, official to supported on every minor. Deprecated has none.
func targets(t matrix.Tier) []matrix.Tier {
	switch t {
	case matrix.TierCommunity:
		return []matrix.Tier{matrix.TierBeta, matrix.TierOfficial}
	case matrix.TierBeta, matrix.TierOfficial:
		return []matrix.Tier{matrix.TierOfficial}
	}
	return nil
}

// Path returns the steps from the distribution's tier to official support,
// one Target per tier on the way. rep may be nil (no run history yet).
func (a *Audit) Path(da *DistAudit, rep *report.Report) []Target {
	var out []Target
	var done []string // requirements already listed for a lower target
	for _, t := range targets(da.Distribution.Tier) {
		tg := Target{Tier: t}
		for _, r := range Requirements(a.Matrix, t) {
			if slices.Contains(done, r) {
				continue
			}
			done = append(done, r)
			tg.Steps = append(tg.Steps, a.requirementSteps(da, r)...)
		}
		tg.Steps = append(tg.Steps, a.runSteps(da, rep, a.Matrix.PolicyFor(t))...)
		if da.Distribution.Tier != t {
			tg.Steps = append(tg.Steps, Step{
				Text: fmt.Sprintf("Set `tier: %s` under `distributions.%s` in a merge request; the maintainers review it.", t, da.Distribution.ID),
				Pos:  da.Distribution.Pos,
			})
		}
		out = append(out, tg)
	}
	return out
}

// requirementSteps turns one requirement into steps, done or not.
func (a *Audit) requirementSteps(da *DistAudit, r string) []Step {
	d := da.Distribution
	switch r {
	case matrix.RequireDocs:
		steps := []Step{a.pageStep(da)}
		var missing []string
		for _, f := range da.Features {
			if f.Line == 0 {
				missing = append(missing, fmt.Sprintf("`<a id=\"%s\"></a>` above %s", FeatureAnchor(f.Feature.ID), markdown.Code("## "+f.Feature.Name)))
			}
		}
		s := Step{Done: da.Page != nil && len(missing) == 0, Pos: matrix.Pos{File: da.PagePath, Line: 1, Column: 1}}
		switch {
		case len(da.Features) == 0:
			s.Text = "Document every feature area the matrix runs on it: none runs yet."
		case len(missing) == 0 && da.Page != nil:
			s.Text = fmt.Sprintf("Document every feature area the matrix runs on it: all %d have their section.", len(da.Features))
		default:
			s.Text = fmt.Sprintf("Document every feature area the matrix runs on it (%d of %d done); add %s.", len(da.Features)-len(missing), len(da.Features), strings.Join(missing, ", "))
		}
		if da.Page == nil {
			s.Pos = matrix.Pos{}
		}
		return append(steps, s)
	case matrix.RequireSettings:
		if len(d.Settings) == 0 {
			return []Step{{
				Text: fmt.Sprintf("State the tested settings under `distributions.%s.settings`: each way the test clusters differ from %s's defaults, then list them under `## %s` on the docs page.", d.ID, markdown.Text(d.Name), SettingsHeading),
				Pos:  d.Pos,
			}}
		}
		listed := 0
		var missing []string
		for _, s := range da.Settings {
			if s.Line > 0 {
				listed++
			} else {
				missing = append(missing, markdown.Code("- "+s.Setting.Text))
			}
		}
		s := Step{Done: len(missing) == 0 && da.Page != nil, Pos: d.Settings[0].Pos}
		switch {
		case s.Done:
			s.Text = fmt.Sprintf("List the tested settings verbatim under `## %s` on the docs page: all %d listed.", SettingsHeading, len(d.Settings))
		case da.Page == nil:
			s.Text = fmt.Sprintf("List the %d tested settings verbatim under `## %s` on the docs page, one list item each.", len(d.Settings), SettingsHeading)
		default:
			s.Text = fmt.Sprintf("List the tested settings verbatim under `## %s` on the docs page (%d of %d listed); add %s.", SettingsHeading, listed, len(d.Settings), strings.Join(missing, ", "))
			if da.SettingsLine > 0 {
				s.Pos = matrix.Pos{File: da.PagePath, Line: da.SettingsLine, Column: 1}
			}
		}
		return []Step{s}
	case matrix.RequirePermanentCluster:
		s := Step{Done: d.Cluster.Type == matrix.ClusterPermanent, Pos: d.Cluster.Pos}
		if s.Done {
			s.Text = fmt.Sprintf("Run on a permanent cluster per minor: %s.", markdown.Code(d.Cluster.Context))
		} else {
			s.Text = fmt.Sprintf("Provide a permanent cluster for each offered minor (%s), register a GitLab agent for Kubernetes in each, and set `distributions.%s.cluster` to `{type: permanent, context: \"<agent project>:<agent>-{minor}\"}`; the %s cluster made by `%s` does not count.",
				minorList(a.Matrix.OfferedMinors(d)), d.ID, d.Cluster.Type, d.Cluster.Provision)
		}
		return []Step{s}
	}
	return []Step{{Text: fmt.Sprintf("Meet the requirement %q.", r)}}
}

// pageStep is the step for the page itself.
func (a *Audit) pageStep(da *DistAudit) Step {
	d := da.Distribution
	switch {
	case da.Page != nil:
		return Step{Done: true, Text: fmt.Sprintf("Write the docs page: %s.", markdown.Code(d.Docs)), Pos: d.DocsPos}
	case d.Docs == "":
		return Step{Text: fmt.Sprintf("Write `%s` as %s describes, and name it in `distributions.%s.docs`.", a.PagePath(d.ID), a.conventionText(), d.ID), Pos: d.Pos}
	}
	return Step{Text: fmt.Sprintf("Write the docs page %s that the matrix names (%s).", markdown.Code(d.Docs), markdown.Text(da.PageMissing)), Pos: d.DocsPos}
}

// runSteps are the green-runs and freshness steps of a tier's policy.
func (a *Audit) runSteps(da *DistAudit, rep *report.Report, p *matrix.Policy) []Step {
	d := da.Distribution
	offered := a.Matrix.OfferedMinors(d)
	if len(offered) == 0 {
		return []Step{{Text: "Offer at least one Kubernetes minor of the matrix.", Pos: d.Pos}}
	}
	var short, stale []string
	for _, v := range offered {
		rv := version(rep, d.ID, v)
		n := 0
		if rv != nil {
			n = rv.GreenRuns
		}
		if n < p.GreenRuns {
			s := fmt.Sprintf("%s: %d of %d", v, n, p.GreenRuns)
			if rv != nil && (rv.Level == report.Failing || rv.Level == report.Untested) {
				s += " (" + string(rv.Level) + ")"
			}
			short = append(short, s)
		}
		if rv == nil || !rv.Fresh {
			stale = append(stale, v.String())
		}
	}
	runs := Step{Done: len(short) == 0, Text: fmt.Sprintf("Pass every blocking feature in %d consecutive counting runs on each offered minor: done.", p.GreenRuns)}
	if !runs.Done {
		runs.Text = fmt.Sprintf("Pass every blocking feature in %d consecutive counting runs on each offered minor; so far %s.", p.GreenRuns, strings.Join(short, ", "))
	}
	fresh := Step{Done: len(stale) == 0, Text: fmt.Sprintf("Keep every blocking feature's newest result at most %s old: fresh on every minor.", p.MaxAge.Text)}
	if !fresh.Done {
		fresh.Text = fmt.Sprintf("Keep every blocking feature's newest result at most %s old; not fresh on %s.", p.MaxAge.Text, strings.Join(stale, ", "))
	}
	return []Step{runs, fresh}
}

// version returns the report's entry for a distribution × minor, or nil.
func version(rep *report.Report, dist string, v matrix.Minor) *report.Version {
	if rep == nil {
		return nil
	}
	for _, d := range rep.Distributions {
		if d.ID != dist {
			continue
		}
		for _, rv := range d.Versions {
			if rv.Kubernetes.Equal(v) {
				return rv
			}
		}
	}
	return nil
}

// Program writes PROGRAM.md: what the tiers and levels mean, the policy in
// plain words, a checklist per distribution with what it still lacks, and
// the path to certification. rep is the report of the run history (nil when
// none was collected). The output depends on nothing else: no clock.
func Program(a *Audit, rep *report.Report, opts Options) []byte {
	o := opts.withDefaults(a)
	m := a.Matrix
	var b bytes.Buffer
	b.WriteString("# Support program\n\n")
	fmt.Fprintf(&b, "<!-- Generated by `supportmatrix render` from %s, the docs pages and the run history. Edit those, not this file. -->\n\n", o.Matrix)
	fmt.Fprintf(&b, "This document states what our support program promises and what each distribution still needs to reach official support. "+
		"It is generated from [`%s`](%s) (the program), the pages under `%s/` (checked as %s describes) and the collected pipeline results; "+
		"the support table itself is [SUPPORT.md](%s).\n\n",
		o.Matrix, o.link(o.Matrix), a.PagesDir(), o.conventionLink(a), o.link(path.Join(o.Dir, report.TableFile)))

	a.summary(&b, rep, o)

	b.WriteString("## Tiers\n\n")
	b.WriteString("A tier is the commitment for a whole distribution, set by the maintainers in the matrix.\n\n")
	for _, t := range matrix.Tiers {
		fmt.Fprintf(&b, "- **%s**: %s", t, tierText[t])
		if reqs := Requirements(m, t); len(reqs) > 0 {
			fmt.Fprintf(&b, " Requires: %s.", strings.Join(reqs, ", "))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Levels\n\n")
	b.WriteString("A level is what SUPPORT.md shows for one distribution × Kubernetes minor, from the collected results.\n\n")
	b.WriteString("| Level | Meaning |\n| --- | --- |\n")
	for _, l := range report.Levels {
		fmt.Fprintf(&b, "| `%s` | %s |\n", l, l.Describe())
	}

	b.WriteString("\n## Policy\n\n")
	a.policy(&b)

	b.WriteString("## Distributions\n")
	for _, da := range a.Distributions {
		b.WriteString("\n")
		a.distribution(&b, da, rep, o, false)
	}

	b.WriteString("\n## Path to certification\n\n")
	a.certification(&b, o)
	return b.Bytes()
}

// summary writes the one-table overview.
func (a *Audit) summary(b *bytes.Buffer, rep *report.Report, o Options) {
	b.WriteString("## Summary\n\n")
	b.WriteString("| Distribution | Tier | Docs page | Feature areas documented | Tested settings listed | Permanent cluster | Minors with enough green runs | Still missing |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	official := a.Matrix.PolicyFor(matrix.TierOfficial)
	for _, da := range a.Distributions {
		d := da.Distribution
		docs := "✗"
		if da.Page != nil {
			docs = "✓ " + markdown.RelLink(markdown.Text(path.Base(d.Docs)), o.link(d.Docs))
		}
		features := fmt.Sprintf("%d of %d", documented(da), len(da.Features))
		settings := "none stated"
		if len(d.Settings) > 0 {
			settings = fmt.Sprintf("%d of %d", listed(da), len(d.Settings))
		}
		cluster := "✗ " + string(d.Cluster.Type)
		if d.Cluster.Type == matrix.ClusterPermanent {
			cluster = "✓"
		}
		offered := a.Matrix.OfferedMinors(d)
		enough := 0
		for _, v := range offered {
			if rv := version(rep, d.ID, v); rv != nil && rv.GreenRuns >= official.GreenRuns {
				enough++
			}
		}
		runs := fmt.Sprintf("%d of %d", enough, len(offered))
		missing := "nothing"
		paths := a.Path(da, rep)
		if len(paths) == 0 {
			missing = "n/a (deprecated)"
		} else {
			var parts []string
			for _, tg := range paths {
				if n := len(tg.Remaining()); n > 0 {
					goal := string(tg.Tier)
					if tg.Tier == d.Tier {
						goal = "supported"
					}
					parts = append(parts, fmt.Sprintf("%d %s to %s", n, words.Plural("step", n), goal))
				}
			}
			if len(parts) > 0 {
				missing = strings.Join(parts, "; ")
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", markdown.Anchor(d.Name, d.ID), d.Tier, docs, features, settings, cluster, runs, missing)
	}
	b.WriteString("\n")
}

// policy writes each tier's policy in plain words.
func (a *Audit) policy(b *bytes.Buffer) {
	m := a.Matrix
	var blocking, other []string
	for _, f := range m.Features {
		if f.Blocking {
			blocking = append(blocking, "`"+f.ID+"`")
		} else {
			other = append(other, "`"+f.ID+"`")
		}
	}
	b.WriteString("Only counting runs decide: scheduled or manually started pipelines on the default branch. Merge-request, push and local pipelines preview results but never count. ")
	fmt.Fprintf(b, "Blocking feature areas, the ones that decide a level: %s.", orNone(blocking))
	if len(other) > 0 {
		fmt.Fprintf(b, " Not blocking (shown, never decisive): %s.", strings.Join(other, ", "))
	}
	b.WriteString(" A cell a rule excludes, allows to fail or runs by hand never decides either.\n\n")
	for _, t := range matrix.Tiers {
		p := m.PolicyFor(t)
		reqs := p.Requires
		if len(reqs) == 0 && !p.Written() {
			continue // community and deprecated by default: nothing to say
		}
		fmt.Fprintf(b, "**%s**", t)
		if t == matrix.TierOfficial {
			b.WriteString(": a distribution × Kubernetes minor is `supported` when all of these hold; until then, while its blocking features pass, it is `qualifying`.\n\n")
		} else {
			b.WriteString(": a distribution of this tier needs all of these.\n\n")
		}
		for _, r := range reqs {
			fmt.Fprintf(b, "- `%s`: %s;\n", r, requirementText(r))
		}
		fmt.Fprintf(b, "- every blocking feature passed in the last %d consecutive counting %s on that minor (a run whose cluster did not come up, was unreachable or ran another minor neither counts nor breaks the streak: it proved nothing);\n", p.GreenRuns, words.Plural("run", p.GreenRuns))
		flaky := "the minor stays `qualifying`"
		if t != matrix.TierOfficial {
			flaky = "the level's reason names the feature"
		}
		fmt.Fprintf(b, "- no blocking feature flaked in more than %s of the counting runs the history holds (it passed only after a retry, or its result was a one-run excursion between pass and fail; `flaky_above`); above it %s;\n", report.FormatRate(p.FlakyAbove), flaky)
		fmt.Fprintf(b, "- the newest result of every blocking feature is at most %s old; an older one makes the minor `stale`, a newer failure makes it `failing`, a newer broken cluster makes it `broken`.\n", p.MaxAge.Text)
		b.WriteString("\n")
	}
}

// distribution writes one distribution's checklist and path. explain adds
// file:line locations to the steps.
func (a *Audit) distribution(b *bytes.Buffer, da *DistAudit, rep *report.Report, o Options, explain bool) {
	d := da.Distribution
	if explain {
		fmt.Fprintf(b, "# %s (`%s`)\n\n", markdown.Text(d.Name), d.ID)
	} else {
		// A standalone anchor survives GitLab's rendering; a {#id} would not.
		fmt.Fprintf(b, "<a id=\"%s\"></a>\n### %s (`%s`)\n\n", d.ID, markdown.Text(d.Name), d.ID)
	}
	offered := a.Matrix.OfferedMinors(d)
	fmt.Fprintf(b, "Tier **%s**. Kubernetes %s. Cluster: %s", d.Tier, orNone(minorStrings(offered)), d.Cluster.Type)
	if d.Cluster.Type == matrix.ClusterPermanent {
		fmt.Fprintf(b, " (%s)", markdown.Code(d.Cluster.Context))
	}
	b.WriteString(".")
	if len(d.Owners) > 0 {
		fmt.Fprintf(b, " Owners: %s.", markdown.Mentions(matrix.Mentions(d.Owners)))
	}
	b.WriteString("\n\n")
	if w := windowText(rep, d.ID); w != "" {
		b.WriteString(w + "\n\n")
	}

	b.WriteString("Checklist:\n\n")
	check := func(ok bool, format string, args ...any) {
		mark := " "
		if ok {
			mark = "x"
		}
		fmt.Fprintf(b, "- [%s] %s\n", mark, fmt.Sprintf(format, args...))
	}
	switch {
	case da.Page != nil:
		check(true, "Docs page: %s", markdown.RelLink(markdown.Code(d.Docs), o.link(d.Docs)))
	case d.Docs == "":
		check(false, "Docs page: none named in the matrix")
	default:
		check(false, "Docs page: %s does not exist", markdown.Code(d.Docs))
	}
	var undocumented []string
	for _, f := range da.Features {
		if f.Line == 0 {
			undocumented = append(undocumented, "`"+f.Feature.ID+"`")
		}
	}
	if len(undocumented) == 0 && da.Page != nil {
		check(true, "Every feature area documented: %d of %d", len(da.Features), len(da.Features))
	} else {
		check(false, "Every feature area documented: %d of %d; missing %s", documented(da), len(da.Features), strings.Join(undocumented, ", "))
	}
	switch {
	case len(d.Settings) == 0:
		check(false, "Tested settings: none stated in the matrix")
	case listed(da) == len(d.Settings):
		check(true, "Tested settings listed on the page: %d of %d", len(d.Settings), len(d.Settings))
	default:
		check(false, "Tested settings listed on the page: %d of %d", listed(da), len(d.Settings))
	}
	check(d.Cluster.Type == matrix.ClusterPermanent, "Permanent cluster: %s", d.Cluster.Type)
	official := a.Matrix.PolicyFor(matrix.TierOfficial)
	need, maxAge := official.GreenRuns, official.MaxAge.Text
	allRuns, allFresh := len(offered) > 0, len(offered) > 0
	for _, v := range offered {
		rv := version(rep, d.ID, v)
		allRuns = allRuns && rv != nil && rv.GreenRuns >= need
		allFresh = allFresh && rv != nil && rv.Fresh
	}
	check(allRuns, "Green runs: %d consecutive on every offered minor (below)", need)
	check(allFresh, "Fresh: newest results at most %s old on every offered minor (below)", maxAge)

	if len(offered) > 0 {
		b.WriteString("\n| Kubernetes | Level | Green runs | Last verified | Fresh |\n| --- | --- | --- | --- | --- |\n")
		for _, v := range offered {
			rv := version(rep, d.ID, v)
			lvl, runs, last, fresh := string(report.Untested), fmt.Sprintf("0 of %d", need), "never", "no result"
			if rv != nil {
				lvl, runs = string(rv.Level), fmt.Sprintf("%d of %d", rv.GreenRuns, need)
				if rv.LastVerified != nil {
					last = rv.LastVerified.FinishedAt.UTC().Format("2006-01-02")
					fresh = "no"
					if rv.Fresh {
						fresh = "yes"
					}
				}
			}
			name := v.String()
			if rn := d.ReleaseName(v); rn != "" {
				name += " (" + markdown.Text(rn) + ")"
			}
			fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s |\n", name, lvl, runs, last, fresh)
		}
	}

	if len(d.Settings) > 0 {
		b.WriteString("\nTested settings, as the matrix states them:\n\n")
		for _, s := range d.Settings {
			fmt.Fprintf(b, "- %s\n", markdown.Text(s.Text))
		}
	}

	paths := a.Path(da, rep)
	if len(paths) == 0 {
		b.WriteString("\nDeprecated: no path to a higher tier; support ends when the distribution leaves the matrix.\n")
		return
	}
	for _, tg := range paths {
		rest := tg.Remaining()
		goal := string(tg.Tier)
		if tg.Tier == d.Tier {
			goal = "supported on every offered minor"
		}
		if len(rest) == 0 {
			fmt.Fprintf(b, "\nNothing stands between %s and %s.\n", d.ID, goal)
			continue
		}
		fmt.Fprintf(b, "\nStill missing for %s:\n\n", goal)
		for i, s := range rest {
			// PROGRAM.md names no line numbers, which change with every edit.
			if explain && s.Pos.File != "" {
				fmt.Fprintf(b, "%d. %s (%s).\n", i+1, strings.TrimSuffix(s.Text, "."), short(s.Pos))
			} else {
				fmt.Fprintf(b, "%d. %s\n", i+1, s.Text)
			}
		}
	}
}

// certification writes the path every vendor follows.
func (a *Audit) certification(b *bytes.Buffer, o Options) {
	m := a.Matrix
	fmt.Fprintf(b, "A vendor moves a distribution up one tier at a time, each step a merge request to [`%s`](%s) (and the docs page) that the maintainers review. "+
		"The merge-request pipeline runs only the cells the change adds or alters; scheduled pipelines then run everything. "+
		"`supportmatrix docs --explain <distribution>` prints the steps still open for one distribution.\n\n", o.Matrix, o.link(o.Matrix))
	b.WriteString("1. **Community: get tested.** Add the distribution under `distributions:` with the minors it offers, a cluster the runners can reach, and the runner tags:\n\n")
	b.WriteString("   ```yaml\n")
	b.WriteString("   distributions:\n")
	b.WriteString("     acme:\n")
	b.WriteString("       name: Acme Kubernetes\n")
	b.WriteString("       tier: community\n")
	b.WriteString("       kubernetes: \">= 1.35\"          # the matrix minors Acme offers\n")
	b.WriteString("       cluster:\n")
	b.WriteString("         type: ephemeral              # or permanent, see official\n")
	b.WriteString("         provision: acme-provision    # jobs/clusters/acme-provision.yml\n")
	b.WriteString("         teardown: acme-teardown\n")
	b.WriteString("       tags: [k8s-acme]               # runners that reach the clusters\n")
	b.WriteString("   ```\n\n")
	steps := func(t matrix.Tier, lower []string) []string {
		var out []string
		for _, r := range Requirements(m, t) {
			if slices.Contains(lower, r) {
				continue
			}
			switch r {
			case matrix.RequireDocs:
				out = append(out, fmt.Sprintf("write `%s/<id>.md` as %s describes, with `<a id=\"<feature id>\"></a>` on its own line above the heading of each feature area the matrix runs on the distribution, and name it in `docs:`", a.PagesDir(), o.conventionLink(a)))
			case matrix.RequireSettings:
				out = append(out, fmt.Sprintf("state in `settings:` each way the test clusters differ from the distribution's defaults, and list each one verbatim under `## %s` on the page", SettingsHeading))
			case matrix.RequirePermanentCluster:
				out = append(out, "provide a permanent cluster per offered minor, register a GitLab agent for Kubernetes in each, and set `cluster: {type: permanent, context: \"<agent project>:<agent>-{minor}\"}` (`{minor}` becomes `1-35`)")
			default:
				out = append(out, fmt.Sprintf("meet the requirement %q", r))
			}
		}
		p := m.PolicyFor(t)
		out = append(out, fmt.Sprintf("pass every blocking feature in %d consecutive counting %s on each offered minor, and keep the results at most %s old", p.GreenRuns, words.Plural("run", p.GreenRuns), p.MaxAge.Text))
		return out
	}
	beta := steps(matrix.TierBeta, nil)
	beta = append(beta, "set `tier: beta`")
	fmt.Fprintf(b, "2. **Beta: get documented.** %s.\n", capitalize(strings.Join(beta, "; ")))
	official := steps(matrix.TierOfficial, Requirements(m, matrix.TierBeta))
	official = append(official, "set `tier: official`; each minor shows `qualifying` until the runs and requirements are met, then `supported`")
	fmt.Fprintf(b, "3. **Official: get supported.** %s.\n", capitalize(strings.Join(official, "; ")))
}

// Explain writes the checklist and the steps still open for one
// distribution, each with its file:line, for `supportmatrix docs --explain`.
func Explain(a *Audit, rep *report.Report, id string, opts Options) ([]byte, error) {
	da := a.Distribution(id)
	if da == nil {
		ids := make([]string, len(a.Distributions))
		for i, d := range a.Distributions {
			ids[i] = d.Distribution.ID
		}
		return nil, fmt.Errorf("explain: no distribution %q in %s (have: %s)", id, a.Matrix.File, strings.Join(ids, ", "))
	}
	if opts.Dir == "" {
		opts.Dir = "." // read in a terminal at the repository root
	}
	o := opts.withDefaults(a)
	var b bytes.Buffer
	a.distribution(&b, da, rep, o, true)
	if len(da.Problems) > 0 {
		fmt.Fprintf(&b, "\nGaps against the %s tier (`supportmatrix docs --check`):\n\n", da.Distribution.Tier)
		ps := append(matrix.Problems(nil), da.Problems...)
		ps.Sort()
		for _, p := range ps {
			fmt.Fprintf(&b, "- %s\n", p)
		}
	}
	return b.Bytes(), nil
}

// windowText states a distribution's support window in words: the vendor
// lifecycle it names, and where each of its minors stands in it.
func windowText(rep *report.Report, id string) string {
	if rep == nil {
		return ""
	}
	for _, rd := range rep.Distributions {
		if rd.ID != id || rd.Window == "" {
			continue
		}
		s := fmt.Sprintf("Support window (`lifecycle: %s`): %s", rd.Lifecycle, rd.Window)
		var minors []string
		for _, v := range rd.Versions {
			if v.Vendor != nil && (v.Offered || v.Vendor.Phase == "ended") {
				minors = append(minors, fmt.Sprintf("%s %s", v.Kubernetes, v.Vendor.Text))
			}
		}
		if len(minors) > 0 {
			s += fmt.Sprintf(" On %s: %s.", rep.VendorsOn.Format("2006-01-02"), strings.Join(minors, "; "))
		}
		return s
	}
	return ""
}

func documented(da *DistAudit) int {
	n := 0
	for _, f := range da.Features {
		if f.Line > 0 {
			n++
		}
	}
	return n
}

func listed(da *DistAudit) int {
	n := 0
	for _, s := range da.Settings {
		if s.Line > 0 {
			n++
		}
	}
	return n
}

func minorStrings(vs []matrix.Minor) []string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return parts
}

func minorList(vs []matrix.Minor) string { return strings.Join(minorStrings(vs), ", ") }

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
