package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/collect"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// jobTokenRoute matches the routes GitLab lets a CI job token use among
// those collect calls: a pipeline's jobs (lib/api/ci/pipelines.rb) and a
// job's artifacts (lib/api/ci/job_artifacts.rb), both `route_setting
// :authentication, job_token_allowed: true`; before 19.2 the trigger-job
// lists are not, and a private project answers them 404.
var jobTokenRoute = regexp.MustCompile(`^/projects/[^/]+/(pipelines/\d+/jobs|jobs/\d+/artifacts)$`)

// selfReportFixture is a merge-request pipeline on a private project whose
// router ran two shards: parent 80 (its generate job holds out/), router
// 81, shard pipeline 82 running shard-1.yml, where the report job runs now.
// In shard-1, kind 1.36's deploy passed and its runner failed; shard-2's
// cells are another pipeline's. It returns the manifest generate wrote.
func selfReportFixture(t *testing.T, s *gitlabtest.Server) collect.Manifest {
	t.Helper()
	m := collect.Manifest{Schema: collect.ManifestSchema, Cells: []string{"kind/1.36/deploy", "kind/1.36/runner", "gke/1.35/deploy"}}
	add := func(file, name, cell, feature, kube string) {
		dist := strings.SplitN(cell, "/", 2)[0]
		m.Jobs = append(m.Jobs, collect.ManifestJob{Name: name, File: file, Kind: collect.KindTest, Cell: cell,
			Distribution: dist, Kubernetes: kube, Feature: feature, Action: "run", Suite: name})
	}
	add("shard-1.yml", "kind 1.36: deploy", "kind/1.36/deploy", "deploy", "1.36")
	add("shard-1.yml", "kind 1.36: runner", "kind/1.36/runner", "runner", "1.36")
	m.Jobs = append(m.Jobs, collect.ManifestJob{Name: generate.ReportJobName("shard-1.yml"), File: "shard-1.yml", Kind: generate.KindReport, Suite: generate.ReportJobName("shard-1.yml")})
	add("shard-2.yml", "gke 1.35: deploy", "gke/1.35/deploy", "deploy", "1.35")
	m.Jobs = append(m.Jobs, collect.ManifestJob{Name: generate.ReportJobName("shard-2.yml"), File: "shard-2.yml", Kind: generate.KindReport, Suite: generate.ReportJobName("shard-2.yml")})
	manifest, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	s.AddPipeline(gitlabtest.Pipeline{ID: 80, Source: "merge_request_event", Ref: "refs/merge-requests/7/head"})
	s.AddJob(80, gitlabtest.Job{ID: 799, Name: "generate", Status: "failed"}) // an earlier attempt
	s.AddJob(80, gitlabtest.Job{ID: 800, Name: "generate", Files: map[string][]byte{
		"out/manifest.json":   manifest,
		"out/plan.md":         []byte("## Support matrix plan\n\n1 changed: `kind/1.36/runner`\n"),
		"out/shard-1.yml":     []byte("stages: [report]\n"),
		"out/deeper/x.txt":    []byte("not beside the manifest"),
		"out/../escape.txt":   []byte("outside the directory"),
		"elsewhere/plan.md":   []byte("another directory"),
		"out/manifest.json/x": []byte("nested"),
	}})
	s.AddPipeline(gitlabtest.Pipeline{ID: 81, Source: "parent_pipeline", Ref: "refs/merge-requests/7/head"})
	s.AddPipeline(gitlabtest.Pipeline{ID: 82, Source: "parent_pipeline", Ref: "refs/merge-requests/7/head"})
	s.AddJob(82, gitlabtest.Job{ID: 820, Name: "kind 1.36: deploy", Duration: 30, Tests: []gitlabtest.TestCase{
		{Classname: "supportmatrix", Name: "server version v1.36.2", Status: "success"},
		{Classname: "deploy", Name: "install", Status: "success"},
	}})
	s.AddJob(82, gitlabtest.Job{ID: 821, Name: "kind 1.36: runner", Status: "failed", FailureReason: "script_failure", Tests: []gitlabtest.TestCase{
		{Classname: "runner", Name: "install runner chart", Status: "failed"},
	}})
	// The report job itself, still running as it collects.
	s.AddJob(82, gitlabtest.Job{ID: 822, Name: generate.ReportJobName("shard-1.yml"), Stage: "report", Status: "running"})
	return m
}

// TestSelfReportWithOnlyTheJobToken runs the report job's commands, as
// generate writes them into shard-1.yml (report.go), with the real client
// against the strict fake and nothing but a CI job token on a private
// project: collect fetches the manifest and plan from the parent's generate
// job, records shard-1's cells only (the failure included, the report job
// not at all), and render writes the Markdown with the plan and the JUnit
// report. Every request carries the job token and goes to a route GitLab
// lets a job token use, or to a trigger-job list, which answers 404 before
// GitLab 19.2. From 19.2 the job token may list trigger jobs, and only
// --file keeps the other shard's cells out of this shard's report.
func TestSelfReportWithOnlyTheJobToken(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"18.0", "19.2"} {
		t.Run(version, func(t *testing.T) { testSelfReport(t, version) })
	}
}

func testSelfReport(t *testing.T, version string) {
	s := gitlabtest.New(t)
	s.SetToken("glcbt-job", true)
	s.SetVersion(version)
	selfReportFixture(t, s)
	dir := t.TempDir()
	report := filepath.Join(dir, generate.ReportDir)
	// The report job's environment: its variables (report.go) and GitLab's.
	env := map[string]string{
		"CI_API_V4_URL":                   s.URL,
		"CI_PROJECT_ID":                   fmt.Sprint(s.ProjectID),
		"CI_JOB_TOKEN":                    "glcbt-job",
		"CI_PIPELINE_ID":                  "82",
		"CI_MERGE_REQUEST_IID":            "7",
		"SUPPORTMATRIX_MANIFEST":          filepath.Join(dir, "out", "manifest.json"),
		"SUPPORTMATRIX_MANIFEST_JOB":      "generate",
		generate.ManifestPipelineVariable: "80",
		"SUPPORTMATRIX_FILE":              "shard-1.yml",
		"SUPPORTMATRIX_RESULTS":           filepath.Join(report, "results.json"),
		"SUPPORTMATRIX_MATRIX":            collectMatrix,
	}
	code, out, stderr := runInDir(t, dir, env, "collect")
	if code != 0 || !strings.Contains(out, "collected pipeline 82 (preview run)") {
		t.Fatalf("collect: exit %d:\n%s%s", code, out, stderr)
	}
	for name, want := range map[string]bool{"manifest.json": true, "plan.md": true, "shard-1.yml": true, "x.txt": false, "escape.txt": false} {
		_, err := os.Stat(filepath.Join(dir, "out", name))
		if got := err == nil; got != want {
			t.Errorf("out/%s fetched: %v, want %v (only the files beside the manifest)", name, got, want)
		}
	}
	for _, p := range []string{filepath.Join(dir, "escape.txt"), filepath.Join(dir, "elsewhere")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	f, err := results.Read(filepath.Join(report, "results.json"))
	if err != nil || len(f.Runs) != 1 {
		t.Fatalf("results: %v, %d runs", err, len(f.Runs))
	}
	run := f.Runs[0]
	got := map[string]results.Status{}
	for _, c := range run.Cells {
		got[c.Cell] = c.Status
	}
	want := map[string]results.Status{"kind/1.36/deploy": results.Passed, "kind/1.36/runner": results.Failed}
	for cell, st := range want {
		if got[cell] != st {
			t.Errorf("%s: %q, want %q", cell, got[cell], st)
		}
	}
	if _, ok := got["gke/1.35/deploy"]; ok {
		t.Errorf("shard-2's cell recorded by shard-1's report: %v", got)
	}
	if run.Counts || run.Incomplete || run.MR != 7 {
		t.Errorf("run counts %v, incomplete %v (the running report job must not count), mr %d", run.Counts, run.Incomplete, run.MR)
	}

	code, out, stderr = runInDir(t, dir, env, "render", "--format", "run", "--plan", filepath.Join(dir, "out", "plan.md"), "--out", filepath.Join(report, "results.md"))
	if code != 0 {
		t.Fatalf("render run: exit %d:\n%s%s", code, out, stderr)
	}
	md, _ := os.ReadFile(filepath.Join(report, "results.md"))
	for _, w := range []string{"1 changed: `kind/1.36/runner`", "| `kind/1.36/runner` | ❌ failed |", "| `kind/1.36/deploy` | ✅ passed |", "2 cells ran: 1 passed, 1 failed"} {
		if !strings.Contains(string(md), w) {
			t.Errorf("results.md lacks %q:\n%s", w, md)
		}
	}
	if strings.Contains(string(md), "gke/1.35") || strings.Contains(string(md), generate.ReportJobName("shard-1.yml")) {
		t.Errorf("results.md shows another shard's cell or the report job:\n%s", md)
	}
	code, out, stderr = runInDir(t, dir, env, "render", "--format", "junit", "--out", filepath.Join(report, "junit.xml"))
	if code != 0 {
		t.Fatalf("render junit: exit %d:\n%s%s", code, out, stderr)
	}
	junit, _ := os.ReadFile(filepath.Join(report, "junit.xml"))
	cases, err := collect.ParseJUnit("junit.xml", junit)
	if err != nil {
		t.Fatalf("the report's JUnit does not parse: %v\n%s", err, junit)
	}
	status := map[string]string{}
	for _, c := range cases {
		status[c.Name] = string(c.Status)
	}
	if status["kind/1.36/runner"] != "failed" || status["kind/1.36/deploy"] != "success" || len(cases) != 2 {
		t.Errorf("JUnit cases %v, want the runner failed and deploy passed", status)
	}

	for _, r := range s.Log() {
		switch {
		case r.Auth != "JOB-TOKEN":
			t.Errorf("%s %s sent %q, not the job token", r.Method, r.Path, r.Auth)
		case jobTokenRoute.MatchString(r.Path):
			if r.Status != 200 {
				t.Errorf("%s %s: %d", r.Method, r.Path, r.Status)
			}
		case version == "19.2" && strings.HasSuffix(r.Path, "/trigger_jobs"):
			if r.Status != 200 {
				t.Errorf("%s %s: %d, want 200 (a job token from 19.2)", r.Method, r.Path, r.Status)
			}
		case strings.HasSuffix(r.Path, "/bridges") || strings.HasSuffix(r.Path, "/trigger_jobs"):
			if r.Status != 404 {
				t.Errorf("%s %s: %d, want 404 (a job token before 19.2)", r.Method, r.Path, r.Status)
			}
		default:
			t.Errorf("%s %s: not a route a job token may use", r.Method, r.Path)
		}
	}
}

// TestSelfReportManifestErrors: the report says plainly why it has nothing
// to report and writes no results: no generate job in the parent, a
// generate job that did not succeed, no manifest in its artifacts, and
// --manifest-job without the parent pipeline.
func TestSelfReportManifestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(s *gitlabtest.Server)
		vars  map[string]string
		want  string
	}{
		{"no such job", func(s *gitlabtest.Server) {}, map[string]string{"SUPPORTMATRIX_MANIFEST_JOB": "supportmatrix-generate"}, `pipeline 80 has no job "supportmatrix-generate"`},
		{"generate failed", func(s *gitlabtest.Server) {
			s.AddJob(80, gitlabtest.Job{ID: 801, Name: "generate", Status: "failed", Files: map[string][]byte{"x": nil}})
		}, nil, `job "generate" of pipeline 80 is failed, not success`},
		{"no manifest", func(s *gitlabtest.Server) {}, map[string]string{"SUPPORTMATRIX_MANIFEST": "other/manifest.json"}, "hold no other/manifest.json"},
		{"no parent", func(s *gitlabtest.Server) {}, map[string]string{generate.ManifestPipelineVariable: ""}, "give --manifest-pipeline ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gitlabtest.New(t)
			s.SetToken("glcbt-job", true)
			selfReportFixture(t, s)
			tt.setup(s)
			dir := t.TempDir()
			env := map[string]string{
				"CI_API_V4_URL": s.URL, "CI_PROJECT_ID": fmt.Sprint(s.ProjectID), "CI_JOB_TOKEN": "glcbt-job",
				"CI_PIPELINE_ID": "82", "SUPPORTMATRIX_MANIFEST": "out/manifest.json", "SUPPORTMATRIX_MANIFEST_JOB": "generate",
				generate.ManifestPipelineVariable: "80", "SUPPORTMATRIX_FILE": "shard-1.yml",
				"SUPPORTMATRIX_RESULTS": filepath.Join(dir, "r.json"),
			}
			for k, v := range tt.vars {
				env[k] = v
			}
			if p := env["SUPPORTMATRIX_MANIFEST"]; !filepath.IsAbs(p) {
				env["SUPPORTMATRIX_MANIFEST"] = filepath.Join(dir, p)
			}
			code, out, stderr := runInDir(t, dir, env, "collect")
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, want a failure saying %q:\n%s%s", code, tt.want, out, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "r.json")); err == nil {
				t.Error("results written")
			}
		})
	}
}
