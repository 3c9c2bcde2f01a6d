package program

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/pkg/collect"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// CollectOptions are what `collect` reads.
type CollectOptions struct {
	Pipeline      int64  // a GitLab parent pipeline, or
	LocalDir      string // a gitlab-ci-local run's directory
	Manifest      string
	Results       string
	Matrix        string
	MatrixSet     bool // the matrix was named: a missing file is an error
	DefaultBranch string
	MR            int
	Concurrency   int
	GitLab        GitLabOptions
	LocalID       int64
	Source        string
	Time          string // RFC 3339 finish time of a local run; "" is the file's
	// ManifestJob, when set, is the job whose artifacts hold the manifest
	// (the parent's generate job), in pipeline ManifestPipeline: collect
	// fetches the manifest's directory from them into the working
	// directory first (collect.FetchManifest), as a child's self-report
	// job does with its CI job token.
	ManifestJob      string
	ManifestPipeline int64
	// WorkDir is the project directory (the working directory in CI; ""
	// is the process's): the manifest's path in the job's artifacts is
	// its path relative to it.
	WorkDir string
	// File, when set, records only the cells of that generated file
	// (pipeline.yml, shard-N.yml): the pipeline is the one running it.
	File string
	Log  io.Writer
}

// CollectResult is the run collected and where it went.
type CollectResult struct {
	Run     results.Run
	Summary collect.Summary
	// Skipped: the cells ran in child pipelines a CI job token cannot
	// reach (collect.ErrOutOfReach). Not a failure (a merge request
	// without secret variables must not go red); nothing was written.
	Skipped bool
}

// Collect collects one run and records it in the results file. Nothing is
// written unless everything succeeded; a GitLab that stays down is ErrAPI.
func Collect(ctx context.Context, o CollectOptions) (*CollectResult, error) {
	switch {
	case o.Pipeline == 0 && o.LocalDir == "":
		return nil, usagef("collect: give --pipeline ID or --local-dir DIR")
	case o.Pipeline != 0 && o.LocalDir != "":
		return nil, usagef("collect: give --pipeline or --local-dir, not both")
	case o.Manifest == "":
		return nil, usagef("collect: --manifest FILE is required")
	case o.Pipeline < 0:
		return nil, usagef("collect: --pipeline %d: want a positive id", o.Pipeline)
	case o.ManifestJob != "" && o.LocalDir != "":
		return nil, usagef("collect: --manifest-job reads the manifest from GitLab: not with --local-dir")
	case o.ManifestJob != "" && o.ManifestPipeline <= 0:
		return nil, usagef("collect: --manifest-job %s: give --manifest-pipeline ID, the pipeline that ran it (in a child pipeline $PARENT_PIPELINE_ID)", o.ManifestJob)
	case o.File != "" && o.LocalDir != "":
		return nil, usagef("collect: --file selects the cells of one generated file in a GitLab pipeline: not with --local-dir")
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	if o.ManifestJob != "" {
		// Before reading the history: a corrupt history is still refused
		// before the run's own API calls, and a manifest that cannot be
		// fetched stops the command with nothing written.
		if err := fetchManifest(ctx, o, log); err != nil {
			return nil, err
		}
	}
	manifest, err := collect.ReadManifest(o.Manifest)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	plan, err := collectPlan(o, log)
	if err != nil {
		return nil, err
	}
	if err := collect.CheckManifest(manifest, plan, o.Matrix); err != nil {
		return nil, fmt.Errorf("collect: manifest %s: %w", o.Manifest, err)
	}
	// Read the history before asking GitLab anything: a corrupt file
	// stops the command without an API call.
	if _, err := results.Read(o.Results); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	var r CollectResult
	if o.LocalDir != "" {
		r.Run, r.Summary, err = collectLocal(o, manifest, plan)
	} else {
		r.Run, r.Summary, err = collectGitLab(ctx, o, manifest, plan, log)
		if errors.Is(err, collect.ErrOutOfReach) {
			return &CollectResult{Skipped: true}, nil
		}
	}
	if errors.Is(err, collect.ErrManifestMismatch) {
		return nil, fmt.Errorf("collect: %w (manifest %s)", err, o.Manifest)
	}
	if err != nil {
		return nil, err
	}
	// Merge under the file's lock: another collect writing the same file
	// meanwhile is waited for, never overwritten. A new file may go into a
	// new directory (a report job's supportmatrix-report/).
	if err := os.MkdirAll(filepath.Dir(o.Results), 0o755); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	if _, err := results.Update(o.Results, r.Run); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	for _, n := range r.Summary.Notes {
		fmt.Fprintf(log, "supportmatrix: note: %s\n", n)
	}
	return &r, nil
}

// collectPlan loads and expands the matrix, for the excluded cells. A
// missing default matrix is tolerated (with a note); a named one must load.
func collectPlan(o CollectOptions, log io.Writer) (*matrix.Plan, error) {
	if o.Matrix == "" {
		return nil, nil
	}
	if _, err := os.Stat(o.Matrix); errors.Is(err, fs.ErrNotExist) && !o.MatrixSet {
		fmt.Fprintf(log, "supportmatrix: note: no matrix at %s: excluded cells are not listed\n", o.Matrix)
		return nil, nil
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	return matrix.Expand(m), nil
}

func collectLocal(o CollectOptions, manifest *collect.Manifest, plan *matrix.Plan) (results.Run, collect.Summary, error) {
	res, saved, err := collect.LoadLocal(o.LocalDir)
	if err != nil {
		return results.Run{}, collect.Summary{}, fmt.Errorf("collect: %w", err)
	}
	when := saved
	if o.Time != "" {
		if when, err = time.Parse(time.RFC3339, o.Time); err != nil {
			return results.Run{}, collect.Summary{}, usagef("collect: --time %q: want RFC 3339, like 2026-05-01T12:00:00Z", o.Time)
		}
	}
	run, summary, err := collect.Local(res, collect.LocalOptions{
		Manifest: manifest, Plan: plan, ID: o.LocalID, Source: o.Source, Time: when,
	})
	if err != nil && !errors.Is(err, collect.ErrManifestMismatch) {
		err = fmt.Errorf("collect: %w", err)
	}
	if err != nil {
		return results.Run{}, collect.Summary{}, err
	}
	return run, summary, nil
}

// fetchManifest writes the files of the manifest's directory, read from
// the artifacts of o.ManifestJob in o.ManifestPipeline, under their names
// in the working directory, each atomically.
func fetchManifest(ctx context.Context, o CollectOptions, log io.Writer) error {
	if o.GitLab.Token.Value == "" {
		return errors.New("collect: --manifest-job: no GitLab token: set CI_JOB_TOKEN (in a CI job), SUPPORTMATRIX_TOKEN or GITLAB_TOKEN")
	}
	ctx, cancel := o.GitLab.runContext(ctx)
	defer cancel()
	client, err := o.GitLab.client(gitlab.Config{Concurrency: o.Concurrency, Progress: log})
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	inArchive := artifactDir(o.WorkDir, o.Manifest)
	files, err := collect.FetchManifest(ctx, client, o.ManifestPipeline, o.ManifestJob, inArchive)
	if err != nil {
		return fmt.Errorf("collect: %w", o.GitLab.apiFailure(err, o.Results,
			fmt.Sprintf("read the jobs and artifacts of pipeline %d (a CI job token may; another token needs read_api on project %s)", o.ManifestPipeline, o.GitLab.Project),
			fmt.Sprintf("no pipeline %d in project %s", o.ManifestPipeline, o.GitLab.Project)))
	}
	// Every file sits in the manifest's directory (FetchManifest keeps no
	// other): each goes beside the local manifest under its base name.
	if err := os.MkdirAll(filepath.Dir(o.Manifest), 0o755); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(filepath.Dir(o.Manifest), path.Base(f.Name)), f.Data); err != nil {
			return fmt.Errorf("collect: %w", err)
		}
	}
	fmt.Fprintf(log, "collect: fetched %d files of %s from job %q of pipeline %d\n", len(files), path.Dir(inArchive), o.ManifestJob, o.ManifestPipeline)
	return nil
}

func collectGitLab(ctx context.Context, o CollectOptions, manifest *collect.Manifest, plan *matrix.Plan, log io.Writer) (results.Run, collect.Summary, error) {
	tok := o.GitLab.Token
	if tok.Value == "" {
		return results.Run{}, collect.Summary{}, errors.New("collect: no GitLab token: set SUPPORTMATRIX_TOKEN (a project access token with read_api), GITLAB_TOKEN or CI_JOB_TOKEN")
	}
	ctx, cancel := o.GitLab.runContext(ctx)
	defer cancel()
	client, err := o.GitLab.client(gitlab.Config{Concurrency: o.Concurrency, Progress: log})
	if err != nil {
		return results.Run{}, collect.Summary{}, fmt.Errorf("collect: %w", err)
	}
	run, summary, err := collect.Pipeline(ctx, client, o.Pipeline, collect.Options{
		Manifest: manifest, Plan: plan, DefaultBranch: o.DefaultBranch, MR: o.MR, Concurrency: o.Concurrency,
		JobToken: tok.Job, File: o.File,
	})
	if errors.Is(err, collect.ErrManifestMismatch) || errors.Is(err, collect.ErrOutOfReach) {
		return results.Run{}, collect.Summary{}, err
	}
	if err != nil {
		return results.Run{}, collect.Summary{}, o.GitLab.apiFailure(err, o.Results,
			fmt.Sprintf("read pipeline %d's jobs (it needs read_api on project %s)", o.Pipeline, o.GitLab.Project),
			fmt.Sprintf("no pipeline %d in project %s", o.Pipeline, o.GitLab.Project))
	}
	return run, summary, nil
}
