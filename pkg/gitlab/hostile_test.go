package gitlab_test

// Tests against hostile or broken servers (issue #13): redirects to another
// host, announced sizes, bodies cut short or trickled, a run deadline, and
// the token in other spellings. Each server here is a plain httptest server
// playing the part, on GitLab's real paths.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
)

// hostile starts a server answering every request with h, counting them.
func hostile(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func hostileClient(t *testing.T, base string, mutate func(*gitlab.Config)) *gitlab.Client {
	t.Helper()
	cfg := gitlab.Config{BaseURL: base + "/api/v4", Token: secret, Project: "1", MaxRetries: 2,
		Sleep: func(time.Duration) {}, Jitter: func(time.Duration) time.Duration { return 0 }}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := gitlab.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRedirectNeverCarriesToken: a 302 from the API to another host must
// not repeat PRIVATE-TOKEN or JOB-TOKEN there (net/http strips only
// Authorization and cookies: net/http/client.go shouldCopyHeaderOnRedirect).
// GitLab itself redirects artifact downloads to object storage
// (lib/api/helpers.rb present_artifacts_file! -> present_carrierwave_file!
// with direct_download), so the redirect is followed, without the token. A
// redirect within the API's own origin keeps it.
func TestRedirectNeverCarriesToken(t *testing.T) {
	t.Parallel()
	for _, job := range []bool{false, true} {
		t.Run(fmt.Sprintf("job token %v", job), func(t *testing.T) {
			var mu sync.Mutex
			var seen []http.Header
			other, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Header.Clone())
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"id": 1, "default_branch": "elsewhere"}`)
			})
			var apiSeen []http.Header
			api, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				apiSeen = append(apiSeen, r.Header.Clone())
				mu.Unlock()
				switch r.URL.Path {
				case "/api/v4/projects/1":
					http.Redirect(w, r, "/api/v4/projects/moved", http.StatusFound) // same origin
				case "/api/v4/projects/moved":
					http.Redirect(w, r, other.URL+"/steal", http.StatusFound) // another host
				}
			})
			c := hostileClient(t, api.URL, func(cfg *gitlab.Config) { cfg.JobToken = job })
			branch, err := c.DefaultBranch(context.Background())
			if err != nil || branch != "elsewhere" {
				t.Fatalf("DefaultBranch = %q, %v; want the redirect followed", branch, err)
			}
			header := "PRIVATE-TOKEN"
			if job {
				header = "JOB-TOKEN"
			}
			if len(apiSeen) != 2 || apiSeen[1].Get(header) != secret {
				t.Errorf("the same-origin redirect lost the token: %v", apiSeen)
			}
			for _, h := range seen {
				for name, v := range h {
					if strings.Contains(strings.Join(v, ","), secret) {
						t.Errorf("the other host received the token in %s", name)
					}
				}
			}
			if len(seen) != 1 {
				t.Errorf("other host saw %d requests, want 1", len(seen))
			}
		})
	}
}

// TestRedirectDowngradeDropsToken: https -> http on the same host name is
// another origin; the token is not sent in clear.
func TestRedirectDowngradeDropsToken(t *testing.T) {
	t.Parallel()
	var got atomic.Value
	plain, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("PRIVATE-TOKEN"))
		io.WriteString(w, `{"id": 1, "default_branch": "main"}`)
	})
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	t.Cleanup(tlsSrv.Close)
	c := hostileClient(t, tlsSrv.URL, func(cfg *gitlab.Config) { cfg.HTTPClient = tlsSrv.Client() })
	if _, err := c.DefaultBranch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Load().(string); v != "" {
		t.Errorf("the token followed an https -> http redirect: %q", v)
	}
}

// pagesServer answers every notes list with one full page and the given
// pagination headers.
func pagesServer(t *testing.T, headers func(page int) map[string]string) (*httptest.Server, *atomic.Int64) {
	return hostile(t, func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		for k, v := range headers(page) {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[{"id": %d, "body": "n", "author": {"username": "u"}}]`, page)
	})
}

// TestAnnouncedPagesAreBounded: X-Total-Pages is the server's word; a huge
// value once panicked (makeslice), 50 million exhausted memory, and 1,000
// pages sent 1,004 requests. A list longer than MaxPages is refused at once.
func TestAnnouncedPagesAreBounded(t *testing.T) {
	t.Parallel()
	for _, total := range []string{"9223372036854775807", "50000000", "1000"} {
		t.Run(total, func(t *testing.T) {
			srv, n := pagesServer(t, func(page int) map[string]string {
				return map[string]string{"X-Total-Pages": total, "X-Next-Page": strconv.Itoa(page + 1), "X-Page": strconv.Itoa(page)}
			})
			c := hostileClient(t, srv.URL, nil)
			_, err := c.ListMergeRequestNotes(context.Background(), 1)
			if !errors.Is(err, gitlab.ErrUnavailable) || !strings.Contains(err.Error(), "more than the 200 one list may have") {
				t.Fatalf("err = %v, want the page limit named", err)
			}
			if n.Load() != 1 {
				t.Errorf("%d requests, want 1: nothing past the announcement", n.Load())
			}
		})
	}
}

// TestEndlessNextPageChain: without totals, an X-Next-Page chain that never
// ends stops at MaxPages.
func TestEndlessNextPageChain(t *testing.T) {
	t.Parallel()
	srv, n := pagesServer(t, func(page int) map[string]string {
		return map[string]string{"X-Next-Page": strconv.Itoa(page + 1)}
	})
	c := hostileClient(t, srv.URL, func(cfg *gitlab.Config) { cfg.MaxPages = 30 })
	_, err := c.ListMergeRequestNotes(context.Background(), 1)
	if !errors.Is(err, gitlab.ErrUnavailable) || !strings.Contains(err.Error(), "more than the 30") {
		t.Fatalf("err = %v, want the page limit", err)
	}
	if n.Load() != 30 {
		t.Errorf("%d requests, want 30", n.Load())
	}
}

// TestBodyIsBounded: a body over MaxBodyBytes is refused, announced or
// streamed, and not retried.
func TestBodyIsBounded(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10 // any bound: the code path is the same at the default 64 MiB
	big := strings.Repeat("x", 4*limit)
	for name, h := range map[string]http.HandlerFunc{
		"announced": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(400<<20))
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"default_branch": "`)
		},
		"streamed": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"default_branch": "`)
			w.(http.Flusher).Flush() // chunked: no Content-Length
			io.WriteString(w, big+`"}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv, n := hostile(t, h)
			c := hostileClient(t, srv.URL, func(cfg *gitlab.Config) { cfg.MaxBodyBytes = limit })
			_, err := c.DefaultBranch(context.Background())
			if !errors.Is(err, gitlab.ErrUnavailable) || !strings.Contains(err.Error(), "response body too large") {
				t.Fatalf("err = %v, want the body refused", err)
			}
			if n.Load() != 1 {
				t.Errorf("%d requests: a refused body must not be asked for again", n.Load())
			}
		})
	}
}

// TestBodyCutShortIsRetried: 200 then EOF mid-body is a transport failure of
// an idempotent read: retried, and on success nothing is lost; when it
// persists, ErrUnavailable (exit 3), never "invalid input".
func TestBodyCutShortIsRetried(t *testing.T) {
	t.Parallel()
	const whole = `{"id": 1, "default_branch": "main"}`
	cut := func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", strconv.Itoa(len(whole)))
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, whole[:10])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	t.Run("once", func(t *testing.T) {
		var calls atomic.Int64
		srv, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				cut(w)
			}
			io.WriteString(w, whole)
		})
		c := hostileClient(t, srv.URL, nil)
		if b, err := c.DefaultBranch(context.Background()); err != nil || b != "main" {
			t.Fatalf("DefaultBranch = %q, %v; want the cut read retried", b, err)
		}
		if c.Requests() != 2 {
			t.Errorf("%d requests, want 2", c.Requests())
		}
	})
	t.Run("always", func(t *testing.T) {
		srv, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) { cut(w) })
		c := hostileClient(t, srv.URL, nil)
		_, err := c.DefaultBranch(context.Background())
		if !errors.Is(err, gitlab.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if c.Requests() != 3 {
			t.Errorf("%d requests, want 3 (MaxRetries 2)", c.Requests())
		}
	})
	t.Run("trickle", func(t *testing.T) {
		srv, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			for i := 0; i < len(whole); i++ {
				if _, err := io.WriteString(w, whole[i:i+1]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(time.Second):
				}
			}
		})
		c := hostileClient(t, srv.URL, func(cfg *gitlab.Config) { cfg.AttemptTimeout = 50 * time.Millisecond; cfg.MaxRetries = 1 })
		_, err := c.DefaultBranch(context.Background())
		if !errors.Is(err, gitlab.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if c.Requests() != 2 {
			t.Errorf("%d requests, want 2 (retried once)", c.Requests())
		}
	})
}

// TestRunDeadline: a hanging API fails when the run's context ends, as the
// API failing (ErrUnavailable: exit 3), still recognisable as a deadline.
func TestRunDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := hostileClient(t, srv.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.DefaultBranch(ctx)
	if !errors.Is(err, gitlab.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "time allowed for the whole run passed") {
		t.Errorf("err = %q, want it to say the run's time ran out", err)
	}
}

// TestTokenInOtherSpellings: a token echoed percent-encoded (either case) or
// JSON-escaped is masked, and a URL's userinfo is never printed, even when
// the URL does not parse.
func TestTokenInOtherSpellings(t *testing.T) {
	t.Parallel()
	const tok = "glpat-a/b+c d"
	echoes := []string{
		url.QueryEscape(tok),
		url.PathEscape(tok),
		strings.ToLower(url.QueryEscape(tok)),
		`glpat-a\u002fb\u002bc\u0020d`,
		tok,
	}
	for _, echo := range echoes {
		fake := gitlabtest.New(t)
		fake.SetToken(tok, false)
		body := strconv.Quote("invalid token " + echo)
		fake.Inject(gitlabtest.Fault{Status: 400, Times: 1, Body: `{"message":` + body + `}`})
		c, _, _ := newClient(t, fake, func(cfg *gitlab.Config) { cfg.Token = tok })
		_, err := c.DefaultBranch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "invalid token [MASKED]") {
			t.Errorf("echo %q: err = %v, want the token masked", echo, err)
		}
	}
	for _, raw := range []string{
		"https://oauth2:" + secret + "@gitlab.example/api/v4",
		"https://oauth2:" + secret + "@gitlab.example:badport/api/v4",
		"https://" + url.QueryEscape(secret) + "@gitlab.example/api/v4",
		"gitlab.example/api/v4?x=https://u:" + secret + "@h",
	} {
		_, err := gitlab.New(gitlab.Config{BaseURL: raw, Token: secret, Project: "1"})
		if err == nil {
			t.Errorf("New(%q) accepted a URL with credentials", raw)
			continue
		}
		assertNoSecret(t, err.Error())
	}
	m := gitlab.NewMasker("")
	if got := m.Mask(`see "http://u:p@h/x" and https://tok@h2:99999/y`); strings.Contains(got, "u:p") || strings.Contains(got, "tok@") {
		t.Errorf("userinfo printed: %q", got)
	}
}
