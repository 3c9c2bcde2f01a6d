// Package program holds the sequences the supportmatrix commands run: load
// the matrix, expand it, generate, run with gitlab-ci-local, collect,
// record the run history, render, publish. Each command of pkg/cli copies
// its flags into one of the Options structs here, makes one call, and
// prints the result; everything between is here, once, so that the local
// loop and the GitLab path share their steps instead of copying them.
//
// Functions here never read the process environment, the clock or the
// working directory behind the caller's back: what they need comes in
// their options, so that tests can run them side by side.
package program

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
)

// ErrUsage marks an error in how the program was called: a bad flag value
// or a missing one (exit 2 on the command line). Test with errors.Is.
var ErrUsage = errors.New("usage")

// ErrAPI marks a GitLab API that stayed unavailable after retries (exit 3
// on the command line); nothing was written.
var ErrAPI = gitlab.ErrUnavailable

type usageError struct{ err error }

func (e usageError) Error() string        { return e.err.Error() }
func (e usageError) Unwrap() error        { return e.err }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// usagef returns a usage error (errors.Is(err, ErrUsage)).
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// usage marks err as a usage error.
func usage(err error) error { return usageError{err} }

// Token is a GitLab token and where it came from; the value is never
// printed.
type Token struct {
	Value    string
	Variable string // the environment variable it was read from
	Job      bool   // a CI job token, which may not read test reports nor write
}

// TokenFrom reads the token from SUPPORTMATRIX_TOKEN, then GITLAB_TOKEN,
// then CI_JOB_TOKEN (SPEC's order, ci.TokenVariables). An empty Value means none is set; its
// Variable is then SUPPORTMATRIX_TOKEN, the one to set.
func TokenFrom(getenv func(string) string) Token {
	for _, v := range ci.TokenVariables {
		if t := getenv(v); t != "" {
			return Token{Value: t, Variable: v, Job: v == ci.JobTokenVariable}
		}
	}
	return Token{Variable: ci.TokenVariable}
}

// GitLabOptions reach the GitLab API.
type GitLabOptions struct {
	APIURL  string // e.g. https://gitlab.com/api/v4 ($CI_API_V4_URL)
	Project string // id or path ($CI_PROJECT_ID)
	Token   Token
	// Configure adjusts the client's configuration before use (tests:
	// retry without waiting); nil leaves it.
	Configure func(*gitlab.Config)
	// Timeout bounds the whole run (--timeout); 0 or less is
	// gitlab.DefaultRunTimeout. Past it the run fails with ErrAPI.
	Timeout time.Duration
}

// runContext bounds a run that talks to GitLab by o.Timeout.
func (o GitLabOptions) runContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.timeout())
}

func (o GitLabOptions) timeout() time.Duration {
	if o.Timeout <= 0 {
		return gitlab.DefaultRunTimeout
	}
	return o.Timeout
}

// client makes the adapter's client; a bad URL or project is a usage error.
func (o GitLabOptions) client(cfg gitlab.Config) (*gitlab.Client, error) {
	cfg.BaseURL, cfg.Token, cfg.JobToken, cfg.Project = o.APIURL, o.Token.Value, o.Token.Job, o.Project
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	c, err := gitlab.New(cfg)
	if err != nil {
		return nil, usagef("%w (--api-url, --project)", err)
	}
	return c, nil
}

// apiFailure explains an adapter error once for every command: a GitLab
// that stayed down (ErrAPI), and the token errors with the variable the
// token came from. kept says what was left as it was; forbidden what the
// token was refused; notFound, when not empty, what was not found.
func (o GitLabOptions) apiFailure(err error, kept, forbidden, notFound string) error {
	tok := o.Token
	switch {
	case errors.Is(err, gitlab.ErrUnavailable):
		hint := ""
		if errors.Is(err, context.DeadlineExceeded) {
			hint = fmt.Sprintf(" (--timeout %s)", o.timeout())
		}
		return fmt.Errorf("%w%s; nothing was written, %s left unchanged", err, hint, kept)
	case errors.Is(err, gitlab.ErrUnauthorized):
		return fmt.Errorf("%w: GitLab refused the token in %s (invalid, expired or revoked)", err, tok.Variable)
	case errors.Is(err, gitlab.ErrForbidden):
		return fmt.Errorf("%w: the token in %s may not %s", err, tok.Variable, forbidden)
	case errors.Is(err, gitlab.ErrNotFound) && notFound != "":
		return fmt.Errorf("%w: %s visible to the token in %s", err, notFound, tok.Variable)
	}
	return err
}
