// Package gitlab is supportmatrix's adapter to the GitLab REST API.
//
// It is the only package that imports the GitLab Go client
// (gitlab.com/gitlab-org/api/client-go/v2); everything it returns is one of
// its own small types or a domain type of pkg/ci (pipelines, jobs, test
// reports), so collect and publish never see the client's types.
//
// The adapter owns retries: the client's built-in retry logic (which retries
// POST on 5xx and ignores Retry-After) is switched off and every call goes
// through one loop that
//   - retries 429 for every method, waiting for Retry-After (seconds or an
//     HTTP date) or RateLimit-Reset (Unix time), capped by Config.MaxWait;
//   - retries 5xx and transport errors with capped exponential backoff and
//     jitter, for idempotent methods (GET, HEAD, PUT) only, plus connection
//     failures that happened before anything was sent;
//   - never repeats a POST that may have reached GitLab;
//   - gives up after Config.MaxRetries retries with an error wrapping
//     ErrUnavailable.
//
// Errors name the request (method and path) and never contain the token.
package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// Defaults applied by New for zero Config fields.
const (
	// DefaultConcurrency is how many requests run at once.
	DefaultConcurrency = 4
	// DefaultMaxRetries is how many times a failed request is retried.
	DefaultMaxRetries = 6
	// DefaultMinBackoff is the wait before the first retry of a 5xx or
	// transport error; it doubles on each further retry.
	DefaultMinBackoff = 500 * time.Millisecond
	// DefaultMaxBackoff caps the exponential backoff.
	DefaultMaxBackoff = 30 * time.Second
	// DefaultMaxWait caps the wait a 429 asks for.
	DefaultMaxWait = 2 * time.Minute
	// DefaultRunTimeout bounds a whole collect or publish (--timeout): a
	// hanging API ends the run with exit 3 after this long instead of
	// retrying every request for minutes each. A collection of 7,000 jobs
	// takes a few hundred requests.
	DefaultRunTimeout = 10 * time.Minute
	// DefaultPerPage is the page size of every list request (GitLab's
	// maximum).
	DefaultPerPage = 100
)

const (
	// DefaultAttemptTimeout bounds one attempt of one request, body
	// included, so that a server trickling a body stalls nothing for long:
	// the attempt fails and is retried like any transport error.
	DefaultAttemptTimeout = 60 * time.Second
	conflictChangedText   = "has changed since you started editing it"
)

// Config configures a Client. Only BaseURL and Project are required.
type Config struct {
	// BaseURL is the API root, CI_API_V4_URL in a job, for example
	// https://gitlab.example.com/api/v4.
	BaseURL string
	// Token authenticates every request: a personal, project or group access
	// token (sent as PRIVATE-TOKEN), or a CI job token when JobToken is set
	// (sent as JOB-TOKEN). It never appears in errors or output.
	Token string
	// JobToken says Token is a CI job token ($CI_JOB_TOKEN).
	JobToken bool
	// Project is the project's numeric id or its full path (group/project).
	Project string
	// Concurrency bounds the requests in flight at once (default 4).
	Concurrency int
	// MaxRetries bounds the retries of one request after its first attempt
	// (default 6). A negative value disables retries.
	MaxRetries int
	// MinBackoff is the first backoff after a 5xx or transport error; it
	// doubles with each retry up to MaxBackoff (defaults 500ms and 30s).
	MinBackoff, MaxBackoff time.Duration
	// MaxWait caps the wait asked for by a 429's Retry-After or
	// RateLimit-Reset (default 2m).
	MaxWait time.Duration
	// HTTPClient sends the requests (default: a client with
	// AttemptTimeout and a transport keeping Concurrency idle connections).
	// Its redirect policy is always replaced: the token never leaves for
	// another host.
	HTTPClient *http.Client
	// AttemptTimeout bounds one attempt of one request, body included, when
	// HTTPClient has no timeout of its own (default 60s).
	AttemptTimeout time.Duration
	// MaxPages bounds the pages of one list (default DefaultMaxPages).
	MaxPages int
	// MaxBodyBytes bounds one response body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Progress receives one line per collected pipeline (nil: discarded).
	Progress io.Writer
	// Sleep waits between attempts; tests inject one that returns at once.
	// Default: a timer that also stops when the context is cancelled.
	Sleep func(time.Duration)
	// Now is the clock used to turn RateLimit-Reset into a wait (default
	// time.Now).
	Now func() time.Time
	// Jitter returns a random duration in [0, max) added to backoffs so that
	// concurrent clients do not retry in lockstep (default: uniform random).
	// It only affects timing, never the results.
	Jitter func(max time.Duration) time.Duration
}

// Client talks to one GitLab project. It is safe for concurrent use.
type Client struct {
	gl       *gl.Client
	cfg      Config
	api      *url.URL
	masker   *Masker
	project  string // as given: id or path, passed to the client
	pathProj string // escaped, for error messages: 42 or group%2Fproject
	sem      chan struct{}
	requests atomic.Int64
	// noTriggerJobs is set once the server answered 404 to trigger_jobs
	// (before GitLab 19.2): /bridges is used from then on.
	noTriggerJobs atomic.Bool
	progMu        sync.Mutex
}

// New checks cfg, fills in defaults and builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("gitlab: no API URL (CI_API_V4_URL)")
	}
	// Never echo the URL as given: it may carry a token as userinfo.
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gitlab: invalid API URL %q: want http(s)://host/api/v4", NewMasker(cfg.Token).Mask(RedactURL(cfg.BaseURL)))
	}
	if u.User != nil {
		return nil, fmt.Errorf("gitlab: API URL %q carries credentials: give the token in SUPPORTMATRIX_TOKEN, never in the URL", RedactURL(u.Redacted()))
	}
	if cfg.Project == "" {
		return nil, errors.New("gitlab: no project (CI_PROJECT_ID)")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jitter == nil {
		cfg.Jitter = func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return rand.N(max)
		}
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	c := &Client{
		cfg:      cfg,
		api:      u,
		masker:   NewMasker(cfg.Token),
		project:  cfg.Project,
		pathProj: url.PathEscape(cfg.Project),
		sem:      make(chan struct{}, cfg.Concurrency),
	}
	// Count every HTTP request that reaches the transport, retries
	// included, bound every body, and never let the token follow a
	// redirect to another host.
	hc := *base
	inner := hc.Transport
	if inner == nil {
		inner = newTransport(cfg.Concurrency)
	}
	if hc.Timeout == 0 {
		hc.Timeout = cfg.AttemptTimeout
	}
	hc.Transport = guardTransport{next: inner, n: &c.requests, maxBody: cfg.MaxBodyBytes}
	hc.CheckRedirect = checkRedirect(u)

	opts := []gl.ClientOptionFunc{
		gl.WithBaseURL(cfg.BaseURL),
		gl.WithHTTPClient(&hc),
		gl.WithoutRetries(),
		gl.WithCustomLimiter(noLimiter{}),
		gl.WithURLWarningLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		gl.WithUserAgent("supportmatrix"),
	}
	var glc *gl.Client
	if cfg.JobToken {
		glc, err = gl.NewJobClient(cfg.Token, opts...)
	} else {
		glc, err = gl.NewClient(cfg.Token, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("gitlab: %s", c.mask(err.Error()))
	}
	c.gl = glc
	return c, nil
}

// Requests returns the number of HTTP requests sent so far, retries included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// noLimiter replaces the client's own rate limiter, which would otherwise
// configure itself from RateLimit-Limit and block with real timers; this
// package paces itself with Concurrency and honours 429s instead.
type noLimiter struct{}

func (noLimiter) Wait(context.Context) error { return nil }

// mask removes the token, in any spelling, and URL userinfo from s.
func (c *Client) mask(s string) string { return c.masker.Mask(s) }

// progressf writes one progress line.
func (c *Client) progressf(format string, args ...any) {
	c.progMu.Lock()
	defer c.progMu.Unlock()
	fmt.Fprintf(c.cfg.Progress, format+"\n", args...)
}

// sleep waits d, or less when ctx ends.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.cfg.Sleep != nil {
		c.cfg.Sleep(d)
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// apiCall is one API request: fn sends it once with the given options.
type apiCall func(opts ...gl.RequestOptionFunc) (*gl.Response, error)

// do sends a request through the retry loop. method and path name the
// request in errors (path below /api/v4, project escaped).
func (c *Client) do(ctx context.Context, method, path string, fn apiCall) (*gl.Response, error) {
	idempotent := method == http.MethodGet || method == http.MethodHead || method == http.MethodPut
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, c.gaveUp(method, path, attempt-1, err)
		}
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, c.gaveUp(method, path, attempt-1, ctx.Err())
		}
		resp, err := fn(gl.WithContext(ctx))
		<-c.sem
		if err == nil {
			return resp, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, c.gaveUp(method, path, attempt, ctxErr)
		}
		apiErr := c.classify(method, path, resp, err)
		apiErr.Attempts = attempt
		if apiErr.Kind != ErrUnavailable {
			return nil, apiErr
		}
		retry, wait := c.retryPolicy(idempotent, attempt, apiErr, resp, err)
		if !retry {
			if !idempotent && apiErr.Status != http.StatusTooManyRequests && apiErr.Cause == nil {
				apiErr.Message += " (not retried: the request may have been applied)"
			}
			return nil, apiErr
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, c.gaveUp(method, path, attempt, err)
		}
	}
}

// gaveUp is the error for a request abandoned because ctx ended: the run's
// deadline (--timeout) passed or the run was cancelled. It counts as the
// API failing (exit 3) and still matches context.DeadlineExceeded.
func (c *Client) gaveUp(method, path string, attempts int, ctxErr error) *APIError {
	msg := "cancelled"
	if errors.Is(ctxErr, context.DeadlineExceeded) {
		msg = "gave up: the time allowed for the whole run passed"
	}
	return &APIError{Method: method, Path: path, Message: msg, Attempts: attempts, Kind: ErrUnavailable, Cause: ctxErr}
}

// classify turns a failed attempt into an APIError with its sentinel.
func (c *Client) classify(method, path string, resp *gl.Response, err error) *APIError {
	e := &APIError{Method: method, Path: path}
	if resp != nil && resp.Response != nil {
		e.Status = resp.StatusCode
	}
	var er *gl.ErrorResponse
	switch {
	case errors.Is(err, errBodyTooLarge), errors.Is(err, errTooManyPages):
		// A refused answer: not retried, the server would say the same.
		e.Message = c.mask(transportMessage(err))
		e.Kind, e.Cause = ErrUnavailable, err
		return e
	case errors.As(err, &er):
		e.Status = er.StatusCode
		e.Message = c.mask(gitlabMessage(er))
	case errors.Is(err, gl.ErrNotFound):
		e.Status = http.StatusNotFound
	case e.Status == 0:
		e.Message = c.mask(transportMessage(err))
	case e.Status >= 200 && e.Status < 300:
		// The status arrived but the body did not, or not whole: a
		// connection cut mid-transfer, a trickle past AttemptTimeout, or a
		// body that is not the JSON GitLab sends. A transport failure, not
		// invalid input: retried like one.
		e.Message = c.mask("reading the response: " + transportMessage(err))
		e.Kind, e.BodyFailed = ErrUnavailable, true
		return e
	default:
		e.Message = c.mask(err.Error())
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		e.Kind = ErrUnauthorized
	case e.Status == http.StatusForbidden:
		e.Kind = ErrForbidden
	case e.Status == http.StatusNotFound:
		e.Kind = ErrNotFound
	case e.Status == http.StatusConflict:
		e.Kind = ErrConflict
	case e.Status == http.StatusBadRequest && isBranchExists(e.Message):
		e.Kind = ErrBranchExists
	case e.Status == http.StatusBadRequest && isConflictMessage(e.Message):
		e.Kind = ErrConflict
	case e.Status == 0, e.Status == http.StatusTooManyRequests, e.Status >= 500:
		e.Kind = ErrUnavailable
	}
	return e
}

// gitlabMessage extracts GitLab's message from an error body:
// {"message": "..."}, {"message": ["...", ...]}, {"message": {"field": [...]}},
// {"error": "..."} or plain text (429's "Retry later"), shortened.
func gitlabMessage(er *gl.ErrorResponse) string {
	body := strings.TrimSpace(string(er.Body))
	var v struct {
		Message any    `json:"message"`
		Error   string `json:"error"`
	}
	msg := ""
	if err := json.Unmarshal(er.Body, &v); err == nil {
		msg = flattenMessage(v.Message)
		if msg == "" {
			msg = v.Error
		}
	} else {
		msg = body
	}
	if strings.EqualFold(msg, fmt.Sprintf("%d %s", er.StatusCode, http.StatusText(er.StatusCode))) {
		return ""
	}
	const maxLen = 300
	if len(msg) > maxLen {
		msg = msg[:maxLen] + "…"
	}
	return msg
}

// flattenMessage renders GitLab's message field, which is a string, a list
// of strings, or an object mapping fields to lists, in a stable order.
func flattenMessage(m any) string {
	switch m := m.(type) {
	case string:
		return m
	case []any:
		parts := make([]string, 0, len(m))
		for _, e := range m {
			parts = append(parts, flattenMessage(e))
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+" "+flattenMessage(m[k]))
		}
		return strings.Join(parts, "; ")
	case nil:
		return ""
	default:
		return fmt.Sprint(m)
	}
}

// transportMessage describes a transport error without the request URL
// (which the APIError already names).
func transportMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// isConflictMessage recognises GitLab's 400 answers to a commit that raced
// another writer.
func isConflictMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, conflictChangedText) ||
		strings.Contains(m, "a file with this name already exists") ||
		strings.Contains(m, "branch already exists")
}

// isBranchExists recognises GitLab's 400 answer to a commit that would
// start a branch that exists.
func isBranchExists(msg string) bool {
	m := strings.ToLower(msg)
	return strings.HasPrefix(m, "a branch called ") && strings.Contains(m, "already exists")
}

// retryPolicy decides whether a failed attempt is retried and after how long.
func (c *Client) retryPolicy(idempotent bool, attempt int, apiErr *APIError, resp *gl.Response, err error) (bool, time.Duration) {
	if attempt > c.cfg.MaxRetries || apiErr.Cause != nil {
		return false, 0
	}
	if apiErr.BodyFailed {
		// The request was processed: only a read may be repeated.
		return idempotent, c.backoff(attempt)
	}
	status := apiErr.Status
	if status == http.StatusTooManyRequests {
		// GitLab refused the request before processing it: safe for POST too.
		var h http.Header
		if resp != nil && resp.Response != nil {
			h = resp.Header
		}
		if w, ok := c.rateLimitWait(h); ok {
			return true, w
		}
		return true, c.backoff(attempt)
	}
	if status == 0 {
		if idempotent || beforeSend(err) {
			return true, c.backoff(attempt)
		}
		return false, 0
	}
	if status >= 500 && idempotent {
		return true, c.backoff(attempt)
	}
	return false, 0
}

// rateLimitWait reads Retry-After (seconds or HTTP date), then
// RateLimit-Reset (Unix time), capped by MaxWait.
func (c *Client) rateLimitWait(h http.Header) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	var wait time.Duration
	found := false
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			wait, found = time.Duration(min(secs, math.MaxInt32))*time.Second, true
		} else if t, err := http.ParseTime(v); err == nil {
			wait, found = t.Sub(c.cfg.Now()), true
		}
	}
	if !found {
		if v := strings.TrimSpace(h.Get("RateLimit-Reset")); v != "" {
			if unix, err := strconv.ParseInt(v, 10, 64); err == nil && unix > 0 {
				wait, found = time.Unix(unix, 0).Sub(c.cfg.Now()), true
			}
		}
	}
	if !found {
		return 0, false
	}
	// A reset already in the past still deserves a short pause.
	wait = max(wait, c.cfg.MinBackoff)
	return min(wait, c.cfg.MaxWait), true
}

// backoff is the capped exponential backoff before retry number attempt,
// with up to 50% jitter added.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.MinBackoff
	for i := 1; i < attempt && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	return d + c.cfg.Jitter(d/2)
}

// beforeSend reports whether a transport error certainly happened before the
// request was written (refused connection, failed dial or DNS), so that even
// a POST can be repeated.
func beforeSend(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && !dns.IsNotFound {
		return true
	}
	return false
}
