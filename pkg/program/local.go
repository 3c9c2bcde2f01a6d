package program

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/collect"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// The files of a local run, under LocalOptions.Out.
const (
	LocalPipelineDir = "out"            // the generated pipeline
	LocalResults     = results.FileName // the local run history
	LocalTable       = report.TableFile // the table rendered from it
	LocalLevelLog    = report.LogFile   // the local table's level changes
)

// The defaults of `run --local`: its working directory and how many jobs
// run at once.
const (
	DefaultLocalOut         = "out/local"
	DefaultLocalConcurrency = 4
)

// LocalOptions are what `run --local` reads.
type LocalOptions struct {
	Matrix      string
	Templates   string
	Only        string
	Out         string // the working directory: pipeline, history, table
	Concurrency int
	Root        string
	// Env (KEY=value) is the whole environment of the run, nothing being
	// read from the process's: where gitlab-ci-local is looked for
	// ($SUPPORTMATRIX_GITLAB_CI_LOCAL, the user cache directory, PATH;
	// localci.Find) and installed, and the environment it, git, rsync and
	// the jobs run with. Nil is an empty one, in which rsync is not found.
	Env []string
	// Dir is where the search for .tools/ starts (localci.LookupIn): ""
	// is the working directory.
	Dir string
	// Now reads the clock once, when the run finished.
	Now func() time.Time
	// Log receives progress: what was generated, each job's start and end.
	Log io.Writer
}

// LocalResult is what a local run did.
type LocalResult struct {
	Run      results.Run
	Summary  collect.Summary
	Report   *report.Report
	Warnings []string // from gitlab-ci-local's output
	Table    string   // the path of the table
	History  string   // the path of the history
	// LevelChanges are the level changes this run made to the local
	// table, as appended to LevelLog: how levels build up over runs.
	LevelChanges []report.LogEntry
	LevelLog     string // the path of the local level log
}

// Problems counts what fails `run --strict`: failed cells, broken cells
// (their cluster did not come up, could not be reached, or runs another
// minor: nothing was proven, never a pass) and failed cluster jobs (a
// teardown too: the cluster may still be running).
func (r *LocalResult) Problems() (failed, broken, infra int) {
	for _, c := range r.Run.Cells {
		switch c.Status {
		case results.Failed:
			failed++
		case results.Broken:
			broken++
		}
	}
	return failed, broken, len(r.Run.Infra)
}

// RunLocal does on one machine what GitLab CI does for the program:
// generate, run the pipeline with gitlab-ci-local, collect the outcomes
// (collect.Local: local runs never count), record the run in the local
// history and render the table from it. When ctx ends (SIGINT, SIGTERM),
// gitlab-ci-local's process group is stopped and the history and the
// table are left as they were.
func RunLocal(ctx context.Context, o LocalOptions) (*LocalResult, error) {
	// Before anything is generated or installed: a fresh machine learns at
	// once, in one line, what it lacks.
	if err := localci.CheckRsync(o.Env); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	sels, err := selectors(o.Only)
	if err != nil {
		return nil, err
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return nil, err
	}
	set, err := jobs.Open(o.Templates)
	if err != nil {
		return nil, err
	}
	root, err := rootDir(o.Root, o.Matrix)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	historyPath := filepath.Join(o.Out, LocalResults)
	// Read the history first: a corrupt file stops the run before it starts.
	if _, err := results.Read(historyPath); err != nil {
		return nil, err
	}
	plan := matrix.Expand(m)
	out, err := generate.Generate(plan, set, generate.Options{Only: sels, NoReport: true}) // no GitLab API to report from: the run is collected here
	if err != nil {
		return nil, err
	}
	pipelineDir := filepath.Join(o.Out, LocalPipelineDir)
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if err := out.Write(pipelineDir); err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "run: generated %d jobs for %d cells in %s\n", len(out.Manifest.Jobs), len(out.Manifest.Cells), pipelineDir)

	bin, err := localci.Find(ctx, o.Env, o.Dir, log)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	res, err := localci.Run(ctx, localci.Options{
		Binary:      bin,
		Dir:         o.Out,
		File:        filepath.ToSlash(filepath.Join(LocalPipelineDir, generate.PipelineFile)),
		Concurrency: o.Concurrency,
		Env:         o.Env,
		Progress:    log,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("run: interrupted; %s and %s left as they were: %w", historyPath, filepath.Join(o.Out, LocalTable), err)
		}
		return nil, fmt.Errorf("run: %w", err)
	}
	if err := collect.SaveLocal(o.Out, res); err != nil {
		return nil, err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	// The run's time is when it finished: the one clock reading, recorded
	// in the history so that rendering it again gives the same table.
	finished := now().UTC().Truncate(time.Second)
	run, summary, err := collect.Local(res, collect.LocalOptions{Manifest: &out.Manifest, Plan: plan, Time: finished})
	if err != nil {
		return nil, err
	}
	run.Partial = run.Partial || len(sels) > 0
	// Each local run is a new run of the local history, with its own id
	// given under the file's lock (results.AddLocal).
	hist, id, err := results.AddLocal(historyPath, run)
	if err != nil {
		return nil, err
	}
	run.Pipeline = id
	// Local runs never count (collect's rule, kept in the history); the
	// local table is report's local view of this history, in which they
	// decide the levels, and which says it is never published.
	rep, _ := buildReport(m, hist, root, time.Time{}, true)
	table := filepath.Join(o.Out, LocalTable)
	if err := atomicfile.Write(table, render.Markdown(rep)); err != nil {
		return nil, err
	}
	// The local table's level changes go to its own append-only log, as
	// publish keeps matrix/levels.log: each run shows what it moved.
	logPath := filepath.Join(o.Out, LocalLevelLog)
	old, err := os.ReadFile(logPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("run: %w", err)
	}
	logData, changes, err := report.UpdateLog(logPath, old, rep)
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		if err := atomicfile.Write(logPath, logData); err != nil {
			return nil, err
		}
	}
	return &LocalResult{Run: run, Summary: summary, Report: rep, Warnings: res.Warnings, Table: table, History: historyPath,
		LevelChanges: changes, LevelLog: logPath}, nil
}
