package localci

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
)

// TestPipelines: one pipeline per trigger chain in the order jobs list
// them, each with its file; jobs numbered across the run; allowed_failure
// reads as GitLab shows it (failed, allow_failure); JUnit files kept.
func TestPipelines(t *testing.T) {
	t.Parallel()
	res := &Result{Jobs: []JobResult{
		{Name: "generate", Pipeline: ".gitlab-ci.yml", Status: Success, Duration: 1500 * time.Millisecond},
		{Name: "child", Pipeline: ".gitlab-ci.yml", Trigger: true, Status: Failed},
		{Name: "kind 1.36: [deploy]", Pipeline: "pipeline.yml", Triggerers: "child", Status: Failed, JUnitFiles: []string{"a.xml"}},
		{Name: "shard 1/1", Pipeline: "pipeline.yml", Triggerers: "child", Trigger: true, Status: Success},
		{Name: "kind 1.35: [runner]", Pipeline: "shard-1.yml", Triggerers: "child -> shard 1/1", Status: AllowedFailure},
		{Name: "kind 1.35: [manual]", Pipeline: "shard-1.yml", Triggerers: "child -> shard 1/1", Status: Manual},
		{Name: "kind 1.36: [skipped]", Pipeline: "pipeline.yml", Triggerers: "child", Status: Skipped},
		{Name: "kind 1.36: [canceled]", Pipeline: "pipeline.yml", Triggerers: "child", Status: Canceled},
	}}
	want := []ci.Pipeline{
		{ID: 1, File: ".gitlab-ci.yml", Jobs: []ci.Job{
			{ID: 1, Name: "generate", Status: ci.Success, Duration: 1.5},
			{ID: 2, Name: "child", Status: ci.Failed, Bridge: true},
		}},
		{ID: 2, ParentID: 1, File: "pipeline.yml", Jobs: []ci.Job{
			{ID: 3, Name: "kind 1.36: [deploy]", Status: ci.Failed, JUnitFiles: []string{"a.xml"}},
			{ID: 4, Name: "shard 1/1", Status: ci.Success, Bridge: true},
			{ID: 7, Name: "kind 1.36: [skipped]", Status: ci.Skipped},
			{ID: 8, Name: "kind 1.36: [canceled]", Status: ci.Canceled},
		}},
		{ID: 3, ParentID: 1, File: "shard-1.yml", Jobs: []ci.Job{
			{ID: 5, Name: "kind 1.35: [runner]", Status: ci.Failed, AllowFailure: true},
			{ID: 6, Name: "kind 1.35: [manual]", Status: ci.Manual},
		}},
	}
	if got := res.Pipelines(); !reflect.DeepEqual(got, want) {
		t.Errorf("Pipelines() =\n%+v\nwant\n%+v", got, want)
	}
}

// TestStatusesAreGitLabs: every status Run reports is one of GitLab's
// (ci.Statuses), but allowed_failure, which is GitLab's failed with
// allow_failure.
func TestStatusesAreGitLabs(t *testing.T) {
	t.Parallel()
	known := map[ci.Status]bool{}
	for _, s := range ci.Statuses {
		known[s] = true
	}
	for _, s := range []Status{Success, Failed, AllowedFailure, Skipped, Manual, Canceled} {
		got, allow := s.CI()
		if !known[got] {
			t.Errorf("%s.CI() = %q, not a GitLab status", s, got)
		}
		if allow != (s == AllowedFailure) || (s != AllowedFailure && string(got) != string(s)) {
			t.Errorf("%s.CI() = %q, %v", s, got, allow)
		}
	}
}

// TestNoBinaryNoLookup: Run, Validate and Preview are given the executable;
// without one they refuse rather than search the process's environment.
func TestNoBinaryNoLookup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte("job:\n  script: [true]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, runErr := Run(context.Background(), Options{Dir: dir})
	_, previewErr := Preview(context.Background(), "", nil, dir, ".gitlab-ci.yml")
	for name, err := range map[string]error{
		"Run":      runErr,
		"Validate": Validate(context.Background(), "", nil, dir),
		"Preview":  previewErr,
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s without a binary: %v, want ErrNotFound", name, err)
		}
	}
}
