package gitlab

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors that callers act on. Every error returned by this package
// for a failed API request is an *APIError that wraps exactly one of them (or
// none, for other 4xx answers), so errors.Is works through any added context.
var (
	// ErrUnauthorized means GitLab answered 401: the token is missing,
	// invalid or expired.
	ErrUnauthorized = errors.New("gitlab: unauthorized (401)")
	// ErrForbidden means GitLab answered 403: the token may not do this, for
	// example a CI job token reading a test report or committing.
	ErrForbidden = errors.New("gitlab: forbidden (403)")
	// ErrNotFound means GitLab answered 404: the project, pipeline, file,
	// branch or merge request does not exist (or is invisible to the token).
	ErrNotFound = errors.New("gitlab: not found (404)")
	// ErrConflict means the request lost a race with another writer: a commit
	// whose last_commit_id is stale, a file that already exists, or a 409.
	// The caller re-reads and tries again.
	ErrConflict = errors.New("gitlab: conflict")
	// ErrBranchExists means a commit that starts a new branch from another
	// named a branch that already exists: GitLab answers 400 "A branch
	// called '…' already exists. Switch to that branch in order to make
	// changes" (app/services/commits/create_service.rb
	// validate_branch_existence!). The caller commits onto that branch.
	ErrBranchExists = errors.New("gitlab: branch already exists")
	// ErrUnavailable means the API kept failing (5xx, 429 or a transport
	// error) after the allowed retries, or a non-idempotent request failed in
	// a way that may not be blindly repeated. The CLI maps it to exit code 3.
	ErrUnavailable = errors.New("gitlab: API unavailable")
)

// APIError describes one failed API call: the request (method and path,
// never the token), the final HTTP status (0 for a transport error), GitLab's
// message and the number of attempts made.
type APIError struct {
	// Method is the HTTP method, e.g. GET.
	Method string
	// Path is the API path below /api/v4, e.g. /projects/42/pipelines/7/jobs.
	Path string
	// Status is the last HTTP status code, or 0 when no response was received.
	Status int
	// Message is GitLab's error message or the transport error, with the
	// token masked.
	Message string
	// Attempts is how many times the request was sent.
	Attempts int
	// Kind is the sentinel this error wraps (ErrNotFound, ...), or nil.
	Kind error
	// Cause, when set, is why the client stopped without asking again:
	// context.DeadlineExceeded (the run's time limit), a body over the size
	// limit, a list longer than the page limit.
	Cause error
	// BodyFailed says the status arrived but the body could not be read
	// whole (a connection cut mid-transfer, a trickle, malformed JSON).
	BodyFailed bool
}

// Error names the request, the status and GitLab's message.
func (e *APIError) Error() string {
	status := "transport error"
	if e.Status != 0 {
		status = fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	}
	msg := fmt.Sprintf("%s %s: %s", e.Method, e.Path, status)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	if e.Kind == ErrUnavailable {
		msg += " [API unavailable]"
	}
	return msg
}

// Unwrap returns the sentinel error this error stands for and its cause.
func (e *APIError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.Kind, e.Cause} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
