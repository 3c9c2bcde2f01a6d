package collect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// match is one manifest job found (or not) in the pipeline tree.
type match struct {
	mj       *ManifestJob
	pipeline *gitlab.Pipeline // nil when no pipeline holds the job
	attempts []gitlab.Job     // newest first; empty when the job is missing
}

// newest returns the attempt that counts, or nil.
func (m *match) newest() *gitlab.Job {
	if len(m.attempts) == 0 {
		return nil
	}
	return &m.attempts[0]
}

// jobTests is what a job's JUnit report says about its cell.
type jobTests struct {
	count         *results.TestCount
	serverVersion string
}

// Summary describes a collected run for people: counts per status and the
// notes worth saying once (no test report, jobs still running, ...).
type Summary struct {
	// Pipelines is the number of pipelines read (parent, children, shards).
	Pipelines int
	// Jobs is the number of job attempts read, retries included.
	Jobs int
	// Statuses counts the run's cells per status.
	Statuses map[results.Status]int
	// Notes are short remarks, each said once, in a fixed order.
	Notes []string
}

// assign finds every manifest job in the pipeline tree. files maps a
// pipeline id to the generated file it runs ("pipeline.yml",
// "shard-2.yml"); a job is looked up in the pipelines running its file
// first, then anywhere in the tree.
func assign(m *Manifest, pipelines []gitlab.Pipeline, files map[int64]string) []match {
	type key struct {
		pipeline int64
		name     string
	}
	byName := map[key][]gitlab.Job{}
	for _, p := range pipelines {
		for _, j := range p.Jobs {
			if j.Bridge {
				continue
			}
			k := key{p.ID, j.Name}
			byName[k] = append(byName[k], j)
		}
	}
	for k, js := range byName {
		// Newest attempt first: a retry always gets a higher id.
		slices.SortStableFunc(js, func(a, b gitlab.Job) int { return cmpInt64(b.ID, a.ID) })
		byName[k] = js
	}
	out := make([]match, 0, len(m.Jobs))
	for i := range m.Jobs {
		mj := &m.Jobs[i]
		mt := match{mj: mj}
		find := func(sameFile bool) bool {
			for pi := range pipelines {
				p := &pipelines[pi]
				if sameFile && files[p.ID] != mj.File {
					continue
				}
				if js := byName[key{p.ID, mj.Name}]; len(js) > 0 {
					mt.pipeline, mt.attempts = p, js
					return true
				}
			}
			return false
		}
		if !find(true) {
			find(false)
		}
		out = append(out, mt)
	}
	return out
}

// pipelineFiles tells which generated file each pipeline of the tree runs:
// a pipeline triggered by a manifest trigger job runs that job's target;
// any other downstream pipeline runs pipeline.yml (the parent's own trigger
// job is not generated). The root runs pipeline.yml only when it holds
// generated jobs itself (collect pointed at the child pipeline).
func pipelineFiles(m *Manifest, pipelines []gitlab.Pipeline) map[int64]string {
	targets := map[string]string{}
	for _, j := range m.Jobs {
		if j.Kind == KindTrigger && j.Target != "" {
			targets[j.Name] = j.Target
		}
	}
	files := make(map[int64]string, len(pipelines))
	for _, p := range pipelines {
		switch {
		case p.ParentID == 0:
			files[p.ID] = ""
		case targets[p.BridgeName] != "":
			files[p.ID] = targets[p.BridgeName]
		default:
			files[p.ID] = "pipeline.yml"
		}
	}
	return files
}

// jobStatus maps one job's newest attempt to a cell status and, when the
// status needs one, a reason. running reports a job that has not finished.
func jobStatus(mj *ManifestJob, attempts []gitlab.Job) (status results.Status, reason string, running bool) {
	if len(attempts) == 0 {
		return results.NotRun, fmt.Sprintf("no job %q in the pipeline", mj.Name), false
	}
	j := attempts[0]
	switch j.Status {
	case "success":
		for _, a := range attempts[1:] {
			if a.Status == "failed" {
				return results.Flaky, fmt.Sprintf("passed on attempt %d after a failure", len(attempts)), false
			}
		}
		return results.Passed, "", false
	case "failed":
		if j.AllowFailure || mj.Action == string(matrix.ActionAllowFailure) {
			return results.AllowedFailure, "", false
		}
		return results.Failed, "", false
	case "canceled", "canceling":
		return results.Canceled, "", false
	case "skipped":
		return results.Skipped, "", false
	case "manual":
		return results.NotRun, "manual job never played", false
	default: // created, waiting_for_resource, preparing, pending, running, scheduled
		return results.NotRun, fmt.Sprintf("job %s when collected", j.Status), true
	}
}

// severity orders statuses from worst to best, to combine the jobs of one
// cell: a missing result can never hide behind a passing one.
var severity = []results.Status{
	results.Failed, results.Canceled, results.NotRun, results.Skipped,
	results.AllowedFailure, results.Flaky, results.Passed,
}

func worse(a, b results.Status) bool {
	return slices.Index(severity, a) < slices.Index(severity, b)
}

// buildInput is everything the run is built from.
type buildInput struct {
	manifest *Manifest
	plan     *matrix.Plan // nil: no excluded cells are listed
	matches  []match
	tests    map[int64]*jobTests // by job id
}

// buildCells decides the status of every cell, in plan order (excluded
// cells included), then cells the plan does not know in manifest order. It
// returns the cells, whether some plan cells are absent from the manifest
// (a partial run), and whether some job had not finished.
func buildCells(in buildInput) (cells []results.CellResult, partial, incomplete bool) {
	byCell := map[string]*results.CellResult{}
	var order []string
	for _, mt := range in.matches {
		mj := mt.mj
		if !mj.IsCellJob() {
			continue
		}
		status, reason, running := jobStatus(mj, mt.attempts)
		incomplete = incomplete || running
		cr := results.CellResult{Cell: mj.Cell, Kind: cellKind(mj), Status: status, Reason: reason}
		if j := mt.newest(); j != nil {
			cr.JobID, cr.JobURL = j.ID, j.WebURL
			cr.Duration = j.Duration
			cr.Attempts = len(mt.attempts)
			if j.Status == "failed" {
				cr.FailureReason = j.FailureReason
			}
			if t := in.tests[j.ID]; t != nil {
				cr.Tests = t.count
				cr.ServerVersion = t.serverVersion
			}
		}
		prev := byCell[mj.Cell]
		if prev == nil {
			order = append(order, mj.Cell)
			byCell[mj.Cell] = &cr
			continue
		}
		combine(prev, &cr)
	}

	seen := map[string]bool{}
	if in.plan != nil {
		add := func(id, kind string, excluded bool, reason string) {
			if c := byCell[id]; c != nil {
				cells = append(cells, *c)
				seen[id] = true
				return
			}
			if excluded {
				cells = append(cells, results.CellResult{Cell: id, Kind: kind, Status: results.Excluded, Reason: reason})
				seen[id] = true
				return
			}
			partial = true
		}
		for _, c := range in.plan.Cells {
			add(c.ID, KindTest, c.Excluded(), c.Reason)
		}
		for _, u := range in.plan.Upgrades {
			add(u.ID, KindUpgrade, false, "")
		}
		for _, s := range in.plan.Skews {
			add(s.ID, KindSkew, false, "")
		}
	}
	if in.plan == nil && len(in.manifest.Cells) > 0 {
		// The manifest's cell list is in plan order.
		for _, id := range in.manifest.Cells {
			if c := byCell[id]; c != nil && !seen[id] {
				cells = append(cells, *c)
				seen[id] = true
			}
		}
	}
	for _, id := range order {
		if !seen[id] {
			cells = append(cells, *byCell[id])
		}
	}
	return cells, partial, incomplete
}

// cellKind is the kind of the cell a manifest job proves: an upgrade cell
// (its jobs carry from and to), a skew cell (its jobs carry nodes), or a
// feature cell.
func cellKind(mj *ManifestJob) string {
	switch {
	case mj.Kind == KindUpgrade || mj.From != "":
		return KindUpgrade
	case mj.Kind == KindSkew || mj.Nodes != "":
		return KindSkew
	}
	return KindTest
}

// combine folds another job of the same cell into c: the worst status and
// its job's details win, durations add up, test counts are summed.
func combine(c, other *results.CellResult) {
	dur := c.Duration + other.Duration
	tests := sumTests(c.Tests, other.Tests)
	attempts := max(c.Attempts, other.Attempts)
	version := c.ServerVersion
	if version == "" {
		version = other.ServerVersion
	}
	if worse(other.Status, c.Status) {
		kind := c.Kind
		*c = *other
		c.Kind = kind
	}
	c.Duration, c.Tests, c.Attempts = dur, tests, attempts
	if c.ServerVersion == "" {
		c.ServerVersion = version
	}
}

func sumTests(a, b *results.TestCount) *results.TestCount {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &results.TestCount{
		Total: a.Total + b.Total, Passed: a.Passed + b.Passed, Failed: a.Failed + b.Failed,
		Skipped: a.Skipped + b.Skipped, Errors: a.Errors + b.Errors,
	}
}

// finishedAt is the newest finish time of the generated jobs (newest
// attempts), or zero. Jobs of the parent pipeline outside the manifest
// (collect and publish themselves) are left out, so that collecting again
// after the pipeline ended gives the same run.
func finishedAt(matches []match) time.Time {
	var t time.Time
	for i := range matches {
		if j := matches[i].newest(); j != nil && j.FinishedAt != nil && j.FinishedAt.After(t) {
			t = *j.FinishedAt
		}
	}
	return t.UTC()
}

// summarize counts the cells per status.
func summarize(run *results.Run, pipelines []gitlab.Pipeline, notes []string) Summary {
	s := Summary{Pipelines: len(pipelines), Statuses: map[results.Status]int{}, Notes: notes}
	for _, p := range pipelines {
		s.Jobs += len(p.Jobs)
	}
	for _, c := range run.Cells {
		s.Statuses[c.Status]++
	}
	return s
}

// String renders the summary on one line, statuses in SPEC order.
func (s Summary) String() string {
	var parts []string
	for _, st := range []results.Status{results.Passed, results.Failed, results.Flaky, results.AllowedFailure,
		results.Skipped, results.Canceled, results.NotRun, results.Excluded, results.Stale} {
		if n := s.Statuses[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no cells")
	}
	return fmt.Sprintf("%d pipelines, %d jobs: %s", s.Pipelines, s.Jobs, strings.Join(parts, ", "))
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
