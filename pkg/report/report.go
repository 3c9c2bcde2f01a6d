// Package report turns a matrix and its run history into the support table's
// content: a level per distribution × Kubernetes minor, the status of every
// cell with its job, and the evidence behind each level. Build is a pure
// function of its inputs (the matrix, the results, a point in time and a
// read-only view of the repository), so the rendered table is byte-for-byte
// reproducible.
//
// # Which runs count
//
// Only counting runs (results.Run.Counts: scheduled or web pipelines on the
// default branch) decide anything; merge-request previews, pushes and local
// runs never do, except in the local view (Options.Local), where local runs
// stand in for scheduled ones. A run records the cells it ran; a cell a run did not record
// (a partial run, or a cell added to the matrix later) is simply absent from
// that run, never taken as passed.
//
// # Cell status
//
// A cell's status is its result in the newest counting run that recorded it,
// with these adjustments: an excluded cell is "excluded" (with the rule's or
// constraint's reason); a cell no counting run recorded is "not_run"; a cell
// whose cluster did not come up is "broken" (with the reason); a failed
// cell whose rule allows failure is "allowed_failure"; a passed cell that
// needed a retry (Attempts > 1), whose last FlakyWindow results hold both a
// pass and a failure, or whose flake rate over the history is above the
// policy's flaky_above (see Flake) is "flaky"; and a result older than the
// distribution's max_age is "stale" (Cell.Last keeps what it was).
//
// # Levels
//
// The cells that decide a level ("deciding cells") are those of blocking
// features whose action is run: excluded, allow_failure and manual cells and
// non-blocking features never decide a level. A deciding cell's decisive
// result is its newest counting result that passed, was flaky (passed on
// retry), failed, or was broken (its cluster did not come up, could not be
// reached, or ran another minor); skipped, canceled and not-run results are
// not decisive. A broken result is decisive so that it supersedes older
// passes: a level never rests on results the cluster could not repeat.
// Age is measured against Options.Now, the time the levels are judged at
// (commands pass the time they run; default: the newest FinishedAt in the
// results), and a result is fresh while its age is at most max_age (the
// tier's policy max_age, default 8d). The first rule that applies decides:
//
//  1. n/a: the distribution does not offer the minor.
//  2. untested: no deciding cell has a decisive result (or no cell decides).
//  3. failing: some deciding cell's decisive result failed and is fresh.
//  4. broken: some deciding cell's decisive result is broken and fresh:
//     nothing was proven, and the reason says why ("cluster did not come
//     up", "cluster runs 1.36 (v1.36.2), not 1.35").
//  5. stale: some deciding cell's decisive result is older than max_age
//     (an old failure is stale too: it says nothing about today).
//  6. untested: some deciding cell has no decisive result yet, for example a
//     blocking feature added since the last run.
//  7. Every deciding cell passed, freshly. official tier: supported when the
//     policy holds (its requires — docs page present in the repository,
//     tested settings listed, permanent cluster — at least green_runs
//     green runs, and no deciding cell's flake rate above flaky_above:
//     FlakyKeepsQualifying), else qualifying. beta, community, deprecated:
//     the tier, with any flaky deciding cell named in the reason.
//
// Green runs are counted over the counting runs that recorded at least one
// deciding cell of the distribution × minor, newest first, up to the
// policy's green_runs (one count everywhere: "3 of 3"): a run that recorded
// every deciding cell, each passed or flaky, is green and extends the
// streak; a partial run that recorded only some of them, all passing, is
// skipped (partial runs only count for the cells they ran); a run whose
// cluster was broken (and no deciding cell failed) is skipped too
// (BrokenBreaksStreak); any other run (a failure, a canceled or not-run
// deciding cell, or a full run that lacked a deciding cell because the
// matrix gained it later) ends the streak.
//
// Every level carries the run that decided it (Version.DecidedBy), and the
// failed cluster jobs of the newest run of its chain (Version.Infra): a
// broken cluster, or a teardown that failed after the features passed,
// which leaves the level alone but says the cluster may still be running.
package report

import (
	"fmt"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cellid"
	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// Level is the support level of a distribution × Kubernetes minor.
type Level string

// The levels, as SPEC fixes them.
const (
	Supported     Level = "supported"
	Qualifying    Level = "qualifying"
	Beta          Level = "beta"
	Community     Level = "community"
	Deprecated    Level = "deprecated"
	Failing       Level = "failing"
	Stale         Level = "stale"
	Broken        Level = "broken"
	Untested      Level = "untested"
	NotApplicable Level = "n/a"
)

// Levels lists every level in the order a legend shows them.
var Levels = []Level{Supported, Qualifying, Beta, Community, Deprecated, Failing, Stale, Broken, Untested, NotApplicable}

// Describe returns a one-sentence meaning of the level, for legends.
func (l Level) Describe() string {
	switch l {
	case Supported:
		return "Official support: every blocking feature passed in the policy's green_runs consecutive counting runs, the results are fresh, no blocking feature is flaky, and the policy's requirements hold."
	case Qualifying:
		return "Official tier and passing, but the policy is not met yet (green runs or requirements missing, or a blocking feature flaky)."
	case Beta:
		return "Beta tier: blocking features pass; no support commitment yet."
	case Community:
		return "Community tier: blocking features pass; best effort."
	case Deprecated:
		return "Deprecated tier: blocking features pass, but support is being withdrawn."
	case Failing:
		return "A blocking feature's newest result failed."
	case Stale:
		return "A blocking feature's newest result is older than the policy's max_age."
	case Broken:
		return "The cluster did not come up, could not be reached, or runs another minor: nothing was proven (not a product failure)."
	case Untested:
		return "A blocking feature has no result from a counting run yet."
	case NotApplicable:
		return "The distribution does not offer this Kubernetes minor."
	}
	return string(l)
}

// rank orders levels for a distribution's summary: the best level first.
func (l Level) rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return len(Levels)
}

// FlakyWindow is how many of a cell's newest counting results are looked at
// to call a passing cell flaky (both a pass and a failure among them).
const FlakyWindow = 3

// HistoryLen is how many counting runs a cell's or a minor's history keeps,
// newest first, for the HTML page's squares.
const HistoryLen = 10

// Options are Build's inputs besides the matrix and the results.
type Options struct {
	// Now is the time the levels are judged at: staleness is measured
	// against it. Commands pass the time they run (--now, or in CI the
	// pipeline's CI_PIPELINE_CREATED_AT), so that a program whose runs
	// stopped decays to stale on the next render. The zero time means the
	// newest FinishedAt in the results, so output never depends on the
	// clock; Report.NowGiven tells the two apart.
	Now time.Time
	// Local is the local view (run --local's own history): local runs
	// decide levels as counting runs do, so that levels build up over
	// local runs as they would over scheduled ones. Such a table is never
	// published.
	Local bool
	// Catalog gives each minor's upstream release and end of life. nil:
	// the catalog embedded in the binary.
	Catalog *kube.Catalog
	// Requirement judges one policy requirement of a distribution (docs,
	// settings, permanent-cluster). Its one implementation is pkg/docs's
	// Audit.Requirement, so that the table and `docs --check` judge alike;
	// docs.BuildReport passes it. nil: every requirement is unmet, "not
	// checked", never met by default.
	Requirement func(distID, name string) (met bool, detail string)
}

// Report is the support table's content.
type Report struct {
	// MatrixFile is the matrix file the report was built from.
	MatrixFile string
	// Now is the time the levels were judged at.
	Now time.Time
	// NowGiven tells whether Now was given (Options.Now) or is the newest
	// result's finish time.
	NowGiven bool
	// Local tells a local view (Options.Local): local runs decided levels.
	Local bool
	// LastRun is the newest counting run, or nil when none was collected.
	LastRun *RunRef
	// Minors are the matrix's Kubernetes minors, the table's columns.
	Minors []MinorInfo
	// Distributions are the table's rows, in matrix file order.
	Distributions []*Distribution
	// VendorsOn is the day the vendor windows were judged on: Now, or the
	// day the vendor lifecycles were checked when there is no Now.
	VendorsOn time.Time
}

// MinorInfo is one Kubernetes minor with its upstream calendar.
type MinorInfo struct {
	Minor matrix.Minor
	// Known tells whether the catalog knows the minor; Released and EOL
	// are zero otherwise (EOL is also zero while not announced).
	Known    bool
	Released time.Time
	EOL      time.Time
	// Extended is the matrix's reason for keeping the minor past its
	// upstream end of life, or "".
	Extended string
}

// RunRef names a collected pipeline.
type RunRef struct {
	Pipeline   int64
	URL        string
	Source     string
	Ref        string
	Local      bool
	FinishedAt time.Time
}

// Requirement is one of the policy's requires, checked.
type Requirement struct {
	Name   string // docs | settings | permanent-cluster
	Met    bool
	Detail string // what is missing, or what satisfied it
}

// Distribution is one row of the table.
type Distribution struct {
	ID       string
	Name     string
	Tier     matrix.Tier
	Cluster  matrix.ClusterType
	Docs     string
	Settings []string
	// Policy is the tier's policy, defaults applied by the loader.
	Policy *matrix.Policy
	// Requirements are the policy's requires, checked, in policy order.
	// Only the official tier's levels depend on them.
	Requirements []Requirement
	// Versions has one entry per matrix minor, in column order; minors
	// the distribution does not offer are n/a.
	Versions []*Version
	// Upgrades and Skews are the distribution's upgrade and skew cells.
	// They are reported but never decide a level.
	Upgrades []*Cell
	Skews    []*Cell
	// Lifecycle is the vendor calendar the distribution names ("" when
	// it names none, "none" when it follows none); Window states that
	// vendor's support window in words (pkg/kube's lifecycles).
	Lifecycle string
	Window    string
	// Owners are the distribution's owners as GitLab mentions them
	// ("@alice", "@platform/k8s"), in matrix order.
	Owners []string
}

// Infra lists the failed cluster jobs the distribution's table shows: those
// of each minor, then those of the upgrade and skew cells.
func (d *Distribution) Infra() []Infra {
	var out []Infra
	for _, v := range d.Versions {
		out = append(out, v.Infra...)
	}
	for _, c := range append(append([]*Cell(nil), d.Upgrades...), d.Skews...) {
		out = append(out, c.Infra...)
	}
	return out
}

// RequirementsMet reports whether every policy requirement holds.
func (d *Distribution) RequirementsMet() bool {
	for _, r := range d.Requirements {
		if !r.Met {
			return false
		}
	}
	return true
}

// Missing returns what the policy still lacks, one phrase per unmet
// requirement.
func (d *Distribution) Missing() []string {
	var out []string
	for _, r := range d.Requirements {
		if !r.Met {
			out = append(out, r.Detail)
		}
	}
	return out
}

// Summary returns the distribution's best level over the minors it offers
// and those minors, ascending: what a badge shows. A distribution offering
// no minor is n/a.
func (d *Distribution) Summary() (Level, []matrix.Minor) {
	best := NotApplicable
	for _, v := range d.Versions {
		if v.Level.rank() < best.rank() {
			best = v.Level
		}
	}
	var minors []matrix.Minor
	for _, v := range d.Versions {
		if v.Level == best && best != NotApplicable {
			minors = append(minors, v.Kubernetes)
		}
	}
	return best, minors
}

// Version is one distribution × minor: a cell of the grid.
type Version struct {
	Kubernetes  matrix.Minor
	ReleaseName string
	Offered     bool
	Level       Level
	// Reason says in a sentence why the level is what it is.
	Reason string
	// Cells are the feature cells, in feature file order (empty when not offered).
	Cells []*Cell
	// GreenRuns is the number of consecutive green counting runs, newest
	// first; GreenRunsRequired is the official policy's green_runs (0 for
	// other tiers).
	GreenRuns         int
	GreenRunsRequired int
	// LastVerified is the newest counting run with a decisive result for a
	// deciding cell, or nil.
	LastVerified *RunRef
	// Fresh tells whether every deciding cell has a decisive result within
	// max_age.
	Fresh bool
	// History is the outcome of this distribution × minor in the newest
	// counting runs that recorded a deciding cell, newest first, at most
	// HistoryLen.
	History []RunOutcome
	// DecidedBy is the run whose results decided the level: the newest
	// run that verified it (supported, qualifying, a tier), the run of the
	// failure (failing) or of the cluster failure (broken), the run whose
	// result aged out (stale); nil when no run decided it (untested, n/a).
	DecidedBy *RunRef
	// Infra lists the failed cluster jobs of the newest run that recorded
	// this distribution × minor: a broken cluster, or a teardown that
	// failed after the features ran (the cluster may still be running).
	Infra []Infra
	// Vendor is the distribution's vendor window for the minor on the
	// report's day (pkg/kube's lifecycles), or nil when the distribution
	// names no lifecycle. It is shown beside the level, never folded in.
	Vendor *VendorWindow
}

// Infra is a failed cluster job in one run, as the table shows it.
type Infra struct {
	Run RunRef
	results.InfraResult
}

// VendorWindow is a vendor's support window for one distribution × minor.
type VendorWindow struct {
	Product string // "Amazon EKS"
	Release string // the vendor's own name for the minor ("4.20"), or ""
	// Phase is upcoming, standard, extended, ended or unknown on the day
	// the report was judged.
	Phase string
	// Available, StandardEnd and ExtendedEnd are the vendor's dates; zero
	// when unknown (ExtendedEnd: when the vendor has no extended phase).
	Available, StandardEnd, ExtendedEnd time.Time
	// StandardLabel and ExtendedLabel are the vendor's names of the phases.
	StandardLabel, ExtendedLabel string
	// Text says the window in words ("dropped by kind on 2026-10-27").
	Text string
	// Source is where the dates come from: a URL or "derived: ...".
	Source string
}

// vendorOf returns the window of distribution d's vendor for minor v on
// day at, or nil when d names no lifecycle.
func vendorOf(cat *kube.Catalog, d *matrix.Distribution, v matrix.Minor, at time.Time) *VendorWindow {
	w, ok := cat.Window(d, v, at)
	if !ok {
		return nil
	}
	return &VendorWindow{
		Product: w.Product.Name, Release: w.Release, Phase: string(w.Phase),
		Available: w.Available, StandardEnd: w.Standard, ExtendedEnd: w.Extended,
		StandardLabel: w.Product.StandardLabel, ExtendedLabel: w.Product.ExtendedLabel,
		Text: w.Text(), Source: w.Source,
	}
}

// Outcome is a distribution × minor's result in one run.
type Outcome string

// The outcomes of a run for a distribution × minor.
const (
	OutcomePassed     Outcome = "passed"     // every deciding cell recorded passed
	OutcomeFailed     Outcome = "failed"     // a deciding cell failed
	OutcomeIncomplete Outcome = "incomplete" // nothing failed, but not every deciding cell passed
	OutcomeBroken     Outcome = "broken"     // the cluster did not come up: nothing was proven
)

// RunOutcome is a distribution × minor's outcome in one counting run.
type RunOutcome struct {
	Run     RunRef
	Outcome Outcome
	// Detail lists the deciding cells that did not pass, as "feature: status".
	Detail string
}

// Cell is one feature, upgrade or skew cell with its status.
type Cell struct {
	ID   string
	Kind string // test | upgrade | skew
	// Feature is the feature of a test cell, nil otherwise.
	Feature *matrix.Feature
	// Label is the feature id, "1.34 -> 1.35" for an upgrade, or
	// "control plane 1.35, nodes 1.32" for a skew cell.
	Label string
	// Deciding tells whether the cell decides its level: a blocking feature
	// with action run.
	Deciding bool
	Action   matrix.Action
	Reason   string
	Link     string
	Status   results.Status
	// Last is the status of the newest recorded result before stale was
	// applied, or "" when there is none.
	Last   results.Status
	JobURL string
	// Run is the run of the newest recorded result, or nil.
	Run *RunRef
	// History is the cell's newest counting results, newest first, at most
	// HistoryLen.
	History []Result
	// Flake is the cell's flakiness over every counting run the history
	// holds (not only History's).
	Flake Flake
	// Infra lists the failed cluster jobs of the newest run that recorded
	// an upgrade or skew cell (its own chain); nil for feature cells,
	// whose chain's failures are on their Version.
	Infra []Infra
}

// Result is a cell's result in one counting run.
type Result struct {
	// Run is shared by every result of the same run: a full history of
	// the large example holds 66,600 of them (issue 14).
	Run    *RunRef
	Status results.Status
	JobURL string
}

// judgedOn is the day vendor windows are judged on: the report's time, or
// the day the vendor catalog was checked when the report has none.
func judgedOn(now time.Time, cat *kube.Catalog) time.Time {
	if now.IsZero() {
		return cat.LifecyclesChecked()
	}
	return now
}

// Build computes the report. It reads nothing but its arguments and never
// the clock. Commands build it through docs.BuildReport, which judges the
// policy requirements with the docs audit.
func Build(m *matrix.Matrix, f *results.File, opts Options) *Report {
	if f == nil {
		f = results.New()
	}
	cat := opts.Catalog
	if cat == nil {
		cat = kube.Default()
	}
	counting := f.Counting()
	if opts.Local {
		counting = f.Deciding(true)
	}
	r := &Report{MatrixFile: m.File, Now: opts.Now, NowGiven: !opts.Now.IsZero(), Local: opts.Local}
	if r.Now.IsZero() {
		for _, run := range f.Runs {
			if run.FinishedAt.After(r.Now) {
				r.Now = run.FinishedAt
			}
		}
	}
	if len(counting) > 0 {
		ref := refOf(&counting[0])
		r.LastRun = &ref
	}
	r.VendorsOn = judgedOn(r.Now, cat)
	for _, v := range m.Kubernetes.Versions {
		info := MinorInfo{Minor: v}
		if rel, ok := cat.Lookup(v); ok {
			info.Known, info.Released, info.EOL = true, rel.Released, rel.EOL
		}
		// Why an upstream-ended minor stays: the declared reason, or the
		// named lifecycles' on the report's day (without one, the day the
		// vendor catalog was checked: output never depends on the clock).
		for _, e := range m.Kubernetes.Extended {
			if e.Minor.Equal(v) {
				info.Extended = e.Reason
			}
		}
		if at := r.VendorsOn; info.Extended == "" && !info.EOL.IsZero() && !at.Before(info.EOL) {
			info.Extended = cat.ExtendedReason(m, v, at)
		}
		r.Minors = append(r.Minors, info)
	}

	plan := matrix.Expand(m)
	b := newBuilder(r.Now, counting)
	for _, d := range m.Distributions {
		rd := &Distribution{
			ID: d.ID, Name: d.Name, Tier: d.Tier, Cluster: d.Cluster.Type, Docs: d.Docs,
			Policy: m.PolicyFor(d.Tier), Lifecycle: d.Lifecycle, Window: cat.WindowWords(d),
			Owners: matrix.Mentions(d.Owners),
		}
		for _, s := range d.Settings {
			rd.Settings = append(rd.Settings, s.Text)
		}
		rd.Requirements = requirements(d, rd.Policy, opts)
		for _, v := range m.Kubernetes.Versions {
			rv := &Version{Kubernetes: v, ReleaseName: d.ReleaseName(v), Offered: d.Offers(v), Vendor: vendorOf(cat, d, v, r.VendorsOn)}
			if !rv.Offered {
				rv.Level = NotApplicable
				rv.Reason = fmt.Sprintf("%s does not offer Kubernetes %s", d.Name, v)
				if w := rv.Vendor; w != nil && w.Phase != string(kube.PhaseStandard) && w.Phase != string(kube.PhaseExtended) {
					rv.Reason += ": " + w.Text
				}
				rd.Versions = append(rd.Versions, rv)
				continue
			}
			for _, c := range plan.Cells {
				if c.Distribution == d && c.Kubernetes.Equal(v) {
					rv.Cells = append(rv.Cells, b.testCell(c, rd.Policy))
				}
			}
			b.level(rd, rv)
			rv.Infra = b.infra(d.ID+"/"+v.String(), rv.Cells)
			rd.Versions = append(rd.Versions, rv)
		}
		for _, u := range plan.Upgrades {
			if u.Distribution == d {
				c := b.otherCell(u.ID, cellid.KindUpgrade, u.From.String()+" -> "+u.To.String(), rd.Policy)
				c.Infra = b.infra(u.ID, []*Cell{c})
				rd.Upgrades = append(rd.Upgrades, c)
			}
		}
		for _, s := range plan.Skews {
			if s.Distribution == d {
				c := b.otherCell(s.ID, cellid.KindSkew, "control plane "+s.ControlPlane.String()+", nodes "+s.Nodes.String(), rd.Policy)
				c.Infra = b.infra(s.ID, []*Cell{c})
				rd.Skews = append(rd.Skews, c)
			}
		}
		r.Distributions = append(r.Distributions, rd)
	}
	return r
}

// requirements judges the policy's requires for the distribution with
// opts.Requirement.
func requirements(d *matrix.Distribution, p *matrix.Policy, opts Options) []Requirement {
	var out []Requirement
	for _, name := range p.Requires {
		req := Requirement{Name: name, Detail: "not checked (no docs audit given)"}
		if opts.Requirement != nil {
			req.Met, req.Detail = opts.Requirement(d.ID, name)
		}
		out = append(out, req)
	}
	return out
}

func refOf(run *results.Run) RunRef {
	return RunRef{Pipeline: run.Pipeline, URL: run.URL, Source: run.Source, Ref: run.Ref, Local: run.Local, FinishedAt: run.FinishedAt}
}
