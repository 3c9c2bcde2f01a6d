package program

import (
	"strings"
	"testing"
)

// TestActiveJobsNote: which GitLab.com tier holds a full run's jobs
// (lib/gitlab/ci/pipeline/chain/limit/active_jobs.rb).
func TestActiveJobsNote(t *testing.T) {
	t.Parallel()
	for jobs, want := range map[int]string{
		500:    "Free allows 500",
		501:    "needs GitLab.com Premium",
		20001:  "needs GitLab.com Ultimate",
		100001: "no tier allows that many",
	} {
		if got := activeJobsNote(jobs); !strings.Contains(got, want) {
			t.Errorf("%d jobs: %q, want %q", jobs, got, want)
		}
	}
}
