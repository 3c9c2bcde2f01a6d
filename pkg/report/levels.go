package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cellid"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// builder holds what every cell and level computation shares.
type builder struct {
	now      time.Time
	counting []results.Run // newest first
	// layouts group the counting runs that record the same cells in the
	// same order (a nightly history is mostly one such group), so that a
	// cell is looked up once per group rather than once per run: the index
	// maps a cell id to its position in each of the group's runs.
	layouts []layout
	// rows memoizes row: each cell's results, one per counting run.
	rows map[string][]*results.CellResult
	// scratch is fill's list of a cell's recorded results, reused from
	// cell to cell.
	scratch []*results.CellResult
	// refs names each counting run, once for every cell's history.
	refs []RunRef
}

// layout is a group of counting runs with the same cell ids in the same
// order, and the position of each cell id (its first, should a run list a
// cell twice).
type layout struct {
	index map[string]int
	runs  []int // indexes into builder.counting
}

func newBuilder(now time.Time, counting []results.Run) *builder {
	b := &builder{now: now, counting: counting, rows: map[string][]*results.CellResult{}, refs: make([]RunRef, len(counting))}
	for i := range counting {
		b.refs[i] = refOf(&counting[i])
	}
runs:
	for i := range counting {
		for g := range b.layouts {
			if sameCells(counting[b.layouts[g].runs[0]].Cells, counting[i].Cells) {
				b.layouts[g].runs = append(b.layouts[g].runs, i)
				continue runs
			}
		}
		index := make(map[string]int, len(counting[i].Cells))
		for j := range counting[i].Cells {
			if _, dup := index[counting[i].Cells[j].Cell]; !dup {
				index[counting[i].Cells[j].Cell] = j
			}
		}
		b.layouts = append(b.layouts, layout{index: index, runs: []int{i}})
	}
	return b
}

// sameCells reports whether a and b record the same cell ids in the same
// order.
func sameCells(a, b []results.CellResult) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Cell != b[i].Cell {
			return false
		}
	}
	return true
}

// row returns cell id's result in each counting run, newest first: nil
// where the run did not record it.
func (b *builder) row(id string) []*results.CellResult {
	if row, ok := b.rows[id]; ok {
		return row
	}
	row := make([]*results.CellResult, len(b.counting))
	for _, l := range b.layouts {
		j, ok := l.index[id]
		if !ok {
			continue
		}
		for _, i := range l.runs {
			row[i] = &b.counting[i].Cells[j]
		}
	}
	b.rows[id] = row
	return row
}

// cell returns the result of cell id in counting run i, or nil.
func (b *builder) cell(i int, id string) *results.CellResult { return b.row(id)[i] }

// testCell reports one feature cell.
func (b *builder) testCell(c *matrix.Cell, p *matrix.Policy) *Cell {
	out := &Cell{
		ID: c.ID, Kind: cellid.KindTest, Feature: c.Feature, Label: c.Feature.ID,
		Deciding: c.Feature.Blocking && c.Action == matrix.ActionRun,
		Action:   c.Action, Reason: c.Reason, Link: c.Link,
	}
	if c.Excluded() {
		out.Status = results.Excluded
		return out
	}
	b.fill(out, p)
	return out
}

// otherCell reports an upgrade or skew cell; those never decide a level.
func (b *builder) otherCell(id, kind, label string, p *matrix.Policy) *Cell {
	out := &Cell{ID: id, Kind: kind, Label: label, Action: matrix.ActionRun}
	b.fill(out, p)
	return out
}

// fill sets a cell's status, job, history and flakiness from the counting
// runs.
func (b *builder) fill(c *Cell, p *matrix.Policy) {
	// Sized once: growing it by appends took half of a large report's
	// memory (30 runs of 6,660 cells; issue 14).
	c.History = make([]Result, 0, min(HistoryLen, len(b.counting)))
	raw := b.scratch[:0]
	for i, cr := range b.row(c.ID) {
		if cr == nil {
			continue
		}
		raw = append(raw, cr)
		if len(c.History) < HistoryLen {
			c.History = append(c.History, Result{Run: &b.refs[i], Status: b.status(c, cr), JobURL: cr.JobURL})
		}
		if c.Run == nil {
			c.Run = &b.refs[i]
			c.JobURL = cr.JobURL
		}
	}
	b.scratch = raw
	if len(raw) == 0 {
		c.Status = results.NotRun
		return
	}
	c.Flake = flakeOf(raw, p.FlakyAbove)
	c.Last = b.status(c, raw[0])
	var window [FlakyWindow]results.CellResult
	for i := range min(len(raw), FlakyWindow) {
		window[i] = *raw[i]
	}
	if c.Last == results.Passed && (c.Flake.Above || results.Flipping(window[:min(len(raw), FlakyWindow)])) {
		c.Last = results.Flaky
	}
	c.Status = c.Last
	if !b.fresh(c.Run.FinishedAt, p.MaxAge.D) {
		c.Status = results.Stale
	}
}

// status normalizes one recorded result: a failure the rules allow is
// allowed_failure, a pass that needed a retry is flaky.
func (b *builder) status(c *Cell, cr *results.CellResult) results.Status {
	switch {
	case cr.Status == results.Failed && c.Action == matrix.ActionAllowFailure:
		return results.AllowedFailure
	case cr.Status == results.Passed && cr.Attempts > 1:
		return results.Flaky
	}
	return cr.Status
}

// fresh reports whether a result finished at t is at most maxAge old.
func (b *builder) fresh(t time.Time, maxAge time.Duration) bool {
	return b.now.Sub(t) <= maxAge
}

// passing reports whether a recorded status counts as a pass for levels.
func passing(s results.Status) bool { return s == results.Passed || s == results.Flaky }

// decisive reports whether a recorded status decides a level: a pass, a
// failure, or a broken cluster (which proves nothing, so it supersedes an
// older pass: a level never rests on results the cluster could not repeat).
func decisive(s results.Status) bool { return passing(s) || s == results.Failed || s == results.Broken }

// Passing and Decisive are the two rules above, for the packages that read
// the history with the table's eyes (pkg/alert).
func Passing(s results.Status) bool { return passing(s) }

// Decisive: see decisive.
func Decisive(s results.Status) bool { return decisive(s) }

// RefOf names a collected run.
func RefOf(run *results.Run) RunRef { return refOf(run) }

// evidence is a deciding cell's decisive result.
type evidence struct {
	cell   *Cell
	status results.Status // passed, flaky, failed or broken; "" when none
	reason string         // the recorded reason (a broken cluster's)
	run    *results.Run
}

// infra returns the failed cluster jobs of chain in the newest deciding run
// that recorded one of cells or a cluster failure of chain.
func (b *builder) infra(chain string, cells []*Cell) []Infra {
	for i := range b.counting {
		run := &b.counting[i]
		found := len(run.InfraFor(chain)) > 0
		for _, c := range cells {
			found = found || b.cell(i, c.ID) != nil
		}
		if !found {
			continue
		}
		var out []Infra
		for _, ir := range run.InfraFor(chain) {
			out = append(out, Infra{Run: refOf(run), InfraResult: ir})
		}
		return out
	}
	return nil
}

// level decides a distribution × minor's level; see the package comment.
func (b *builder) level(d *Distribution, v *Version) {
	var deciding []*Cell
	for _, c := range v.Cells {
		if c.Deciding {
			deciding = append(deciding, c)
		}
	}
	if d.Tier == matrix.TierOfficial {
		v.GreenRunsRequired = d.Policy.GreenRuns
	}
	v.GreenRuns, v.History = b.streak(deciding, v.GreenRunsRequired)
	if len(deciding) == 0 {
		v.Level = Untested
		v.Reason = fmt.Sprintf("no blocking feature runs on Kubernetes %s", v.Kubernetes)
		return
	}

	ev := make([]evidence, len(deciding))
	for i, c := range deciding {
		ev[i].cell = c
		for j, cr := range b.row(c.ID) {
			run := &b.counting[j]
			if cr != nil && decisive(cr.Status) {
				ev[i].status, ev[i].reason, ev[i].run = cr.Status, cr.Reason, run
				break
			}
		}
		if r := ev[i].run; r != nil && passing(ev[i].status) && (v.LastVerified == nil || r.FinishedAt.After(v.LastVerified.FinishedAt)) {
			ref := refOf(r)
			v.LastVerified = &ref
		}
	}

	var failedFresh, brokenFresh, stale, never []string
	var failedRun, brokenRun, staleRun *results.Run
	for _, e := range ev {
		switch {
		case e.run == nil:
			never = append(never, e.cell.Label)
		case !b.fresh(e.run.FinishedAt, d.Policy.MaxAge.D):
			stale = append(stale, fmt.Sprintf("%s (last %s %s in %s)", e.cell.Label, verb(e.status), FormatTime(e.run.FinishedAt), pipelineName(e.run)))
			if staleRun == nil || e.run.FinishedAt.Before(staleRun.FinishedAt) {
				staleRun = e.run
			}
		case e.status == results.Failed:
			failedFresh = append(failedFresh, fmt.Sprintf("%s failed in %s", e.cell.Label, pipelineName(e.run)))
			if failedRun == nil || e.run.FinishedAt.After(failedRun.FinishedAt) {
				failedRun = e.run
			}
		case e.status == results.Broken:
			why := fmt.Sprintf("%s in %s", orText(e.reason, results.ReasonNoCluster), pipelineName(e.run))
			if !slices.Contains(brokenFresh, why) {
				brokenFresh = append(brokenFresh, why)
			}
			if brokenRun == nil || e.run.FinishedAt.After(brokenRun.FinishedAt) {
				brokenRun = e.run
			}
		}
	}
	v.Fresh = len(never) == 0 && len(stale) == 0
	decided := func(r *results.Run) {
		if r != nil {
			ref := refOf(r)
			v.DecidedBy = &ref
		}
	}
	switch {
	case len(never) == len(ev):
		v.Level = Untested
		v.Reason = "no blocking feature has a result from a counting run yet"
	case len(failedFresh) > 0:
		v.Level = Failing
		v.Reason = strings.Join(failedFresh, "; ")
		decided(failedRun)
	case len(brokenFresh) > 0:
		v.Level = Broken
		v.Reason = strings.Join(brokenFresh, "; ") + ": nothing was proven"
		decided(brokenRun)
	case len(stale) > 0:
		v.Level = Stale
		v.Reason = fmt.Sprintf("older than max_age %s at %s: %s", d.Policy.MaxAge.Text, FormatTime(b.now), strings.Join(stale, "; "))
		decided(staleRun)
	case len(never) > 0:
		v.Level = Untested
		v.Reason = fmt.Sprintf("blocking %s without a result yet: %s", words.Plural("feature", len(never)), strings.Join(never, ", "))
	default:
		b.passingLevel(d, v)
		v.DecidedBy = v.LastVerified
	}
}

// verb says what a decisive result was, for a stale level's reason.
func verb(s results.Status) string {
	switch s {
	case results.Failed:
		return "failed"
	case results.Broken:
		return "broken"
	}
	return "verified"
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// passingLevel sets the level of a distribution × minor whose deciding
// cells all passed recently.
func (b *builder) passingLevel(d *Distribution, v *Version) {
	switch d.Tier {
	case matrix.TierOfficial:
		var missing []string
		if v.GreenRuns < v.GreenRunsRequired {
			missing = append(missing, v.GreenText())
		}
		// FlakyKeepsQualifying: a blocking cell flaky above flaky_above
		// is not a clean pass, and support is not promised on it.
		missing = append(missing, flakyText(v.Cells, d.Policy.FlakyAbove)...)
		missing = append(missing, d.Missing()...)
		if len(missing) == 0 {
			v.Level = Supported
			v.Reason = fmt.Sprintf("every blocking feature passed in the last %d counting %s and the policy's requirements hold", v.GreenRuns, words.Plural("run", v.GreenRuns))
			return
		}
		v.Level = Qualifying
		v.Reason = "blocking features pass; policy not met yet: " + strings.Join(missing, "; ")
		return
	case matrix.TierBeta:
		v.Level, v.Reason = Beta, "blocking features pass (beta tier)"
	case matrix.TierCommunity:
		v.Level, v.Reason = Community, "blocking features pass (community tier)"
	case matrix.TierDeprecated:
		v.Level, v.Reason = Deprecated, "blocking features pass (deprecated tier)"
	default:
		v.Level, v.Reason = Untested, fmt.Sprintf("unknown tier %q", d.Tier)
		return
	}
	// The other tiers promise nothing to lose, so a flaky blocking cell
	// leaves their level alone, but the reason says it: never a silent
	// clean pass.
	if flaky := flakyText(v.Cells, d.Policy.FlakyAbove); len(flaky) > 0 {
		v.Reason += "; but " + strings.Join(flaky, "; ")
	}
}

// FlakyKeepsQualifying is the policy's rule for a blocking cell whose flake
// rate is above flaky_above while every blocking feature passes: an official
// distribution × minor stays qualifying (the policy is not met), however
// many green runs it has; the beta, community and deprecated tiers keep
// their level, and the reason names the flaky cell. sig-release asks a job
// to show it is not flaky before it may block a release
// (kubernetes/sig-release, release-blocking-jobs.md); a support promise is
// held to the same bar. A flaky run still counts as green for the streak
// (it passed), so the level returns to supported once the flakes age out
// of the history or drop to the threshold, with no new streak to build.
const FlakyKeepsQualifying = true

// BrokenBreaksStreak is the policy's rule for a run whose cluster did not
// come up (a deciding cell broken, none failed): false, so such a run
// neither extends nor ends a green streak. It proved nothing about the
// product either way, and the infrastructure failure is recorded in the
// history, the table and the level log (sig-release tolerates infra
// failures only when recorded); meanwhile the level is broken, since the
// newest result proves nothing. A cluster that keeps failing therefore
// keeps the level broken, and its passes age out to stale after max_age.
const BrokenBreaksStreak = false

// streak counts consecutive green runs over the counting runs that recorded
// a deciding cell, up to required when it is set, and returns the newest
// HistoryLen outcomes.
func (b *builder) streak(deciding []*Cell, required int) (int, []RunOutcome) {
	green, counting := 0, true
	var hist []RunOutcome
	rows := make([][]*results.CellResult, len(deciding))
	for k, c := range deciding {
		rows[k] = b.row(c.ID)
	}
	for i := range b.counting {
		run := &b.counting[i]
		recorded, failed, broken := 0, false, false
		var notPassed []string
		for k, c := range deciding {
			cr := rows[k][i]
			if cr == nil {
				continue
			}
			recorded++
			if cr.Status == results.Failed {
				failed = true
			}
			if cr.Status == results.Broken {
				broken = true
			}
			if !passing(cr.Status) {
				notPassed = append(notPassed, c.Label+": "+string(cr.Status))
			}
		}
		if recorded == 0 {
			continue
		}
		out := RunOutcome{Run: refOf(run), Detail: strings.Join(notPassed, ", ")}
		skip := false
		switch {
		case failed:
			out.Outcome = OutcomeFailed
		case broken:
			// BrokenBreaksStreak: a run whose cluster did not come up
			// proved nothing either way; it neither extends nor ends the
			// streak (the level is broken while it is the newest).
			out.Outcome = OutcomeBroken
			skip = !BrokenBreaksStreak
		case len(notPassed) > 0:
			out.Outcome = OutcomeIncomplete
		case recorded == len(deciding):
			out.Outcome = OutcomePassed
		case run.Partial:
			// Partial runs only count for the cells they ran: all passed,
			// but not every deciding cell ran, so the streak neither grows
			// nor ends.
			out.Outcome = OutcomePassed
			out.Detail = fmt.Sprintf("partial run: %d of %d blocking features", recorded, len(deciding))
			skip = true
		default:
			out.Outcome = OutcomeIncomplete
			out.Detail = fmt.Sprintf("ran %d of %d blocking features", recorded, len(deciding))
		}
		if counting && !skip {
			if out.Outcome == OutcomePassed {
				green++
			} else {
				counting = false
			}
		}
		if required > 0 && green >= required {
			// One count everywhere: the streak is counted up to what
			// the policy asks ("3 of 3"), never past it.
			counting = false
		}
		if len(hist) < HistoryLen {
			hist = append(hist, out)
		}
	}
	return green, hist
}

// pipelineName names a run for reasons: "pipeline #123" or "local run #4".
func pipelineName(r *results.Run) string {
	ref := refOf(r)
	return ref.Name()
}

// Name names the run for people: "pipeline #123", or "local run #4" for
// gitlab-ci-local runs.
func (r RunRef) Name() string {
	if r.Local {
		return fmt.Sprintf("local run #%d", r.Pipeline)
	}
	return fmt.Sprintf("pipeline #%d", r.Pipeline)
}

// FormatTime renders a result time in UTC to the minute, the way the table
// shows it: "2026-05-01 14:02 UTC".
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// GreenText says the version's green streak against the official policy's
// requirement: "2 of 3 green runs". The level's reason and the HTML page
// say it so.
func (v *Version) GreenText() string {
	return fmt.Sprintf("%d of %d green runs", v.GreenRuns, v.GreenRunsRequired)
}
