package component

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// gclProjectID is the CI_PROJECT_ID gitlab-ci-local 4.70.1 gives every
// project (src/predefined-variables.ts).
const gclProjectID = 1217

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
	smDir := buildSupportmatrix(t)
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
			expanded, err := localci.Preview(context.Background(), bin, proj, ".gitlab-ci.yml")
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(proj, "expanded.yml"), expanded)
			fake := gitlabtest.New(t)
			fake.ProjectID = gclProjectID
			bridge := newCIBridge(t, fake, tt.source)
			vars := map[string]string{
				"CI_PIPELINE_SOURCE": tt.source,
				"CI_SERVER_PROTOCOL": "http",
				"CI_SERVER_HOST":     bridge.host,
				"CI_SERVER_PORT":     bridge.port,
				"CI_SERVER_URL":      bridge.srv.URL,
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
				Env:      testEnv(smDir),
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

// buildSupportmatrix builds the command into a directory to put on the jobs' PATH.
func buildSupportmatrix(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "supportmatrix"), "gitlab.com/supportmatrix/supportmatrix/cmd/supportmatrix")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// testEnv is the process's environment with supportmatrix first on PATH and
// no token of the developer's.
func testEnv(smDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH":
			kv = "PATH=" + smDir + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
		case k == "SUPPORTMATRIX_TOKEN" || k == "GITLAB_TOKEN" || k == "CI_JOB_TOKEN" || strings.HasPrefix(k, "SUPPORTMATRIX_"):
			continue
		}
		env = append(env, kv)
	}
	return env
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

// ciBridge is GitLab's API for the pipeline gitlab-ci-local is running: the
// fake GitLab, which before each request learns the jobs gitlab-ci-local has
// finished so far (localci's progress lines), the way GitLab lists a
// pipeline's jobs while it runs. The first request names the pipeline id
// (gitlab-ci-local's CI_PIPELINE_ID); its child pipeline gets the next id.
type ciBridge struct {
	fake   *gitlabtest.Server
	source string
	srv    *httptest.Server
	host   string
	port   string

	mu      sync.Mutex
	pending []byte
	done    []string // finished-job progress lines not yet served
	pid     int64
	nextID  int64
	bridged bool
}

func newCIBridge(t *testing.T, fake *gitlabtest.Server, source string) *ciBridge {
	t.Helper()
	b := &ciBridge{fake: fake, source: source, nextID: 100}
	target, err := url.Parse(strings.TrimSuffix(fake.URL, "/api/v4"))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.sync(r.URL.Path)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(b.srv.Close)
	u, _ := url.Parse(b.srv.URL)
	b.host, b.port = u.Hostname(), u.Port()
	return b
}

// Write takes localci's progress lines.
func (b *ciBridge) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, p...)
	for {
		i := bytes.IndexByte(b.pending, '\n')
		if i < 0 {
			break
		}
		line := string(b.pending[:i])
		b.pending = b.pending[i+1:]
		if !strings.HasPrefix(line, "started") {
			b.done = append(b.done, line)
		}
	}
	return len(p), nil
}

var (
	pipelinePathRE = regexp.MustCompile(`/projects/[^/]+/pipelines/(\d+)`)
	progressRE     = regexp.MustCompile(`^(passed|failed|allowed to fail)\s+(?:\[([^\]]+)\] -> )?(.+?) \((?:exit status (-?\d+), )?[^()]*\)$`)
)

func (b *ciBridge) sync(path string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pid == 0 {
		m := pipelinePathRE.FindStringSubmatch(path)
		if m == nil {
			return
		}
		b.pid, _ = strconv.ParseInt(m[1], 10, 64)
		b.fake.AddPipeline(gitlabtest.Pipeline{ID: b.pid, Source: b.source})
		b.fake.AddPipeline(gitlabtest.Pipeline{ID: b.pid + 1, Source: "parent_pipeline"})
	}
	failed := false
	for _, line := range b.done {
		m := progressRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		status := map[string]string{"passed": "success", "failed": "failed", "allowed to fail": "failed"}[m[1]]
		trigger, name := m[2], m[3]
		b.nextID++
		switch {
		case trigger == "":
			b.fake.AddJob(b.pid, gitlabtest.Job{ID: b.nextID, Name: name, Status: status})
		case !strings.Contains(trigger, "->"):
			b.fake.AddJob(b.pid+1, gitlabtest.Job{ID: b.nextID, Name: name, Status: status, AllowFailure: m[1] == "allowed to fail",
				FailureReason: map[bool]string{true: "script_failure"}[status == "failed"]})
			failed = failed || m[1] == "failed"
		}
	}
	b.done = nil
	// gitlab-ci-local prints no finish line for a trigger job: the run job
	// is added when collect (which needs it, so comes after it) first asks,
	// with its child pipeline's status as strategy: depend gives it, failed
	// when a job failed without allow_failure.
	if !b.bridged {
		b.bridged = true
		status := "success"
		if failed {
			status = "failed"
		}
		b.fake.AddBridge(b.pid, gitlabtest.Bridge{ID: 99, Name: "supportmatrix-run", Status: status, Downstream: b.pid + 1})
	}
}
