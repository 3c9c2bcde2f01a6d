package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// TestRunLocalLoop runs the whole local loop on part of examples/local:
// generate, gitlab-ci-local, collect, render.
func TestRunLocalLoop(t *testing.T) {
	t.Parallel()
	bin := localcitest.Binary(t)
	out := t.TempDir()
	// The test process's environment (gitlab-ci-local finds node, git
	// and rsync in its PATH, the jobs a shell) and the binary.
	env := map[string]string{}
	for _, kv := range localcitest.Env() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	env[localci.EnvBinary] = bin
	code, stdout, stderr := runIn(t, env, "run", "--local", "--matrix", "../../examples/local/matrix.yaml",
		"--templates", "../../examples/local/templates", "--only", "sim-b/*/*", "--out", out, "--concurrency", "2", "--strict")
	// sim-b's terminal fails on purpose (SIM_FAIL), so --strict exits 1.
	if code != ExitInvalid || !strings.Contains(stderr, "1 cell failed") {
		t.Fatalf("exit %d, want 1 with one failed cell\n%s\n%s", code, stdout, stderr)
	}
	hist, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Runs) != 1 {
		t.Fatalf("%d runs in the local history, want 1", len(hist.Runs))
	}
	status := map[string]results.Status{}
	for _, c := range hist.Runs[0].Cells {
		status[c.Cell] = c.Status
	}
	for cell, want := range map[string]results.Status{
		"sim-b/1.36/deploy":   results.Passed,
		"sim-b/1.36/terminal": results.Failed,
		"sim-b/1.37/terminal": results.AllowedFailure,
	} {
		if status[cell] != want {
			t.Errorf("%s = %q, want %s", cell, status[cell], want)
		}
	}
	for cell, s := range status {
		if !strings.HasPrefix(cell, "sim-b/") && s != results.Excluded && s != results.NotRun {
			t.Errorf("%s = %s, but --only selected sim-b", cell, s)
		}
	}
	table, err := os.ReadFile(filepath.Join(out, "SUPPORT.md"))
	if err != nil || !strings.Contains(string(table), "failing") {
		t.Errorf("SUPPORT.md does not show sim-b failing: %v\n%s", err, table)
	}
	if !strings.Contains(stderr, "passed ") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
}

func TestRunNeedsLocal(t *testing.T) {
	t.Parallel()
	if code, _, stderr := runCLI(t, "run"); code != ExitUsage || !strings.Contains(stderr, "--local") {
		t.Errorf("run without --local: exit %d, %s", code, stderr)
	}
}
