// Package results holds the run history (matrix/results.json): the outcome
// of every cell in each collected pipeline, merged idempotently by pipeline
// id and bounded; commands write it with internal/atomicfile, so a failure
// never truncates it.
package results

import "time"

// Schema identifies the results file format.
const Schema = "supportmatrix/results/v2"

// Status is a cell's outcome in one run.
type Status string

// The statuses, as SPEC fixes them. A missing result is NotRun, never Passed.
const (
	Passed         Status = "passed"
	Failed         Status = "failed"
	Flaky          Status = "flaky" // failed then passed on retry, or flipping across recent runs
	AllowedFailure Status = "allowed_failure"
	Skipped        Status = "skipped"
	Canceled       Status = "canceled"
	NotRun         Status = "not_run" // no job, or a manual job never played
	Excluded       Status = "excluded"
	Stale          Status = "stale"
	// Broken: the cell's cluster did not come up, could not be reached, or
	// runs another minor (a failed provision, connect or upgrade job).
	// Nothing was proven: it is never a pass, and never a product failure.
	Broken Status = "broken"
)

// Statuses lists every status in the order legends and summaries show them.
var Statuses = []Status{Passed, Failed, Flaky, AllowedFailure, Broken, Skipped, Canceled, NotRun, Excluded, Stale}

// The steps of a chain's cluster jobs, as InfraResult.Step records them.
const (
	StepProvision = "provision" // an ephemeral cluster is created
	StepConnect   = "connect"   // a permanent cluster is reached and its minor checked
	StepUpgrade   = "upgrade"   // an upgrade cell's control plane moves one minor
	StepTeardown  = "teardown"  // an ephemeral cluster is deleted
)

// ReasonNoCluster is the reason of the cells whose cluster did not come up
// (a failed provision job), and the one the table gives a broken cell that
// recorded none.
const ReasonNoCluster = "cluster did not come up"

// File is the whole results file.
type File struct {
	Schema string `json:"schema"`
	// Runs, newest first: ordered by FinishedAt descending, then pipeline id
	// descending, so that the order never depends on merge order.
	Runs []Run `json:"runs"`
}

// Run is one collected pipeline.
type Run struct {
	Pipeline int64  `json:"pipeline"`          // the parent pipeline id; 0 is never used
	URL      string `json:"url,omitempty"`     // its web URL
	Source   string `json:"source"`            // $CI_PIPELINE_SOURCE: schedule, web, merge_request_event, push, local
	Ref      string `json:"ref,omitempty"`     // branch or MR ref
	SHA      string `json:"sha,omitempty"`     // commit
	Counts   bool   `json:"counts"`            // counts toward support: schedule or web run on the default branch
	MR       int    `json:"mr,omitempty"`      // merge request iid of a preview run
	Local    bool   `json:"local,omitempty"`   // collected from gitlab-ci-local
	Partial  bool   `json:"partial,omitempty"` // ran only some cells (changed profile, --only)
	// Incomplete is set when some cell jobs had not finished (created,
	// pending, running) when the run was collected; they read not_run.
	Incomplete bool `json:"incomplete,omitempty"`
	// TestReport tells whether test counts and server versions come from the
	// pipeline test report; false when the token could not read it.
	TestReport bool         `json:"test_report"`
	CreatedAt  time.Time    `json:"created_at"`
	FinishedAt time.Time    `json:"finished_at"`
	Cells      []CellResult `json:"cells"` // in manifest (file) order
	// Infra lists the cluster jobs that failed, one per chain and step, in
	// manifest order: a failed provision, connect or upgrade job makes the
	// chain's cells broken; a failed teardown leaves their results alone
	// but says the cluster may still be running (and costing money).
	Infra []InfraResult `json:"infra,omitempty"`
}

// InfraResult is a failed cluster job of one chain in one run.
type InfraResult struct {
	// Chain is the chain's id: gke/1.35, k3s/1.34->1.35, kind/1.35/nodes-1.32.
	Chain string `json:"chain"`
	// Step is StepProvision, StepConnect, StepUpgrade or StepTeardown.
	Step string `json:"step"`
	// Kubernetes is the minor the chain expects its cluster to run (the
	// upgrade's target for an upgrade job).
	Kubernetes string `json:"kubernetes,omitempty"`
	// Reason says what went wrong in a phrase the table shows:
	// "cluster did not come up", "cluster runs v1.36.2, not 1.35".
	Reason string `json:"reason"`
	// ServerVersion is the gitVersion the job saw, when it reported one.
	ServerVersion string `json:"server_version,omitempty"`
	JobID         int64  `json:"job_id,omitempty"`
	JobURL        string `json:"job_url,omitempty"`
	FailureReason string `json:"failure_reason,omitempty"` // GitLab's failure_reason of the job
}

// Breaks reports whether the failure leaves the chain's cells unproven
// (broken): every step but teardown.
func (i *InfraResult) Breaks() bool { return i.Step != StepTeardown }

// InfraFor returns the run's infrastructure failures of chain, in order.
func (r *Run) InfraFor(chain string) []InfraResult {
	var out []InfraResult
	for _, i := range r.Infra {
		if i.Chain == chain {
			out = append(out, i)
		}
	}
	return out
}

// CellResult is one cell's outcome in one run. Upgrade and skew cells use
// the same shape; Kind tells them apart.
type CellResult struct {
	Cell          string  `json:"cell"` // gke/1.35/runner, k3s/1.34->1.35, kind/1.35/nodes-1.32
	Kind          string  `json:"kind"` // test | upgrade | skew
	Status        Status  `json:"status"`
	JobID         int64   `json:"job_id,omitempty"`
	JobURL        string  `json:"job_url,omitempty"`
	Duration      float64 `json:"duration,omitempty"` // seconds, of the newest attempt
	Attempts      int     `json:"attempts,omitempty"`
	FailureReason string  `json:"failure_reason,omitempty"`
	ServerVersion string  `json:"server_version,omitempty"` // the cluster's observed gitVersion, e.g. v1.35.2
	// Reason explains a status that the job alone does not: the rule's reason
	// for an excluded cell, "manual job never played", "no job in the
	// pipeline", "job running when collected".
	Reason string     `json:"reason,omitempty"`
	Tests  *TestCount `json:"tests,omitempty"`
}

// TestCount sums a cell's JUnit test cases.
type TestCount struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Errors  int `json:"errors"`
}
