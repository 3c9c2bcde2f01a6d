package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
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

// minimalVariant writes the minimal example with old replaced by new, a
// base to compare it with.
func minimalVariant(t *testing.T, old, new string) string {
	t.Helper()
	src, err := os.ReadFile(minimalMatrix)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), old, new, 1)
	if changed == string(src) {
		t.Fatalf("fixture: the minimal example no longer has %q", old)
	}
	path := filepath.Join(t.TempDir(), "base.yaml")
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestGenerateProfiles(t *testing.T) {
	t.Parallel()
	// The base differs from the minimal example in runner's needs only.
	base := minimalVariant(t, "    needs: [deploy]", "    needs: []")
	// Another base differs in deploy's timeout only: runner needs deploy
	// and consumes what it installed, so it re-runs too (SPEC: the cells
	// that need a changed cell).
	deployBase := minimalVariant(t, "  deploy:\n", "  deploy:\n    timeout: 5m\n")
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

// readDir reads every file of dir by name.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

// TestGeneratePlan: generate --plan writes plan.md beside the pipeline, the
// very bytes `plan --format markdown` prints against the same base, which
// generate takes from --base or $CI_MERGE_REQUEST_DIFF_BASE_SHA as it does
// for its changed profile; the same inputs write the same bytes, a re-run
// replaces a directory holding a plan, and a failed run leaves the
// previous output, plan included, as it was.
func TestGeneratePlan(t *testing.T) {
	t.Parallel()
	base := minimalVariant(t, "    needs: [deploy]", "    needs: []")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		plan []string // the plan command printing the same plan
	}{
		{name: "no base", args: []string{"--profile", "all"}, plan: []string{}},
		{name: "base flag", args: []string{"--profile", "changed", "--base", base}, plan: []string{"--base", base}},
		{name: "merge request", env: map[string]string{"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_DIFF_BASE_SHA": base}, plan: []string{"--base", base}},
		{name: "base with the all profile", args: []string{"--profile", "all", "--base", base}, plan: []string{"--base", base}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, want, stderr := runCLI(t, append([]string{"plan", "--matrix", minimalMatrix, "--format", "markdown"}, tt.plan...)...)
			if code != 0 {
				t.Fatalf("plan: exit %d\n%s", code, stderr)
			}
			if len(tt.plan) > 0 && !strings.Contains(want, "### Against") {
				t.Fatalf("plan --base shows no change:\n%s", want)
			}
			var runs []map[string]string
			out := filepath.Join(t.TempDir(), "out")
			for range 2 {
				args := append([]string{"generate", "--matrix", minimalMatrix, "--plan", "--out", out}, tt.args...)
				code, _, stderr := runIn(t, tt.env, args...)
				if code != 0 {
					t.Fatalf("generate --plan: exit %d\n%s", code, stderr)
				}
				if !strings.Contains(stderr, filepath.Join(out, "plan.md")) {
					t.Errorf("generate does not say it wrote plan.md:\n%s", stderr)
				}
				runs = append(runs, readDir(t, out))
			}
			if got := runs[0]["plan.md"]; got != want {
				t.Errorf("plan.md differs from plan --format markdown:\n%s\nwant:\n%s", got, want)
			}
			if !reflect.DeepEqual(runs[0], runs[1]) {
				t.Error("a second run on the same inputs wrote different files")
			}
		})
	}

	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, "generate", "--matrix", minimalMatrix, "--plan", "--base", base, "--out", out); code != 0 {
		t.Fatalf("generate --plan: exit %d\n%s", code, stderr)
	}
	before := readDir(t, out)
	if code, _, stderr := runIn(t, gitVars(), "generate", "--matrix", minimalMatrix, "--plan", "--base", "no-such-ref-"+t.Name(), "--out", out); code == 0 || !strings.Contains(stderr, "no-such-ref") {
		t.Errorf("generate --plan against a missing base: exit %d, want a failure naming it\n%s", code, stderr)
	}
	if after := readDir(t, out); !reflect.DeepEqual(after, before) {
		t.Errorf("a failed generate --plan changed %s", out)
	}
	if code, _, stderr := runCLI(t, "generate", "--matrix", minimalMatrix, "--out", out); code != 0 {
		t.Fatalf("generate into a directory holding a plan: exit %d\n%s", code, stderr)
	}
	if _, ok := readDir(t, out)["plan.md"]; ok {
		t.Error("generate without --plan left the previous plan.md: the directory mixes two runs")
	}
}

// TestGeneratePlanArchive: GitLab includes pipeline.yml only from a job
// whose whole artifacts archive is at most 5 MiB
// (lib/gitlab/ci/artifact_file_reader.rb, MAX_ARCHIVE_SIZE against the
// archive's size), and at ARTIFACT_COMPRESSION_LEVEL=fastest the runner
// stores the files uncompressed (gitlab-runner
// commands/helpers/archive/fastzip/zip_fastzip_archiver.go, zip.Store).
// Output that fits without its plan but not with it is refused at that
// level, naming the variable to set and the plan, and leaves --out as it
// was; at a compressing level it is written. -short skips it: its matrix
// is megabytes (pkg/generate's TestPlanCountedInArchive holds the rule in
// -short).
func TestGeneratePlanArchive(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: a matrix of megabytes")
	}
	// One excluded feature whose reason fills the plan: the plan lists the
	// reason once per distribution, the generated files do not hold the
	// excluded cells. A matrix file is at most 4 MiB, so the reason is
	// shared by four distributions.
	const dists = 4
	withReason := func(reason string) string {
		var b strings.Builder
		b.WriteString("schema: supportmatrix/v1\nkubernetes:\n  versions: [\"1.36\", \"1.37\"]\ndistributions:\n")
		for i := range dists {
			fmt.Fprintf(&b, "  kind-%d:\n    name: kind %d\n    tier: community\n    cluster: {type: ephemeral, provision: kind-provision, teardown: kind-teardown}\n", i, i)
		}
		b.WriteString("features:\n  deploy:\n    name: Deploy\n  runner:\n    name: Runner\n    needs: [deploy]\n")
		b.WriteString("rules:\n  - match: {feature: runner}\n    action: exclude\n    reason: " + reason + "\n")
		path := filepath.Join(t.TempDir(), "matrix.yaml")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	size := func(files map[string]string) int {
		n := 0
		for _, data := range files {
			n += len(data)
		}
		return n
	}
	const limit = cicheck.MaxArtifactArchive
	fastest := map[string]string{"ARTIFACT_COMPRESSION_LEVEL": "fastest"}
	short := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runIn(t, fastest, "generate", "--matrix", withReason("short"), "--out", short); code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	generated := size(readDir(t, short))
	// A plan about as large as the limit less half the generated files:
	// each fits alone, together they do not.
	reasons := limit - generated/2
	matrixFile := withReason(strings.Repeat("x", reasons/dists))
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runIn(t, fastest, "generate", "--matrix", matrixFile, "--out", out); code != 0 {
		t.Fatalf("generate without --plan at fastest: exit %d, want the files to fit\n%s", code, stderr)
	}
	before := readDir(t, out)
	if got := size(before); got != generated {
		t.Fatalf("the reason changed the generated files: %d bytes, %d with a short one", got, generated)
	}
	t.Logf("generated files %d bytes, plan about %d, limit %d", generated, reasons, limit)
	code, _, stderr := runIn(t, fastest, "generate", "--matrix", matrixFile, "--plan", "--out", out)
	if code != 1 {
		t.Fatalf("generate --plan at fastest: exit %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{"ARTIFACT_COMPRESSION_LEVEL=fastest", "plan.md among them", "set ARTIFACT_COMPRESSION_LEVEL to fast or above"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("generate --plan at fastest does not say %q:\n%.600s", want, stderr)
		}
	}
	if after := readDir(t, out); !reflect.DeepEqual(after, before) {
		t.Errorf("the refused generate --plan changed %s", out)
	}
	code, _, stderr = runIn(t, map[string]string{"ARTIFACT_COMPRESSION_LEVEL": "fast"}, "generate", "--matrix", matrixFile, "--plan", "--out", out)
	if code != 0 {
		t.Fatalf("generate --plan at fast: exit %d\n%.600s", code, stderr)
	}
	if plan := readDir(t, out)["plan.md"]; len(plan) < reasons || len(plan) > limit || size(readDir(t, out))-len(plan) != generated {
		t.Errorf("at fast: plan.md of %d bytes beside %d generated; want the reason in it and the same files", len(plan), generated)
	}
}
