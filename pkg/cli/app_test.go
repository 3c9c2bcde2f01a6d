package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestEnvVarsHaveOneMeaning refuses an environment variable that two
// commands read for flags that mean different things: setting
// SUPPORTMATRIX_FORMAT=json for plan must not change what versions prints.
// A variable may be shared only by flags of the same name whose meaning
// does not depend on the command; GitLab's predefined CI_* variables mean
// what GitLab says wherever they are read.
func TestEnvVarsHaveOneMeaning(t *testing.T) {
	t.Parallel()
	perCommand := map[string]bool{"format": true, "out": true, "concurrency": true, "check": true}
	owner := map[string]string{} // variable -> "command --flag"
	for _, cmd := range definitions() {
		for _, f := range cmd.Flags {
			name := f.Names()[0]
			for _, v := range envVarsOf(f) {
				if strings.HasPrefix(v, "CI_") {
					continue
				}
				if prev, ok := owner[v]; ok {
					if !strings.HasSuffix(prev, " --"+name) || perCommand[name] {
						t.Errorf("$%s is read by %s and by %s --%s", v, prev, cmd.Name, name)
					}
					continue
				}
				owner[v] = cmd.Name + " --" + name
			}
		}
	}
	if len(owner) < 15 {
		t.Fatalf("found only %d variables: the walk is broken", len(owner))
	}
}

func envVarsOf(f cli.Flag) []string {
	if e, ok := f.(interface{ GetEnvVars() []string }); ok {
		return e.GetEnvVars()
	}
	return nil
}

// TestEnvComesFromEnv checks that flags read the Env passed to Run, an
// explicit flag wins over it, and a bad value is a usage error naming the
// variable.
func TestEnvComesFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SUPPORTMATRIX_PLAN_FORMAT": "json", "SUPPORTMATRIX_VERSIONS_FORMAT": "yaml"}
	code, out, errOut := runIn(t, env, "plan", "--matrix", minimalMatrix)
	if code != 0 || !strings.HasPrefix(out, "{") {
		t.Errorf("plan with $SUPPORTMATRIX_PLAN_FORMAT=json: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runIn(t, env, "plan", "--matrix", minimalMatrix, "--format", "text")
	if code != 0 || !strings.HasPrefix(out, "CELL") {
		t.Errorf("--format text did not win over the environment: exit %d\n%s", code, out)
	}
	code, _, errOut = runIn(t, map[string]string{"SUPPORTMATRIX_RUN_CONCURRENCY": "many"}, "run", "--local")
	if code != ExitUsage || !strings.Contains(errOut, "SUPPORTMATRIX_RUN_CONCURRENCY") {
		t.Errorf("bad $SUPPORTMATRIX_RUN_CONCURRENCY: exit %d, %s", code, errOut)
	}
}

// TestPositionalArgumentsRefused: a command that takes no arguments says
// so instead of ignoring them (and, say, checking the default matrix), and
// says it before looking for a matrix: `validate other.yaml` run where
// there is none is told about --matrix, not that no matrix was found.
func TestPositionalArgumentsRefused(t *testing.T) {
	t.Parallel()
	nowhere := t.TempDir()
	for _, cmd := range commands() {
		t.Run(cmd.Name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCLI(t, cmd.Name, "--matrix", minimalMatrix, "stray.yaml")
			if code != ExitUsage || !strings.Contains(errOut, `"stray.yaml"`) {
				t.Errorf("exit %d, %q; want 2 naming the argument", code, errOut)
			}
			code, _, errOut = runInDir(t, nowhere, nil, cmd.Name, "stray.yaml")
			if code != ExitUsage || !strings.Contains(errOut, `"stray.yaml"`) || strings.Contains(errOut, "no matrix") {
				t.Errorf("in a directory without a matrix: exit %d, %q; want 2 naming the argument", code, errOut)
			}
		})
	}
	code, _, errOut := runInDir(t, nowhere, nil, "validate", "other.yaml")
	if want := "use --matrix other.yaml"; code != ExitUsage || !strings.Contains(errOut, want) {
		t.Errorf("validate other.yaml: exit %d, %q; want 2 and %q", code, errOut, want)
	}
}

// TestHelpTeaches: every command's help shows an example command line and
// the environment variable of each flag.
func TestHelpTeaches(t *testing.T) {
	t.Parallel()
	for _, cmd := range commands() {
		t.Run(cmd.Name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, cmd.Name, "--help")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !strings.Contains(out, "   supportmatrix "+cmd.Name+" ") && !strings.Contains(out, "   supportmatrix "+cmd.Name+"\n") {
				t.Errorf("help has no example (an indented \"supportmatrix %s ...\" line):\n%s", cmd.Name, out)
			}
			if !strings.Contains(out, "[$SUPPORTMATRIX_") {
				t.Errorf("help shows no environment variable:\n%s", out)
			}
		})
	}
}

// TestFindsMatrixFromSubdirectory runs plan from a subdirectory of a
// repository, as git runs from anywhere in its work tree, and from a
// repository without a matrix, where it says where it looked.
func TestFindsMatrixFromSubdirectory(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	src, err := os.ReadFile(minimalMatrix)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{".git", "matrix", "docs/deep"} {
		if err := os.MkdirAll(filepath.Join(repo, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, "matrix", "matrix.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(dir string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), append([]string{"supportmatrix"}, args...), Env{Stdout: &stdout, Stderr: &stderr, Dir: dir})
		return code, stdout.String(), stderr.String()
	}
	_, want, _ := runCLI(t, "plan", "--matrix", minimalMatrix)
	code, got, errOut := run(filepath.Join(repo, "docs", "deep"), "plan")
	if code != 0 || got != want {
		t.Errorf("plan from docs/deep: exit %d\n%s\n%s\nwant:\n%s", code, got, errOut, want)
	}

	empty := t.TempDir()
	if err := os.MkdirAll(filepath.Join(empty, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(empty, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(filepath.Join(empty, "sub"), "plan")
	if code != ExitInvalid || !strings.Contains(errOut, "no matrix/matrix.yaml in "+filepath.Join(empty, "sub")) || !strings.Contains(errOut, "up to "+empty) {
		t.Errorf("no matrix: exit %d, %q; want where it looked", code, errOut)
	}
}
