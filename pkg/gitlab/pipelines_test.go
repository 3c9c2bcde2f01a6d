package gitlab_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// budget is the request budget for the fixture: per pipeline one request
// per 100 jobs plus two, plus five.
func budget(ps []ci.Pipeline) int64 {
	var n int64 = 5
	for _, p := range ps {
		n += int64((len(p.Jobs)+99)/100) + 2
	}
	return n
}

func TestPipelineTreeNestedShards(t *testing.T) {
	t.Parallel()
	run := cleanTree(t)
	golden.Assert(t, "tree.golden", []byte(run.rendered))

	var ids []int64
	total := 0
	for _, p := range run.tree {
		ids = append(ids, p.ID)
		total += len(p.Jobs)
	}
	if want := []int64{rootID, childID, shard1ID, shard2ID, shard3ID}; !reflect.DeepEqual(ids, want) {
		t.Errorf("pipeline order = %v, want %v", ids, want)
	}
	if total != treeJobs() {
		t.Errorf("collected %d jobs, want %d", total, treeJobs())
	}
	if got, max := run.requests, budget(run.tree); got > max {
		t.Errorf("used %d requests, budget is %d", got, max)
	}
	if run.requests != run.fakeRequests {
		t.Errorf("client counted %d requests, fake saw %d", run.requests, run.fakeRequests)
	}
	if len(run.sleeps) != 0 {
		t.Errorf("slept %v without any fault", run.sleeps)
	}
	for _, r := range run.log {
		if r.Auth != "PRIVATE-TOKEN" {
			t.Errorf("%s %s sent auth header %q, want PRIVATE-TOKEN", r.Method, r.Path, r.Auth)
		}
		q, _ := url.ParseQuery(r.Query)
		switch {
		case strings.HasSuffix(r.Path, "/jobs"):
			if q.Get("include_retried") != "true" {
				t.Errorf("%s?%s: include_retried not set", r.Path, r.Query)
			}
			fallthrough
		case strings.HasSuffix(r.Path, "/bridges"):
			if q.Get("per_page") != "100" || q.Get("page") == "" {
				t.Errorf("%s?%s: want page and per_page=100", r.Path, r.Query)
			}
		}
	}
	if !strings.Contains(run.progress, "collect: pipeline 301: 250 jobs (3 pages), 0 bridges") {
		t.Errorf("progress lacks the shard 1 line:\n%s", run.progress)
	}
}

// TestPipelineTreeDeterministic: the concurrency changes the timing, never
// the result: one request at a time and sixteen give the clean run's tree,
// collected at DefaultConcurrency.
func TestPipelineTreeDeterministic(t *testing.T) {
	t.Parallel()
	if gitlab.DefaultConcurrency <= 1 || gitlab.DefaultConcurrency >= 16 {
		t.Fatalf("DefaultConcurrency %d: the test compares 1, it and 16", gitlab.DefaultConcurrency)
	}
	fake := gitlabtest.New(t)
	addTree(fake)
	want := cleanTree(t).rendered
	for _, n := range []int{1, 16} {
		c, _, _ := newClient(t, fake, func(cfg *gitlab.Config) { cfg.Concurrency = n })
		tree, err := c.PipelineTree(context.Background(), rootID)
		if err != nil {
			t.Fatalf("concurrency %d: %v", n, err)
		}
		if renderFrom(tree, fake) != want {
			t.Errorf("concurrency %d gives another tree than concurrency %d", n, gitlab.DefaultConcurrency)
		}
	}
}

func TestPipelineTreeRetriedJobs(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	addTree(fake)
	c, _, _ := newClient(t, fake, nil)
	tree, err := c.PipelineTree(context.Background(), rootID)
	if err != nil {
		t.Fatal(err)
	}
	shard := tree[2]
	if shard.ID != shard1ID {
		t.Fatalf("third pipeline is %d, want shard %d", shard.ID, shard1ID)
	}
	type attempt struct {
		id      int64
		status  ci.Status
		retried bool
	}
	for _, tc := range []struct {
		name string
		want []attempt
	}{
		{"gke 1.35: [deploy]", []attempt{{shard1ID*10000 + 2, "success", false}, {shard1ID*10000 + 1, "failed", true}}},
		{"eks 1.34: [conformance]", []attempt{{shard1ID*10000 + 4, "failed", false}, {shard1ID*10000 + 3, "failed", true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []attempt
			for _, j := range shard.Jobs {
				if j.Name == tc.name {
					got = append(got, attempt{j.ID, j.Status, j.Retried})
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("attempts = %+v, want %+v (newest first)", got, tc.want)
			}
		})
	}
	// Without include_retried the fake (like GitLab) hides old attempts; the
	// adapter must have seen them.
	retried := 0
	for _, j := range shard.Jobs {
		if j.Retried {
			retried++
		}
	}
	if retried != 2 {
		t.Errorf("%d retried attempts, want 2", retried)
	}
}

// TestPipelineTreeWithoutTotals pages through X-Next-Page alone, as on
// GitLab.com past 10,000 records, and must give the same tree.
func TestPipelineTreeWithoutTotals(t *testing.T) {
	t.Parallel()
	clean := cleanTree(t)
	noTotals := gitlabtest.New(t)
	noTotals.SetOmitTotals(true)
	addTree(noTotals)
	c, _, _ := newClient(t, noTotals, nil)
	got, err := c.PipelineTree(context.Background(), rootID)
	if err != nil {
		t.Fatal(err)
	}
	if renderFrom(got, noTotals) != clean.rendered {
		t.Errorf("tree without totals differs from tree with totals")
	}
	if c.Requests() != clean.requests {
		t.Errorf("without totals: %d requests, with totals: %d", c.Requests(), clean.requests)
	}
}

// TestPipelineTreeFaults injects transient faults: the tree must be
// identical to a clean run, and the waits those GitLab asked for.
func TestPipelineTreeFaults(t *testing.T) {
	t.Parallel()
	clean := cleanTree(t)
	want, cleanRequests := clean.rendered, clean.requests

	reset := strconv.FormatInt(now.Add(42*time.Second).Unix(), 10)
	tests := []struct {
		name       string
		faults     []gitlabtest.Fault
		wantSleeps []time.Duration
		extra      int64 // requests beyond the clean run, as the fake sees them
		// transportRetries: Go's http.Transport itself silently resends an
		// idempotent request whose reused connection dropped, so the waits
		// and the client's own count are not exact.
		transportRetries bool
	}{
		{
			name:       "429 with Retry-After",
			faults:     []gitlabtest.Fault{{Path: "/pipelines/301/jobs", Status: 429, Times: 3, RetryAfter: "7"}},
			wantSleeps: []time.Duration{7 * time.Second, 7 * time.Second, 7 * time.Second},
			extra:      3,
		},
		{
			name:       "429 with RateLimit-Reset",
			faults:     []gitlabtest.Fault{{Path: "/bridges", Status: 429, Times: 1, RateLimitReset: reset}},
			wantSleeps: []time.Duration{42 * time.Second},
			extra:      1,
		},
		{
			name:       "429 Retry-After capped",
			faults:     []gitlabtest.Fault{{Path: "/pipelines/100", Status: 429, Times: 1, RetryAfter: "86400"}},
			wantSleeps: []time.Duration{gitlab.DefaultMaxWait},
			extra:      1,
		},
		{
			name:       "502 burst with exponential backoff",
			faults:     []gitlabtest.Fault{{Path: "/pipelines/200/bridges", Status: 502, Times: 4}},
			wantSleeps: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second},
			extra:      4,
		},
		{
			name:             "dropped connections",
			faults:           []gitlabtest.Fault{{Path: "/pipelines/303/jobs", Drop: true, Times: 2}},
			extra:            2,
			transportRetries: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := gitlabtest.New(t)
			addTree(fake)
			for _, f := range tc.faults {
				fake.Inject(f)
			}
			c, sleeps, _ := newClient(t, fake, nil)
			tree, err := c.PipelineTree(context.Background(), rootID)
			if err != nil {
				t.Fatalf("PipelineTree: %v", err)
			}
			if got := renderFrom(tree, fake); got != want {
				t.Errorf("tree differs from the clean run")
			}
			if got := fake.Requests(); got != cleanRequests+tc.extra {
				t.Errorf("fake saw %d requests, want %d", got, cleanRequests+tc.extra)
			}
			if tc.transportRetries {
				return
			}
			if !reflect.DeepEqual(sleeps.all(), tc.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", sleeps.all(), tc.wantSleeps)
			}
			if got := c.Requests(); got != cleanRequests+tc.extra {
				t.Errorf("client counted %d requests, want %d", got, cleanRequests+tc.extra)
			}
		})
	}
}

func TestPipelineTreePermanentOutage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault gitlabtest.Fault
	}{
		{"503 everywhere", gitlabtest.Fault{Status: 503, Times: -1}},
		{"shard jobs 500", gitlabtest.Fault{Path: "/pipelines/302/jobs", Status: 500, Times: -1}},
		{"dropped connections", gitlabtest.Fault{Path: "/pipelines/200/bridges", Drop: true, Times: -1}},
		{"429 forever", gitlabtest.Fault{Path: "/pipelines/100/jobs", Status: 429, RetryAfter: "1", Times: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := gitlabtest.New(t)
			addTree(fake)
			fake.Inject(tc.fault)
			c, sleeps, _ := newClient(t, fake, nil)
			_, err := c.PipelineTree(context.Background(), rootID)
			if !errors.Is(err, gitlab.ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			var apiErr *gitlab.APIError
			if !errors.As(err, &apiErr) || apiErr.Attempts != gitlab.DefaultMaxRetries+1 {
				t.Errorf("err = %#v, want an APIError after %d attempts", apiErr, gitlab.DefaultMaxRetries+1)
			}
			if !strings.Contains(err.Error(), "GET /projects/group%2Fproject/pipelines/") {
				t.Errorf("error %q does not name the request", err)
			}
			// Up to three requests (pipeline, jobs, bridges) retry side by side.
			if n := len(sleeps.all()); n < gitlab.DefaultMaxRetries || n > 3*gitlab.DefaultMaxRetries {
				t.Errorf("slept %d times, want %d to %d", n, gitlab.DefaultMaxRetries, 3*gitlab.DefaultMaxRetries)
			}
		})
	}
}

func TestPipelineTreeNotFound(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	addTree(fake)
	c, _, _ := newClient(t, fake, nil)
	_, err := c.PipelineTree(context.Background(), 999)
	if !errors.Is(err, gitlab.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	// The pipeline, its jobs and its trigger jobs (trigger_jobs, then
	// bridges where the server has no trigger_jobs) are asked for at once;
	// none is retried: no request is sent twice.
	seen := map[string]int{}
	for _, r := range fake.Log() {
		key := r.Method + " " + r.Path + "?" + r.Query
		if seen[key]++; seen[key] > 1 {
			t.Errorf("a 404 was retried: %s sent %d times", key, seen[key])
		}
	}
}

func TestPipelineTreeBoundedConcurrency(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	addTree(fake)
	fake.SetLatency(2 * time.Millisecond)
	c, _, _ := newClient(t, fake, func(cfg *gitlab.Config) { cfg.Concurrency = 2 })
	if _, err := c.PipelineTree(context.Background(), rootID); err != nil {
		t.Fatal(err)
	}
	if got := fake.MaxInFlight(); got > 2 {
		t.Errorf("%d requests in flight at once, Concurrency is 2", got)
	}
}

func TestPipelineTreeJobToken(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	addTree(fake)
	fake.SetToken("job-token-abc", true)
	c, _, _ := newClient(t, fake, func(cfg *gitlab.Config) { cfg.Token, cfg.JobToken = "job-token-abc", true })
	if _, err := c.PipelineTree(context.Background(), rootID); err != nil {
		t.Fatal(err)
	}
	for _, r := range fake.Log() {
		if r.Auth != "JOB-TOKEN" {
			t.Fatalf("%s %s sent %q, want JOB-TOKEN", r.Method, r.Path, r.Auth)
		}
	}
}

func TestTestReport(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	addTree(fake)
	fake.SetTestReport(shard1ID, []gitlabtest.TestSuite{
		{Name: "gke 1.35: [deploy]", Cases: []gitlabtest.TestCase{
			{Name: "deploys", Classname: "supportmatrix.deploy", Status: "success", ExecutionTime: 1.5},
			{Name: "rolls back", Classname: "supportmatrix.deploy", Status: "failed", SystemOutput: "timeout after 300s", ExecutionTime: 300},
		}},
		{Name: "kind 1.30: [feature-000]", Cases: []gitlabtest.TestCase{
			{Name: "ingress", Classname: "features", Status: "skipped", File: "features/ingress.sh"},
		}},
	})
	c, _, _ := newClient(t, fake, nil)
	got, err := c.TestReport(context.Background(), shard1ID)
	if err != nil {
		t.Fatal(err)
	}
	want := &ci.TestReport{
		TotalTime: 301.5, TotalCount: 3, SuccessCount: 1, FailedCount: 1, SkippedCount: 1,
		Suites: []ci.TestSuite{
			{Name: "gke 1.35: [deploy]", TotalTime: 301.5, TotalCount: 2, SuccessCount: 1, FailedCount: 1, Cases: []ci.TestCase{
				{Name: "deploys", Classname: "supportmatrix.deploy", Status: "success", ExecutionTime: 1.5},
				{Name: "rolls back", Classname: "supportmatrix.deploy", Status: "failed", SystemOutput: "timeout after 300s", ExecutionTime: 300},
			}},
			{Name: "kind 1.30: [feature-000]", TotalCount: 1, SkippedCount: 1, Cases: []ci.TestCase{
				{Name: "ingress", Classname: "features", Status: "skipped", File: "features/ingress.sh"},
			}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TestReport =\n%+v\nwant\n%+v", got, want)
	}
}

func TestTestReportForbidden(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	addTree(fake)
	fake.Inject(gitlabtest.Fault{Path: "/test_report", Status: 403, Times: -1})
	c, _, _ := newClient(t, fake, nil)
	_, err := c.TestReport(context.Background(), shard1ID)
	if !errors.Is(err, gitlab.ErrForbidden) {
		t.Fatalf("err = %v, want ErrForbidden", err)
	}
	if errors.Is(err, gitlab.ErrUnavailable) {
		t.Errorf("a 403 must not read as ErrUnavailable")
	}
	if c.Requests() != 1 {
		t.Errorf("a 403 was retried: %d requests", c.Requests())
	}
	if want := "GET /projects/group%2Fproject/pipelines/301/test_report: 403 Forbidden"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}

// TestConnectionsKeptPerConcurrency: the transport keeps one idle connection
// per request in flight, so a collection opens about Concurrency TCP
// connections, not a new one whenever more than Go's default 2 idle per host
// come back at once (issue #14). A little slack covers a connection that
// returns to the pool just after the next request dialled.
func TestConnectionsKeptPerConcurrency(t *testing.T) {
	t.Parallel()
	const concurrency = 8
	fake := gitlabtest.New(t)
	addTree(fake)
	fake.SetLatency(2 * time.Millisecond)
	c, _, _ := newClient(t, fake, func(cfg *gitlab.Config) { cfg.Concurrency = concurrency })
	for range 3 {
		if _, err := c.PipelineTree(context.Background(), rootID); err != nil {
			t.Fatal(err)
		}
	}
	if got := fake.Connections(); got > concurrency+2 {
		t.Errorf("%d TCP connections for %d requests at concurrency %d, want at most %d", got, c.Requests(), concurrency, concurrency+2)
	}
}
