package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/publish"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// publishOptions are the flags of `publish`.
type publishOptions struct {
	Commit, MRNote bool
	Matrix         string
	Results        string
	ResultsPath    string
	Pipeline       int64
	Root           string
	SupportPath    string
	ProgramPath    string
	Branch         string
	MR             int64
	Plan           string
	APIURL         string
	Project        string
	Timeout        time.Duration
	Now            string
	LogPath        string
	// MRProject is the merge request's (target) project,
	// MRSourceProject the project its source branch lives in: they differ
	// for a fork's merge request, whose pipeline runs in the fork.
	MRProject, MRSourceProject string
}

func publishCommand() *cli.Command {
	return &cli.Command{
		Name:      "publish",
		Usage:     "commit the support table and run history, or note plan and results on the merge request",
		UsageText: "supportmatrix publish (--commit | --mr-note) [--results F] [--pipeline ID]",
		Description: `After collect, publish puts the outcome where people read it.

--commit (scheduled and web runs on the default branch) reads the repository's
matrix/results.json through the API, merges this pipeline's run into it (runs
of other pipelines are never lost), renders matrix/SUPPORT.md and
matrix/PROGRAM.md from the merged history, and commits the files that changed
in one commit. Each file carries the last_commit_id it was read at, so a
concurrent commit is never overwritten: on a conflict publish re-reads,
re-merges and tries again. Nothing changed: no commit. When a level drops
from supported, the commit goes to a new branch with a merge request for a
person to review instead of the default branch.

Levels are judged at --now: in GitLab CI the pipeline's creation time
($CI_PIPELINE_CREATED_AT), else the time publish runs, so a program whose
scheduled runs stopped decays to stale on the next publish. Every level
change is appended to matrix/levels.log (--levels-log), one JSON line each
(cell, from, to, at, pipeline, url, reason), in the same commit as the table:
the log is never truncated, so every level the default branch showed traces
to the run that decided it after the bounded run history dropped that run.

Only counting runs are published: a results file (or the repository's copy)
holding a local run (run --local) or a preview (merge request, push, another
branch) is refused, and nothing is written.

--mr-note (merge-request runs) keeps one note on the merge request, updated in
place on later pushes: the plan (what the change adds, removes, changes: pass
the file "plan --base ... --format markdown" wrote with --plan) and the
results of the cells that ran.

Tokens: both need a project access token with the api scope in
SUPPORTMATRIX_TOKEN (a CI job token may not commit or write notes). Without
one, --mr-note skips the note with one line and exits 0 (merge-request
pipelines get no protected variables; the results stay in the pipeline's
own reports); --commit fails (exit 1): a scheduled run on the default branch
is where the token must be. A fork's merge request is noted in its target
project (CI_MERGE_REQUEST_PROJECT_ID), or skipped with one line when the
token may not write there. A re-run after a downgrade branch exists commits
onto that branch.

   supportmatrix publish --commit --results matrix/results.json
   supportmatrix publish --mr-note --plan out/plan.md`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "commit", Usage: "commit table and history to the default branch", EnvVars: []string{"SUPPORTMATRIX_PUBLISH_COMMIT"}},
			&cli.BoolFlag{Name: "mr-note", Usage: "write the plan and results as a note on the merge request", EnvVars: []string{"SUPPORTMATRIX_PUBLISH_MR_NOTE"}},
			matrixFlag(),
			&cli.StringFlag{Name: "results", Value: "matrix/results.json", Usage: "the results `FILE` collect wrote", EnvVars: []string{"SUPPORTMATRIX_RESULTS"}},
			&cli.StringFlag{Name: "results-path", Value: "matrix/results.json", Usage: "the run history's `PATH` in the repository", EnvVars: []string{"SUPPORTMATRIX_RESULTS_PATH"}},
			&cli.Int64Flag{Name: "pipeline", Usage: "publish only this pipeline's `ID` from the results file (default: every run in it)", EnvVars: []string{"SUPPORTMATRIX_PIPELINE", "CI_PIPELINE_ID"}},
			rootFlag(),
			&cli.StringFlag{Name: "support", Value: "matrix/SUPPORT.md", Usage: "the table's `PATH` in the repository", EnvVars: []string{"SUPPORTMATRIX_SUPPORT"}},
			&cli.StringFlag{Name: "program", Value: "matrix/PROGRAM.md", Usage: "the program document's `PATH` in the repository", EnvVars: []string{"SUPPORTMATRIX_PROGRAM"}},
			&cli.StringFlag{Name: "branch", Usage: "the default `BRANCH` the table lives on", EnvVars: []string{"CI_DEFAULT_BRANCH"}},
			&cli.Int64Flag{Name: "mr", Usage: "the merge request `IID` to note", EnvVars: []string{"CI_MERGE_REQUEST_IID"}},
			&cli.StringFlag{Name: "plan", Usage: "a `FILE` with the plan in markdown (plan --base ... --format markdown)", EnvVars: []string{"SUPPORTMATRIX_PLAN"}},
			&cli.StringFlag{Name: "api-url", Usage: "the GitLab API `URL`, e.g. https://gitlab.com/api/v4", EnvVars: []string{"CI_API_V4_URL"}},
			&cli.StringFlag{Name: "project", Usage: "the project `ID` or path", EnvVars: []string{"CI_PROJECT_ID"}},
			timeoutFlag(),
			nowFlag("the time publish runs"),
			&cli.StringFlag{Name: "mr-project", Usage: "the merge request's project `ID`: the target project of a fork's merge request, whose pipeline runs in the fork", EnvVars: []string{"CI_MERGE_REQUEST_PROJECT_ID"}},
			&cli.StringFlag{Name: "mr-source-project", Usage: "the `ID` of the project the merge request's source branch lives in", EnvVars: []string{"CI_MERGE_REQUEST_SOURCE_PROJECT_ID"}},
			&cli.StringFlag{Name: "levels-log", Value: "matrix/levels.log", Usage: "the level log's `PATH` in the repository (append-only)", EnvVars: []string{"SUPPORTMATRIX_LEVELS_LOG"}},
		},
		Action: func(c *cli.Context) error {
			o := publishOptions{Timeout: c.Duration("timeout"),
				Commit: c.Bool("commit"), MRNote: c.Bool("mr-note"), Matrix: c.String("matrix"), Results: c.String("results"),
				ResultsPath: c.String("results-path"), Pipeline: c.Int64("pipeline"), Root: c.String("root"), SupportPath: c.String("support"), ProgramPath: c.String("program"),
				Branch: c.String("branch"), MR: c.Int64("mr"), Plan: c.String("plan"), APIURL: c.String("api-url"), Project: c.String("project"),
				Now: c.String("now"), LogPath: c.String("levels-log"),
				MRProject: c.String("mr-project"), MRSourceProject: c.String("mr-source-project"),
			}
			return runPublish(c.Context, envOf(c), o)
		},
	}
}

func runPublish(ctx context.Context, env Env, o publishOptions) error {
	stdout, stderr := env.Stdout, env.Stderr
	// An empty environment variable must not blank a path.
	for _, p := range []struct {
		v   *string
		def string
	}{{&o.SupportPath, "matrix/SUPPORT.md"}, {&o.ProgramPath, "matrix/PROGRAM.md"}, {&o.ResultsPath, "matrix/results.json"}, {&o.Results, "matrix/results.json"}, {&o.LogPath, "matrix/levels.log"}} {
		if *p.v == "" {
			*p.v = p.def
		}
	}
	if o.Commit == o.MRNote {
		return Usage(errors.New("publish: give exactly one of --commit and --mr-note"))
	}
	if o.MRNote && o.MR == 0 {
		return Usage(errors.New("publish --mr-note: no merge request: set --mr or run in a merge-request pipeline ($CI_MERGE_REQUEST_IID)"))
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return Invalid(err)
	}
	hist, err := results.Read(o.Results)
	if err != nil {
		return Invalid(err)
	}
	this := results.New()
	for _, r := range hist.Runs {
		if o.Pipeline == 0 || r.Pipeline == o.Pipeline {
			this.Merge(r)
		}
	}
	if len(this.Runs) == 0 {
		return Invalid(fmt.Errorf("publish: %s holds no run of pipeline %d: run collect first", o.Results, o.Pipeline))
	}
	if o.Commit {
		if err := publish.CheckCounting(o.Results, this); err != nil {
			return Invalid(fmt.Errorf("publish: %w; nothing was written", err))
		}
	}
	now, err := parseNow("publish", o.Now)
	if err != nil {
		return err
	}
	if now.IsZero() {
		now = env.now().UTC().Truncate(time.Second)
	}
	token, tokenVar, job := Token(env.getenv)
	fork := o.MRSourceProject != "" && o.MRProject != "" && o.MRSourceProject != o.MRProject
	if o.MRNote && (token == "" || job) {
		// The normal case in a merge request: its pipeline gets no
		// protected variables (never in a fork's), and a job token may not
		// write notes. The results are in the pipeline's own reports.
		fmt.Fprintf(stdout, "publish: skipped the note on !%d: writing a note needs a token with the api scope in SUPPORTMATRIX_TOKEN, and this pipeline has %s; the results are in the pipeline's test report and artifacts\n", o.MR, map[bool]string{true: "only a CI job token", false: "no token"}[job])
		return nil
	}
	if token == "" {
		return Invalid(errors.New("publish: no GitLab token: set SUPPORTMATRIX_TOKEN to a project access token with the api scope"))
	}
	if job {
		return Invalid(errors.New("publish: only CI_JOB_TOKEN is set, and a job token may not commit or write notes: set SUPPORTMATRIX_TOKEN to a project access token with the api scope"))
	}
	ctx, cancel := runContext(ctx, o.Timeout)
	defer cancel()
	project := o.Project
	if o.MRNote && o.MRProject != "" {
		// A fork's merge request lives in the target project, not in the
		// fork where the pipeline runs (CI_MERGE_REQUEST_PROJECT_ID).
		project = o.MRProject
	}
	cfg := gitlab.Config{BaseURL: o.APIURL, Token: token, Project: project, Progress: stderr}
	if env.GitLab != nil {
		env.GitLab(&cfg)
	}
	client, err := gitlab.New(cfg)
	if err != nil {
		return Usage(fmt.Errorf("publish: %w (--api-url, --project)", err))
	}
	if o.MRNote {
		return publishNote(ctx, client, o, this, tokenVar, fork, stdout)
	}
	if o.Branch == "" {
		if o.Branch, err = client.DefaultBranch(ctx); err != nil {
			return apiError("publish", tokenVar, err)
		}
	}
	root := o.Root
	if root == "" {
		root = docs.DefaultRoot(o.Matrix)
	}
	out, err := publish.Commit(ctx, client, publish.CommitOptions{
		Branch: o.Branch, ResultsPath: o.ResultsPath, Run: this, BoundCounting: results.KeepCounting, BoundPreviews: results.KeepPreviews,
		Message: commitMessage(this), Log: stderr, LogPath: o.LogPath,
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
		return Invalid(fmt.Errorf("publish: %w; nothing was written", err))
	}
	if err != nil {
		return apiError("publish", tokenVar, err)
	}
	for _, c := range out.LevelChanges {
		fmt.Fprintf(stdout, "publish: %s: %s -> %s (%s)\n", c.Cell, orDashLevel(string(c.From)), c.To, c.Reason)
	}
	switch {
	case !out.Committed:
		fmt.Fprintf(stdout, "publish: %s already shows this run; nothing committed\n", o.Branch)
	case out.MergeRequest != nil:
		fmt.Fprintf(stdout, "publish: levels dropped (%d); committed to %s and opened merge request !%d: %s\n", len(out.Downgrades), out.Branch, out.MergeRequest.IID, out.MergeRequest.WebURL)
	default:
		fmt.Fprintf(stdout, "publish: committed %d files to %s: %s\n", len(out.Changed), out.Branch, out.Commit.WebURL)
	}
	return nil
}

func publishNote(ctx context.Context, client *gitlab.Client, o publishOptions, this *results.File, tokenVar string, fork bool, stdout io.Writer) error {
	plan := "## Support matrix plan\n\nNo plan was given (--plan).\n"
	if o.Plan != "" {
		data, err := os.ReadFile(o.Plan)
		if err != nil {
			return Invalid(fmt.Errorf("publish: %w", err))
		}
		plan = string(data)
	}
	run := &this.Runs[0]
	out, err := publish.Note(ctx, client, o.MR, publish.NoteBody(plan, run))
	if fork && (errors.Is(err, gitlab.ErrUnauthorized) || errors.Is(err, gitlab.ErrForbidden) || errors.Is(err, gitlab.ErrNotFound)) {
		fmt.Fprintf(stdout, "publish: skipped the note on !%d: this merge request comes from a fork (project %s into %s), and the token in %s may not write on the target project; the results are in the pipeline's test report and artifacts\n", o.MR, o.MRSourceProject, o.MRProject, tokenVar)
		return nil
	}
	if err != nil {
		return apiError("publish", tokenVar, err)
	}
	switch {
	case out.Created:
		fmt.Fprintf(stdout, "publish: noted plan and results on !%d\n", o.MR)
	case out.Updated:
		fmt.Fprintf(stdout, "publish: updated the note on !%d\n", o.MR)
	default:
		fmt.Fprintf(stdout, "publish: the note on !%d already says this\n", o.MR)
	}
	return nil
}

func commitMessage(f *results.File) string {
	r := f.Runs[0]
	msg := fmt.Sprintf("Publish the support table from pipeline %d", r.Pipeline)
	if r.URL != "" {
		msg += "\n\n" + r.URL
	}
	return msg
}

// apiError maps an adapter error to the exit codes: 3 when the API stayed
// down, 1 otherwise, with a hint for the token errors.
func apiError(what, tokenVar string, err error) error {
	switch {
	case errors.Is(err, gitlab.ErrUnavailable):
		hint := ""
		if errors.Is(err, context.DeadlineExceeded) {
			hint = " (--timeout)"
		}
		return APIFailure(fmt.Errorf("%s: %w%s; nothing was written", what, err, hint))
	case errors.Is(err, gitlab.ErrUnauthorized):
		return Invalid(fmt.Errorf("%s: %w: GitLab refused the token in %s (invalid, expired or revoked)", what, err, tokenVar))
	case errors.Is(err, gitlab.ErrForbidden):
		return Invalid(fmt.Errorf("%s: %w: the token in %s lacks the api scope or the role to push", what, err, tokenVar))
	}
	return Invalid(fmt.Errorf("%s: %w", what, err))
}

func orDashLevel(s string) string {
	if s == "" {
		return "(first entry)"
	}
	return s
}
