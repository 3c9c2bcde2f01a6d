package collect

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

const jobToken = "glcbt-job-token-123"

// tokenTree fills the fake with a merge-request parent (70) whose trigger
// job runs a child (71) holding the cell jobs, each with its JUnit cases,
// and returns the manifest of the child.
func tokenTree(s *gitlabtest.Server) *Manifest {
	s.AddPipeline(gitlabtest.Pipeline{ID: 70, Source: "merge_request_event", Ref: "refs/merge-requests/5/head"})
	s.AddJob(70, gitlabtest.Job{ID: 700, Name: "generate"})
	s.AddBridge(70, gitlabtest.Bridge{ID: 701, Name: "supportmatrix", Downstream: 71})
	s.AddPipeline(gitlabtest.Pipeline{ID: 71, Source: "parent_pipeline", Ref: "refs/merge-requests/5/head"})
	m := &Manifest{Schema: ManifestSchema}
	for i, f := range []string{"deploy", "runner"} {
		name := "kind 1.36: " + f
		status := "success"
		tc := []gitlabtest.TestCase{
			{Classname: "supportmatrix", Name: "server version v1.36.2", Status: "success"},
			{Classname: f, Name: "works", Status: "success"},
		}
		if f == "runner" {
			status = "failed"
			tc = append(tc, gitlabtest.TestCase{Classname: f, Name: "cache", Status: "failed"})
		}
		s.AddJob(71, gitlabtest.Job{ID: int64(710 + i), Name: name, Status: status, Tests: tc})
		m.Jobs = append(m.Jobs, ManifestJob{Name: name, File: "pipeline.yml", Kind: KindTest, Cell: "kind/1.36/" + f,
			Distribution: "kind", Kubernetes: "1.36", Feature: f, Action: "run", Suite: name})
	}
	return m
}

func jobTokenClient(t *testing.T, s *gitlabtest.Server) *gitlab.Client {
	s.SetToken(jobToken, true)
	return newClient(t, s, func(c *gitlab.Config) { c.Token, c.JobToken = jobToken, true })
}

// TestJobTokenInChild: a CI job token may list a pipeline's jobs and
// download artifacts, nothing else collect used (lib/api/ci/pipelines.rb:
// only GET .../pipelines/:id/jobs is job_token_allowed; GET .../pipelines/:id
// and .../test_report are not, and GitLab answers 404 for a private
// project; lib/api/ci/job_artifacts.rb allows the artifacts download). Run
// in the child pipeline itself, collect records its cells with test counts
// and server versions read from each job's JUnit artifacts. Before, it asked
// for the pipeline record and failed with 404.
func TestJobTokenInChild(t *testing.T) {
	s := gitlabtest.New(t)
	m := tokenTree(s)
	run, _, err := Pipeline(context.Background(), jobTokenClient(t, s), 71, Options{Manifest: m, JobToken: true, DefaultBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status results.Status
		total  int
	}{"kind/1.36/deploy": {results.Passed, 1}, "kind/1.36/runner": {results.Failed, 2}}
	for _, c := range run.Cells {
		w := want[c.Cell]
		if c.Status != w.status || c.Tests == nil || c.Tests.Total != w.total || c.ServerVersion != "v1.36.2" {
			t.Errorf("%s: %s tests %+v version %q, want %s, %d tests, v1.36.2", c.Cell, c.Status, c.Tests, c.ServerVersion, w.status, w.total)
		}
	}
	if run.Source != "parent_pipeline" || run.MR != 5 || run.URL == "" {
		t.Errorf("run record source=%q mr=%d url=%q, want it from the jobs' pipeline field", run.Source, run.MR, run.URL)
	}
	for _, r := range s.Log() {
		if r.Auth != "JOB-TOKEN" {
			t.Errorf("%s %s sent %q", r.Method, r.Path, r.Auth)
		}
		switch {
		case strings.HasSuffix(r.Path, "/test_report"), strings.HasSuffix(r.Path, "/pipelines/71"):
			t.Errorf("asked %s with a job token", r.Path)
		case r.Status != http.StatusOK && !strings.HasSuffix(r.Path, "/trigger_jobs") && !strings.HasSuffix(r.Path, "/bridges"):
			t.Errorf("%s %s: %d", r.Method, r.Path, r.Status)
		}
	}
}

// TestJobTokenParentOutOfReach: in the parent, before GitLab 19.2, a job
// token cannot list the trigger jobs that lead to the cells: collect says
// so (ErrOutOfReach) rather than recording a run of not_run or failing.
func TestJobTokenParentOutOfReach(t *testing.T) {
	s := gitlabtest.New(t)
	m := tokenTree(s)
	_, _, err := Pipeline(context.Background(), jobTokenClient(t, s), 70, Options{Manifest: m, JobToken: true})
	if !errors.Is(err, ErrOutOfReach) {
		t.Fatalf("err = %v, want ErrOutOfReach", err)
	}
}

// TestJobTokenParent19_2: GitLab 19.2 lets a job token list trigger jobs
// (trigger_jobs and bridges are job_token_allowed with read_pipelines):
// collect follows the tree from the parent, through trigger_jobs.
func TestJobTokenParent19_2(t *testing.T) {
	s := gitlabtest.New(t)
	s.SetVersion("19.2")
	m := tokenTree(s)
	run, _, err := Pipeline(context.Background(), jobTokenClient(t, s), 70, Options{Manifest: m, JobToken: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Cells) != 2 || run.Cells[0].Tests == nil {
		t.Fatalf("cells %+v, want both with tests", run.Cells)
	}
	for _, r := range s.Log() {
		if strings.HasSuffix(r.Path, "/bridges") {
			t.Errorf("asked the deprecated %s on 19.2", r.Path)
		}
	}
}

// TestTriggerJobsFallback: before 19.2, trigger_jobs answers 404 once and
// the client uses /bridges from then on.
func TestTriggerJobsFallback(t *testing.T) {
	s := gitlabtest.New(t)
	m := tokenTree(s)
	if _, _, err := Pipeline(context.Background(), newClient(t, s, nil), 70, Options{Manifest: m}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range s.Log() {
		if strings.HasSuffix(r.Path, "/trigger_jobs") {
			n++
		}
	}
	if n > 1 {
		t.Errorf("trigger_jobs asked %d times after a 404", n)
	}
}
