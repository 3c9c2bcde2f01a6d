package collect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// LocalResultFile is the file, in a gitlab-ci-local working directory, that
// keeps what a run's jobs did (SaveLocal), so that `collect --local-dir`
// can read a run again later: gitlab-ci-local's own state directory does
// not record job outcomes, only logs and artifacts.
const LocalResultFile = "supportmatrix-local.json"

// localSchema identifies the LocalResultFile format.
const localSchema = "supportmatrix/local-result/v1"

type localFile struct {
	Schema string          `json:"schema"`
	Result *localci.Result `json:"result"`
}

// SaveLocal writes res to dir/LocalResultFile, atomically.
func SaveLocal(dir string, res *localci.Result) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(localFile{Schema: localSchema, Result: res}); err != nil {
		return fmt.Errorf("save local result: %w", err)
	}
	return atomicfile.Write(filepath.Join(dir, LocalResultFile), buf.Bytes())
}

// LoadLocal reads dir/LocalResultFile and returns the result and the time
// it was written (the run's end).
func LoadLocal(dir string) (*localci.Result, time.Time, error) {
	path := filepath.Join(dir, LocalResultFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, time.Time{}, fmt.Errorf("load local result: %s: no local run recorded there (run `supportmatrix run --local` first)", path)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("load local result: %w", err)
	}
	var f localFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, time.Time{}, fmt.Errorf("load local result %s: %w", path, err)
	}
	if f.Schema != localSchema || f.Result == nil {
		return nil, time.Time{}, fmt.Errorf("load local result %s: schema %q, want %q", path, f.Schema, localSchema)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("load local result: %w", err)
	}
	return f.Result, st.ModTime().UTC().Truncate(time.Second), nil
}

// NoLocalRetry says plainly that a local run does not rehearse retry:
// gitlab-ci-local 4.70.1 accepts the retry keyword (its schema has it) but
// never acts on it (nothing in its src/ outside schema.json reads retry,
// checked in github.com/firecow/gitlab-ci-local at tag 4.70.1), so every
// job runs once. GitLab retries a job up to max times when its failure
// reason is in when (always by default); a local run only knows a script's
// exit status, so it could at best rehearse script_failure. A job that
// passed after a retry in GitLab reads flaky (collect, report).
func NoLocalRetry(r matrix.Retry) string {
	when := "always"
	if len(r.When) > 0 {
		when = strings.Join(r.When, ", ")
	}
	return fmt.Sprintf("pipeline.retry (max %d when %s) is not rehearsed: gitlab-ci-local 4.70.1 runs every job once, so a failure GitLab would retry reads failed here; in GitLab a cell that passes after a retry reads flaky", r.Max, when)
}

// LocalOptions describe a gitlab-ci-local run.
type LocalOptions struct {
	// Manifest lists the generated jobs and their cells. Required.
	Manifest *Manifest
	// Plan lists the excluded cells; optional.
	Plan *matrix.Plan
	// ID is the run's id among local runs (default 1: a new local run
	// replaces the previous one in the history).
	ID int64
	// Source is recorded as the run's source (default "local").
	Source string
	// Ref and SHA describe the checked-out code, when known.
	Ref, SHA string
	// Time is when the run finished; it is the run's created and finished
	// time, so that the same inputs give the same results file.
	Time time.Time
}

// Local turns a gitlab-ci-local run into a run of the history. Local runs
// never count toward support. JUnit files among each job's artifacts give
// the test counts and the server version.
func Local(res *localci.Result, opts LocalOptions) (results.Run, Summary, error) {
	if opts.Manifest == nil {
		return results.Run{}, Summary{}, errors.New("collect local run: no manifest")
	}
	if res == nil {
		return results.Run{}, Summary{}, errors.New("collect local run: no result")
	}
	manifest, err := Scope(opts.Manifest, "")
	if err != nil {
		return results.Run{}, Summary{}, fmt.Errorf("collect local run: %w", err)
	}
	opts.Manifest = manifest
	if opts.ID == 0 {
		opts.ID = 1
	}
	if opts.Source == "" {
		opts.Source = "local"
	}
	pipelines := res.Pipelines()
	files := make(map[int64]string, len(pipelines))
	for _, p := range pipelines {
		files[p.ID] = p.File
	}
	matches := assign(opts.Manifest, pipelines, files)
	if err := requireMatch(matches, "the local run"); err != nil {
		return results.Run{}, Summary{}, fmt.Errorf("collect local run: %w", err)
	}
	tests := map[int64]*jobTests{}
	for _, mt := range matches {
		j := mt.newest()
		if j == nil || (!mt.mj.IsCellJob() && clusterStep(mt.mj, opts.Plan) == "") || len(j.JUnitFiles) == 0 {
			continue
		}
		cases, err := readJUnitFiles(j.JUnitFiles)
		if err != nil {
			return results.Run{}, Summary{}, fmt.Errorf("collect local run: job %q: %w", j.Name, err)
		}
		tests[j.ID] = tally(cases)
	}
	cells, infra, partial, incomplete := buildCells(buildInput{manifest: opts.Manifest, plan: opts.Plan, matches: matches, tests: tests})
	t := opts.Time.UTC()
	run := results.Run{
		Pipeline: opts.ID, Source: opts.Source, Ref: opts.Ref, SHA: opts.SHA, Local: true,
		Partial: partial, Incomplete: incomplete, TestReport: true,
		CreatedAt: t, FinishedAt: t, Cells: cells, Infra: infra,
	}
	var notes []string
	notes = append(notes, res.Warnings...)
	if opts.Plan != nil && opts.Plan.Matrix != nil && opts.Plan.Matrix.Pipeline.Retry.Max > 0 {
		notes = append(notes, NoLocalRetry(opts.Plan.Matrix.Pipeline.Retry))
	}
	return run, summarize(&run, pipelines, notes), nil
}
