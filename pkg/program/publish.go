package program

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/alert"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/publish"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// Default paths of the program's files in the repository.
const (
	DefaultResults = "matrix/" + results.FileName
	DefaultSupport = "matrix/" + report.TableFile
	DefaultProgram = "matrix/" + docs.ProgramFile
	// DefaultLevelsLog is the append-only log of level changes, named
	// report.LogFile, next to the table.
	DefaultLevelsLog = "matrix/" + report.LogFile
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
	// Alerts keeps one issue per distribution × minor that needs a
	// person (pkg/alert); DigestIssue, when set, is a Markdown file (render
	// --format digest) kept as the description of one issue. Both carry
	// IssueLabel (default alert.DefaultLabel).
	Alerts      bool
	DigestIssue string
	IssueLabel  string
	Log         io.Writer
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
	// Alerts and Digest say what publish did to the alert issues and the
	// digest issue; nil when not asked. IssuesSkipped says why neither
	// was written, when that is no failure (no token that may write
	// issues).
	Alerts, Digest *alert.Outcome
	IssuesSkipped  string
}

// reportJobs says where a merge request's plan and results are when
// publish cannot note them.
var reportJobs = fmt.Sprintf("each child pipeline's %q job (artifacts and test report)", generate.ReportJob)

// Publish commits the table and the history through the API, or notes
// the plan and results on the merge request; and keeps the alert issues
// and the digest issue (--alerts, --digest-issue), after the commit when
// both are asked.
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
	issues := o.Alerts || o.DigestIssue != ""
	switch {
	case o.Commit && o.MRNote:
		return nil, usagef("publish: give one of --commit and --mr-note, not both")
	case !o.Commit && !o.MRNote && !issues:
		return nil, usagef("publish: give --commit, --mr-note, --alerts or --digest-issue FILE")
	case o.MRNote && issues:
		return nil, usagef("publish: --alerts and --digest-issue follow the counting runs (schedules and web runs on the default branch), not a merge request: give them with --commit or alone")
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
	if len(this.Runs) == 0 && (o.Commit || o.MRNote) {
		return nil, fmt.Errorf("publish: %s holds no run of pipeline %d: run collect first", o.Results, o.Pipeline)
	}
	var digest []byte
	if o.DigestIssue != "" {
		// Read before anything is written: a missing file is the caller's.
		if digest, err = os.ReadFile(o.DigestIssue); err != nil {
			return nil, fmt.Errorf("publish --digest-issue: %w", err)
		}
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
	if issues && !o.Commit && (tok.Value == "" || tok.Job) {
		return &PublishResult{IssuesSkipped: issuesSkipped(tok)}, nil
	}
	fork := o.MRSourceProject != "" && o.MRProject != "" && o.MRSourceProject != o.MRProject
	if o.MRNote && (tok.Value == "" || tok.Job) {
		// The normal case in a merge request: its pipeline gets no
		// protected variables (never in a fork's), and a job token may not
		// write notes. The results are in the pipeline's own reports.
		has := "no token"
		if tok.Job {
			has = "only a CI job token"
		}
		return &PublishResult{Skipped: "writing a note needs a token with the api scope in SUPPORTMATRIX_TOKEN, and this pipeline has " + has + "; the plan and results are in " + reportJobs}, nil
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
		plan := "" // render.RunMarkdown says no plan was given
		if o.Plan != "" {
			data, err := os.ReadFile(o.Plan)
			if err != nil {
				return nil, fmt.Errorf("publish: %w", err)
			}
			plan = string(data)
		}
		out, err := publish.Note(ctx, client, o.MR, publish.NoteBody(plan, &this.Runs[0]))
		if fork && (errors.Is(err, gitlab.ErrUnauthorized) || errors.Is(err, gitlab.ErrForbidden) || errors.Is(err, gitlab.ErrNotFound)) {
			return &PublishResult{Skipped: fmt.Sprintf("this merge request comes from a fork (project %s into %s), and the token in %s may not write on the target project; the plan and results are in %s", o.MRSourceProject, o.MRProject, tok.Variable, reportJobs)}, nil
		}
		if err != nil {
			return nil, fail(err)
		}
		return &PublishResult{Note: out}, nil
	}
	res := &PublishResult{}
	if o.Commit {
		if res, err = commitTable(ctx, o, client, m, this, now, fail); err != nil {
			return nil, err
		}
	}
	if !issues {
		return res, nil
	}
	iopts := alert.Options{Label: o.IssueLabel, Now: now, Log: o.Log}
	failIssues := func(err error) error {
		return fmt.Errorf("publish: %w", o.GitLab.apiFailure(err, "the issues", "create labels or write issues (it needs the api scope and the Planner or Reporter role, or higher)", ""))
	}
	if o.Alerts {
		rep, _ := buildReport(m, hist, docsRoot(o), now, false)
		if res.Alerts, err = alert.Sync(ctx, client, alert.Evaluate(m, hist, rep, now), iopts); err != nil {
			return nil, failIssues(err)
		}
	}
	if digest != nil {
		if res.Digest, err = alert.Digest(ctx, client, string(digest), iopts); err != nil {
			return nil, failIssues(err)
		}
	}
	return res, nil
}

// issuesSkipped says why publish writes no issue: no token, or only the
// CI job token, which GitLab ignores on the issue routes (none is
// job_token_allowed in lib/api/issues.rb, lib/api/notes.rb or
// lib/api/labels.rb).
func issuesSkipped(tok Token) string {
	has := "no token"
	if tok.Job {
		has = "only a CI job token, which GitLab does not accept on the issue routes"
	}
	return "alert and digest issues need a project access token with the api scope and the Planner or Reporter role in SUPPORTMATRIX_TOKEN, and this pipeline has " + has
}

// docsRoot is the repository the matrix's docs paths are relative to.
func docsRoot(o PublishOptions) string {
	if o.Root != "" {
		return o.Root
	}
	return docs.DefaultRoot(o.Matrix)
}

// commitTable commits the table and the history (publish --commit).
func commitTable(ctx context.Context, o PublishOptions, client *gitlab.Client, m *matrix.Matrix, this *results.File, now time.Time, fail func(error) error) (*PublishResult, error) {
	var err error
	if o.Branch == "" {
		if o.Branch, err = client.DefaultBranch(ctx); err != nil {
			return nil, fail(err)
		}
	}
	root := docsRoot(o)
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
