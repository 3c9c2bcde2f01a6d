// Package results holds the run history (matrix/results.json): the outcome
// of every cell in each collected pipeline, merged idempotently by pipeline
// id and bounded; commands write it with internal/atomicfile, so a failure
// never truncates it.
package results

import "time"

// Schema identifies the results file format.
const Schema = "supportmatrix/results/v1"

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
)

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
