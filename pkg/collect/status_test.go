package collect

import (
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// TestJobStatusEveryGitLabStatus maps each of GitLab's job statuses
// (ci.Statuses, from app/models/concerns/ci/has_status.rb): a job that has
// not finished reads not_run and marks the run incomplete, and none of
// them reads passed but success.
func TestJobStatusEveryGitLabStatus(t *testing.T) {
	t.Parallel()
	want := map[ci.Status]struct {
		status  results.Status
		running bool
	}{
		ci.Created:            {results.NotRun, true},
		ci.WaitingForResource: {results.NotRun, true},
		ci.Preparing:          {results.NotRun, true},
		ci.WaitingForCallback: {results.NotRun, true},
		ci.Pending:            {results.NotRun, true},
		ci.Running:            {results.NotRun, true},
		ci.Success:            {results.Passed, false},
		ci.Failed:             {results.Failed, false},
		ci.Canceling:          {results.Canceled, false},
		ci.Canceled:           {results.Canceled, false},
		ci.Skipped:            {results.Skipped, false},
		ci.Manual:             {results.NotRun, false},
		ci.Scheduled:          {results.NotRun, true},
	}
	if len(want) != len(ci.Statuses) {
		t.Fatalf("%d statuses tested, GitLab has %d", len(want), len(ci.Statuses))
	}
	mj := &ManifestJob{Name: "kind 1.35: deploy"}
	for _, s := range ci.Statuses {
		w, ok := want[s]
		if !ok {
			t.Errorf("status %q not tested", s)
			continue
		}
		got, reason, running := jobStatus(mj, []ci.Job{{ID: 1, Name: mj.Name, Status: s}})
		if got != w.status || running != w.running {
			t.Errorf("%s: %s (running %v), want %s (running %v)", s, got, running, w.status, w.running)
		}
		if got == results.NotRun && reason == "" {
			t.Errorf("%s: not_run without a reason", s)
		}
	}
}
