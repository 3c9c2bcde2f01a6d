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
	var stdout, stderr bytes.Buffer
	environ := make([]string, 0, len(vars))
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	env := Env{
		Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] }, Environ: environ,
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
