package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// Pipeline ids of the scenario: the parent, the child router, two shards.
const (
	parentID = 100
	childID  = 101
	shard1ID = 102
	shard2ID = 103
)

func loadPlan(t testing.TB) *matrix.Plan {
	t.Helper()
	m, err := matrix.Load(filepath.Join("testdata", "matrix.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return matrix.Expand(m)
}

// scenarioManifest is what generate would write for testdata/matrix.yaml
// split into two shards: gke in shard-1.yml, kind and its upgrade in
// shard-2.yml.
func scenarioManifest() *Manifest {
	m := &Manifest{Schema: ManifestSchema}
	add := func(j ManifestJob) { m.Jobs = append(m.Jobs, j) }
	add(ManifestJob{Name: "shard 1/2", File: "pipeline.yml", Kind: KindTrigger, Target: "shard-1.yml"})
	add(ManifestJob{Name: "shard 2/2", File: "pipeline.yml", Kind: KindTrigger, Target: "shard-2.yml"})
	chain := func(file, dist, minor string, features map[string]string) {
		add(ManifestJob{Name: fmt.Sprintf("%s %s: [prepare]", dist, minor), File: file, Kind: KindPrepare, Distribution: dist, Kubernetes: minor})
		for _, f := range []string{"deploy", "runner", "terminal"} {
			action, ok := features[f]
			if !ok {
				continue
			}
			add(ManifestJob{
				Name: fmt.Sprintf("%s %s: [%s]", dist, minor, f), File: file, Kind: KindTest,
				Cell: dist + "/" + minor + "/" + f, Distribution: dist, Kubernetes: minor, Feature: f, Action: action,
			})
		}
		add(ManifestJob{Name: fmt.Sprintf("%s %s: [cleanup]", dist, minor), File: file, Kind: KindCleanup, Distribution: dist, Kubernetes: minor})
	}
	all := map[string]string{"deploy": "run", "runner": "run", "terminal": "run"}
	chain("shard-1.yml", "gke", "1.35", map[string]string{"deploy": "run", "runner": "run"})
	chain("shard-1.yml", "gke", "1.36", map[string]string{"deploy": "run", "runner": "run", "terminal": "allow_failure"})
	chain("shard-2.yml", "kind", "1.35", all)
	chain("shard-2.yml", "kind", "1.36", all)
	add(ManifestJob{Name: "kind 1.35->1.36: [upgrade]", File: "shard-2.yml", Kind: KindUpgrade, Cell: "kind/1.35->1.36", Distribution: "kind", From: "1.35", To: "1.36", Action: "run"})
	return m
}

// fillScenario loads the fake with a pipeline holding every kind of
// outcome, retried jobs and more than 100 jobs in one pipeline.
func fillScenario(s *gitlabtest.Server) {
	s.AddPipeline(gitlabtest.Pipeline{ID: parentID, Source: "schedule", Ref: "main"})
	s.AddJob(parentID, gitlabtest.Job{ID: 1000, Name: "generate", Stage: "build", Duration: 5})
	s.AddBridge(parentID, gitlabtest.Bridge{ID: 1001, Name: "supportmatrix", Downstream: childID})

	s.AddPipeline(gitlabtest.Pipeline{ID: childID, Source: "parent_pipeline"})
	s.AddJob(childID, gitlabtest.Job{ID: 1100, Name: "shards", Stage: "build", Duration: 2})
	s.AddBridge(childID, gitlabtest.Bridge{ID: 1101, Name: "shard 1/2", Downstream: shard1ID})
	s.AddBridge(childID, gitlabtest.Bridge{ID: 1102, Name: "shard 2/2", Downstream: shard2ID})

	s.AddPipeline(gitlabtest.Pipeline{ID: shard1ID, Source: "parent_pipeline"})
	job := func(pid, id int64, name, status string, opts ...func(*gitlabtest.Job)) {
		j := gitlabtest.Job{ID: id, Name: name, Status: status, Duration: float64(id % 97)}
		for _, o := range opts {
			o(&j)
		}
		s.AddJob(pid, j)
	}
	allowFailure := func(j *gitlabtest.Job) { j.AllowFailure = true }
	reason := func(r string) func(*gitlabtest.Job) { return func(j *gitlabtest.Job) { j.FailureReason = r } }
	job(shard1ID, 2000, "gke 1.35: [prepare]", "success")
	job(shard1ID, 2001, "gke 1.35: [deploy]", "success")
	job(shard1ID, 2002, "gke 1.35: [runner]", "failed", reason("runner_system_failure")) // retried ...
	job(shard1ID, 2010, "gke 1.35: [runner]", "success")                                 // ... and passed: flaky
	job(shard1ID, 2003, "gke 1.35: [cleanup]", "success")
	job(shard1ID, 2004, "gke 1.36: [prepare]", "success")
	job(shard1ID, 2005, "gke 1.36: [deploy]", "failed", reason("script_failure"))
	job(shard1ID, 2006, "gke 1.36: [runner]", "skipped")
	job(shard1ID, 2007, "gke 1.36: [terminal]", "failed", allowFailure)
	job(shard1ID, 2008, "gke 1.36: [cleanup]", "success")
	s.SetTestReport(shard1ID, []gitlabtest.TestSuite{
		{Name: "gke 1.35", Cases: []gitlabtest.TestCase{
			{Classname: "supportmatrix", Name: "server version v1.35.4-gke.100", Status: "success"},
			{Classname: "gke/1.35/deploy", Name: "helm install", Status: "success"},
			{Classname: "gke/1.35/deploy", Name: "helm upgrade", Status: "success"},
			{Classname: "gke/1.35/runner.Jobs", Name: "run a job", Status: "success"},
			{Classname: "supportmatrix", Name: "server version v1.35.4-gke.100", Status: "success"},
		}},
		{Name: "gke 1.36", Cases: []gitlabtest.TestCase{
			{Classname: "gke/1.36/deploy", Name: "helm install", Status: "failed", SystemOutput: "timeout"},
			// The default templates' convention: classname is the feature;
			// the chain's connect job reports into the same suite.
			{Classname: "terminal", Name: "attach", Status: "error"},
			{Classname: "connect", Name: "context", Status: "success"},
		}},
	})

	s.AddPipeline(gitlabtest.Pipeline{ID: shard2ID, Source: "parent_pipeline"})
	job(shard2ID, 3000, "kind 1.35: [prepare]", "success")
	job(shard2ID, 3001, "kind 1.35: [deploy]", "canceled")
	job(shard2ID, 3002, "kind 1.35: [runner]", "manual")
	// kind 1.35: [terminal] never made it into the pipeline: not_run.
	job(shard2ID, 3003, "kind 1.35: [cleanup]", "success")
	job(shard2ID, 3004, "kind 1.36: [prepare]", "success")
	job(shard2ID, 3005, "kind 1.36: [deploy]", "success")
	job(shard2ID, 3006, "kind 1.36: [runner]", "success")
	job(shard2ID, 3007, "kind 1.36: [terminal]", "success")
	job(shard2ID, 3008, "kind 1.36: [cleanup]", "success")
	job(shard2ID, 3009, "kind 1.35->1.36: [upgrade]", "failed", reason("stuck_or_timeout_failure"))
	job(shard2ID, 3010, "kind 1.35->1.36: [upgrade]", "failed", reason("script_failure"))
	// 150 more jobs with higher ids: the cell jobs land on page 2 and 3.
	for i := range 150 {
		job(shard2ID, int64(4000+i), fmt.Sprintf("lint %d", i), "success")
	}
	s.SetTestReport(shard2ID, []gitlabtest.TestSuite{
		{Name: "kind 1.36", Cases: []gitlabtest.TestCase{
			{Classname: "supportmatrix", Name: "server version", Status: "skipped", SystemOutput: "v1.36.1"},
			{Classname: "provision", Name: "create cluster", Status: "success"},
			{Classname: "deploy", Name: "helm install", Status: "success"},
			{Classname: "runner", Name: "run", Status: "success"},
			{Classname: "runner", Name: "cache", Status: "skipped"},
			{Classname: "teardown", Name: "delete cluster", Status: "failed"},
		}},
		{Name: "kind 1.35->1.36", Cases: []gitlabtest.TestCase{
			{Classname: "upgrade", Name: "control plane", Status: "failed", SystemOutput: "etcd not ready"},
		}},
	})
}

func newClient(t testing.TB, s *gitlabtest.Server, mod func(*gitlab.Config)) *gitlab.Client {
	t.Helper()
	cfg := gitlab.Config{
		BaseURL: s.URL, Token: gitlabtest.DefaultToken, Project: fmt.Sprint(s.ProjectID),
		Sleep:  func(time.Duration) {},
		Jitter: func(time.Duration) time.Duration { return 0 },
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := gitlab.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runJSON encodes a run with the fake's random address replaced, so that
// runs read from different fakes compare equal.
func runJSON(t *testing.T, s *gitlabtest.Server, run results.Run) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(run); err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(s.URL, "/api/v4")
	return bytes.ReplaceAll(buf.Bytes(), []byte(base), []byte("https://gitlab.example"))
}

func collectScenario(t *testing.T, s *gitlabtest.Server, c *gitlab.Client) (results.Run, Summary, error) {
	t.Helper()
	return Pipeline(context.Background(), c, parentID, Options{
		Manifest: scenarioManifest(), Plan: loadPlan(t), DefaultBranch: "main",
	})
}

func TestPipelineEveryOutcome(t *testing.T) {
	s := gitlabtest.New(t)
	fillScenario(s)
	run, sum, err := collectScenario(t, s, newClient(t, s, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]results.Status{
		"gke/1.35/deploy":    results.Passed,
		"gke/1.35/runner":    results.Flaky,
		"gke/1.35/terminal":  results.Excluded,
		"gke/1.36/deploy":    results.Failed,
		"gke/1.36/runner":    results.Skipped,
		"gke/1.36/terminal":  results.AllowedFailure,
		"kind/1.35/deploy":   results.Canceled,
		"kind/1.35/runner":   results.NotRun,
		"kind/1.35/terminal": results.NotRun,
		"kind/1.36/deploy":   results.Passed,
		"kind/1.36/runner":   results.Passed,
		"kind/1.36/terminal": results.Passed,
		// A failed control-plane upgrade is the cluster's failure, not
		// the product's: broken (SPEC), recorded in run.Infra too.
		"kind/1.35->1.36": results.Broken,
	}
	if len(run.Cells) != len(want) {
		t.Errorf("got %d cells, want %d", len(run.Cells), len(want))
	}
	for _, c := range run.Cells {
		if want[c.Cell] != c.Status {
			t.Errorf("%s: status %s, want %s", c.Cell, c.Status, want[c.Cell])
		}
	}
	if !run.Counts || run.Partial || run.Incomplete || !run.TestReport {
		t.Errorf("run flags counts=%v partial=%v incomplete=%v test_report=%v, want a complete counting run with test report",
			run.Counts, run.Partial, run.Incomplete, run.TestReport)
	}
	if sum.Pipelines != 4 {
		t.Errorf("read %d pipelines, want 4", sum.Pipelines)
	}
	golden.Assert(t, "every-outcome.golden.json", runJSON(t, s, run))

	firstRequests := s.Requests()

	// Collecting again after the parent pipeline ran more jobs (collect,
	// publish) gives the same run.
	s.AddJob(parentID, gitlabtest.Job{ID: 9000, Name: "publish", Stage: "publish", Duration: 600})
	again, _, err := collectScenario(t, s, newClient(t, s, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(runJSON(t, s, again), runJSON(t, s, run)) {
		t.Errorf("collecting again changed the run:\n%s", runJSON(t, s, again))
	}

	// Request budget: S × (⌈N_s/100⌉ + 2) + 5.
	jobs := map[int64]int{parentID: 2, childID: 3, shard1ID: 10, shard2ID: 161}
	budget := 5
	for _, n := range jobs {
		budget += (n+99)/100 + 2
	}
	if firstRequests > int64(budget) {
		t.Errorf("%d API requests, budget %d", firstRequests, budget)
	}
	t.Logf("%d API requests for %d pipelines (budget %d)", firstRequests, len(jobs), budget)
}

func TestPipelineSameUnderStorms(t *testing.T) {
	clean := gitlabtest.New(t)
	fillScenario(clean)
	want, _, err := collectScenario(t, clean, newClient(t, clean, nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		faults []gitlabtest.Fault
	}{
		{"429 burst", []gitlabtest.Fault{{Status: http.StatusTooManyRequests, Times: 6, RetryAfter: "1"}, {Path: "/jobs", Status: http.StatusTooManyRequests, Times: 6, RetryAfter: "1"}}},
		{"502 burst", []gitlabtest.Fault{{Status: http.StatusBadGateway, Times: 5}}},
		{"mixed on jobs and reports", []gitlabtest.Fault{
			{Path: "/jobs", Status: http.StatusBadGateway, Times: 3},
			{Path: "/test_report", Status: http.StatusTooManyRequests, Times: 2, RateLimitReset: "1"},
			{Path: "/bridges", Status: http.StatusServiceUnavailable, Times: 2},
			{Path: "/jobs", Drop: true, Times: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gitlabtest.New(t)
			fillScenario(s)
			for _, f := range tt.faults {
				s.Inject(f)
			}
			// Bursts overlap on one request at most 12 times: allow that many
			// retries so that the burst, not the retry budget, is tested.
			got, _, err := collectScenario(t, s, newClient(t, s, func(c *gitlab.Config) { c.MaxRetries = 12 }))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(runJSON(t, s, got), runJSON(t, clean, want)) {
				t.Fatalf("storm changed the run:\n%s", runJSON(t, s, got))
			}
		})
	}
}

func TestPipelineFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*gitlabtest.Server)
		want  error
	}{
		{"permanent outage", func(s *gitlabtest.Server) {
			s.Inject(gitlabtest.Fault{Status: http.StatusBadGateway, Times: -1})
		}, gitlab.ErrUnavailable},
		{"outage of one shard", func(s *gitlabtest.Server) {
			s.Inject(gitlabtest.Fault{Path: fmt.Sprintf("/pipelines/%d/jobs", shard2ID), Status: http.StatusBadGateway, Times: -1})
		}, gitlab.ErrUnavailable},
		{"test reports down", func(s *gitlabtest.Server) {
			s.Inject(gitlabtest.Fault{Path: "/test_report", Status: http.StatusInternalServerError, Times: -1})
		}, gitlab.ErrUnavailable},
		{"wrong token", func(s *gitlabtest.Server) { s.SetToken("another-token", false) }, gitlab.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gitlabtest.New(t)
			fillScenario(s)
			tt.setup(s)
			_, _, err := collectScenario(t, s, newClient(t, s, func(c *gitlab.Config) { c.MaxRetries = 3 }))
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), gitlabtest.DefaultToken) {
				t.Fatalf("error shows the token: %v", err)
			}
		})
	}
}

func TestPipelineForbiddenTestReport(t *testing.T) {
	s := gitlabtest.New(t)
	fillScenario(s)
	s.Inject(gitlabtest.Fault{Path: "/test_report", Status: http.StatusForbidden, Times: -1})
	run, sum, err := collectScenario(t, s, newClient(t, s, nil))
	if err != nil {
		t.Fatal(err)
	}
	if run.TestReport {
		t.Error("run says it read the test report")
	}
	for _, c := range run.Cells {
		if c.Tests != nil || c.ServerVersion != "" {
			t.Errorf("%s has test data without a test report: %+v", c.Cell, c)
		}
	}
	if c := run.Cell("gke/1.35/runner"); c == nil || c.Status != results.Flaky {
		t.Errorf("statuses should still come from jobs: %+v", c)
	}
	n := 0
	for _, r := range s.Log() {
		if strings.HasSuffix(r.Path, "/test_report") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("asked for %d test reports after a 403, want 1", n)
	}
	notes := strings.Join(sum.Notes, "\n")
	if strings.Count(notes, "test report") != 1 {
		t.Errorf("notes should say once that the test report is unreadable: %q", sum.Notes)
	}
}

func TestPipelineRunMetadata(t *testing.T) {
	tests := []struct {
		name          string
		source, ref   string
		defaultBranch string
		mr            int
		wantCounts    bool
		wantMR        int
	}{
		{"schedule on default branch", "schedule", "main", "main", 0, true, 0},
		{"web on default branch", "web", "main", "main", 0, true, 0},
		{"push on default branch", "push", "main", "main", 0, false, 0},
		{"schedule on another branch", "schedule", "feature", "main", 0, false, 0},
		{"merge request", "merge_request_event", "refs/merge-requests/42/head", "main", 0, false, 42},
		{"merge request iid given", "merge_request_event", "feature", "main", 7, false, 7},
		{"default branch unknown", "schedule", "main", "", 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gitlabtest.New(t)
			s.AddPipeline(gitlabtest.Pipeline{ID: 5, Source: tt.source, Ref: tt.ref})
			s.AddJob(5, gitlabtest.Job{ID: 50, Name: "kind 1.36: [deploy]", Status: "running"})
			m := &Manifest{Schema: ManifestSchema, Jobs: []ManifestJob{
				{Name: "kind 1.36: [deploy]", File: "pipeline.yml", Kind: KindTest, Cell: "kind/1.36/deploy"},
			}}
			run, sum, err := Pipeline(context.Background(), newClient(t, s, nil), 5, Options{
				Manifest: m, Plan: loadPlan(t), DefaultBranch: tt.defaultBranch, MR: tt.mr,
			})
			if err != nil {
				t.Fatal(err)
			}
			if run.Counts != tt.wantCounts || run.MR != tt.wantMR {
				t.Errorf("counts=%v mr=%d, want %v and %d", run.Counts, run.MR, tt.wantCounts, tt.wantMR)
			}
			if !run.Partial {
				t.Error("a run of one cell out of the plan is partial")
			}
			if !run.Incomplete || run.Cells[len(run.Cells)-1].Status == results.Passed {
				t.Errorf("a running job is not_run and the run incomplete: %+v", run)
			}
			if c := run.Cell("kind/1.36/deploy"); c == nil || c.Status != results.NotRun {
				t.Errorf("running job: %+v, want not_run", c)
			}
			if !strings.Contains(strings.Join(sum.Notes, "\n"), "still running") {
				t.Errorf("notes %q should say the pipeline is still running", sum.Notes)
			}
			// A partial run lists the excluded cells of the
			// distribution × minors it ran, and no others: its counts
			// are the selection's.
			if c := run.Cell("gke/1.35/terminal"); c != nil {
				t.Errorf("excluded cell outside the run's chains: %+v", c)
			}
		})
	}
}
