package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/collect"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
)

// TestCollectWithoutMatrixOutsideRepo: collect run where no repository
// holds a matrix (a report job's build directory) keeps the default
// --matrix unset, so a missing matrix is a note, not an error: looking for
// the repository root must not turn the default into a named file.
func TestCollectWithoutMatrixOutsideRepo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	manifest := collectFixture(t, gitlabtest.New(t), dir)
	res := &localci.Result{Jobs: []localci.JobResult{{Name: "kind 1.36: [deploy]", Pipeline: "pipeline.yml", Status: localci.Success}}}
	if err := collect.SaveLocal(dir, res); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	if err := os.Mkdir(filepath.Join(work, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInDir(t, work, nil, "collect", "--local-dir", dir, "--manifest", manifest,
		"--results", filepath.Join(dir, "results.json"), "--time", "2026-05-01T12:00:00Z")
	if code != 0 || !strings.Contains(stdout, "collected local run 1") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "note: no matrix at") {
		t.Errorf("stderr %q, want the note that there is no matrix", stderr)
	}
}
