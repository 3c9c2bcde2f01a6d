package localci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// validateStateDir keeps Validate's files apart from a run's.
const validateStateDir = ".gitlab-ci-local-validate"

// Validate checks pipeline files in dir against GitLab's CI schema, as
// gitlab-ci-local does before it runs anything (`--preview`), without
// running a job. files are relative to dir; none means .gitlab-ci.yml. The
// error lists every schema violation gitlab-ci-local reported. bin is the
// gitlab-ci-local executable (Find, LookupIn); env (KEY=value) is its
// environment, whose PATH finds node and git (Options.Env).
func Validate(ctx context.Context, bin string, env []string, dir string, files ...string) error {
	if bin == "" {
		return fmt.Errorf("validate pipeline: %w: no executable given", ErrNotFound)
	}
	if len(files) == 0 {
		files = []string{".gitlab-ci.yml"}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("validate pipeline: %w", err)
	}
	defer os.RemoveAll(filepath.Join(abs, validateStateDir))
	var errs []error
	for _, f := range files {
		_, stderr, err := preview(ctx, bin, env, abs, f)
		if ctx.Err() != nil {
			return fmt.Errorf("validate %s: %w", f, ctx.Err())
		}
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			errs = append(errs, fmt.Errorf("%s: %s", filepath.Join(dir, f), schemaProblems(stderr)))
		} else if err != nil {
			return fmt.Errorf("validate %s: run gitlab-ci-local: %w", f, err)
		}
	}
	return errors.Join(errs...)
}

// Preview returns the pipeline file (relative to dir, a git repository) as
// gitlab-ci-local expands it before running it: includes added with their
// inputs interpolated, extends and !reference resolved, hidden jobs dropped,
// CI variables left as they are. Run reads the jobs of the file it is given,
// not of the files it includes: give it the preview of a file that includes
// jobs. bin is the gitlab-ci-local executable (Find, LookupIn); env
// (KEY=value) is its environment, whose PATH finds node and git
// (Options.Env).
func Preview(ctx context.Context, bin string, env []string, dir, file string) ([]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("preview pipeline: %w", err)
	}
	defer os.RemoveAll(filepath.Join(abs, validateStateDir))
	out, stderr, err := preview(ctx, bin, env, abs, file)
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("preview %s: %w", file, ctx.Err())
	case errors.As(err, &exitErr):
		return nil, fmt.Errorf("preview %s: %s", filepath.Join(dir, file), schemaProblems(stderr))
	case err != nil:
		return nil, fmt.Errorf("preview %s: run gitlab-ci-local: %w", file, err)
	}
	return out, nil
}

// preview runs gitlab-ci-local --preview on file in the directory abs,
// with the environment env.
func preview(ctx context.Context, bin string, env []string, abs, file string) (stdout []byte, stderr string, err error) {
	if bin == "" {
		return nil, "", fmt.Errorf("%w: no executable given", ErrNotFound)
	}
	cmd := exec.CommandContext(ctx, bin, "--preview", "--file", file, "--state-dir", validateStateDir,
		"--home", abs, "--no-color", "--ignore-predefined-vars", "CI_PIPELINE_SOURCE")
	cmd.Dir = abs
	cmd.Env = cleanEnv(env)
	var out, errBuf bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errBuf
	err = cmd.Run()
	return out.Bytes(), errBuf.String(), err
}

// noise are the lines of gitlab-ci-local's stderr that do not describe the
// pipeline: git fallbacks in a repository without commits or remote, timings,
// stack frames.
var noise = []string{"Using fallback", "  Command failed", "fatal:", "Use '--' to", "HEAD",
	"Unable to retrieve", "error: No such remote", "parsing and downloads", "json schema validated", "    at "}

// schemaProblems keeps the lines of gitlab-ci-local's complaint that say
// what is wrong, leaving out git warnings and troubleshooting advice.
func schemaProblems(stderr string) string {
	var keep []string
lines:
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "For further troubleshooting") {
			break
		}
		for _, n := range noise {
			if strings.HasPrefix(line, n) {
				continue lines
			}
		}
		if t := strings.TrimSpace(line); t != "" {
			keep = append(keep, t)
		}
	}
	if len(keep) == 0 {
		return tail(strings.TrimSpace(stderr), 10)
	}
	return strings.Join(keep, "\n")
}
