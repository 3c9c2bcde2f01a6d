package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docsFixture returns the matrix of a pkg/docs fixture.
func docsFixture(name string) string {
	return filepath.Join("..", "docs", "testdata", name, "matrix", "matrix.yaml")
}

func docsRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append([]string{"docs"}, args...)...)
}

func TestDocsCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture string
		code    int
		stdout  []string // lines stdout must hold
		stderr  string
	}{
		{"complete", ExitOK, []string{"the program is whole: 2 distributions with requirements, every one met"}, ""},
		{"missing-page", ExitInvalid, []string{
			"testdata/missing-page/matrix/matrix.yaml:17:11: warning: distributions.gke.docs: official distribution's docs page: ../docs/testdata/missing-page/docs/distributions/gke.md does not exist [docs-missing]",
		}, "docs check failed: 2 gaps"},
		{"missing-section", ExitInvalid, []string{
			"../docs/testdata/missing-section/docs/distributions/gke.md:1:1: warning: distributions.gke.docs: no section for feature area runner",
		}, "docs check failed: 7 gaps"},
		{"ephemeral-official", ExitInvalid, []string{
			"../docs/testdata/ephemeral-official/matrix/matrix.yaml:13:7: warning: distributions.k3s.cluster: official distribution runs on an ephemeral cluster",
		}, "docs check failed: 1 gap"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			code, stdout, stderr := docsRun(t, "--matrix", docsFixture(tc.fixture), "--check")
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
		})
	}
}

func TestDocsExplainAndProgram(t *testing.T) {
	t.Parallel()
	file := docsFixture("complete")
	code, stdout, stderr := docsRun(t, "--matrix", file, "--explain", "kind", "--results", filepath.Join(filepath.Dir(file), "results.json"))
	if code != ExitOK {
		t.Fatalf("explain: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"# kind (`kind`)", "Still missing for beta:", "Still missing for official:", "| 1.35 | `community` | 1 of 3 | 2026-11-15 | yes |"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, stdout)
		}
	}

	out := filepath.Join(t.TempDir(), "PROGRAM.md")
	code, _, stderr = docsRun(t, "--matrix", file, "--program", "--out", out, "--results", filepath.Join(filepath.Dir(file), "results.json"))
	if code != ExitOK {
		t.Fatalf("program: exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = docsRun(t, "--matrix", file, "--program", "--results", filepath.Join(filepath.Dir(file), "results.json"))
	if code != ExitOK || !strings.HasPrefix(stdout, "# Support program\n") {
		t.Fatalf("program to stdout: exit %d:\n%s", code, stdout)
	}
	// On standard output, links are relative to matrix/, as in the golden file.
	want, err := os.ReadFile(filepath.Join("..", "docs", "testdata", "complete", "PROGRAM.md.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) {
		t.Errorf("docs --program differs from pkg/docs/testdata/complete/PROGRAM.md.golden:\n%s", stdout)
	}
	// Written to --out, links are relative to that file's directory.
	if !strings.Contains(string(got), "## Path to certification") {
		t.Errorf("PROGRAM.md written to --out is incomplete:\n%s", got)
	}
}

func TestDocsUsage(t *testing.T) {
	t.Parallel()
	file := docsFixture("complete")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no mode", []string{"--matrix", file}, ExitUsage, "give exactly one of"},
		{"two modes", []string{"--matrix", file, "--check", "--program"}, ExitUsage, "give exactly one of"},
		{"out without program", []string{"--matrix", file, "--check", "--out", "x.md"}, ExitUsage, "--out goes with --program"},
		{"unknown distribution", []string{"--matrix", file, "--explain", "nope"}, ExitUsage, `no distribution "nope"`},
		{"missing matrix", []string{"--matrix", "no/such.yaml", "--check"}, ExitInvalid, "read matrix"},
		{"root not a directory", []string{"--matrix", file, "--root", file, "--check"}, ExitInvalid, "is not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := docsRun(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}
