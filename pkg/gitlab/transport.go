package gitlab

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
)

// Bounds on what a server may make the client do. A hostile or broken
// server must not be able to exhaust memory, crash the client (an
// X-Total-Pages of 2^63-1 once panicked in makeslice) or keep it busy
// forever.
const (
	// DefaultMaxPages bounds the pages of one list (100 records each):
	// 20,000 jobs of one pipeline, retries included, or 20,000 notes.
	// A longer announced list or X-Next-Page chain is refused.
	DefaultMaxPages = 200
	// DefaultMaxBodyBytes bounds one response body. A page of 100 jobs is
	// about 250 KB; a test report of a large pipeline a few MB; a job's
	// artifacts archive (JUnit files, a kubeconfig) far less.
	DefaultMaxBodyBytes = 64 << 20
	// maxRedirects is the redirect chain net/http allows by default.
	maxRedirects = 10
	// drainOnClose is how much of an unread body Close reads so that the
	// connection can be reused.
	drainOnClose = 64 << 10
)

// Errors for answers the client refuses to process. Neither is retried:
// asking again would get the same answer.
var (
	errBodyTooLarge = errors.New("response body too large")
	errTooManyPages = errors.New("too many pages")
)

// tokenHeaders are the headers that carry a credential. net/http drops only
// Authorization, WWW-Authenticate and Cookie on a redirect to another host
// (net/http/client.go, shouldCopyHeaderOnRedirect): GitLab's PRIVATE-TOKEN
// and JOB-TOKEN would follow a 302 anywhere.
var tokenHeaders = []string{"PRIVATE-TOKEN", "JOB-TOKEN", "Authorization", "Cookie"}

// sameOrigin reports whether u is on the configured API's scheme and host
// (port included). A downgrade from https to http is another origin.
func sameOrigin(u, api *url.URL) bool {
	return strings.EqualFold(u.Scheme, api.Scheme) && strings.EqualFold(u.Host, api.Host)
}

// checkRedirect is the client's redirect policy: the token is only ever sent
// to the configured API's origin. A redirect elsewhere (GitLab sends artifact
// downloads to object storage with a pre-signed URL, which needs no token)
// is followed without any credential header.
func checkRedirect(api *url.URL) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if !sameOrigin(req.URL, api) {
			for _, h := range tokenHeaders {
				req.Header.Del(h)
			}
		}
		return nil
	}
}

// newTransport is the default transport: Go's defaults, with one idle
// connection kept per request in flight. Go keeps only 2 idle connections
// per host by default (http.DefaultMaxIdleConnsPerHost), so a client with 8
// requests in flight closed and re-opened connections all the time.
func newTransport(concurrency int) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = concurrency
	t.MaxIdleConns = max(t.MaxIdleConns, concurrency)
	return t
}

// guardTransport counts the requests that reach the network and bounds
// every response body.
type guardTransport struct {
	next    http.RoundTripper
	n       *atomic.Int64
	maxBody int64
}

func (t guardTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	if resp.ContentLength > t.maxBody {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %d bytes announced, at most %d accepted", errBodyTooLarge, resp.ContentLength, t.maxBody)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.maxBody}
	return resp, nil
}

// limitedBody fails a read past its limit, and drains a little on Close so
// that the connection goes back to the idle pool.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errBodyTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error {
	_, _ = io.CopyN(io.Discard, b.rc, drainOnClose)
	return b.rc.Close()
}

// Masker removes a token from text in every spelling a server or a URL may
// echo it in: verbatim, percent-encoded (either case, + for a space), and
// JSON-escaped. It also removes the userinfo of every URL in the text.
type Masker struct {
	re *regexp.Regexp
}

// maskedToken replaces a token in output.
const maskedToken = "[MASKED]"

// NewMasker returns a Masker for token ("" masks URL userinfo only).
func NewMasker(token string) *Masker {
	if token == "" {
		return &Masker{}
	}
	var b strings.Builder
	for i := 0; i < len(token); i++ {
		c := token[i]
		alts := []string{regexp.QuoteMeta(string(c)), fmt.Sprintf("%%%02[1]X", c), fmt.Sprintf("%%%02[1]x", c),
			fmt.Sprintf(`\\u00%02[1]x`, c), fmt.Sprintf(`\\u00%02[1]X`, c)}
		if c == ' ' {
			alts = append(alts, `\+`)
		}
		b.WriteString("(?:" + strings.Join(alts, "|") + ")")
	}
	return &Masker{re: regexp.MustCompile(b.String())}
}

// userinfoRE matches the userinfo part of a URL ("user:secret@" after
// "scheme://"), well-formed or not.
var userinfoRE = regexp.MustCompile(`(?i)([a-z][a-z0-9+.\-]*://)[^/?#\s"'<>@]*@`)

// Mask returns s without the token and without URL userinfo.
func (m *Masker) Mask(s string) string {
	if m != nil && m.re != nil {
		s = m.re.ReplaceAllString(s, maskedToken)
	}
	return userinfoRE.ReplaceAllString(s, "${1}"+maskedToken+"@")
}

// RedactURL returns raw with any userinfo replaced, for messages about a
// URL that may not even parse.
func RedactURL(raw string) string {
	return (&Masker{}).Mask(raw)
}
