package generate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
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
			if err := localci.Validate(context.Background(), bin, dir, files...); err != nil {
				t.Fatalf("GitLab's schema refuses the generated pipeline: %v", err)
			}
		})
	}
}

// TestSchemaSharded validates a router and its shards.
func TestSchemaSharded(t *testing.T) {
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
	if err := localci.Validate(context.Background(), bin, dir, files...); err != nil {
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
	bin := ciLocal(t)
	dir := t.TempDir()
	out := writeOut(t, localPlan(t), filepath.Join(repo, "examples/local/templates"), Options{NoReport: true}, dir)
	res, err := localci.Run(context.Background(), localci.Options{Binary: bin, Dir: dir, File: "out/pipeline.yml", Concurrency: 4})
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
// skips, the failing shard's trigger, success everywhere else, and every
// job of every shard run.
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
		case j.Name == "sim-a 1.36: deploy":
			if j.Status != localci.Failed {
				t.Errorf("%s: %s, want failed", j.Name, j.Status)
			}
		case strings.HasPrefix(j.Name, "sim-a 1.36: ") && j.Name != "sim-a 1.36: provision cluster":
			// the features that need deploy; the teardown for the reason
			// TestRunLocal gives
			if j.Status != localci.Skipped {
				t.Errorf("%s: %s, want skipped", j.Name, j.Status)
			}
		case j.Trigger && strings.Contains(shardOf(out, "sim-a 1.36: deploy"), j.Name):
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
func TestRunMergeRequest(t *testing.T) {
	bin := ciLocal(t)
	dir := t.TempDir()
	plan := localPlan(t)
	plan.Matrix.Pipeline.Limits.MaxJobs = 8
	sel, err := ParseSelectors("sim-a/1.36,sim-c")
	if err != nil {
		t.Fatal(err)
	}
	out := writeOut(t, plan, filepath.Join(repo, "examples/local/templates"), Options{Only: sel, GenerateJob: "generate", NoReport: true}, dir)
	if out.Shards < 2 {
		t.Fatalf("want shards, got %d", out.Shards)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(mergeRequestParent), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := localci.Run(context.Background(), localci.Options{Binary: bin, Dir: dir, Concurrency: 4, Variables: map[string]string{
		"CI_PIPELINE_SOURCE":   "merge_request_event",
		"CI_MERGE_REQUEST_ID":  "4242",
		"CI_MERGE_REQUEST_IID": "7",
	}})
	if err != nil {
		t.Fatalf("run: %v", err)
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
}

func shardOf(out *Output, job string) string {
	for _, j := range out.Manifest.Jobs {
		if j.Name == job {
			return strings.TrimSuffix(j.File, ".yml")
		}
	}
	return ""
}
