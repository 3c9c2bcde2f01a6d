package collect

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cellid"
	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// match is one manifest job found (or not) in the pipeline tree.
type match struct {
	mj       *ManifestJob
	pipeline *ci.Pipeline // nil when no pipeline holds the job
	attempts []ci.Job     // newest first; empty when the job is missing
}

// newest returns the attempt that counts, or nil.
func (m *match) newest() *ci.Job {
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
	// Cells is the number of cells the run recorded: those it ran, and the
	// excluded ones of the distribution × minors it ran.
	Cells int
	// Statuses counts the run's cells per status.
	Statuses map[results.Status]int
	// Infra lists the run's failed cluster jobs (results.Run.Infra).
	Infra []results.InfraResult
	// Notes are short remarks, each said once, in a fixed order.
	Notes []string
}

// assign finds every manifest job in the pipeline tree. files maps a
// pipeline id to the generated file it runs ("pipeline.yml",
// "shard-2.yml"); a job is looked up in the pipelines running its file
// first, then anywhere in the tree.
func assign(m *Manifest, pipelines []ci.Pipeline, files map[int64]string) []match {
	type key struct {
		pipeline int64
		name     string
	}
	byName := map[key][]ci.Job{}
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
		slices.SortStableFunc(js, func(a, b ci.Job) int { return cmpInt64(b.ID, a.ID) })
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
func pipelineFiles(m *Manifest, pipelines []ci.Pipeline) map[int64]string {
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
			files[p.ID] = generate.PipelineFile
		}
	}
	return files
}

// jobStatus maps one job's newest attempt to a cell status and, when the
// status needs one, a reason. running reports a job that has not finished.
func jobStatus(mj *ManifestJob, attempts []ci.Job) (status results.Status, reason string, running bool) {
	if len(attempts) == 0 {
		return results.NotRun, fmt.Sprintf("no job %q in the pipeline", mj.Name), false
	}
	j := attempts[0]
	switch j.Status {
	case ci.Success:
		for _, a := range attempts[1:] {
			if a.Status == ci.Failed {
				return results.Flaky, fmt.Sprintf("passed on attempt %d after a failure", len(attempts)), false
			}
		}
		return results.Passed, "", false
	case ci.Failed:
		if j.AllowFailure || mj.Action == string(matrix.ActionAllowFailure) {
			return results.AllowedFailure, "", false
		}
		return results.Failed, "", false
	case ci.Canceled, ci.Canceling:
		return results.Canceled, "", false
	case ci.Skipped:
		return results.Skipped, "", false
	case ci.Manual:
		return results.NotRun, "manual job never played", false
	default: // created, waiting_for_resource, preparing, waiting_for_callback, pending, running, scheduled
		return results.NotRun, fmt.Sprintf("job %s when collected", j.Status), true
	}
}

// severity orders statuses from worst to best, to combine the jobs of one
// cell: a missing result can never hide behind a passing one.
var severity = []results.Status{
	results.Failed, results.Broken, results.Canceled, results.NotRun, results.Skipped,
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

// chainOf returns the id of the chain a manifest job belongs to: the
// distribution × minor of a feature chain (gke/1.35), or the upgrade or skew
// cell whose own chain it is (k3s/1.34->1.35, kind/1.35/nodes-1.32), as
// generate names them.
func chainOf(mj *ManifestJob) string {
	if mj.From != "" || mj.Nodes != "" || (mj.Kind == KindUpgrade && mj.Cell != "") {
		if mj.Cell != "" {
			return mj.Cell
		}
		return cellid.Upgrade(mj.Distribution, mj.From, mj.To)
	}
	if mj.Distribution != "" && mj.Kubernetes != "" {
		return cellid.Chain(mj.Distribution, mj.Kubernetes)
	}
	return mj.Cell
}

// clusterStep tells which cluster step a job performs (results.Step*), or
// "" for feature jobs. The step comes from the job's name as generate
// writes it; a prepare job named otherwise is a connect job on a permanent
// cluster and a provision job on an ephemeral one, and any other cleanup
// job is a teardown.
func clusterStep(mj *ManifestJob, plan *matrix.Plan) string {
	if step := mj.ClusterStep(); step != "" {
		return step
	}
	switch {
	case mj.Kind == KindPrepare && mj.Distribution != "":
		if plan != nil {
			for _, c := range plan.Cells {
				if c.Distribution.ID == mj.Distribution && c.Distribution.Cluster.Type == matrix.ClusterPermanent {
					return results.StepConnect
				}
			}
		}
		return results.StepProvision
	case mj.Kind == KindCleanup && mj.Distribution != "":
		return results.StepTeardown
	case mj.Kind == KindUpgrade && mj.Feature == "":
		return results.StepUpgrade
	}
	return ""
}

// infraFailures lists the failed cluster jobs of the run, in manifest order,
// with the server version each one saw.
func infraFailures(in buildInput) []results.InfraResult {
	var out []results.InfraResult
	for _, mt := range in.matches {
		mj := mt.mj
		step := clusterStep(mj, in.plan)
		j := mt.newest()
		if step == "" || j == nil || j.Status != ci.Failed || j.AllowFailure {
			continue
		}
		ir := results.InfraResult{
			Chain: chainOf(mj), Step: step, Kubernetes: mj.Kubernetes,
			JobID: j.ID, JobURL: j.WebURL, FailureReason: j.FailureReason,
		}
		switch {
		case step == results.StepUpgrade:
			ir.Kubernetes = mj.To
		case mj.From != "":
			ir.Kubernetes = mj.From // an upgrade chain's cluster starts at the from-minor
		case step == results.StepTeardown:
			ir.Kubernetes = ""
		}
		if t := in.tests[j.ID]; t != nil {
			ir.ServerVersion = t.serverVersion
		}
		ir.Reason = infraReason(&ir)
		out = append(out, ir)
	}
	return out
}

// infraReason says in a phrase what a failed cluster job means for the
// chain. A server version of another minor says it plainly: the provider
// upgraded a permanent cluster, or an upgrade did not happen.
func infraReason(ir *results.InfraResult) string {
	if m := minorOf(ir.ServerVersion); m != "" && ir.Kubernetes != "" && m != ir.Kubernetes {
		return fmt.Sprintf("cluster runs %s (%s), not %s", m, ir.ServerVersion, ir.Kubernetes)
	}
	switch ir.Step {
	case results.StepProvision:
		return results.ReasonNoCluster
	case results.StepConnect:
		return "cluster could not be reached, or failed its checks"
	case results.StepUpgrade:
		return "control plane upgrade to " + ir.Kubernetes + " failed"
	}
	return "the cluster may still be running (and costing money)"
}

var minorRE = regexp.MustCompile(`^v?(\d+\.\d+)\.`)

// minorOf returns the minor of a gitVersion ("v1.36.2-gke.1" -> "1.36").
func minorOf(v string) string {
	if m := minorRE.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return ""
}

// unproven reports whether a cell job's status says it never got to prove
// anything, so that a broken cluster explains it.
func unproven(s results.Status) bool {
	return s == results.Skipped || s == results.NotRun || s == results.Canceled
}

// buildCells decides the status of every cell, in plan order (excluded
// cells included), then cells the plan does not know in manifest order. It
// returns the cells, whether some plan cells are absent from the manifest
// (a partial run), and whether some job had not finished.
func buildCells(in buildInput) (cells []results.CellResult, infra []results.InfraResult, partial, incomplete bool) {
	infra = infraFailures(in)
	breaking := map[string]*results.InfraResult{}
	for i := range infra {
		if infra[i].Breaks() && breaking[infra[i].Chain] == nil {
			breaking[infra[i].Chain] = &infra[i]
		}
	}
	byCell := map[string]*results.CellResult{}
	var order []string
	for _, mt := range in.matches {
		mj := mt.mj
		if !mj.IsCellJob() {
			continue
		}
		status, reason, running := jobStatus(mj, mt.attempts)
		incomplete = incomplete || running
		cr := results.CellResult{Cell: mj.Cell, Kind: cellid.KindOf(mj.Cell), Status: status, Reason: reason}
		// A cell whose cluster never came up (or whose own upgrade job
		// failed) is broken: it proved nothing, and it is not the
		// product's failure. The cell links the cluster job that failed.
		if b := breaking[chainOf(mj)]; b != nil && (unproven(status) || (mt.newest() != nil && mt.newest().ID == b.JobID)) {
			cr.Status, cr.Reason = results.Broken, b.Reason
			cr.JobID, cr.JobURL, cr.FailureReason, cr.ServerVersion = b.JobID, b.JobURL, b.FailureReason, b.ServerVersion
			prev := byCell[mj.Cell]
			if prev == nil {
				order = append(order, mj.Cell)
				byCell[mj.Cell] = &cr
			} else {
				combine(prev, &cr)
			}
			continue
		}
		if j := mt.newest(); j != nil {
			cr.JobID, cr.JobURL = j.ID, j.WebURL
			cr.Duration = j.Duration
			cr.Attempts = len(mt.attempts)
			if j.Status == ci.Failed {
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
		// A partial run (a changed profile, --only) records the excluded
		// cells of the distribution × minors it ran, and no others: its
		// counts are the selection's.
		touched := map[string]bool{}
		for _, c := range in.plan.Cells {
			if byCell[c.ID] != nil {
				touched[c.Distribution.ID+"/"+c.Kubernetes.String()] = true
			} else if !c.Excluded() {
				partial = true
			}
		}
		for _, u := range in.plan.Upgrades {
			partial = partial || byCell[u.ID] == nil
		}
		for _, s := range in.plan.Skews {
			partial = partial || byCell[s.ID] == nil
		}
		for _, c := range in.plan.Cells {
			switch {
			case byCell[c.ID] != nil:
				cells = append(cells, *byCell[c.ID])
				seen[c.ID] = true
			case c.Excluded() && (!partial || touched[c.Distribution.ID+"/"+c.Kubernetes.String()]):
				cells = append(cells, results.CellResult{Cell: c.ID, Kind: cellid.KindTest, Status: results.Excluded, Reason: c.Reason})
				seen[c.ID] = true
			}
		}
		var others []string
		for _, u := range in.plan.Upgrades {
			others = append(others, u.ID)
		}
		for _, s := range in.plan.Skews {
			others = append(others, s.ID)
		}
		for _, id := range others {
			if c := byCell[id]; c != nil {
				cells = append(cells, *c)
				seen[id] = true
			}
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
	return cells, infra, partial, incomplete
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
func summarize(run *results.Run, pipelines []ci.Pipeline, notes []string) Summary {
	s := Summary{Pipelines: len(pipelines), Statuses: map[results.Status]int{}, Notes: notes}
	for _, p := range pipelines {
		s.Jobs += len(p.Jobs)
	}
	for _, c := range run.Cells {
		s.Statuses[c.Status]++
	}
	s.Cells = len(run.Cells)
	s.Infra = run.Infra
	return s
}

// String renders the summary on one line: what was read (pipelines and
// job attempts), then the cells per status in SPEC order, then the failed
// cluster jobs, each with its reason.
func (s Summary) String() string {
	var parts []string
	for _, st := range results.Statuses {
		if n := s.Statuses[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	cells := "no cells"
	if len(parts) > 0 {
		cells = fmt.Sprintf("%d %s: %s", s.Cells, words.Plural("cell", s.Cells), strings.Join(parts, ", "))
	}
	out := fmt.Sprintf("%d %s, %d %s; %s", s.Pipelines, words.Plural("pipeline", s.Pipelines), s.Jobs, words.Plural("job", s.Jobs), cells)
	if len(s.Infra) > 0 {
		var probs []string
		for _, i := range s.Infra {
			probs = append(probs, fmt.Sprintf("%s %s failed: %s", i.Chain, i.Step, i.Reason))
		}
		out += fmt.Sprintf("; %d cluster %s: %s", len(s.Infra), words.Plural("problem", len(s.Infra)), strings.Join(probs, "; "))
	}
	return out
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
