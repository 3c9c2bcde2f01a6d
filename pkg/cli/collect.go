package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

func collectCommand() *cli.Command {
	return &cli.Command{
		Name:        "collect",
		Usage:       "read job outcomes back and merge them into the results file",
		UsageText:   "supportmatrix collect (--pipeline ID | --local-dir D) --manifest F [--manifest-job J --manifest-pipeline ID] [--file F] [--results F] [--matrix F] [--default-branch B]",
		Description: helpText("collect"),
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "pipeline", Usage: "the parent pipeline `ID` to collect", EnvVars: []string{"SUPPORTMATRIX_PIPELINE", "CI_PIPELINE_ID"}},
			&cli.StringFlag{Name: "local-dir", Usage: "collect the gitlab-ci-local run in `DIR` instead of a GitLab pipeline", EnvVars: []string{"SUPPORTMATRIX_LOCAL_DIR"}},
			&cli.StringFlag{Name: "manifest", Usage: "the manifest `FILE` generate wrote", EnvVars: []string{generate.ManifestVariable}},
			&cli.StringFlag{Name: "manifest-job", Usage: "fetch --manifest (and the files beside it) from the artifacts of `JOB` of --manifest-pipeline first", EnvVars: []string{generate.ManifestJobVariable}},
			&cli.Int64Flag{Name: "manifest-pipeline", Usage: "the pipeline `ID` that ran --manifest-job (in a child pipeline $PARENT_PIPELINE_ID)", EnvVars: []string{generate.ManifestPipelineVariable}},
			&cli.StringFlag{Name: "file", Usage: "record only the cells of the generated `FILE` the pipeline runs (pipeline.yml, shard-N.yml)", EnvVars: []string{generate.FileVariable}},
			&cli.StringFlag{Name: "results", Usage: "the results `FILE` to merge the run into", Value: program.DefaultResults, EnvVars: []string{generate.ResultsVariable}},
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
			env := envOf(c)
			o := program.CollectOptions{
				Pipeline: c.Int64("pipeline"), LocalDir: c.String("local-dir"), Manifest: c.String("manifest"),
				Results: c.String("results"), Matrix: c.String("matrix"), MatrixSet: c.IsSet("matrix"),
				DefaultBranch: c.String("default-branch"), MR: c.Int("mr"), GitLab: gitlabOptions(c),
				Concurrency: c.Int("concurrency"), LocalID: c.Int64("local-id"),
				Source: c.String("source"), Time: c.String("time"), Log: env.Stderr,
				ManifestJob: c.String("manifest-job"), ManifestPipeline: c.Int64("manifest-pipeline"), File: c.String("file"),
				WorkDir: env.Dir,
			}
			// In CI, CI_PIPELINE_ID is always there: --local-dir wins over
			// a --pipeline the command line did not give.
			if o.LocalDir != "" && !onCommandLine(c, "pipeline") {
				o.Pipeline = 0
			}
			r, err := program.Collect(c.Context, o)
			if err != nil {
				return err
			}
			return r.WriteText(c.App.Writer, o)
		},
	}
}

// gitlabOptions are the flags and environment that reach GitLab.
func gitlabOptions(c *cli.Context) program.GitLabOptions {
	env := envOf(c)
	return program.GitLabOptions{APIURL: c.String("api-url"), Project: c.String("project"), Token: program.TokenFrom(env.getenv),
		Configure: env.GitLab, Timeout: c.Duration("timeout")}
}

// timeoutFlag is --timeout of the commands that talk to GitLab.
func timeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Value: gitlab.DefaultRunTimeout, Usage: fmt.Sprintf("give up (exit %d) when the whole run takes longer than `DURATION`", ExitAPI), EnvVars: []string{"SUPPORTMATRIX_TIMEOUT"}}
}
