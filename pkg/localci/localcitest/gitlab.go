package localcitest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
)

// GitLab is GitLab's API for the pipelines gitlab-ci-local is running: the
// fake GitLab, which before each request learns the jobs gitlab-ci-local
// has finished so far (localci's progress lines, passed to Write) with
// their artifacts, the way GitLab lists a pipeline's jobs while it runs.
//
// Pipeline ids are gitlab-ci-local's CI_PIPELINE_ID: FirstPipelineID for
// the top pipeline of a project's first run (the one whose jobs have no
// triggerer), and the next id for its child pipeline, run by the trigger
// job named trigger (each downstream pipeline gitlab-ci-local starts takes
// the next one, src/handler.ts incrementPipelineIid). Grandchild pipelines (shards) take
// ids in the order their trigger jobs start, which the progress lines do not
// tell: any other pipeline id asked for is served the jobs of every
// grandchild pipeline, which a reader must tell apart by name (a report
// job's collect keeps its own file's jobs: --file).
type GitLab struct {
	Fake *gitlabtest.Server
	// URL is the API's root (ending in /api/v4 once requests go through
	// it); Host and Port are its host and port, for CI_SERVER_HOST and
	// CI_SERVER_PORT.
	URL, Host, Port string

	dir     string
	trigger string

	mu      sync.Mutex
	pending []byte
	done    []string // finished-job progress lines not yet served
	pid     int64
	nextID  int64
	bridged bool
	// childFailed: a job of the child pipeline failed without allow_failure.
	childFailed bool
	deep        []gitlabtest.Job
	others      map[int64]bool // grandchild pipeline ids served so far
}

// ProjectID is the CI_PROJECT_ID gitlab-ci-local 4.70.1 gives every project
// (src/predefined-variables.ts); NewGitLab gives the fake this id.
const ProjectID = 1217

// FirstPipelineID is the CI_PIPELINE_ID of the first pipeline gitlab-ci-local
// 4.70.1 runs in a project: its pipeline iid starts at 0 (src/state.ts
// incrementPipelineIid) and CI_PIPELINE_ID is the iid plus 1000
// (src/job.ts).
const FirstPipelineID = 1000

// NewGitLab serves fake through a proxy that feeds it the first run of the
// project in dir: source is the top pipeline's source, trigger the name of
// its trigger job.
func NewGitLab(t *testing.T, fake *gitlabtest.Server, source, dir, trigger string) *GitLab {
	t.Helper()
	fake.ProjectID = ProjectID
	g := &GitLab{Fake: fake, dir: dir, trigger: trigger, nextID: 100, others: map[int64]bool{}, pid: FirstPipelineID}
	fake.AddPipeline(gitlabtest.Pipeline{ID: g.pid, Source: source})
	fake.AddPipeline(gitlabtest.Pipeline{ID: g.pid + 1, Source: "parent_pipeline"})
	target, err := url.Parse(strings.TrimSuffix(fake.URL, "/api/v4"))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.sync(r.URL.Path)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	u, _ := url.Parse(srv.URL)
	g.Host, g.Port = u.Hostname(), u.Port()
	return g
}

// Write takes localci's progress lines (localci.Options.Progress).
func (g *GitLab) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending = append(g.pending, p...)
	for {
		i := bytes.IndexByte(g.pending, '\n')
		if i < 0 {
			break
		}
		line := string(g.pending[:i])
		g.pending = g.pending[i+1:]
		if !strings.HasPrefix(line, "started") {
			g.done = append(g.done, line)
		}
	}
	return len(p), nil
}

var (
	pipelinePathRE = regexp.MustCompile(`/projects/[^/]+/pipelines/(\d+)`)
	progressRE     = regexp.MustCompile(`^(passed|failed|allowed to fail)\s+(?:\[([^\]]+)\] -> )?(.+?) \((?:exit status (-?\d+), )?[^()]*\)$`)
)

func (g *GitLab) sync(path string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := pipelinePathRE.FindStringSubmatch(path)
	var asked int64
	if m != nil {
		asked, _ = strconv.ParseInt(m[1], 10, 64)
	}
	for _, line := range g.done {
		m := progressRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		status := map[string]string{"passed": "success", "failed": "failed", "allowed to fail": "failed"}[m[1]]
		trigger, name := m[2], m[3]
		g.nextID++
		j := gitlabtest.Job{ID: g.nextID, Name: name, Status: status, AllowFailure: m[1] == "allowed to fail",
			FailureReason: map[bool]string{true: "script_failure"}[status == "failed"], Files: g.artifacts(name)}
		switch {
		case trigger == "":
			g.Fake.AddJob(g.pid, j)
		case !strings.Contains(trigger, "->"):
			g.Fake.AddJob(g.pid+1, j)
			g.childFailed = g.childFailed || m[1] == "failed"
		default:
			g.deep = append(g.deep, j)
			for id := range g.others {
				g.Fake.AddJob(id, j)
			}
		}
	}
	g.done = nil
	if asked > g.pid+1 && !g.others[asked] {
		g.others[asked] = true
		g.Fake.AddPipeline(gitlabtest.Pipeline{ID: asked, Source: "parent_pipeline"})
		for _, j := range g.deep {
			g.Fake.AddJob(asked, j)
		}
	}
	// gitlab-ci-local prints no finish line for a trigger job: the trigger
	// job is added when the top pipeline's trigger jobs are first asked for
	// (by the parent's collect, which needs the trigger job, so comes after
	// it), with its child pipeline's status as strategy: depend gives it,
	// failed when a job failed without allow_failure.
	if !g.bridged && asked == g.pid && (strings.HasSuffix(path, "/trigger_jobs") || strings.HasSuffix(path, "/bridges")) {
		g.bridged = true
		status := "success"
		if g.childFailed {
			status = "failed"
		}
		g.Fake.AddBridge(g.pid, gitlabtest.Bridge{ID: 99, Name: g.trigger, Status: status, Downstream: g.pid + 1})
	}
}

// artifacts reads the files gitlab-ci-local kept of the job's artifacts
// (localci.ArtifactsDir), by their paths in the archive; nil when none.
func (g *GitLab) artifacts(job string) map[string][]byte {
	root := localci.ArtifactsDir(g.dir, job)
	files := map[string][]byte{}
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // no artifacts, or an unreadable file: left out
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if len(files) == 0 {
		return nil
	}
	return files
}
