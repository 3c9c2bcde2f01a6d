package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/collect"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// collectOptions is everything the collect command reads from its flags.
type collectOptions struct {
	Pipeline      int64
	LocalDir      string
	Manifest      string
	Results       string
	Matrix        string
	MatrixSet     bool // --matrix given: a missing file is an error
	DefaultBranch string
	MR            int
	APIURL        string
	Project       string
	Concurrency   int
	LocalID       int64
	Source        string
	Time          string
	Timeout       time.Duration
}

func collectCommand() *cli.Command {
	return &cli.Command{
		Name:      "collect",
		Usage:     "read job outcomes back and merge them into the results file",
		UsageText: "supportmatrix collect (--pipeline ID | --local-dir D) --manifest F [--results F] [--matrix F] [--default-branch B]",
		Description: `A generated pipeline proves cells: each job of the manifest (written by
generate next to the pipeline) belongs to one cell, like gke/1.35/runner or
k3s/1.34->1.35. collect reads what the jobs did and records one run in the
results file (matrix/results.json), the history that render and publish read.

From GitLab, in a job of the parent pipeline after the trigger job:
   supportmatrix collect --pipeline $CI_PIPELINE_ID --manifest out/manifest.json
It follows trigger jobs to every child and shard pipeline, lists all job
attempts (retries included) and reads each pipeline's test report for test
counts and the cluster's server version (a token with read_api in
SUPPORTMATRIX_TOKEN). With only CI_JOB_TOKEN it reads what a job token may:
the jobs of each pipeline and each cell job's JUnit files from its artifacts;
before GitLab 19.2 a job token cannot list trigger jobs, so in the parent it
skips with one line (exit 0) and a child pipeline collects itself:
   supportmatrix collect --pipeline $CI_PIPELINE_ID --manifest manifest.json
--timeout bounds the whole run (exit 3 when it passes).

From a gitlab-ci-local run (what "run --local" does):
   supportmatrix collect --local-dir out/ --manifest out/manifest.json

A cell's status comes from its newest job: passed; flaky (failed, then passed
on retry); failed; allowed_failure; canceled; skipped; not_run (a manual job
never played, a job still running, or no job at all: a missing result is never
a pass); excluded (the matrix excludes the cell, with the rule's reason).

Only schedule and web pipelines on the default branch count toward support;
merge-request and other runs are kept apart as previews. Runs are merged by
pipeline id, so collecting a pipeline twice changes nothing; the history keeps
the last 30 counting runs and the last 10 previews. The file is replaced
atomically: when the API stays down (exit 3) or anything else fails, it is left
byte for byte as it was.`,
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "pipeline", Usage: "the parent pipeline `ID` to collect", EnvVars: []string{"SUPPORTMATRIX_PIPELINE", "CI_PIPELINE_ID"}},
			&cli.StringFlag{Name: "local-dir", Usage: "collect the gitlab-ci-local run in `DIR` instead of a GitLab pipeline", EnvVars: []string{"SUPPORTMATRIX_LOCAL_DIR"}},
			&cli.StringFlag{Name: "manifest", Usage: "the manifest `FILE` generate wrote", EnvVars: []string{"SUPPORTMATRIX_MANIFEST"}},
			&cli.StringFlag{Name: "results", Usage: "the results `FILE` to merge the run into", Value: "matrix/results.json", EnvVars: []string{"SUPPORTMATRIX_RESULTS"}},
			matrixFlag(),
			&cli.StringFlag{Name: "default-branch", Usage: "the project's default `BRANCH`: only schedule and web runs on it count", EnvVars: []string{"CI_DEFAULT_BRANCH"}},
			&cli.IntFlag{Name: "mr", Usage: "the merge request `IID` of a preview run", EnvVars: []string{"CI_MERGE_REQUEST_IID"}},
			&cli.StringFlag{Name: "api-url", Usage: "the GitLab API `URL`, e.g. https://gitlab.com/api/v4", EnvVars: []string{"CI_API_V4_URL"}},
			&cli.StringFlag{Name: "project", Usage: "the project `ID` or path", EnvVars: []string{"CI_PROJECT_ID"}},
			&cli.IntFlag{Name: "concurrency", Usage: "at most `N` API requests in flight at once", Value: gitlab.DefaultConcurrency, EnvVars: []string{"SUPPORTMATRIX_COLLECT_CONCURRENCY"}},
			&cli.Int64Flag{Name: "local-id", Usage: "the `ID` of a local run in the history (a new run with the same id replaces it)", Value: 1, EnvVars: []string{"SUPPORTMATRIX_LOCAL_ID"}},
			&cli.StringFlag{Name: "source", Usage: "the `SOURCE` recorded for a local run", Value: "local", EnvVars: []string{"SUPPORTMATRIX_SOURCE"}},
			&cli.StringFlag{Name: "time", Usage: "the finish `TIME` (RFC 3339) recorded for a local run; default: when the run was saved", EnvVars: []string{"SUPPORTMATRIX_TIME"}},
			timeoutFlag(),
		},
		Action: func(c *cli.Context) error {
			opts := collectOptions{
				Pipeline: c.Int64("pipeline"), LocalDir: c.String("local-dir"), Manifest: c.String("manifest"),
				Results: c.String("results"), Matrix: c.String("matrix"), MatrixSet: c.IsSet("matrix"),
				DefaultBranch: c.String("default-branch"), MR: c.Int("mr"), APIURL: c.String("api-url"),
				Project: c.String("project"), Concurrency: c.Int("concurrency"), LocalID: c.Int64("local-id"),
				Source: c.String("source"), Time: c.String("time"), Timeout: c.Duration("timeout"),
			}
			env := envOf(c)
			// In CI, CI_PIPELINE_ID is always there: an explicit --local-dir wins.
			if opts.LocalDir != "" && opts.Pipeline != 0 && pipelineFromEnv(env, opts.Pipeline) {
				opts.Pipeline = 0
			}
			return runCollect(c.Context, env, opts)
		},
	}
}

// pipelineFromEnv reports whether --pipeline's value is the one the
// environment holds (CI_PIPELINE_ID in every CI job).
func pipelineFromEnv(env Env, v int64) bool {
	for _, name := range []string{"SUPPORTMATRIX_PIPELINE", "CI_PIPELINE_ID"} {
		if e := env.getenv(name); e != "" && e == fmt.Sprint(v) {
			return true
		}
	}
	return false
}

// runCollect collects one run and merges it into the results file. Nothing
// is written unless everything succeeded.
func runCollect(ctx context.Context, env Env, o collectOptions) error {
	stdout, stderr := env.Stdout, env.Stderr
	switch {
	case o.Pipeline == 0 && o.LocalDir == "":
		return Usage(errors.New("collect: give --pipeline ID or --local-dir DIR"))
	case o.Pipeline != 0 && o.LocalDir != "":
		return Usage(errors.New("collect: give --pipeline or --local-dir, not both"))
	case o.Manifest == "":
		return Usage(errors.New("collect: --manifest FILE is required"))
	case o.Pipeline < 0:
		return Usage(fmt.Errorf("collect: --pipeline %d: want a positive id", o.Pipeline))
	}
	manifest, err := collect.ReadManifest(o.Manifest)
	if err != nil {
		return Invalid(fmt.Errorf("collect: %w", err))
	}
	plan, err := collectPlan(o, stderr)
	if err != nil {
		return err
	}
	if err := collect.CheckManifest(manifest, plan, o.Matrix); err != nil {
		return Invalid(fmt.Errorf("collect: manifest %s: %w", o.Manifest, err))
	}
	// Read the history before asking GitLab anything: a corrupt file
	// stops the command without an API call.
	if _, err := results.Read(o.Results); err != nil {
		return Invalid(fmt.Errorf("collect: %w", err))
	}

	var (
		run     results.Run
		summary collect.Summary
	)
	if o.LocalDir != "" {
		run, summary, err = collectLocal(o, manifest, plan)
		if err != nil {
			return err
		}
	} else {
		run, summary, err = collectGitLab(ctx, env, o, manifest, plan)
		if errors.Is(err, errSkipped) {
			// Not a failure: the pipeline must not go red in a merge
			// request that has no secret variables.
			fmt.Fprintf(stdout, "collect: skipped: pipeline %d's cells ran in child pipelines, and a CI job token cannot list trigger jobs before GitLab 19.2; each child pipeline reports on itself (JUnit report, collect --pipeline $CI_PIPELINE_ID in the child), or set SUPPORTMATRIX_TOKEN (read_api) to collect here; %s left unchanged\n", o.Pipeline, o.Results)
			return nil
		}
		if err != nil {
			return err
		}
	}

	// Merge under the file's lock: another collect writing the same file
	// meanwhile is waited for, never overwritten.
	if _, err := results.Update(o.Results, run); err != nil {
		return Invalid(fmt.Errorf("collect: %w", err))
	}
	for _, n := range summary.Notes {
		fmt.Fprintf(stderr, "supportmatrix: note: %s\n", n)
	}
	what := fmt.Sprintf("pipeline %d", run.Pipeline)
	if run.Local {
		what = fmt.Sprintf("local run %d", run.Pipeline)
	}
	kind := "preview"
	if run.Counts {
		kind = "counting"
	}
	fmt.Fprintf(stdout, "collected %s (%s run): %s -> %s\n", what, kind, summary, o.Results)
	return nil
}

// collectPlan loads and expands the matrix, for the excluded cells. A
// missing default matrix is tolerated (with a note); a given one must load.
func collectPlan(o collectOptions, stderr io.Writer) (*matrix.Plan, error) {
	if o.Matrix == "" {
		return nil, nil
	}
	if _, err := os.Stat(o.Matrix); errors.Is(err, fs.ErrNotExist) && !o.MatrixSet {
		fmt.Fprintf(stderr, "supportmatrix: note: no matrix at %s: excluded cells are not listed\n", o.Matrix)
		return nil, nil
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return nil, Invalid(fmt.Errorf("collect: %w", err))
	}
	return matrix.Expand(m), nil
}

func collectLocal(o collectOptions, manifest *collect.Manifest, plan *matrix.Plan) (results.Run, collect.Summary, error) {
	res, saved, err := collect.LoadLocal(o.LocalDir)
	if err != nil {
		return results.Run{}, collect.Summary{}, Invalid(fmt.Errorf("collect: %w", err))
	}
	when := saved
	if o.Time != "" {
		when, err = time.Parse(time.RFC3339, o.Time)
		if err != nil {
			return results.Run{}, collect.Summary{}, Usage(fmt.Errorf("collect: --time %q: want RFC 3339, like 2026-05-01T12:00:00Z", o.Time))
		}
	}
	run, summary, err := collect.Local(res, collect.LocalOptions{
		Manifest: manifest, Plan: plan, ID: o.LocalID, Source: o.Source, Time: when,
	})
	if errors.Is(err, collect.ErrManifestMismatch) {
		return results.Run{}, collect.Summary{}, Invalid(fmt.Errorf("collect: %w (manifest %s)", err, o.Manifest))
	}
	if err != nil {
		return results.Run{}, collect.Summary{}, Invalid(fmt.Errorf("collect: %w", err))
	}
	return run, summary, nil
}

func collectGitLab(ctx context.Context, env Env, o collectOptions, manifest *collect.Manifest, plan *matrix.Plan) (results.Run, collect.Summary, error) {
	token, tokenVar, job := Token(env.getenv)
	if token == "" {
		return results.Run{}, collect.Summary{}, Invalid(errors.New("collect: no GitLab token: set SUPPORTMATRIX_TOKEN (a project access token with read_api), GITLAB_TOKEN or CI_JOB_TOKEN"))
	}
	ctx, cancel := runContext(ctx, o.Timeout)
	defer cancel()
	cfg := gitlab.Config{
		BaseURL: o.APIURL, Token: token, JobToken: job, Project: o.Project,
		Concurrency: o.Concurrency, Progress: env.Stderr,
	}
	if env.GitLab != nil {
		env.GitLab(&cfg)
	}
	client, err := gitlab.New(cfg)
	if err != nil {
		return results.Run{}, collect.Summary{}, Usage(fmt.Errorf("collect: %w (--api-url, --project)", err))
	}
	run, summary, err := collect.Pipeline(ctx, client, o.Pipeline, collect.Options{
		Manifest: manifest, Plan: plan, DefaultBranch: o.DefaultBranch, MR: o.MR, Concurrency: o.Concurrency,
		JobToken: job,
	})
	switch {
	case err == nil:
		return run, summary, nil
	case errors.Is(err, gitlab.ErrUnavailable):
		return results.Run{}, collect.Summary{}, APIFailure(fmt.Errorf("%w%s; %s left unchanged", err, timeoutHint(err, o.Timeout), o.Results))
	case errors.Is(err, gitlab.ErrUnauthorized):
		return results.Run{}, collect.Summary{}, Invalid(fmt.Errorf("%w: GitLab refused the token in %s (invalid, expired or revoked)", err, tokenVar))
	case errors.Is(err, gitlab.ErrForbidden):
		return results.Run{}, collect.Summary{}, Invalid(fmt.Errorf("%w: the token in %s may not read pipeline %d's jobs (it needs read_api on project %s)", err, tokenVar, o.Pipeline, o.Project))
	case errors.Is(err, gitlab.ErrNotFound):
		return results.Run{}, collect.Summary{}, Invalid(fmt.Errorf("%w: no pipeline %d in project %s visible to the token in %s", err, o.Pipeline, o.Project, tokenVar))
	case errors.Is(err, collect.ErrOutOfReach):
		return results.Run{}, collect.Summary{}, errSkipped
	case errors.Is(err, collect.ErrManifestMismatch):
		return results.Run{}, collect.Summary{}, Invalid(fmt.Errorf("%w (manifest %s)", err, o.Manifest))
	default:
		return results.Run{}, collect.Summary{}, Invalid(err)
	}
}

// errSkipped is a collection that could not happen for a reason that is not
// a failure (see collect.ErrOutOfReach): the command says so and exits 0.
var errSkipped = errors.New("skipped")

// timeoutFlag is --timeout of the commands that talk to GitLab.
func timeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Value: gitlab.DefaultRunTimeout, Usage: "give up (exit 3) when the whole run takes longer than `DURATION`", EnvVars: []string{"SUPPORTMATRIX_TIMEOUT"}}
}

// runContext bounds a run by --timeout (0 or less: the default).
func runContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = gitlab.DefaultRunTimeout
	}
	return context.WithTimeout(ctx, d)
}

// timeoutHint names --timeout when the run's deadline ended it.
func timeoutHint(err error, d time.Duration) string {
	if !errors.Is(err, context.DeadlineExceeded) {
		return ""
	}
	if d <= 0 {
		d = gitlab.DefaultRunTimeout
	}
	return fmt.Sprintf(" (--timeout %s)", d)
}
