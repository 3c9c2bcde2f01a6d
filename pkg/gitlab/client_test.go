package gitlab_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
)

const secret = "glpat-SECRET-do-not-print-42"

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  gitlab.Config
		want string
	}{
		{"no URL", gitlab.Config{Project: "1"}, "no API URL"},
		{"bad URL", gitlab.Config{BaseURL: "gitlab.example/api/v4", Project: "1"}, "invalid API URL"},
		{"no project", gitlab.Config{BaseURL: "https://gitlab.example/api/v4"}, "no project"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gitlab.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestErrorsDoNotLeakToken: neither a 401, nor a transport error, nor the
// progress output may contain the token.
func TestErrorsDoNotLeakToken(t *testing.T) {
	t.Parallel()
	t.Run("401", func(t *testing.T) {
		fake := gitlabtest.New(t)
		addTree(fake)
		c, _, progress := newClient(t, fake, func(cfg *gitlab.Config) { cfg.Token = secret })
		_, err := c.PipelineTree(context.Background(), rootID)
		if !errors.Is(err, gitlab.ErrUnauthorized) {
			t.Fatalf("err = %v, want ErrUnauthorized", err)
		}
		if errors.Is(err, gitlab.ErrUnavailable) {
			t.Error("401 must not read as ErrUnavailable")
		}
		// The pipeline, its jobs and bridges are asked for at once; none is retried.
		if c.Requests() > 3 {
			t.Errorf("a 401 was retried: %d requests", c.Requests())
		}
		if !strings.HasPrefix(err.Error(), "pipeline 100: GET /projects/group%2Fproject/pipelines/100") ||
			!strings.HasSuffix(err.Error(), ": 401 Unauthorized") {
			t.Errorf("err = %q, want the request and 401 Unauthorized", err)
		}
		// A single call gives the exact message.
		_, err = c.DefaultBranch(context.Background())
		if want := "default branch: GET /projects/group%2Fproject: 401 Unauthorized"; err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
		assertNoSecret(t, err.Error()+progress.String())
	})
	t.Run("transport", func(t *testing.T) {
		// A port nothing listens on: connection refused.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		sl := &sleepLog{}
		c, err := gitlab.New(gitlab.Config{BaseURL: "http://" + addr + "/api/v4", Token: secret, Project: "group/project",
			Sleep: sl.sleep, MaxRetries: 2, Jitter: func(time.Duration) time.Duration { return 0 }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.TestReport(context.Background(), 5)
		if !errors.Is(err, gitlab.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if !strings.Contains(err.Error(), "GET /projects/group%2Fproject/pipelines/5/test_report: transport error") {
			t.Errorf("err = %q does not name the request", err)
		}
		if c.Requests() != 3 || len(sl.all()) != 2 {
			t.Errorf("%d requests and %d sleeps, want 3 and 2", c.Requests(), len(sl.all()))
		}
		assertNoSecret(t, err.Error())
	})
	t.Run("echoed body", func(t *testing.T) {
		// Even if a proxy echoes the token back in its error body, it is masked.
		fake := gitlabtest.New(t)
		fake.SetToken(secret, false)
		fake.Inject(gitlabtest.Fault{Status: 400, Times: 1, Body: `{"message":"bad token ` + secret + `"}`})
		c, _, _ := newClient(t, fake, func(cfg *gitlab.Config) { cfg.Token = secret })
		_, err := c.DefaultBranch(context.Background())
		if err == nil {
			t.Fatal("want an error")
		}
		if !strings.Contains(err.Error(), "bad token [MASKED]") {
			t.Errorf("err = %q, want the token masked", err)
		}
		assertNoSecret(t, err.Error())
	})
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(s, secret) || strings.Contains(s, "SECRET") {
		t.Errorf("output leaks the token: %q", s)
	}
}

// TestBackoffSchedule: exponential from MinBackoff, doubling, capped by
// MaxBackoff, with jitter added on top.
func TestBackoffSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*gitlab.Config)
		want   []time.Duration
	}{
		{
			name:   "defaults",
			mutate: nil,
			want: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
				8 * time.Second, 16 * time.Second},
		},
		{
			name: "capped",
			mutate: func(c *gitlab.Config) {
				c.MinBackoff, c.MaxBackoff, c.MaxRetries = time.Second, 3*time.Second, 4
			},
			want: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second},
		},
		{
			name: "jitter adds up to half",
			mutate: func(c *gitlab.Config) {
				c.MaxRetries = 2
				c.Jitter = func(max time.Duration) time.Duration { return max - 1 }
			},
			want: []time.Duration{750*time.Millisecond - 1, 1500*time.Millisecond - 1},
		},
		{
			name:   "retries off",
			mutate: func(c *gitlab.Config) { c.MaxRetries = -1 },
			want:   nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := gitlabtest.New(t)
			fake.Inject(gitlabtest.Fault{Status: 502, Times: -1})
			c, sleeps, _ := newClient(t, fake, tc.mutate)
			_, err := c.DefaultBranch(context.Background())
			if !errors.Is(err, gitlab.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if got := sleeps.all(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sleeps = %v, want %v", got, tc.want)
			}
			if got, want := c.Requests(), int64(len(tc.want)+1); got != want {
				t.Errorf("%d requests, want %d", got, want)
			}
		})
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	fake.Inject(gitlabtest.Fault{Status: 429, Times: 1, RetryAfter: now.Add(90 * time.Second).Format(http.TimeFormat)})
	c, sleeps, _ := newClient(t, fake, nil)
	if _, err := c.DefaultBranch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sleeps.all(); !reflect.DeepEqual(got, []time.Duration{90 * time.Second}) {
		t.Errorf("sleeps = %v, want [1m30s]", got)
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	fake.Inject(gitlabtest.Fault{Status: 503, Times: -1})
	ctx, cancel := context.WithCancel(context.Background())
	c, _, _ := newClient(t, fake, func(cfg *gitlab.Config) {
		cfg.Sleep = func(time.Duration) { cancel() }
	})
	_, err := c.DefaultBranch(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if c.Requests() != 1 {
		t.Errorf("%d requests after cancel, want 1", c.Requests())
	}
}
