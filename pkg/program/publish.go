package program

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/publish"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// Default paths of the program's files in the repository.
const (
	DefaultResults = "matrix/results.json"
	DefaultSupport = "matrix/SUPPORT.md"
	DefaultProgram = "matrix/PROGRAM.md"
	// DefaultLevelsLog is the append-only log of level changes.
	DefaultLevelsLog = "matrix/levels.log"
)

// PublishOptions are what `publish` reads.
type PublishOptions struct {
	Commit, MRNote bool
	Matrix         string
	Results        string // the local results file collect wrote
	ResultsPath    string // the history's path in the repository
	Pipeline       int64  // 0: every run of the results file
	Root           string
	SupportPath    string
	ProgramPath    string
	Branch         string // "" asks GitLab for the default branch
	MR             int64
	Plan           string // a file with plan's markdown, for the note
	GitLab         GitLabOptions
	// Now is when levels are judged (RFC 3339; in CI the pipeline's
	// creation time); "" is Clock's reading.
	Now      string
	Clock    func() time.Time
	LevelLog string // the level log's path in the repository
	// MRProject is the merge request's (target) project, MRSourceProject
	// the project its source branch lives in: they differ for a fork's
	// merge request, whose pipeline runs in the fork.
	MRProject, MRSourceProject string
	Log                        io.Writer
}

// PublishResult says what publish did.
type PublishResult struct {
	Branch string
	// Commit: the outcome of committing the table; nil for a note.
	Commit *publish.Outcome
	// Note: the outcome of noting the merge request; nil for a commit.
	Note *publish.NoteOutcome
	// Skipped says why the note was not written, when that is no failure.
	Skipped string
}

// Publish commits the table and the history through the API, or notes
// the plan and results on the merge request.
func Publish(ctx context.Context, o PublishOptions) (*PublishResult, error) {
	// An empty environment variable must not blank a path.
	for _, p := range []struct {
		v   *string
		def string
	}{{&o.SupportPath, DefaultSupport}, {&o.ProgramPath, DefaultProgram}, {&o.ResultsPath, DefaultResults}, {&o.Results, DefaultResults}, {&o.LevelLog, DefaultLevelsLog}} {
		if *p.v == "" {
			*p.v = p.def
		}
	}
	if o.Commit == o.MRNote {
		return nil, usagef("publish: give exactly one of --commit and --mr-note")
	}
	if o.MRNote && o.MR == 0 {
		return nil, usagef("publish --mr-note: no merge request: set --mr or run in a merge-request pipeline ($CI_MERGE_REQUEST_IID)")
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return nil, err
	}
	hist, err := results.Read(o.Results)
	if err != nil {
		return nil, err
	}
	this := results.New()
	for _, r := range hist.Runs {
		if o.Pipeline == 0 || r.Pipeline == o.Pipeline {
			this.Merge(r)
		}
	}
	if len(this.Runs) == 0 {
		return nil, fmt.Errorf("publish: %s holds no run of pipeline %d: run collect first", o.Results, o.Pipeline)
	}
	if o.Commit {
		if err := publish.CheckCounting(o.Results, this); err != nil {
			return nil, fmt.Errorf("publish: %w; nothing was written", err)
		}
	}
	now, err := parseNow("publish", o.Now)
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		clock := time.Now
		if o.Clock != nil {
			clock = o.Clock
		}
		now = clock().UTC().Truncate(time.Second)
	}
	tok := o.GitLab.Token
	fork := o.MRSourceProject != "" && o.MRProject != "" && o.MRSourceProject != o.MRProject
	if o.MRNote && (tok.Value == "" || tok.Job) {
		// The normal case in a merge request: its pipeline gets no
		// protected variables (never in a fork's), and a job token may not
		// write notes. The results are in the pipeline's own reports.
		has := "no token"
		if tok.Job {
			has = "only a CI job token"
		}
		return &PublishResult{Skipped: "writing a note needs a token with the api scope in SUPPORTMATRIX_TOKEN, and this pipeline has " + has + "; the results are in the pipeline's test report and artifacts"}, nil
	}
	if tok.Value == "" {
		return nil, errors.New("publish: no GitLab token: set SUPPORTMATRIX_TOKEN to a project access token with the api scope")
	}
	if tok.Job {
		return nil, errors.New("publish: only CI_JOB_TOKEN is set, and a job token may not commit or write notes: set SUPPORTMATRIX_TOKEN to a project access token with the api scope")
	}
	ctx, cancel := o.GitLab.runContext(ctx)
	defer cancel()
	gl := o.GitLab
	if o.MRNote && o.MRProject != "" {
		// A fork's merge request lives in the target project, not in the
		// fork where the pipeline runs (CI_MERGE_REQUEST_PROJECT_ID).
		gl.Project = o.MRProject
	}
	client, err := gl.client(gitlab.Config{Progress: o.Log})
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	fail := func(err error) error {
		return fmt.Errorf("publish: %w", o.GitLab.apiFailure(err, "the repository", "commit or write notes (it needs the api scope and a role that may push)", ""))
	}
	if o.MRNote {
		plan := "## Support matrix plan\n\nNo plan was given (--plan).\n"
		if o.Plan != "" {
			data, err := os.ReadFile(o.Plan)
			if err != nil {
				return nil, fmt.Errorf("publish: %w", err)
			}
			plan = string(data)
		}
		out, err := publish.Note(ctx, client, o.MR, publish.NoteBody(plan, &this.Runs[0]))
		if fork && (errors.Is(err, gitlab.ErrUnauthorized) || errors.Is(err, gitlab.ErrForbidden) || errors.Is(err, gitlab.ErrNotFound)) {
			return &PublishResult{Skipped: fmt.Sprintf("this merge request comes from a fork (project %s into %s), and the token in %s may not write on the target project; the results are in the pipeline's test report and artifacts", o.MRSourceProject, o.MRProject, tok.Variable)}, nil
		}
		if err != nil {
			return nil, fail(err)
		}
		return &PublishResult{Note: out}, nil
	}
	if o.Branch == "" {
		if o.Branch, err = client.DefaultBranch(ctx); err != nil {
			return nil, fail(err)
		}
	}
	root := o.Root
	if root == "" {
		root = docs.DefaultRoot(o.Matrix)
	}
	out, err := publish.Commit(ctx, client, publish.CommitOptions{
		Branch: o.Branch, ResultsPath: o.ResultsPath, Run: this,
		BoundCounting: results.KeepCounting, BoundPreviews: results.KeepPreviews,
		Message: commitMessage(this), Log: o.Log, LogPath: o.LevelLog,
		Render: func(f *results.File) (*publish.Rendered, error) {
			rep, audit := buildReport(m, f, root, now, false)
			program := docs.Program(audit, rep, docs.Options{Dir: path.Dir(o.ProgramPath)})
			return &publish.Rendered{
				Files:  []publish.File{{Path: o.SupportPath, Content: render.Markdown(rep)}, {Path: o.ProgramPath, Content: program}},
				Levels: publish.Levels(rep),
				Report: rep,
			}, nil
		},
	})
	if errors.Is(err, publish.ErrNotCounting) {
		return nil, fmt.Errorf("publish: %w; nothing was written", err)
	}
	if err != nil {
		return nil, fail(err)
	}
	return &PublishResult{Branch: o.Branch, Commit: out}, nil
}

func commitMessage(f *results.File) string {
	r := f.Runs[0]
	msg := fmt.Sprintf("Publish the support table from pipeline %d", r.Pipeline)
	if r.URL != "" {
		msg += "\n\n" + r.URL
	}
	return msg
}
