// Package ci holds the domain types collect reads a run from: pipelines,
// their jobs and bridges (trigger jobs), job statuses and JUnit test
// reports. Two adapters produce them: pkg/gitlab from GitLab's API, and
// pkg/localci from gitlab-ci-local's output. collect consumes them without
// knowing which one ran the pipeline, so a local run is not dressed up as a
// GitLab pipeline and neither adapter's quirks leak into the rules.
//
// The words are GitLab's, since GitLab is the judge: statuses are the
// strings GitLab's API returns, defined here once.
package ci

import "time"

// Status is a job's (or a pipeline's) status in GitLab's words.
type Status string

// GitLab's job and pipeline statuses: Ci::HasStatus::AVAILABLE_STATUSES in
// app/models/concerns/ci/has_status.rb. A status outside this list is
// passed on as GitLab sent it.
const (
	Created            Status = "created"
	WaitingForResource Status = "waiting_for_resource"
	Preparing          Status = "preparing"
	WaitingForCallback Status = "waiting_for_callback"
	Pending            Status = "pending"
	Running            Status = "running"
	Success            Status = "success"
	Failed             Status = "failed"
	Canceling          Status = "canceling"
	Canceled           Status = "canceled"
	Skipped            Status = "skipped"
	Manual             Status = "manual"
	Scheduled          Status = "scheduled"
)

// Statuses lists every status GitLab has, in AVAILABLE_STATUSES order
// (app/models/concerns/ci/has_status.rb).
var Statuses = []Status{
	Created, WaitingForResource, Preparing, WaitingForCallback, Pending, Running,
	Success, Failed, Canceling, Canceled, Skipped, Manual, Scheduled,
}

// TestStatus is a JUnit test case's status in GitLab's test report.
type TestStatus string

// GitLab's test case statuses: Gitlab::Ci::Reports::TestCase::STATUS_TYPES
// in lib/gitlab/ci/reports/test_case.rb.
const (
	TestSuccess TestStatus = "success"
	TestFailed  TestStatus = "failed"
	TestSkipped TestStatus = "skipped"
	TestError   TestStatus = "error"
)

// Pipeline is one pipeline of a pipeline tree with all its jobs.
type Pipeline struct {
	// ID is the pipeline's global id (on GitLab) or its place in the run,
	// counted from 1 (gitlab-ci-local, which has no ids).
	ID int64
	// ProjectID is the numeric id of the project the pipeline runs in (a
	// multi-project trigger can reach another project); 0 when unknown.
	ProjectID int64
	// ParentID is the id of the pipeline whose bridge triggered this one, 0
	// for the root.
	ParentID int64
	// BridgeName is the name of that trigger job, "" for the root.
	BridgeName string
	// Depth is 0 for the root, 1 for a child, 2 for a grandchild.
	Depth int
	// File is the base name of the generated file the pipeline runs
	// (pipeline.yml, shard-2.yml), when its runner says so: gitlab-ci-local
	// does; for a GitLab pipeline it is "" and collect works it out from the
	// trigger jobs.
	File string
	// Source is GitLab's pipeline source: push, schedule, merge_request_event,
	// parent_pipeline, pipeline, ...
	Source string
	// Ref is the branch or tag, SHA the commit.
	Ref, SHA string
	// Status is the pipeline's status.
	Status Status
	// WebURL links to the pipeline page.
	WebURL string
	// CreatedAt and UpdatedAt are GitLab's timestamps (zero when absent).
	CreatedAt, UpdatedAt time.Time
	// Jobs holds every job and bridge of the pipeline, retried attempts
	// included: build jobs first in API order (newest first), then bridges
	// in API order.
	Jobs []Job
	// ChildrenUnknown is set when the token may not list the pipeline's
	// trigger jobs (a CI job token before GitLab 19.2): its downstream
	// pipelines could not be followed.
	ChildrenUnknown bool
}

// Job is one job attempt, or one bridge (trigger job).
type Job struct {
	// ID is the job's global id; a retry gets a new, higher id.
	ID int64
	// Name and Stage are as GitLab shows them.
	Name, Stage string
	// Status is the attempt's status. A job that failed with allow_failure
	// reads Failed, with AllowFailure set, as GitLab's API shows it.
	Status Status
	// FailureReason is GitLab's reason for a failed job, such as
	// script_failure or runner_system_failure.
	FailureReason string
	// WebURL links to the job log.
	WebURL string
	// AllowFailure is set for jobs whose failure does not fail the pipeline.
	AllowFailure bool
	// Retried is set when a newer attempt of the same name exists in the
	// same pipeline; only the newest attempt counts.
	Retried bool
	// StartedAt and FinishedAt are nil until the job starts and ends.
	StartedAt, FinishedAt *time.Time
	// Duration is the run time in seconds.
	Duration float64
	// Bridge marks a trigger job.
	Bridge bool
	// Downstream is the id of the pipeline a bridge triggered, 0 if none.
	Downstream int64
	// JUnitFiles are the paths on this machine of the JUnit reports among
	// the job's artifacts, when its runner left them on disk
	// (gitlab-ci-local). A GitLab job's reports are read through the API
	// instead (a pipeline's TestReport, or the job's ArtifactFiles).
	JUnitFiles []string
}

// TestReport is a pipeline's JUnit test report as GitLab aggregates it.
type TestReport struct {
	// TotalTime is the summed execution time in seconds.
	TotalTime float64
	// Counts over all suites.
	TotalCount, SuccessCount, FailedCount, SkippedCount, ErrorCount int64
	// Suites holds one suite per job that uploaded a report, named after the
	// job (parallel jobs share a suite named after their group).
	Suites []TestSuite
}

// TestSuite is the test results one job reported.
type TestSuite struct {
	// Name is the job's name.
	Name string
	// TotalTime is the suite's execution time in seconds.
	TotalTime float64
	// Counts within the suite.
	TotalCount, SuccessCount, FailedCount, SkippedCount, ErrorCount int64
	// Cases are the suite's test cases in GitLab's order.
	Cases []TestCase
}

// TestCase is one JUnit test case.
type TestCase struct {
	// Name and Classname come from the JUnit testcase element.
	Name, Classname string
	// Status is the case's outcome.
	Status TestStatus
	// File is the test's source file, when reported.
	File string
	// SystemOutput is the failure message or captured output.
	SystemOutput string
	// StackTrace is the failure's stack trace, when reported.
	StackTrace string
	// ExecutionTime is in seconds.
	ExecutionTime float64
}

// ArtifactFile is one file of a job's artifacts archive.
type ArtifactFile struct {
	// Name is the file's path in the archive, e.g. junit/deploy.xml.
	Name string
	// Data is its content.
	Data []byte
}

// The environment variables a GitLab token is read from, in SPEC's order
// (TokenVariables): supportmatrix's own, a project or personal token, then
// the job token GitLab gives every CI job.
const (
	TokenVariable       = "SUPPORTMATRIX_TOKEN"
	GitLabTokenVariable = "GITLAB_TOKEN"
	JobTokenVariable    = "CI_JOB_TOKEN"
)

// TokenVariables lists them in the order they are read: the first set wins.
var TokenVariables = []string{TokenVariable, GitLabTokenVariable, JobTokenVariable}
