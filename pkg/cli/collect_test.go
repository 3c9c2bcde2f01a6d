package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/collect"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// gitlabEnv is the environment of a CI job pointed at the fake: its API
// URL, project and a token. Nil s is an environment without GitLab.
func gitlabEnv(s *gitlabtest.Server) map[string]string {
	if s == nil {
		return map[string]string{}
	}
	return map[string]string{
		"CI_API_V4_URL":       s.URL,
		"CI_PROJECT_ID":       fmt.Sprint(s.ProjectID),
		"SUPPORTMATRIX_TOKEN": gitlabtest.DefaultToken,
	}
}

// collectFixture fills the fake with a parent pipeline and its child, and
// writes the child's manifest; it returns the manifest path.
func collectFixture(t *testing.T, s *gitlabtest.Server, dir string) string {
	t.Helper()
	s.AddPipeline(gitlabtest.Pipeline{ID: 70, Source: "schedule", Ref: "main"})
	s.AddBridge(70, gitlabtest.Bridge{ID: 700, Name: "supportmatrix", Downstream: 71})
	s.AddPipeline(gitlabtest.Pipeline{ID: 71, Source: "parent_pipeline"})
	s.AddJob(71, gitlabtest.Job{ID: 710, Name: "kind 1.36: [deploy]", Duration: 30})
	s.AddJob(71, gitlabtest.Job{ID: 711, Name: "kind 1.36: [runner]", Status: "failed"})
	s.AddJob(71, gitlabtest.Job{ID: 712, Name: "kind 1.36: [runner]", Duration: 12})
	s.AddJob(71, gitlabtest.Job{ID: 713, Name: "kind 1.36: [terminal]", Status: "manual"})
	s.SetTestReport(71, []gitlabtest.TestSuite{{Name: "kind 1.36", Cases: []gitlabtest.TestCase{
		{Classname: "supportmatrix", Name: "server version v1.36.2", Status: "success"},
		{Classname: "kind/1.36/deploy", Name: "install", Status: "success"},
	}}})
	m := collect.Manifest{Schema: collect.ManifestSchema}
	for _, f := range []string{"deploy", "runner", "terminal"} {
		m.Jobs = append(m.Jobs, collect.ManifestJob{Name: "kind 1.36: [" + f + "]", File: "pipeline.yml", Kind: collect.KindTest,
			Cell: "kind/1.36/" + f, Distribution: "kind", Kubernetes: "1.36", Feature: f, Action: "run"})
	}
	data, _ := json.Marshal(m)
	path := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func collectRun(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return runIn(t, env, append([]string{"collect"}, args...)...)
}

var collectMatrix = filepath.Join("..", "collect", "testdata", "matrix.yaml")

func TestCollectPipeline(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	dir := t.TempDir()
	manifest := collectFixture(t, s, dir)
	resultsPath := filepath.Join(dir, "results.json")
	args := []string{"--pipeline", "70", "--manifest", manifest, "--results", resultsPath, "--matrix", collectMatrix, "--default-branch", "main"}

	code, stdout, stderr := collectRun(t, env, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "collected pipeline 70 (counting run)") || !strings.Contains(stdout, "1 passed, 1 flaky") {
		t.Errorf("summary %q", stdout)
	}
	first, err := os.ReadFile(resultsPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := results.Parse(resultsPath, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != 1 || !f.Runs[0].Counts || !f.Runs[0].Partial {
		t.Fatalf("runs %+v, want one counting partial run", f.Runs)
	}
	if c := f.Runs[0].Cell("kind/1.36/deploy"); c == nil || c.ServerVersion != "v1.36.2" || c.Status != results.Passed {
		t.Errorf("deploy cell %+v", c)
	}
	if c := f.Runs[0].Cell("gke/1.35/terminal"); c != nil {
		t.Errorf("a partial run lists the excluded cells of the chains it ran only: %+v", c)
	}

	// Collecting the same pipeline again changes nothing.
	if code, _, stderr := collectRun(t, env, args...); code != 0 {
		t.Fatalf("second collect: exit %d\n%s", code, stderr)
	}
	second, _ := os.ReadFile(resultsPath)
	if !bytes.Equal(first, second) {
		t.Fatalf("collecting twice changed the file:\n%s\n---\n%s", first, second)
	}
}

func TestCollectFailuresLeaveResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(*gitlabtest.Server, map[string]string)
		wantCode int
		wantErr  []string
	}{
		{"API down", func(s *gitlabtest.Server, _ map[string]string) {
			s.Inject(gitlabtest.Fault{Status: http.StatusBadGateway, Times: -1})
		}, ExitAPI, []string{"502", "left unchanged"}},
		{"rate limited for good", func(s *gitlabtest.Server, _ map[string]string) {
			s.Inject(gitlabtest.Fault{Status: http.StatusTooManyRequests, Times: -1, RetryAfter: "0"})
		}, ExitAPI, []string{"429"}},
		{"wrong token", func(_ *gitlabtest.Server, env map[string]string) {
			env["SUPPORTMATRIX_TOKEN"] = "glpat-wrong-secret"
		}, ExitInvalid, []string{"401", "SUPPORTMATRIX_TOKEN"}},
		{"no such pipeline", func(*gitlabtest.Server, map[string]string) {}, ExitInvalid, []string{"no pipeline 99"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := gitlabtest.New(t)
			env := gitlabEnv(s)
			dir := t.TempDir()
			manifest := collectFixture(t, s, dir)
			resultsPath := filepath.Join(dir, "results.json")
			// An existing history from an earlier run.
			old := results.New()
			old.Merge(results.Run{Pipeline: 5, Source: "schedule", Counts: true, Cells: []results.CellResult{{Cell: "kind/1.36/deploy", Kind: "test", Status: results.Passed}}})
			before, _ := old.Marshal()
			if err := os.WriteFile(resultsPath, before, 0o644); err != nil {
				t.Fatal(err)
			}
			tt.setup(s, env)
			pipeline := "70"
			if tt.name == "no such pipeline" {
				pipeline = "99"
			}
			code, _, stderr := collectRun(t, env, "--pipeline", pipeline, "--manifest", manifest, "--results", resultsPath, "--matrix", collectMatrix)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tt.wantCode, stderr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			for _, secret := range []string{gitlabtest.DefaultToken, "glpat-wrong-secret"} {
				if strings.Contains(stderr, secret) {
					t.Errorf("stderr shows the token")
				}
			}
			after, _ := os.ReadFile(resultsPath)
			if !bytes.Equal(before, after) {
				t.Fatalf("results file changed:\n%s", after)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 2 {
				t.Errorf("files left behind: %v", entries)
			}
		})
	}
}

func TestCollectForbiddenTestReport(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	dir := t.TempDir()
	manifest := collectFixture(t, s, dir)
	s.Inject(gitlabtest.Fault{Path: "/test_report", Status: http.StatusForbidden, Times: -1})
	code, _, stderr := collectRun(t, env, "--pipeline", "70", "--manifest", manifest, "--results", filepath.Join(dir, "r.json"), "--matrix", collectMatrix)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if n := strings.Count(stderr, "may not read test reports"); n != 1 {
		t.Errorf("said %d times that test reports are unreadable, want once:\n%s", n, stderr)
	}
}

func TestCollectInputErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	manifest := collectFixture(t, s, dir)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"neither source", []string{"--manifest", manifest}, ExitUsage, "--pipeline ID or --local-dir"},
		{"both sources", []string{"--pipeline", "70", "--local-dir", dir, "--manifest", manifest}, ExitUsage, "not both"},
		{"no manifest", []string{"--pipeline", "70"}, ExitUsage, "--manifest"},
		{"corrupt results", []string{"--pipeline", "70", "--manifest", manifest, "--results", corrupt, "--matrix", collectMatrix}, ExitInvalid, corrupt},
		{"missing manifest", []string{"--pipeline", "70", "--manifest", filepath.Join(dir, "nope.json")}, ExitInvalid, "nope.json"},
		{"no local run", []string{"--local-dir", t.TempDir(), "--manifest", manifest, "--results", filepath.Join(dir, "r.json"), "--matrix", collectMatrix}, ExitInvalid, "run --local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Requests()
			code, _, stderr := collectRun(t, env, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
			if s.Requests() != before {
				t.Errorf("bad input still asked GitLab")
			}
		})
	}
}

func TestCollectLocalDir(t *testing.T) {
	t.Parallel()
	env := map[string]string{"CI_PIPELINE_ID": "123"} // as in a CI job: --local-dir still wins
	dir := t.TempDir()
	s := gitlabtest.New(t)
	manifest := collectFixture(t, s, dir)
	res := &localci.Result{Jobs: []localci.JobResult{
		{Name: "kind 1.36: [deploy]", Pipeline: "pipeline.yml", Status: localci.Success},
		{Name: "kind 1.36: [runner]", Pipeline: "pipeline.yml", Status: localci.Failed},
		{Name: "kind 1.36: [terminal]", Pipeline: "pipeline.yml", Status: localci.Manual},
	}}
	if err := collect.SaveLocal(dir, res); err != nil {
		t.Fatal(err)
	}
	resultsPath := filepath.Join(dir, "results.json")
	code, stdout, stderr := collectRun(t, env, "--local-dir", dir, "--manifest", manifest, "--results", resultsPath,
		"--matrix", collectMatrix, "--time", "2026-05-01T12:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "collected local run 1 (preview run)") || !strings.Contains(stdout, "1 passed, 1 failed") {
		t.Errorf("summary %q", stdout)
	}
	f, err := results.Read(resultsPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != 1 || !f.Runs[0].Local || f.Runs[0].FinishedAt.Format("2006-01-02") != "2026-05-01" {
		t.Fatalf("runs %+v", f.Runs)
	}
	if s.Requests() != 0 {
		t.Errorf("a local collect asked GitLab %d times", s.Requests())
	}
}

// TestCollectTransportFailuresExit3: a body cut mid-transfer on every
// attempt, and an API that never answers, end in exit 3 (the API failed)
// with the results file untouched, never exit 1 ("invalid input"); the
// hanging API ends at --timeout.
func TestCollectTransportFailuresExit3(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]gitlabtest.Fault{
		"cut body": {Path: "/jobs", Truncate: true, Times: -1},
		"hang":     {Path: "/jobs", Hang: true, Times: -1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := gitlabtest.New(t)
			env := gitlabEnv(s)
			dir := t.TempDir()
			manifest := collectFixture(t, s, dir)
			s.Inject(f)
			res := filepath.Join(dir, "results.json")
			code, _, stderr := collectRun(t, env, "--pipeline", "70", "--manifest", manifest, "--results", res, "--timeout", "300ms")
			if code != 3 {
				t.Fatalf("exit %d, want 3; stderr:\n%s", code, stderr)
			}
			if name == "hang" && !strings.Contains(stderr, "(--timeout 300ms)") {
				t.Errorf("stderr does not name --timeout:\n%s", stderr)
			}
			if _, err := os.Stat(res); !os.IsNotExist(err) {
				t.Errorf("results written after a failure: %v", err)
			}
		})
	}
}

// TestCollectConcurrentLosesNoRun: 20 collects of 20 scheduled pipelines
// into one results file at once keep all 20 runs (without the file lock,
// 14 of 20 were lost: issue #13).
func TestCollectConcurrentLosesNoRun(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	env["CI_DEFAULT_BRANCH"] = "main"
	dir := t.TempDir()
	manifest := collectFixture(t, s, dir)
	const collects = 20
	for i := range collects {
		parent, child := int64(1000+2*i), int64(1001+2*i)
		s.AddPipeline(gitlabtest.Pipeline{ID: parent, Source: "schedule", Ref: "main"})
		s.AddBridge(parent, gitlabtest.Bridge{ID: 50000 + parent, Name: "supportmatrix", Downstream: child})
		s.AddPipeline(gitlabtest.Pipeline{ID: child, Source: "parent_pipeline"})
		s.AddJob(child, gitlabtest.Job{ID: 60000 + child, Name: "kind 1.36: [deploy]"})
	}
	res := filepath.Join(dir, "results.json")
	var wg sync.WaitGroup
	codes := make([]int, collects)
	stderrs := make([]string, collects)
	for i := range collects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, stderrs[i] = collectRun(t, env, "--pipeline", fmt.Sprint(1000+2*i), "--manifest", manifest, "--results", res, "--matrix", "")
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Fatalf("collect %d: exit %d\n%s", i, c, stderrs[i])
		}
	}
	f, err := results.Read(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != collects {
		t.Fatalf("%d runs in %s, want %d", len(f.Runs), res, collects)
	}
}

// TestCollectRefusesLooseManifests: a manifest none of whose jobs is in the
// pipeline once recorded a run of not_run, and a manifest of another matrix
// was accepted; both are refused naming the manifest, and nothing is written.
func TestCollectRefusesLooseManifests(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, dir string, cells ...string) string {
		m := collect.Manifest{Schema: collect.ManifestSchema}
		for _, c := range cells {
			parts := strings.Split(c, "/")
			m.Jobs = append(m.Jobs, collect.ManifestJob{Name: parts[0] + " " + parts[1] + ": [" + parts[2] + "]", File: "pipeline.yml",
				Kind: collect.KindTest, Cell: c, Distribution: parts[0], Kubernetes: parts[1], Feature: parts[2], Action: "run"})
		}
		data, _ := json.Marshal(m)
		path := filepath.Join(dir, "other-manifest.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name  string
		cells []string
		want  string
	}{
		{"matches nothing", []string{"gke/1.35/deploy", "gke/1.35/runner"}, "none of its 2 cell jobs is there"},
		{"another matrix", []string{"kind/1.36/deploy", "aks/1.36/deploy"}, "cells [aks/1.36/deploy (job \"aks 1.36: [deploy]\")] are not in it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gitlabtest.New(t)
			env := gitlabEnv(s)
			dir := t.TempDir()
			collectFixture(t, s, dir)
			manifest := write(t, dir, tt.cells...)
			res := filepath.Join(dir, "results.json")
			code, _, stderr := collectRun(t, env, "--pipeline", "70", "--manifest", manifest, "--results", res, "--matrix", collectMatrix)
			if code != 1 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, manifest) {
				t.Fatalf("exit %d, want 1 naming %s and saying %q:\n%s", code, manifest, tt.want, stderr)
			}
			if _, err := os.Stat(res); !os.IsNotExist(err) {
				t.Errorf("results written: %v", err)
			}
		})
	}
}

// TestCollectJobTokenInParentSkips: with only a CI job token, in the parent
// of a merge-request pipeline on GitLab before 19.2, the child pipelines
// that ran the cells are out of reach (trigger-job lists refuse a job
// token, lib/api/ci/pipelines.rb): collect says so in one line, exits 0 and
// writes nothing. Before, it asked for the pipeline record, got 404 and
// failed the job.
func TestCollectJobTokenInParentSkips(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	s.SetToken("glcbt-job", true)
	env := gitlabEnv(s)
	delete(env, "SUPPORTMATRIX_TOKEN")
	env["CI_JOB_TOKEN"] = "glcbt-job"
	dir := t.TempDir()
	manifest := collectFixture(t, s, dir)
	res := filepath.Join(dir, "results.json")
	code, out, stderr := collectRun(t, env, "--pipeline", "70", "--manifest", manifest, "--results", res)
	if code != 0 || !strings.Contains(out, "collect: skipped: pipeline 70's cells ran in child pipelines") {
		t.Fatalf("exit %d, want 0 and the skip explained:\n%s%s", code, out, stderr)
	}
	if _, err := os.Stat(res); !os.IsNotExist(err) {
		t.Errorf("results written: %v", err)
	}
	// In the child itself the same token collects the child's cells.
	code, out, stderr = collectRun(t, env, "--pipeline", "71", "--manifest", manifest, "--results", res)
	if code != 0 || !strings.Contains(out, "collected pipeline 71") {
		t.Fatalf("in the child: exit %d:\n%s%s", code, out, stderr)
	}
}

// TestCollectNeverPrintsURLCredentials: a token embedded in --api-url, well
// formed or not, is refused and never printed (issue #13).
func TestCollectNeverPrintsURLCredentials(t *testing.T) {
	t.Parallel()
	const secret = "glpat-EMBEDDED-0123456789"
	dir := t.TempDir()
	manifest := collectFixture(t, gitlabtest.New(t), dir)
	for _, u := range []string{
		"https://oauth2:" + secret + "@gitlab.example/api/v4",
		"https://oauth2:" + secret + "@gitlab.example:port/api/v4",
		"gitlab.example/api/v4#https://" + secret + "@x",
	} {
		env := map[string]string{"SUPPORTMATRIX_TOKEN": secret, "CI_PROJECT_ID": "1"}
		code, out, stderr := collectRun(t, env, "--pipeline", "70", "--manifest", manifest, "--results", filepath.Join(dir, "r.json"), "--api-url", u)
		if code == 0 || strings.Contains(out+stderr, secret) || strings.Contains(out+stderr, "EMBEDDED") {
			t.Errorf("--api-url %q: exit %d, output:\n%s%s", u, code, out, stderr)
		}
	}
}
