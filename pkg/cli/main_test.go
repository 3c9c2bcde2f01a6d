package cli

import (
	"bytes"
	"context"
	"os"
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

// gitVars is an environment git runs in: the process's PATH, which the
// command line looks for git in (gitrepo.Open).
func gitVars() map[string]string {
	return map[string]string{"PATH": os.Getenv("PATH")}
}
