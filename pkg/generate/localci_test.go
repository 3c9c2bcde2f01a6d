package generate

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// ciLocal returns gitlab-ci-local or skips (localcitest decides).
func ciLocal(t *testing.T) string {
	t.Helper()
	return localcitest.Binary(t)
}

// writeOut generates into dir/out and returns the output.
func writeOut(t *testing.T, plan *matrix.Plan, tdir string, opts Options, dir string) *Output {
	t.Helper()
	opts.ArtifactDir = "out"
	out, err := Generate(plan, openTemplates(t, tdir), opts)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if err := out.Write(filepath.Join(dir, "out")); err != nil {
		t.Fatalf("write: %v", err)
	}
	return out
}

// TestSchema validates every generated file of every example, shards
// included, against GitLab's CI schema through gitlab-ci-local.
func TestSchema(t *testing.T) {
	t.Parallel()
	bin := ciLocal(t)
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			dir := t.TempDir()
			tdir := ""
			if ex.templates != "" {
				tdir = filepath.Join(repo, ex.templates)
			}
			out := writeOut(t, load(t, filepath.Join(repo, ex.matrix)), tdir, Options{}, dir)
			var files []string
			for _, f := range out.Files {
				if strings.HasSuffix(f.Name, ".yml") {
					files = append(files, filepath.Join("out", f.Name))
				}
			}
			if err := localci.Validate(context.Background(), bin, localcitest.Env(), dir, files...); err != nil {
				t.Fatalf("GitLab's schema refuses the generated pipeline: %v", err)
			}
		})
	}
}

// TestSchemaSharded validates a router and its shards.
func TestSchemaSharded(t *testing.T) {
	t.Parallel()
	bin := ciLocal(t)
	dir := t.TempDir()
	plan := load(t, filepath.Join(repo, "examples/local/matrix.yaml"))
	plan.Matrix.Pipeline.Limits.MaxJobs = 20
	out := writeOut(t, plan, filepath.Join(repo, "examples/local/templates"), Options{}, dir)
	if out.Shards < 2 {
		t.Fatalf("want shards, got %d", out.Shards)
	}
	var files []string
	for _, f := range out.Files {
		if strings.HasSuffix(f.Name, ".yml") {
			files = append(files, filepath.Join("out", f.Name))
		}
	}
	if err := localci.Validate(context.Background(), bin, localcitest.Env(), dir, files...); err != nil {
		t.Fatalf("GitLab's schema refuses the sharded pipeline: %v", err)
	}
}

// localPlan is the local example with one extra failure: the deploy cell of
// sim-a 1.36, which the chain's other features need.
func localPlan(t *testing.T) *matrix.Plan {
	plan := load(t, filepath.Join(repo, "examples/local/matrix.yaml"))
	d := plan.Matrix.Distribution("sim-a")
	d.Variables = append(d.Variables, matrix.KV{Key: "SIM_FAIL", Value: "sim-a/1.36/deploy"})
	return plan
}

// checkOrder asserts that every job started after each job it needs
// finished, reading the needs from the generated manifest's files.
func checkOrder(t *testing.T, out *Output, res *localci.Result, triggerers func(file string) string) {
	t.Helper()
	for _, f := range out.Files {
		if !strings.HasSuffix(f.Name, ".yml") {
			continue
		}
		for name, needs := range parseNeeds(t, f.Data) {
			j, ok := res.Job(triggerers(f.Name), name)
			if !ok {
				t.Errorf("%s: job %q did not appear in the run", f.Name, name)
				continue
			}
			if j.Started < 0 {
				continue
			}
			for _, n := range needs {
				dep, ok := res.Job(triggerers(f.Name), n)
				if !ok || dep.Finished < 0 || dep.Finished > j.Started {
					t.Errorf("%s: %q started (event %d) before %q finished (event %d)", f.Name, name, j.Started, n, dep.Finished)
				}
			}
		}
	}
}

// TestRunLocal executes the local example with gitlab-ci-local: jobs run in
// needs order; the failing deploy of sim-a 1.36 skips only the jobs that
// need it, the teardown still runs, and every other chain passes.
func TestRunLocal(t *testing.T) {
	t.Parallel()
	bin := ciLocal(t)
	dir := t.TempDir()
	out := writeOut(t, localPlan(t), filepath.Join(repo, "examples/local/templates"), Options{NoReport: true}, dir)
	res, err := localci.Run(context.Background(), localci.Options{Binary: bin, Env: localcitest.Env(), Dir: dir, File: "out/pipeline.yml", Concurrency: 4})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	checkOrder(t, out, res, func(string) string { return "" })
	want := map[string]localci.Status{
		"sim-a 1.36: deploy":     localci.Failed,
		"sim-a 1.36: runner":     localci.Skipped,
		"sim-a 1.36: terminal":   localci.Skipped,
		"sim-a 1.36: monitoring": localci.Skipped,
		// GitLab runs a when: always job once its needs finished, skipped
		// ones included; gitlab-ci-local waits for a skipped job to finish,
		// so there the teardown behind skipped jobs never starts.
		"sim-a 1.36: teardown cluster": localci.Skipped,
		"sim-b 1.36: terminal":         localci.Failed,         // SIM_FAIL: terminal, nothing needs it
		"sim-b 1.37: terminal":         localci.AllowedFailure, // the allow_failure rule
	}
	for _, j := range res.Jobs {
		w, ok := want[j.Name]
		if !ok {
			w = localci.Success
		}
		if j.Status != w {
			t.Errorf("%s: %s, want %s", j.Name, j.Status, w)
		}
	}
	if len(res.Jobs) != len(out.Manifest.Jobs) {
		t.Errorf("%d jobs ran, the manifest lists %d", len(res.Jobs), len(out.Manifest.Jobs))
	}
}

// checkSharded checks a run of the sharded local plan whose router ran
// below the trigger chain top ("" when the router was the top pipeline):
// needs order in every file, the failing deploy of sim-a 1.36 and what it
// skips, the failing terminal of sim-b 1.36 (when the run has it), the
// failing shards' triggers, success everywhere else but in the report jobs
// (checkReports), and every job of every shard run.
func checkSharded(t *testing.T, out *Output, res *localci.Result, top string) {
	t.Helper()
	below := func(triggerers string) string {
		if top == "" {
			return triggerers
		}
		if triggerers == "" {
			return top
		}
		return top + " -> " + triggerers
	}
	checkOrder(t, out, res, func(file string) string {
		if file == PipelineFile {
			return below("")
		}
		return below(strings.TrimSuffix(file, ".yml"))
	})
	ran := 0
	for _, j := range res.Jobs {
		if top != "" && j.Triggerers == "" {
			continue // the test's parent pipeline
		}
		if j.Triggerers != below("") {
			ran++
		}
		switch {
		case strings.HasPrefix(j.Name, ReportJob):
			// checkReports
		case j.Name == "sim-a 1.36: deploy" || j.Name == "sim-b 1.36: terminal":
			if j.Status != localci.Failed {
				t.Errorf("%s: %s, want failed", j.Name, j.Status)
			}
		case strings.HasPrefix(j.Name, "sim-a 1.36: ") && j.Name != "sim-a 1.36: provision cluster":
			// the features that need deploy; the teardown for the reason
			// TestRunLocal gives
			if j.Status != localci.Skipped {
				t.Errorf("%s: %s, want skipped", j.Name, j.Status)
			}
		case j.Trigger && (j.Name == shardOf(out, "sim-a 1.36: deploy") || j.Name == shardOf(out, "sim-b 1.36: terminal")):
			if j.Status != localci.Failed {
				t.Errorf("trigger %s: %s, want failed (strategy follows the failing shard)", j.Name, j.Status)
			}
		case j.Status != localci.Success:
			t.Errorf("%s (%s): %s, want success", j.Name, j.Triggerers, j.Status)
		}
	}
	if want := len(out.Manifest.Jobs) - 1 - out.Shards; ran != want {
		t.Errorf("%d jobs ran in shards, the manifest lists %d", ran, want)
	}
}

// mergeRequestParent is a parent pipeline shaped like
// examples/parent-pipeline in a merge request: it runs only in a
// merge-request pipeline, its generate job provides out/ (generated by the
// test beforehand), and the trigger passes the merge request on, as GitLab
// does for a child of a merge-request pipeline (gitlab-ci-local passes
// --variable values to the top pipeline only).
const mergeRequestParent = `workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event" && $CI_MERGE_REQUEST_ID
stages: [generate, test]
generate:
  stage: generate
  script: [ls out/pipeline.yml out/shard-1.yml]
  artifacts:
    paths: [out/]
support-matrix:
  stage: test
  needs: [generate]
  trigger:
    include:
      - artifact: out/pipeline.yml
        job: generate
    strategy: depend
  variables:
    PARENT_PIPELINE_ID: $CI_PIPELINE_ID
    CI_PIPELINE_SOURCE: parent_pipeline
    CI_MERGE_REQUEST_ID: $CI_MERGE_REQUEST_ID
    CI_MERGE_REQUEST_IID: $CI_MERGE_REQUEST_IID
`

// TestRunMergeRequest forces shards with a small max_jobs and runs a
// merge-request-shaped parent -> child (the router, its provide job) ->
// shard pipelines to the end with gitlab-ci-local: CI_PIPELINE_SOURCE is
// merge_request_event and CI_MERGE_REQUEST_ID is set, the child and its
// shards carry the workflow rules that admit them (GitLab issue 322012),
// and every job of every shard runs in needs order.
//
// Each shard ends with its report job, which runs after every other job of
// the shard, failed ones included, and reports on the shard with the CI job
// token alone: against the fake GitLab fed with what gitlab-ci-local ran
// (localcitest.GitLab), on a private project, with the built supportmatrix
// on the jobs' PATH. Its artifacts hold the shard's table (checkReports).
func TestRunMergeRequest(t *testing.T) {
	t.Parallel()
	bin := ciLocal(t)
	sm := localcitest.Supportmatrix(t)
	dir := t.TempDir()
	plan := localPlan(t)
	plan.Matrix.Pipeline.Limits.MaxJobs = 8
	// sim-b fails its terminal job (SIM_FAIL), a feature nothing needs.
	sel, err := ParseSelectors("sim-a/1.36,sim-b/1.36,sim-c")
	if err != nil {
		t.Fatal(err)
	}
	const planText = "## Support matrix plan\n\nThe merge request changes sim-a.\n"
	out := writeOut(t, plan, filepath.Join(repo, "examples/local/templates"), Options{Only: sel, GenerateJob: "generate", Plan: []byte(planText)}, dir)
	if out.Shards < 2 {
		t.Fatalf("want shards, got %d", out.Shards)
	}
	fake := gitlabtest.New(t)
	fake.SetToken(jobToken, true) // a private project, and only the job token
	gl := localcitest.NewGitLab(t, fake, "merge_request_event", dir, "support-matrix")
	for name, data := range map[string]string{
		".gitlab-ci.yml": mergeRequestParent,
		// What GitLab gives every job of every pipeline, here as project
		// variables, which gitlab-ci-local passes to child pipelines too
		// (--variable reaches the top pipeline only): the API and a job
		// token. And PARENT_PIPELINE_ID: GitLab expands a trigger job's
		// variables in the trigger job (lib/gitlab/ci/variables/downstream/
		// generator.rb), so the router passes the parent's id on to its
		// shards; gitlab-ci-local passes them unexpanded (src/job.ts
		// startTriggerPipeline), so the shards read the id from here.
		".gitlab-ci-local-variables.yml": fmt.Sprintf("CI_API_V4_URL: %s/api/v4\nCI_JOB_TOKEN: %s\nPARENT_PIPELINE_ID: \"%d\"\n", gl.URL, jobToken, localcitest.FirstPipelineID),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var output bytes.Buffer
	res, err := localci.Run(context.Background(), localci.Options{Binary: bin, Dir: dir, Concurrency: 4, Env: localcitest.Env(sm),
		Progress: gl, Output: &output, Variables: map[string]string{
			"CI_PIPELINE_SOURCE":   "merge_request_event",
			"CI_MERGE_REQUEST_ID":  "4242",
			"CI_MERGE_REQUEST_IID": "7",
		}})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, output.String())
	}
	for _, name := range []string{"generate", "support-matrix"} {
		j, ok := res.Job("", name)
		want := localci.Success
		if name == "support-matrix" {
			want = localci.Failed // the child fails with the failing deploy
		}
		if !ok || j.Status != want {
			t.Fatalf("parent job %s: %v %s, want %s", name, ok, j.Status, want)
		}
	}
	checkSharded(t, out, res, "support-matrix")
	checkReports(t, out, res, planText)
}

// jobToken is the CI job token of TestRunMergeRequest's jobs.
const jobToken = "glcbt-merge-request-job"

// checkReports reads each shard's report job's artifacts: the run as JSON
// with exactly the shard's cells, the Markdown with the plan and each
// cell's row (sim-b 1.36's failed terminal reported, not lost), and the
// JUnit report failing exactly the failed cells.
//
// In the shard of sim-a 1.36, whose deploy fails, gitlab-ci-local never
// starts the teardown behind the skipped features (TestRunLocal), nor the
// report job of the stage after it: there the job reads skipped. GitLab
// runs both (a when: always job runs once its needs or earlier stages end,
// skipped jobs included), as the CLI tests of the same commands show
// against the fake GitLab (pkg/cli TestSelfReportWithOnlyTheJobToken).
func checkReports(t *testing.T, out *Output, res *localci.Result, plan string) {
	t.Helper()
	for i := 1; i <= out.Shards; i++ {
		file := fmt.Sprintf("shard-%d.yml", i)
		name := ReportJobName(file)
		var job *localci.JobResult
		for k := range res.Jobs {
			if res.Jobs[k].Name == name {
				job = &res.Jobs[k]
			}
		}
		if job == nil {
			t.Errorf("%s: no report job %q", file, name)
			continue
		}
		if file == shardOf(out, "sim-a 1.36: deploy")+".yml" {
			if job.Status != localci.Skipped {
				t.Errorf("%s: %s %s; gitlab-ci-local was seen to skip it", file, name, job.Status)
			}
			continue
		}
		if job.Status != localci.Success {
			log, _ := os.ReadFile(job.LogFile)
			t.Errorf("%s: %s %s:\n%s", file, name, job.Status, log)
		}
		dir := filepath.Join(job.ArtifactsDir, ReportDir)
		hist, err := results.Read(filepath.Join(dir, "results.json"))
		if err != nil || len(hist.Runs) != 1 {
			t.Errorf("%s: results.json: %v", file, err)
			continue
		}
		want := map[string]results.Status{}
		for _, j := range out.Manifest.Jobs {
			if j.File == file && j.IsCellJob() {
				want[j.Cell] = results.Passed
			}
		}
		if _, ok := want["sim-b/1.36/terminal"]; ok {
			want["sim-b/1.36/terminal"] = results.Failed
		}
		got := map[string]results.Status{}
		for _, c := range hist.Runs[0].Cells {
			if c.Status != results.Excluded {
				got[c.Cell] = c.Status
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: the report's cells\n%v\nwant\n%v", file, got, want)
		}
		md, err := os.ReadFile(filepath.Join(dir, "results.md"))
		if err != nil || !strings.Contains(string(md), strings.TrimSpace(plan)) {
			t.Errorf("%s: results.md without the plan: %v\n%s", file, err, md)
		}
		var junit struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testsuite>testcase"`
		}
		data, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
		if err == nil {
			err = xml.Unmarshal(data, &junit)
		}
		if err != nil {
			t.Errorf("%s: junit.xml: %v", file, err)
			continue
		}
		failing := map[string]bool{}
		for _, c := range junit.Cases {
			failing[c.Name] = c.Failure != nil
		}
		if len(junit.Cases) != len(want) {
			t.Errorf("%s: %d JUnit cases, want one per cell (%d)", file, len(junit.Cases), len(want))
		}
		for cell, st := range want {
			row := fmt.Sprintf("| `%s` | %s", cell, map[results.Status]string{results.Passed: "✅ passed", results.Failed: "❌ failed"}[st])
			if !strings.Contains(string(md), row) {
				t.Errorf("%s: results.md lacks %q:\n%s", file, row, md)
			}
			if failing[cell] != (st == results.Failed) {
				t.Errorf("%s: JUnit case %s failing %v, want %v", file, cell, failing[cell], st == results.Failed)
			}
		}
	}
}

func shardOf(out *Output, job string) string {
	for _, j := range out.Manifest.Jobs {
		if j.Name == job {
			return strings.TrimSuffix(j.File, ".yml")
		}
	}
	return ""
}
