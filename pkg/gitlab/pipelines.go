package gitlab

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
)

// PipelineTree returns the pipeline pipelineID followed by every pipeline
// reached through its bridges, recursively (children, grandchildren such as
// shards), in tree pre-order: each pipeline before its downstream pipelines,
// siblings by ascending id. Requests run with bounded concurrency; each
// pipeline costs ⌈jobs/100⌉ + ⌈bridges/100⌉ list requests (at least one
// each), plus one request for the root pipeline itself. Downstream pipelines
// in another project (multi-project triggers) are followed in that project.
func (c *Client) PipelineTree(ctx context.Context, pipelineID int64) ([]ci.Pipeline, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type node struct {
		p        ci.Pipeline
		children []int64
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		nodes    = map[int64]*node{}
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	var visit func(p ci.Pipeline, project string)
	visit = func(p ci.Pipeline, project string) {
		defer wg.Done()
		jobs, bridges, info, err := c.pipelineJobs(ctx, project, p.ID)
		if errors.Is(err, errTriggerJobsUnreadable) {
			p.ChildrenUnknown, err = true, nil
		}
		if err != nil {
			if p.ParentID != 0 {
				err = fmt.Errorf("pipeline %d (from bridge %q of pipeline %d): %w", p.ID, p.BridgeName, p.ParentID, err)
			} else {
				err = fmt.Errorf("pipeline %d: %w", p.ID, err)
			}
			fail(err)
			return
		}
		p.Jobs = jobs
		if p.ParentID == 0 && info != nil {
			// The root's record as its jobs carry it; replaced by the
			// pipeline's own record when the token may read that.
			p = withInfo(p, info)
		}
		if p.ProjectID == 0 && len(bridges) > 0 {
			// The root's project id is not known yet: bridges carry it.
			p.ProjectID = bridges[0].projectID
		}
		for _, b := range bridges {
			p.Jobs = append(p.Jobs, b.Job)
		}
		mu.Lock()
		n := nodes[p.ID]
		n.p = p
		var next []ci.Pipeline
		var nextProject []string
		for _, b := range bridges {
			ds := b.downstream
			if ds == nil || ds.ID == 0 {
				continue
			}
			if _, seen := nodes[ds.ID]; seen {
				continue
			}
			child := pipelineFromInfo(ds)
			child.ParentID, child.BridgeName, child.Depth = p.ID, b.Name, p.Depth+1
			if child.ProjectID == 0 {
				child.ProjectID = p.ProjectID
			}
			nodes[ds.ID] = &node{p: child}
			n.children = append(n.children, ds.ID)
			proj := project
			if ds.ProjectID != 0 && ds.ProjectID != p.ProjectID {
				proj = fmt.Sprint(ds.ProjectID)
			}
			next = append(next, child)
			nextProject = append(nextProject, proj)
		}
		mu.Unlock()
		for i := range next {
			wg.Add(1)
			go visit(next[i], nextProject[i])
		}
	}

	// The root pipeline's own record, fetched alongside its jobs. A CI job
	// token may not read it (GET .../pipelines/:id is not job_token_allowed
	// in lib/api/ci/pipelines.rb: GitLab ignores the token and a private
	// project answers 404): then the record comes from the jobs' and trigger
	// jobs' own "pipeline" field (Entities::Ci::PipelineBasic).
	var root *gl.Pipeline
	nodes[pipelineID] = &node{p: ci.Pipeline{ID: pipelineID}}
	wg.Add(1)
	if !c.cfg.JobToken {
		wg.Add(1)
		go c.getRoot(ctx, pipelineID, &root, &wg, fail)
	}
	go visit(ci.Pipeline{ID: pipelineID}, c.project)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	rn := nodes[pipelineID]
	if root != nil {
		jobs, unknown := rn.p.Jobs, rn.p.ChildrenUnknown
		rn.p = pipelineFromPipeline(root)
		rn.p.Jobs, rn.p.ChildrenUnknown = jobs, unknown
	}

	var out []ci.Pipeline
	var walk func(id int64)
	walk = func(id int64) {
		n := nodes[id]
		out = append(out, n.p)
		kids := slices.Clone(n.children)
		slices.Sort(kids)
		for _, k := range kids {
			walk(k)
		}
	}
	walk(pipelineID)
	return out, nil
}

// getRoot reads the root pipeline's record into *root.
func (c *Client) getRoot(ctx context.Context, pipelineID int64, root **gl.Pipeline, wg *sync.WaitGroup, fail func(error)) {
	defer wg.Done()
	path := fmt.Sprintf("/projects/%s/pipelines/%d", c.pathProj, pipelineID)
	if _, err := c.do(ctx, http.MethodGet, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		*root, r, err = c.gl.Pipelines.GetPipeline(c.project, pipelineID, o...)
		return r, err
	}); err != nil {
		fail(fmt.Errorf("pipeline %d: %w", pipelineID, err))
	}
}

// bridgeJob is a bridge as a ci.Job plus the downstream pipeline record.
type bridgeJob struct {
	ci.Job
	downstream *gl.PipelineInfo
	projectID  int64 // of the bridge's own pipeline
}

// errTriggerJobsUnreadable means the token may not list trigger jobs.
var errTriggerJobsUnreadable = errors.New("trigger jobs unreadable with a CI job token")

// apiJob is a job as GET .../pipelines/:id/jobs returns it
// (Entities::Ci::Job), decoded here rather than with the client's Job type
// because that drops most of the "pipeline" field (Entities::Ci::PipelineBasic:
// source, web_url, created_at), which is all a CI job token can learn of the
// pipeline itself.
type apiJob struct {
	ID            int64      `json:"id"`
	Name          string     `json:"name"`
	Stage         string     `json:"stage"`
	Status        string     `json:"status"`
	FailureReason string     `json:"failure_reason"`
	WebURL        string     `json:"web_url"`
	AllowFailure  bool       `json:"allow_failure"`
	StartedAt     *time.Time `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at"`
	Duration      float64    `json:"duration"`
	Pipeline      *gl.PipelineInfo
}

// listPage is one page of a list endpoint decoded into this package's own
// types (the client's lose fields collect needs).
func listPage[T any](c *Client, path string, page int64, includeRetried bool, o ...gl.RequestOptionFunc) ([]T, *gl.Response, error) {
	opt := &gl.ListJobsOptions{ListOptions: gl.ListOptions{Page: page, PerPage: DefaultPerPage}}
	if includeRetried {
		opt.IncludeRetried = gl.Ptr(true)
	}
	req, err := c.gl.NewRequest(http.MethodGet, path, opt, o)
	if err != nil {
		return nil, nil, err
	}
	var out []T
	resp, err := c.gl.Do(req, &out)
	return out, resp, err
}

// A pipeline's trigger jobs are listed by GET .../pipelines/:id/trigger_jobs,
// which GitLab 19.2 added and which deprecates .../bridges
// (lib/api/ci/pipelines.rb); on a server without it (404) this client uses
// .../bridges from then on.

// pipelineBridges lists a pipeline's trigger jobs through trigger_jobs,
// falling back to bridges on a 404. With a CI job token, a refusal of both
// (before 19.2 neither accepts one: GitLab ignores the token and a private
// project answers 404) returns errTriggerJobsUnreadable.
func (c *Client) pipelineBridges(ctx context.Context, project, proj string, pid int64) ([]*gl.Bridge, error) {
	var lastErr error
	for _, route := range []string{"trigger_jobs", "bridges"} {
		if route == "trigger_jobs" && c.noTriggerJobs.Load() {
			continue
		}
		path := fmt.Sprintf("/projects/%s/pipelines/%d/%s", proj, pid, route)
		bridges, _, err := pageAll(ctx, c, path, func(page int64, o ...gl.RequestOptionFunc) ([]*gl.Bridge, *gl.Response, error) {
			return listPage[*gl.Bridge](c, fmt.Sprintf("projects/%s/pipelines/%d/%s", url.PathEscape(project), pid, route), page, false, o...)
		}, func(b *gl.Bridge) int64 { return b.ID })
		if err == nil {
			return bridges, nil
		}
		lastErr = err
		if !errors.Is(err, ErrNotFound) {
			break
		}
		if route == "trigger_jobs" {
			c.noTriggerJobs.Store(true)
		}
	}
	if c.cfg.JobToken && (errors.Is(lastErr, ErrNotFound) || errors.Is(lastErr, ErrForbidden) || errors.Is(lastErr, ErrUnauthorized)) {
		return nil, fmt.Errorf("%w: %w", errTriggerJobsUnreadable, lastErr)
	}
	return nil, lastErr
}

// pipelineJobs lists a pipeline's jobs (retried included) and trigger jobs,
// both paged to the end, concurrently. info is the pipeline's record as its
// jobs or trigger jobs carry it (nil when it has none). When the token may
// not list trigger jobs, the jobs come back with errTriggerJobsUnreadable.
func (c *Client) pipelineJobs(ctx context.Context, project string, pid int64) ([]ci.Job, []bridgeJob, *gl.PipelineInfo, error) {
	proj := c.pathProj
	if project != c.project {
		proj = project
	}
	var (
		wg                 sync.WaitGroup
		outJobs            []ci.Job
		info               *gl.PipelineInfo
		bridges            []*gl.Bridge
		jobPages           int
		jobsErr, bridgeErr error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		outJobs, info, jobPages, jobsErr = c.listJobs(ctx, project, proj, pid)
	}()
	go func() {
		defer wg.Done()
		bridges, bridgeErr = c.pipelineBridges(ctx, project, proj, pid)
	}()
	wg.Wait()
	unreadable := errors.Is(bridgeErr, errTriggerJobsUnreadable)
	if unreadable {
		bridgeErr = nil
	}
	if err := errors.Join(jobsErr, bridgeErr); err != nil {
		return nil, nil, nil, err
	}

	outBridges := make([]bridgeJob, 0, len(bridges))
	for _, b := range bridges {
		if info == nil && b.Pipeline.ID == pid {
			info = &b.Pipeline
		}
		bj := bridgeJob{Job: ci.Job{
			ID: b.ID, Name: b.Name, Stage: b.Stage, Status: ci.Status(b.Status),
			FailureReason: b.FailureReason, WebURL: b.WebURL, AllowFailure: b.AllowFailure,
			StartedAt: b.StartedAt, FinishedAt: b.FinishedAt, Duration: b.Duration, Bridge: true,
		}, downstream: b.DownstreamPipeline}
		bj.projectID = b.Pipeline.ProjectID
		if b.DownstreamPipeline != nil {
			bj.Downstream = b.DownstreamPipeline.ID
		}
		outBridges = append(outBridges, bj)
	}
	if unreadable {
		c.progressf("collect: pipeline %d: %d jobs (%d pages); its trigger jobs are out of a CI job token's reach", pid, len(outJobs), jobPages)
		return outJobs, outBridges, info, errTriggerJobsUnreadable
	}
	c.progressf("collect: pipeline %d: %d jobs (%d pages), %d bridges", pid, len(outJobs), jobPages, len(outBridges))
	return outJobs, outBridges, info, nil
}

// listJobs lists a pipeline's jobs, retried attempts included, paged to
// the end (GET .../pipelines/:id/jobs, which accepts a CI job token:
// lib/api/ci/pipelines.rb, job_token_allowed), with the pipeline's record
// as the jobs carry it (nil when it has none) and the pages read.
func (c *Client) listJobs(ctx context.Context, project, proj string, pid int64) ([]ci.Job, *gl.PipelineInfo, int, error) {
	path := fmt.Sprintf("/projects/%s/pipelines/%d/jobs", proj, pid)
	jobs, pages, err := pageAll(ctx, c, path, func(page int64, o ...gl.RequestOptionFunc) ([]*apiJob, *gl.Response, error) {
		return listPage[*apiJob](c, fmt.Sprintf("projects/%s/pipelines/%d/jobs", url.PathEscape(project), pid), page, true, o...)
	}, func(j *apiJob) int64 { return j.ID })
	if err != nil {
		return nil, nil, 0, err
	}
	var info *gl.PipelineInfo
	out := make([]ci.Job, 0, len(jobs))
	for _, j := range jobs {
		if info == nil && j.Pipeline != nil && j.Pipeline.ID == pid {
			info = j.Pipeline
		}
		out = append(out, ci.Job{
			ID: j.ID, Name: j.Name, Stage: j.Stage, Status: ci.Status(j.Status),
			FailureReason: j.FailureReason, WebURL: j.WebURL, AllowFailure: j.AllowFailure,
			StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, Duration: j.Duration,
		})
	}
	markRetried(out)
	return out, info, pages, nil
}

// Jobs lists one pipeline's jobs, retried attempts included, without its
// trigger jobs: one request per 100 jobs, each of which a CI job token may
// make (GET /projects/:id/pipelines/:pipeline_id/jobs, job_token_allowed in
// lib/api/ci/pipelines.rb).
func (c *Client) Jobs(ctx context.Context, pipelineID int64) ([]ci.Job, error) {
	jobs, _, _, err := c.listJobs(ctx, c.project, c.pathProj, pipelineID)
	if err != nil {
		return nil, fmt.Errorf("jobs of pipeline %d: %w", pipelineID, err)
	}
	return jobs, nil
}

// withInfo fills p's record from info, keeping its place in the tree.
func withInfo(p ci.Pipeline, info *gl.PipelineInfo) ci.Pipeline {
	q := pipelineFromInfo(info)
	q.ParentID, q.BridgeName, q.Depth, q.Jobs, q.ChildrenUnknown = p.ParentID, p.BridgeName, p.Depth, p.Jobs, p.ChildrenUnknown
	return q
}

// markRetried sets Retried on every job that has a newer attempt (higher id)
// of the same name.
func markRetried(jobs []ci.Job) {
	newest := map[string]int64{}
	for _, j := range jobs {
		newest[j.Name] = max(newest[j.Name], j.ID)
	}
	for i := range jobs {
		jobs[i].Retried = jobs[i].ID < newest[jobs[i].Name]
	}
}

// pageAll fetches every page of a list endpoint (per_page=100). It follows
// X-Next-Page; when GitLab reports X-Total-Pages it fetches the remaining
// pages concurrently, then keeps following X-Next-Page from the last one in
// case the list grew. Items are returned in page order, duplicates (a record
// shifted to the next page while paging) dropped by id.
//
// Nothing the server announces is trusted beyond Config.MaxPages: a larger
// X-Total-Pages is refused before any further request, and so is an
// X-Next-Page chain that would go past it; an empty page ends the list.
func pageAll[T any](ctx context.Context, c *Client, path string,
	list func(page int64, o ...gl.RequestOptionFunc) ([]T, *gl.Response, error),
	id func(T) int64,
) ([]T, int, error) {
	limit := int64(c.cfg.MaxPages)
	fetch := func(page int64) ([]T, *gl.Response, error) {
		var items []T
		resp, err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s?page=%d", path, page), func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
			var r *gl.Response
			var err error
			items, r, err = list(page, o...)
			return r, err
		})
		return items, resp, err
	}
	tooMany := func(what string, n int64) error {
		return c.classify(http.MethodGet, path, nil, fmt.Errorf("%w: the server %s %d pages, more than the %d one list may have", errTooManyPages, what, n, limit))
	}
	first, resp, err := fetch(1)
	if err != nil {
		return nil, 0, err
	}
	pagesData := [][]T{first}
	next := resp.NextPage
	if total := resp.TotalPages; total > limit {
		return nil, 0, tooMany("announced", total)
	} else if next == 2 && total > 2 && len(first) > 0 {
		rest := make([][]T, total-1)
		resps := make([]*gl.Response, total-1)
		errs := make([]error, total-1)
		var wg sync.WaitGroup
		for p := int64(2); p <= total; p++ {
			wg.Add(1)
			go func(p int64) {
				defer wg.Done()
				rest[p-2], resps[p-2], errs[p-2] = fetch(p)
			}(p)
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, 0, err
		}
		pagesData = append(pagesData, rest...)
		next = resps[len(resps)-1].NextPage
	}
	for next > 0 && len(pagesData[len(pagesData)-1]) > 0 {
		if next > limit || int64(len(pagesData)) >= limit {
			return nil, 0, tooMany("pointed past", max(next, int64(len(pagesData))+1))
		}
		items, r, err := fetch(next)
		if err != nil {
			return nil, 0, err
		}
		pagesData = append(pagesData, items)
		if r.NextPage <= next {
			break
		}
		next = r.NextPage
	}
	seen := map[int64]bool{}
	var out []T
	for _, items := range pagesData {
		for _, it := range items {
			k := id(it)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, it)
		}
	}
	return out, len(pagesData), nil
}

func pipelineFromInfo(p *gl.PipelineInfo) ci.Pipeline {
	return ci.Pipeline{
		ID: p.ID, ProjectID: p.ProjectID, Source: p.Source, Ref: p.Ref, SHA: p.SHA,
		Status: ci.Status(p.Status), WebURL: p.WebURL, CreatedAt: deref(p.CreatedAt), UpdatedAt: deref(p.UpdatedAt),
	}
}

func pipelineFromPipeline(p *gl.Pipeline) ci.Pipeline {
	return ci.Pipeline{
		ID: p.ID, ProjectID: p.ProjectID, Source: string(p.Source), Ref: p.Ref, SHA: p.SHA,
		Status: ci.Status(p.Status), WebURL: p.WebURL, CreatedAt: deref(p.CreatedAt), UpdatedAt: deref(p.UpdatedAt),
	}
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// TestReport fetches the test report of one pipeline. A CI job token may not
// read it: then the error wraps ErrForbidden and the caller falls back to
// job statuses.
func (c *Client) TestReport(ctx context.Context, pipelineID int64) (*ci.TestReport, error) {
	path := fmt.Sprintf("/projects/%s/pipelines/%d/test_report", c.pathProj, pipelineID)
	var r *gl.PipelineTestReport
	_, err := c.do(ctx, http.MethodGet, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var resp *gl.Response
		var err error
		r, resp, err = c.gl.Pipelines.GetPipelineTestReport(c.project, pipelineID, o...)
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("test report of pipeline %d: %w", pipelineID, err)
	}
	out := &ci.TestReport{
		TotalTime: r.TotalTime, TotalCount: r.TotalCount, SuccessCount: r.SuccessCount,
		FailedCount: r.FailedCount, SkippedCount: r.SkippedCount, ErrorCount: r.ErrorCount,
	}
	for _, s := range r.TestSuites {
		if s == nil {
			continue
		}
		suite := ci.TestSuite{
			Name: s.Name, TotalTime: s.TotalTime, TotalCount: s.TotalCount, SuccessCount: s.SuccessCount,
			FailedCount: s.FailedCount, SkippedCount: s.SkippedCount, ErrorCount: s.ErrorCount,
		}
		for _, tc := range s.TestCases {
			if tc == nil {
				continue
			}
			suite.Cases = append(suite.Cases, ci.TestCase{
				Name: tc.Name, Classname: tc.Classname, Status: ci.TestStatus(tc.Status), File: tc.File,
				SystemOutput: systemOutput(tc.SystemOutput), StackTrace: tc.StackTrace,
				ExecutionTime: tc.ExecutionTime,
			})
		}
		out.Suites = append(out.Suites, suite)
	}
	return out, nil
}

// systemOutput flattens GitLab's system_output, a string, null, or (for some
// reports) a list of strings.
func systemOutput(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		s := ""
		for i, e := range v {
			if i > 0 {
				s += "\n"
			}
			s += systemOutput(e)
		}
		return s
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

// maxArtifactFileBytes bounds one file read out of an artifacts archive,
// against a decompression bomb; DefaultMaxBodyBytes bounds the archive.
const maxArtifactFileBytes = 16 << 20

// JobArtifacts downloads a job's artifacts archive (GET
// /projects/:id/jobs/:job_id/artifacts, which accepts a CI job token:
// lib/api/ci/job_artifacts.rb, job_token_allowed) and returns the files
// whose name keep selects. GitLab may redirect the download to object
// storage; the token is never sent there (see checkRedirect). A job without
// artifacts wraps ErrNotFound.
func (c *Client) JobArtifacts(ctx context.Context, jobID int64, keep func(name string) bool) ([]ci.ArtifactFile, error) {
	path := fmt.Sprintf("/projects/%s/jobs/%d/artifacts", c.pathProj, jobID)
	var r *bytes.Reader
	_, err := c.do(ctx, http.MethodGet, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var resp *gl.Response
		var err error
		r, resp, err = c.gl.Jobs.GetJobArtifacts(c.project, jobID, o...)
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("artifacts of job %d: %w", jobID, err)
	}
	zr, err := zip.NewReader(r, r.Size())
	if err != nil {
		return nil, fmt.Errorf("artifacts of job %d: not a zip archive: %w", jobID, err)
	}
	var out []ci.ArtifactFile
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !keep(f.Name) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("artifacts of job %d: %s: %w", jobID, f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxArtifactFileBytes+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("artifacts of job %d: %s: %w", jobID, f.Name, err)
		}
		if len(data) > maxArtifactFileBytes {
			return nil, fmt.Errorf("artifacts of job %d: %s: over %d bytes", jobID, f.Name, maxArtifactFileBytes)
		}
		out = append(out, ci.ArtifactFile{Name: f.Name, Data: data})
	}
	return out, nil
}
