package collect

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// API is what collect needs from GitLab; *gitlab.Client implements it.
type API interface {
	// PipelineTree returns a pipeline and every pipeline below it, each
	// with all its jobs (retried attempts included) and bridges.
	PipelineTree(ctx context.Context, pipelineID int64) ([]ci.Pipeline, error)
	// TestReport returns one pipeline's own test report.
	TestReport(ctx context.Context, pipelineID int64) (*ci.TestReport, error)
	// JobArtifacts returns the files of a job's artifacts archive that keep
	// selects.
	JobArtifacts(ctx context.Context, jobID int64, keep func(name string) bool) ([]ci.ArtifactFile, error)
}

// Options are what a collection needs besides the pipeline.
type Options struct {
	// Manifest lists the generated jobs and their cells. Required.
	Manifest *Manifest
	// Plan is the expanded matrix: it lists the excluded cells (with their
	// reasons) and tells a partial run from a full one. Optional.
	Plan *matrix.Plan
	// DefaultBranch is the project's default branch ($CI_DEFAULT_BRANCH):
	// only schedule and web runs on it count toward support.
	DefaultBranch string
	// MR is the merge request iid of a preview run ($CI_MERGE_REQUEST_IID);
	// when 0 it is read from a refs/merge-requests/N/... ref.
	MR int
	// Concurrency bounds the test reports fetched at once (default
	// gitlab.DefaultConcurrency; the
	// GitLab client bounds its requests as well).
	Concurrency int
	// JobToken says the API reads with a CI job token, which may not read
	// test reports (GET .../test_report is not job_token_allowed,
	// lib/api/ci/pipelines.rb): test counts and server versions then come
	// from each cell job's own JUnit files in its artifacts archive (GET
	// .../jobs/:id/artifacts accepts the token), one request per job.
	JobToken bool
	// File, when not "", is the generated file the pipeline runs
	// (pipeline.yml or a shard-N.yml): only its jobs' cells are recorded. A
	// file's self-report job collects its own pipeline this way.
	File string
}

// ErrOutOfReach means the cells ran in child pipelines that the token may
// not reach: a CI job token cannot list trigger jobs before GitLab 19.2.
// Nothing is wrong with the pipeline; collect where the cells ran (each
// child pipeline on itself) or with a token that has read_api.
var ErrOutOfReach = errors.New("the cells ran in child pipelines a CI job token cannot reach")

// countingSources are the pipeline sources whose runs on the default
// branch count toward support.
var countingSources = map[string]bool{"schedule": true, "web": true}

var mrRefRE = regexp.MustCompile(`^refs/merge-requests/(\d+)/`)

// Pipeline collects the pipeline tree under pipelineID into one run. It
// fails (wrapping gitlab.ErrUnavailable, ErrUnauthorized, ...) without a
// partial result when the API fails; a test report the token may not read
// (403) is not a failure: the run keeps job statuses only and says so once.
func Pipeline(ctx context.Context, api API, pipelineID int64, opts Options) (results.Run, Summary, error) {
	if opts.Manifest == nil {
		return results.Run{}, Summary{}, errors.New("collect: no manifest")
	}
	manifest, err := Scope(opts.Manifest, opts.File)
	if err != nil {
		return results.Run{}, Summary{}, fmt.Errorf("collect pipeline %d: %w", pipelineID, err)
	}
	opts.Manifest = manifest
	pipelines, err := api.PipelineTree(ctx, pipelineID)
	if err != nil {
		return results.Run{}, Summary{}, fmt.Errorf("collect pipeline %d: %w", pipelineID, err)
	}
	if len(pipelines) == 0 || pipelines[0].ID != pipelineID {
		return results.Run{}, Summary{}, fmt.Errorf("collect pipeline %d: the API returned no such pipeline", pipelineID)
	}
	matches := assign(opts.Manifest, pipelines, pipelineFiles(opts.Manifest, pipelines))
	var notes []string
	if limited := childrenUnknown(pipelines); limited {
		if !anyMatch(matches) {
			return results.Run{}, Summary{}, fmt.Errorf("collect pipeline %d: %w", pipelineID, ErrOutOfReach)
		}
		var files []string
		matches, files = onlyReachedFiles(matches)
		notes = append(notes, fmt.Sprintf("a CI job token cannot list trigger jobs on this GitLab (before 19.2): only the cells of %v, which ran in pipeline %d itself, are recorded", files, pipelineID))
	}
	if err := requireMatch(matches, fmt.Sprintf("pipeline %d and its child pipelines", pipelineID)); err != nil {
		return results.Run{}, Summary{}, fmt.Errorf("collect pipeline %d: %w", pipelineID, err)
	}

	var (
		tests    map[int64]*jobTests
		readable bool
	)
	if opts.JobToken {
		tests, err = junitFromArtifacts(ctx, api, matches, opts.Plan, opts.Concurrency)
		if err != nil {
			return results.Run{}, Summary{}, fmt.Errorf("collect pipeline %d: %w", pipelineID, err)
		}
		readable = true
	} else {
		reports, ok, note, err := fetchReports(ctx, api, matches, opts.Concurrency)
		if err != nil {
			return results.Run{}, Summary{}, fmt.Errorf("collect pipeline %d: %w", pipelineID, err)
		}
		if note != "" {
			notes = append(notes, note)
		}
		tests, readable = attributeReports(matches, reports, opts.Plan), ok
	}

	root := pipelines[0]
	cells, infra, partial, incomplete := buildCells(buildInput{
		manifest: opts.Manifest, plan: opts.Plan, matches: matches, tests: tests,
	})
	run := results.Run{
		Pipeline:   root.ID,
		URL:        root.WebURL,
		Source:     root.Source,
		Ref:        root.Ref,
		SHA:        root.SHA,
		MR:         opts.MR,
		Partial:    partial,
		Incomplete: incomplete,
		TestReport: readable,
		CreatedAt:  root.CreatedAt.UTC(),
		FinishedAt: finishedAt(matches),
		Cells:      cells,
		Infra:      infra,
	}
	if run.FinishedAt.IsZero() {
		run.FinishedAt = run.CreatedAt
	}
	if run.MR == 0 {
		if m := mrRefRE.FindStringSubmatch(root.Ref); m != nil {
			run.MR, _ = strconv.Atoi(m[1])
		}
	}
	switch {
	case opts.DefaultBranch == "":
		notes = append(notes, "default branch unknown (--default-branch, CI_DEFAULT_BRANCH): the run does not count toward support")
	case countingSources[root.Source] && root.Ref == opts.DefaultBranch && run.MR == 0:
		run.Counts = true
	}
	if root.Source == "parent_pipeline" {
		notes = append(notes, fmt.Sprintf("pipeline %d is a child pipeline: collect the parent pipeline so that its source and ref decide whether the run counts", root.ID))
	}
	if incomplete {
		notes = append(notes, "some jobs had not finished: they read not_run (the pipeline is still running)")
	}
	return run, summarize(&run, pipelines, notes), nil
}

// fetchReports reads the test report of every pipeline that holds cell
// jobs. The first is read alone: when the token may not read test reports
// (a CI job token answers 403), the others are not tried. It returns the
// reports by pipeline id, whether they were readable, and a note to say
// once.
func fetchReports(ctx context.Context, api API, matches []match, concurrency int) (map[int64]*ci.TestReport, bool, string, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, mt := range matches {
		if mt.pipeline == nil || !mt.mj.IsCellJob() || seen[mt.pipeline.ID] {
			continue
		}
		seen[mt.pipeline.ID] = true
		ids = append(ids, mt.pipeline.ID)
	}
	reports := map[int64]*ci.TestReport{}
	if len(ids) == 0 {
		return reports, false, "", nil
	}
	first, err := api.TestReport(ctx, ids[0])
	switch {
	case errors.Is(err, gitlab.ErrForbidden):
		return reports, false, "the token may not read test reports (it needs read_api): statuses come from jobs alone, without test counts or server versions", nil
	case err != nil:
		return nil, false, "", err
	}
	reports[ids[0]] = first
	if concurrency <= 0 {
		concurrency = gitlab.DefaultConcurrency
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs = make([]error, len(ids))
		sem  = make(chan struct{}, concurrency)
	)
	for i, id := range ids[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r, err := api.TestReport(ctx, id)
			if err != nil {
				errs[i+1] = err
				return
			}
			mu.Lock()
			reports[id] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if errors.Is(err, gitlab.ErrForbidden) {
			return map[int64]*ci.TestReport{}, false, "the token may not read some test reports: statuses come from jobs alone, without test counts or server versions", nil
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, false, "", err
	}
	return reports, true, "", nil
}

// childrenUnknown reports whether some pipeline's trigger jobs could not be
// read.
func childrenUnknown(pipelines []ci.Pipeline) bool {
	for _, p := range pipelines {
		if p.ChildrenUnknown {
			return true
		}
	}
	return false
}

// anyMatch reports whether some cell job of the manifest was found.
func anyMatch(matches []match) bool {
	for i := range matches {
		if matches[i].mj.IsCellJob() && len(matches[i].attempts) > 0 {
			return true
		}
	}
	return false
}

// onlyReachedFiles keeps the manifest jobs of the generated files of which
// some job was found: when the tree could not be followed, the cells of
// the other files are not known to be missing, only out of reach, and
// are left out of the run (it is partial) rather than recorded as not_run.
func onlyReachedFiles(matches []match) ([]match, []string) {
	reached := map[string]bool{}
	var files []string
	for i := range matches {
		if f := matches[i].mj.File; len(matches[i].attempts) > 0 && !reached[f] {
			reached[f] = true
			files = append(files, f)
		}
	}
	out := matches[:0:0]
	for _, mt := range matches {
		if reached[mt.mj.File] {
			out = append(out, mt)
		}
	}
	return out, files
}

// junitFromArtifacts reads each finished cell job's JUnit files from its
// artifacts archive (every .xml file whose root is a JUnit element; the
// default templates write junit/<name>.xml into artifacts:paths). Every
// case belongs to the job whose archive holds it: no suite to split.
func junitFromArtifacts(ctx context.Context, api API, matches []match, plan *matrix.Plan, concurrency int) (map[int64]*jobTests, error) {
	if concurrency <= 0 {
		concurrency = gitlab.DefaultConcurrency
	}
	var jobs []*ci.Job
	cluster := map[int64]bool{} // cluster jobs keep only their server version
	for i := range matches {
		mt := &matches[i]
		j := mt.newest()
		if j == nil || (j.Status != ci.Success && j.Status != ci.Failed) {
			continue
		}
		switch {
		case mt.mj.IsCellJob():
		case clusterStep(mt.mj, plan) != "":
			cluster[j.ID] = true
		default:
			continue
		}
		jobs = append(jobs, j)
	}
	out := make([]*jobTests, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			files, err := api.JobArtifacts(ctx, j.ID, func(name string) bool { return strings.HasSuffix(name, ".xml") })
			if errors.Is(err, gitlab.ErrNotFound) {
				return // no artifacts: no test counts
			}
			if err != nil {
				errs[i] = err
				return
			}
			var cases []ci.TestCase
			for _, f := range files {
				cs, err := ParseJUnit(f.Name, f.Data)
				if err != nil {
					continue // not a JUnit report
				}
				cases = append(cases, cs...)
			}
			out[i] = tally(cases)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	tests := map[int64]*jobTests{}
	for i, j := range jobs {
		switch {
		case out[i] == nil:
		case cluster[j.ID]:
			if out[i].serverVersion != "" {
				tests[j.ID] = &jobTests{serverVersion: out[i].serverVersion}
			}
		default:
			tests[j.ID] = out[i]
		}
	}
	return tests, nil
}
