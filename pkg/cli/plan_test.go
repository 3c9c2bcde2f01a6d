package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
	"gitlab.com/supportmatrix/supportmatrix/jobs"
)

func TestValidateExamples(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../examples/*/matrix.yaml")
	files = append(files, "../../matrix/matrix.yaml")
	if len(files) < 4 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		if testing.Short() && strings.Contains(f, "examples/large/") {
			continue // -short: 6,660 cells through the generator
		}
		args := []string{"validate", "--matrix", f, "--date", "2026-11-22"}
		if dir := filepath.Join(filepath.Dir(f), "templates"); isDir(dir) {
			args = append(args, "--templates", dir)
		}
		code, out, errOut := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, ": valid: ") {
			t.Errorf("validate %s: exit %d\n%s%s", f, code, out, errOut)
		}
	}
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func TestValidateFormats(t *testing.T) {
	t.Parallel()
	const bad = "../matrix/testdata/invalid-references.yaml"
	for _, format := range []string{"text", "json", "codequality"} {
		t.Run(format, func(t *testing.T) {
			code, out, errOut := runCLI(t, "validate", "--matrix", bad, "--format", format, "--date", "2026-11-22")
			if code != ExitInvalid {
				t.Errorf("exit %d, want 1", code)
			}
			golden.Assert(t, "validate-references."+format, []byte(out+errOut))
			if format != "text" && !json.Valid([]byte(out)) {
				t.Errorf("%s output is not JSON", format)
			}
		})
	}
}

func TestValidateUsage(t *testing.T) {
	t.Parallel()
	if code, _, _ := runCLI(t, "validate", "--format", "yaml"); code != ExitUsage {
		t.Errorf("bad --format: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "validate", "--no-such-flag"); code != ExitUsage {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	// A file given as an argument was ignored and the default matrix checked.
	if code, out, errOut := runCLI(t, "validate", "../../examples/minimal/matrix.yaml"); code != ExitUsage || out != "" ||
		!strings.Contains(errOut, "use --matrix ../../examples/minimal/matrix.yaml") {
		t.Errorf("positional argument: exit %d, stdout %q, stderr %q; want exit 2 suggesting --matrix", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "validate", "--matrix", "does/not/exist.yaml"); code != ExitInvalid || !strings.Contains(errOut, "does/not/exist.yaml") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
}

func TestPlanGolden(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			code, out, errOut := runCLI(t, "plan", "--matrix", "../../examples/minimal/matrix.yaml", "--format", format)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden.Assert(t, "plan-minimal."+format, []byte(out))
		})
	}
}

// TestPlanJSONListsExactlyTheCells checks plan --format json against the
// expansion rules on the project's matrix: every offered minor × feature is
// listed once, excluded cells carry reasons.
func TestPlanJSONListsExactlyTheCells(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "plan", "--matrix", "../../matrix/matrix.yaml", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p struct {
		Schema string `json:"schema"`
		Cells  []struct{ Cell, Action, Reason string }
		Jobs   int `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range p.Cells {
		if seen[c.Cell] {
			t.Errorf("%s listed twice", c.Cell)
		}
		seen[c.Cell] = true
		if c.Action == "exclude" && c.Reason == "" {
			t.Errorf("%s is excluded without a reason", c.Cell)
		}
	}
	if p.Schema != "supportmatrix/plan/v1" || p.Jobs == 0 || len(p.Cells) == 0 {
		t.Errorf("plan = %s, %d jobs, %d cells", p.Schema, p.Jobs, len(p.Cells))
	}
}

// TestPlanBase compares with another matrix file and with a git ref.
func TestPlanBase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base, err := os.ReadFile("../../examples/minimal/matrix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Replace(string(base), "features:\n", "features:\n  extra:\n    name: An extra feature\n    template: deploy\n", 1)
	if head == string(base) {
		t.Fatal("could not edit the minimal example")
	}
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	basePath := write("base.yaml", string(base))
	headPath := write("matrix.yaml", head)
	code, out, errOut := runCLI(t, "plan", "--matrix", headPath, "--base", basePath, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p struct {
		Added, Removed, Changed []string
		Jobs                    int
		ChangedJobs             int `json:"changed_jobs"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Added) == 0 || len(p.Removed) != 0 || len(p.Changed) != 0 {
		t.Errorf("added %v removed %v changed %v", p.Added, p.Removed, p.Changed)
	}
	for _, id := range p.Added {
		if !strings.HasSuffix(id, "/extra") {
			t.Errorf("added %s, want only extra cells", id)
		}
	}
	if p.ChangedJobs == 0 || p.ChangedJobs >= p.Jobs {
		t.Errorf("changed-only jobs %d of %d", p.ChangedJobs, p.Jobs)
	}

	// A change to deploy re-runs runner, which needs it: the scope holds
	// the dependents, and the job count follows it.
	deployHead := write("deploy.yaml", strings.Replace(string(base), "  deploy:\n", "  deploy:\n    timeout: 5m\n", 1))
	code, out, errOut = runCLI(t, "plan", "--matrix", deployHead, "--base", basePath, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var d struct {
		Changed, Scope []string
		Jobs           int
		ChangedJobs    int `json:"changed_jobs"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	wantScope := []string{"kind/1.36/deploy", "kind/1.36/runner", "kind/1.37/deploy", "kind/1.37/runner"}
	if strings.Join(d.Changed, " ") != "kind/1.36/deploy kind/1.37/deploy" || strings.Join(d.Scope, " ") != strings.Join(wantScope, " ") {
		t.Errorf("changed %v, scope %v; want the deploy cells changed and %v in scope", d.Changed, d.Scope, wantScope)
	}
	if d.ChangedJobs != d.Jobs {
		t.Errorf("every cell is in scope, yet %d of %d jobs run", d.ChangedJobs, d.Jobs)
	}

	// The same through git: commit the base, edit, compare with HEAD.
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	m := filepath.Join(repo, "matrix.yaml")
	if err := os.WriteFile(m, base, 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-qm", "base")
	if err := os.WriteFile(m, []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out2, errOut := runIn(t, gitVars(), "plan", "--matrix", m, "--base", "HEAD", "--format", "json")
	if code != 0 {
		t.Fatalf("git base: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out2, `"added": [`) || !strings.Contains(out2, "/extra") {
		t.Errorf("git base plan lacks the added cells:\n%s", out2)
	}
	if code, _, errOut := runIn(t, gitVars(), "plan", "--matrix", m, "--base", "no-such-ref"); code != ExitInvalid || !strings.Contains(errOut, "no-such-ref is not a commit") {
		t.Errorf("unknown ref: exit %d, %s", code, errOut)
	}
	// git is looked for in the command's environment, not the process's.
	if code, _, errOut := runCLI(t, "plan", "--matrix", m, "--base", "HEAD"); code != ExitInvalid || !strings.Contains(errOut, "reading HEAD: git is not in the PATH") {
		t.Errorf("no git in the environment: exit %d, %s", code, errOut)
	}
}

// TestPlanActiveJobs: plan says how many jobs a full run takes against
// GitLab.com's limit on the jobs of all running pipelines of a project
// (lib/gitlab/ci/pipeline/chain/limit/active_jobs.rb), which sharding does
// not lift, and which tier holds it.
func TestPlanActiveJobs(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: plans the 6,660-cell large example")
	}
	code, out, errOut := runCLI(t, "plan", "--matrix", "../../examples/large/matrix.yaml")
	if code != 0 || !strings.Contains(out, "more than Free's 500, it needs GitLab.com Premium") {
		t.Errorf("large example: exit %d, want the Premium tier named:\n%s%s", code, out, errOut)
	}
}

// TestValidateReadsTheEnvClock: without --date, validate judges the
// Kubernetes calendar on the day of the Env's clock, never the process's,
// and exactly as --date with that day does.
func TestValidateReadsTheEnvClock(t *testing.T) {
	t.Parallel()
	run := func(now time.Time, args ...string) string {
		var stdout, stderr bytes.Buffer
		env := Env{Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return now }}
		Run(context.Background(), append([]string{"supportmatrix", "validate", "--matrix", "../../examples/minimal/matrix.yaml"}, args...), env)
		return stdout.String() + stderr.String()
	}
	late := time.Date(2031, 6, 1, 15, 4, 5, 0, time.UTC)
	byClock := run(late)
	byDate := run(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), "--date", "2031-06-01")
	if byClock != byDate {
		t.Errorf("the Env's clock on 2031-06-01 and --date 2031-06-01 differ:\n%s\n---\n%s", byClock, byDate)
	}
	if early := run(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)); early == byClock {
		t.Errorf("validate gave the same output in 2026 and 2031: the clock was not read\n%s", early)
	}
}

// TestPlanBaseLibraryChange: the shell library is part of every template's
// fingerprint (jobs.TemplateHash). A base commit whose templates directory
// holds another jobs/lib/junit.sh marks every cell changed; the same
// library marks none.
func TestPlanBaseLibraryChange(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	matrixData, err := os.ReadFile("../../examples/minimal/matrix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		baseLibrary string
		allChanged  bool
	}{
		{"same library", jobs.LibrarySource(), false},
		{"another library", jobs.LibrarySource() + "# a line the head's library lacks\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := t.TempDir()
			git := func(args ...string) {
				cmd := exec.Command("git", args...)
				cmd.Dir = repo
				cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			lib := filepath.Join(repo, "jobs", filepath.FromSlash(jobs.LibraryRel))
			if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
				t.Fatal(err)
			}
			m := filepath.Join(repo, "matrix.yaml")
			for path, data := range map[string]string{lib: tc.baseLibrary, m: string(matrixData)} {
				if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			git("init", "-q")
			git("add", ".")
			git("commit", "-qm", "base")
			code, out, errOut := runIn(t, gitVars(), "plan", "--matrix", m, "--templates", filepath.Join(repo, "jobs"), "--base", "HEAD", "--format", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var p struct {
				Cells []struct {
					Cell, Action string
				}
				Changed []string
			}
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatal(err)
			}
			run := 0
			for _, c := range p.Cells {
				if c.Action != "exclude" {
					run++
				}
			}
			if tc.allChanged && (run == 0 || len(p.Changed) < run) {
				t.Errorf("%d of %d cells changed, want every cell: %v", len(p.Changed), run, p.Changed)
			}
			if !tc.allChanged && len(p.Changed) != 0 {
				t.Errorf("changed %v, want none", p.Changed)
			}
		})
	}
}
