package cli

import (
	"bytes"
	"context"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
)

// runIn runs the CLI in-process with vars as its whole environment and
// returns the exit code and both streams. GitLab clients retry without
// waiting: the retry policy is pkg/gitlab's, tested there.
func runIn(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return runInDir(t, "", vars, args...)
}

// runInDir is runIn with the working directory set, as in a CI job ("" is
// the process's).
func runInDir(t *testing.T, dir string, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	environ := make([]string, 0, len(vars))
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	env := Env{
		Stdout: &stdout, Stderr: &stderr, Dir: dir, Environ: environ,
		GitLab: func(c *gitlab.Config) { c.Sleep = func(time.Duration) {} },
	}
	code := Run(context.Background(), append([]string{"supportmatrix"}, args...), env)
	return code, stdout.String(), stderr.String()
}

// runCLI runs the CLI in-process in an empty environment.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runIn(t, nil, args...)
}

// TestGetenv reads a variable as os.Getenv would from the same list: the
// first entry of a name wins, an empty value is "", and a name is matched
// whole, not as a prefix.
func TestGetenv(t *testing.T) {
	t.Parallel()
	env := Env{Environ: []string{"A=1", "AB=2", "A=3", "E=", "NOEQUALS"}}
	for name, want := range map[string]string{"A": "1", "AB": "2", "E": "", "NOEQUALS": "", "B": ""} {
		if got := env.getenv(name); got != want {
			t.Errorf("getenv(%q) = %q, want %q", name, got, want)
		}
	}
	if got := (Env{}).getenv("A"); got != "" {
		t.Errorf("a nil environment gives %q", got)
	}
}
