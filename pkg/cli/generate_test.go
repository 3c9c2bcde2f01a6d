package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const minimalMatrix = "../../examples/minimal/matrix.yaml"

// manifestCells reads the cells a generated manifest runs.
func manifestCells(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Cells []string `json:"cells"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m.Cells
}

func TestGenerateProfiles(t *testing.T) {
	t.Parallel()
	// The base differs from the minimal example in runner's needs only.
	src, err := os.ReadFile(minimalMatrix)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "base.yaml")
	changed := strings.Replace(string(src), "    needs: [deploy]", "    needs: []", 1)
	if changed == string(src) {
		t.Fatal("fixture: the minimal example no longer has runner's needs line")
	}
	if err := os.WriteFile(base, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	// Another base differs in deploy's timeout only: runner needs deploy
	// and consumes what it installed, so it re-runs too (SPEC: the cells
	// that need a changed cell).
	deployBase := filepath.Join(t.TempDir(), "base.yaml")
	deployChanged := strings.Replace(string(src), "  deploy:\n", "  deploy:\n    timeout: 5m\n", 1)
	if deployChanged == string(src) {
		t.Fatal("fixture: the minimal example no longer has a deploy feature")
	}
	if err := os.WriteFile(deployBase, []byte(deployChanged), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		cells  []string // nil: not checked
		stderr string
	}{
		{name: "all", args: []string{"--profile", "all"}, code: 0,
			cells: []string{"kind/1.36/deploy", "kind/1.36/runner", "kind/1.37/deploy", "kind/1.37/runner"}, stderr: "profile all: 4 of 4 cells"},
		{name: "changed runs changed cells and what they need", args: []string{"--profile", "changed", "--base", base}, code: 0,
			cells: []string{"kind/1.36/deploy", "kind/1.36/runner", "kind/1.37/deploy", "kind/1.37/runner"}},
		{name: "changed re-runs the cells that need a changed cell", args: []string{"--profile", "changed", "--base", deployBase}, code: 0,
			cells: []string{"kind/1.36/deploy", "kind/1.36/runner", "kind/1.37/deploy", "kind/1.37/runner"}},
		{name: "changed against itself runs nothing", args: []string{"--profile", "changed", "--base", minimalMatrix}, code: 0,
			cells: []string{}, stderr: "0 of 4 cells, 1 jobs"},
		{name: "profile from the pipeline source", env: map[string]string{"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_DIFF_BASE_SHA": ""},
			code: 2, stderr: "give --base"},
		{name: "changed without base", args: []string{"--profile", "changed"}, code: 2, stderr: "give --base"},
		{name: "bad profile", args: []string{"--profile", "some"}, code: 2, stderr: "use all or changed"},
		{name: "only", args: []string{"--only", "*/1.37/deploy"}, code: 0, cells: []string{"kind/1.37/deploy"}},
		{name: "only pulls in needs", args: []string{"--only", "kind/1.36/runner"}, code: 0, cells: []string{"kind/1.36/deploy", "kind/1.36/runner"}},
		{name: "only matching nothing", args: []string{"--only", "gke"}, code: 1, stderr: "matches no cell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"generate", "--matrix", minimalMatrix, "--out", out}, tt.args...)
			code, _, stderr := runIn(t, tt.env, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q does not say %q", stderr, tt.stderr)
			}
			if code != 0 {
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("a failed generate wrote %s", out)
				}
				return
			}
			if got := manifestCells(t, out); tt.cells != nil && !reflect.DeepEqual(got, tt.cells) {
				t.Errorf("cells %v, want %v", got, tt.cells)
			}
		})
	}
}

// TestGenerateKeepsForeignDirectory refuses to replace a directory holding
// files generate did not write, and leaves it untouched.
func TestGenerateKeepsForeignDirectory(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	keep := filepath.Join(out, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "generate", "--matrix", minimalMatrix, "--profile", "all", "--out", out)
	if code != 1 || !strings.Contains(stderr, "notes.txt") {
		t.Fatalf("exit %d, want 1 naming notes.txt:\n%s", code, stderr)
	}
	if data, err := os.ReadFile(keep); err != nil || string(data) != "mine" {
		t.Errorf("notes.txt changed: %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(out, "pipeline.yml")); !os.IsNotExist(err) {
		t.Errorf("pipeline.yml written next to a foreign file")
	}
}
