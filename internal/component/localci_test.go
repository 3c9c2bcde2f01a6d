package component

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// TestReadmeSnippetRuns runs the README's snippet, as a new team would commit
// it, through gitlab-ci-local: as a scheduled pipeline and as a merge-request
// pipeline, from the component's generate job through the child pipeline it
// writes to collect (reading GitLab's API, here the fake GitLab fed with what
// gitlab-ci-local ran) and the table. gitlab-ci-local cannot fetch a
// component from a GitLab, so the snippet's include:component line becomes
// include:local of the same file with the same inputs, plus a templates input
// pointing at the local example's simulated clusters.
func TestReadmeSnippetRuns(t *testing.T) {
	bin := localcitest.Binary(t)
	smDir := localcitest.Supportmatrix(t)
	snippet := readmeSnippet(t)

	tests := []struct {
		name, source string
		mr           bool
	}{
		{name: "schedule", source: "schedule"},
		{name: "merge request", source: "merge_request_event", mr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			proj, base := consumerProject(t, snippet, tt.mr)
			// gitlab-ci-local includes the component with its inputs; the
			// run reads the jobs of the file it runs, so it runs that
			// expansion (localci.Preview).
			expanded, err := localci.Preview(context.Background(), bin, localcitest.Env(smDir), proj, ".gitlab-ci.yml")
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(proj, "expanded.yml"), expanded)
			fake := gitlabtest.New(t)
			bridge := localcitest.NewGitLab(t, fake, tt.source, proj, "supportmatrix-run")
			vars := map[string]string{
				"CI_PIPELINE_SOURCE": tt.source,
				"CI_SERVER_PROTOCOL": "http",
				"CI_SERVER_HOST":     bridge.Host,
				"CI_SERVER_PORT":     bridge.Port,
				"CI_SERVER_URL":      bridge.URL,
				"CI_JOB_TOKEN":       "job-token-for-the-test",
			}
			if tt.mr {
				// Merge-request pipelines get no protected variables: only
				// the job token.
				fake.SetToken("job-token-for-the-test", true)
				vars["CI_MERGE_REQUEST_IID"] = "7"
				vars["CI_MERGE_REQUEST_DIFF_BASE_SHA"] = base
			} else {
				vars["SUPPORTMATRIX_TOKEN"] = gitlabtest.DefaultToken
			}
			var output bytes.Buffer
			res, err := localci.Run(context.Background(), localci.Options{
				Binary: bin, Dir: proj, File: "expanded.yml", Concurrency: 4, Variables: vars,
				Env:      localcitest.Env(smDir),
				Progress: bridge, Output: &output,
			})
			if err != nil {
				t.Fatalf("gitlab-ci-local: %v\n%s", err, tail(output.String(), 60))
			}
			for _, j := range res.Jobs {
				t.Logf("%-40s %s", strings.TrimPrefix(j.Triggerers+" -> "+j.Name, " -> "), j.Status)
			}
			job := func(name string) localci.JobResult {
				t.Helper()
				j, ok := res.Job("", name)
				if !ok {
					t.Fatalf("the pipeline has no job %s\n%s", name, tail(output.String(), 60))
				}
				return j
			}
			for _, name := range []string{"supportmatrix-validate", "supportmatrix-generate", "supportmatrix-collect"} {
				if j := job(name); j.Status != localci.Success {
					t.Errorf("%s: %s, want success\n%s", name, j.Status, logOf(j))
				}
			}
			// The generate job wrote the plan with the pipeline (generate
			// --plan, so that its archive check counts it), against
			// $CI_MERGE_REQUEST_DIFF_BASE_SHA in the merge request.
			plan, err := os.ReadFile(filepath.Join(job("supportmatrix-generate").ArtifactsDir, "out", "plan.md"))
			if err != nil || !bytes.HasPrefix(plan, []byte("## Support matrix plan")) || bytes.Contains(plan, []byte("### Against `"+base+"`")) != tt.mr {
				t.Errorf("the generate job's out/plan.md (%v), want the plan, against %s when a merge request:\n%.400s", err, base, plan)
			}
			if j, ok := res.Job("", "supportmatrix-versions"); ok && j.Started >= 0 {
				t.Error("the versions job runs in a program pipeline")
			}
			// The child pipeline ran the generated jobs.
			child := 0
			for _, j := range res.Jobs {
				if j.Triggerers == "supportmatrix-run" && (j.Status == localci.Success || j.Status == localci.Failed || j.Status == localci.AllowedFailure) {
					child++
				}
			}
			if child == 0 {
				t.Fatal("the child pipeline ran no job")
			}
			// collect read every job back through the API and wrote the run.
			collect := job("supportmatrix-collect")
			hist, err := results.Read(filepath.Join(collect.ArtifactsDir, "matrix", "results.json"))
			if err != nil {
				t.Fatalf("collect's results.json: %v", err)
			}
			if tt.mr && len(hist.Runs) == 0 {
				// With only the job token, collect cannot reach the child
				// pipelines before GitLab 19.2 (trigger_jobs) and says so:
				// reviewers see the children's JUnit reports instead.
				t.Logf("collect with the job token only:\n%s", logOf(collect))
				return
			}
			if len(hist.Runs) != 1 {
				t.Fatalf("results.json has %d runs, want this one", len(hist.Runs))
			}
			run := hist.Runs[0]
			if run.Source != tt.source || (tt.mr && run.MR != 7) || run.Counts == tt.mr {
				t.Errorf("run source %s, mr %d, counts %v: want %s, counting only when scheduled", run.Source, run.MR, run.Counts, tt.source)
			}
			if len(run.Cells) == 0 {
				t.Error("the run has no cells")
			}
			table, err := os.ReadFile(filepath.Join(collect.ArtifactsDir, "matrix", "SUPPORT.md"))
			if err != nil || !bytes.Contains(table, []byte("sim-a")) {
				t.Errorf("collect's SUPPORT.md: %v\n%s", err, table)
			}
			if tt.mr {
				if run.Partial != true {
					t.Error("the merge request's run is not partial: the changed profile ran every cell")
				}
				return
			}
			// A scheduled run of the default branch commits the table.
			if j := job("supportmatrix-publish-commit"); j.Status != localci.Success {
				t.Errorf("publish: %s\n%s", j.Status, logOf(j))
			}
			if _, ok := fake.File(gitlabtest.DefaultBranch, "matrix/SUPPORT.md"); !ok {
				t.Error("publish committed no matrix/SUPPORT.md")
			}
			// ... and keeps the alert issues (input alerts, default true):
			// it made their label before looking for them.
			if labels := fake.Labels(); len(labels) != 1 || labels[0].Name != "supportmatrix" {
				t.Errorf("publish --alerts: labels %+v, want the supportmatrix label", labels)
			}
		})
	}
}

// consumerProject writes a new team's project: the README's snippet as
// .gitlab-ci.yml (the component included from the project itself), the local
// example's matrix as matrix/matrix.yaml, its simulated templates in
// ci/templates, committed. With mr, a second commit changes the matrix and
// base is the first commit.
func consumerProject(t *testing.T, snippet string, mr bool) (dir, base string) {
	t.Helper()
	dir = t.TempDir()
	ci := string(LocalIncludes([]byte(snippet)))
	if ci == snippet {
		t.Fatalf("no include of this project's component in the README's snippet:\n%s", snippet)
	}
	// The local example's clusters are simulated by its own templates.
	inputs := regexp.MustCompile(`(?m)^\s*- local: templates/.*\n(\s*)inputs:\n`)
	m := inputs.FindStringSubmatch(ci)
	if m == nil {
		t.Fatalf("the README's include has no inputs:\n%s", snippet)
	}
	ci = strings.Replace(ci, m[0], m[0]+m[1]+"  templates: ci/templates\n", 1)
	write(t, filepath.Join(dir, ".gitlab-ci.yml"), []byte(ci))
	copyTree(t, filepath.Join(root, Dir), filepath.Join(dir, Dir))
	copyFile(t, filepath.Join(root, "examples", "local", "matrix.yaml"), filepath.Join(dir, "matrix", "matrix.yaml"))
	copyTree(t, filepath.Join(root, "examples", "local", "templates"), filepath.Join(dir, "ci", "templates"))
	copyTree(t, filepath.Join(root, "examples", "local", "docs"), filepath.Join(dir, "examples", "local", "docs"))
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "support program")
	base = strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	if mr {
		// One distribution's tested settings change: its cells re-run.
		path := filepath.Join(dir, "matrix", "matrix.yaml")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		changed := bytes.Replace(data, []byte("settings: [Simulated by templates that sleep]"), []byte("settings: [Simulated by templates that sleep, Changed in the merge request]"), 1)
		if bytes.Equal(changed, data) {
			t.Fatal("the local example's matrix no longer has sim-a's settings line")
		}
		write(t, path, changed)
		git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "change sim-a's settings")
	}
	return dir, base
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dst, data)
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		copyFile(t, p, filepath.Join(dst, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func logOf(j localci.JobResult) string {
	data, _ := os.ReadFile(j.LogFile)
	return tail(string(data), 30)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
