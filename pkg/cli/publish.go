package cli

import (
	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/alert"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

func publishCommand() *cli.Command {
	return &cli.Command{
		Name:        "publish",
		Usage:       "commit the support table and run history, or note plan and results on the merge request; keep alert and digest issues",
		UsageText:   "supportmatrix publish (--commit | --mr-note) [--alerts] [--digest-issue F] [--results F] [--pipeline ID]",
		Description: helpText("publish"),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "commit", Usage: "commit table and history to the default branch", EnvVars: []string{"SUPPORTMATRIX_PUBLISH_COMMIT"}},
			&cli.BoolFlag{Name: "mr-note", Usage: "write the plan and results as a note on the merge request", EnvVars: []string{"SUPPORTMATRIX_PUBLISH_MR_NOTE"}},
			matrixFlag(),
			&cli.StringFlag{Name: "results", Value: program.DefaultResults, Usage: "the results `FILE` collect wrote", EnvVars: []string{generate.ResultsVariable}},
			&cli.StringFlag{Name: "results-path", Value: program.DefaultResults, Usage: "the run history's `PATH` in the repository", EnvVars: []string{"SUPPORTMATRIX_RESULTS_PATH"}},
			&cli.Int64Flag{Name: "pipeline", Usage: "publish only this pipeline's `ID` from the results file (default: every run in it)", EnvVars: []string{"SUPPORTMATRIX_PIPELINE", "CI_PIPELINE_ID"}},
			rootFlag(),
			&cli.StringFlag{Name: "support", Value: program.DefaultSupport, Usage: "the table's `PATH` in the repository", EnvVars: []string{"SUPPORTMATRIX_SUPPORT"}},
			&cli.StringFlag{Name: "program", Value: program.DefaultProgram, Usage: "the program document's `PATH` in the repository", EnvVars: []string{"SUPPORTMATRIX_PROGRAM"}},
			&cli.StringFlag{Name: "branch", Usage: "the default `BRANCH` the table lives on", EnvVars: []string{"CI_DEFAULT_BRANCH"}},
			&cli.Int64Flag{Name: "mr", Usage: "the merge request `IID` to note", EnvVars: []string{"CI_MERGE_REQUEST_IID"}},
			&cli.StringFlag{Name: "plan", Usage: "a `FILE` with the plan in markdown (generate --plan's plan.md, or plan --base ... --format markdown)", EnvVars: []string{"SUPPORTMATRIX_PLAN"}},
			&cli.StringFlag{Name: "api-url", Usage: "the GitLab API `URL`, e.g. https://gitlab.com/api/v4", EnvVars: []string{"CI_API_V4_URL"}},
			&cli.StringFlag{Name: "project", Usage: "the project `ID` or path", EnvVars: []string{"CI_PROJECT_ID"}},
			timeoutFlag(),
			nowFlag("the time publish runs"),
			&cli.StringFlag{Name: "mr-project", Usage: "the merge request's project `ID`: the target project of a fork's merge request, whose pipeline runs in the fork", EnvVars: []string{"CI_MERGE_REQUEST_PROJECT_ID"}},
			&cli.StringFlag{Name: "mr-source-project", Usage: "the `ID` of the project the merge request's source branch lives in", EnvVars: []string{"CI_MERGE_REQUEST_SOURCE_PROJECT_ID"}},
			&cli.StringFlag{Name: "levels-log", Value: program.DefaultLevelsLog, Usage: "the level log's `PATH` in the repository (append-only)", EnvVars: []string{"SUPPORTMATRIX_LEVELS_LOG"}},
			&cli.BoolFlag{Name: "alerts", Usage: "open, update and close one issue per distribution x minor that needs attention (policy alert_after, alert_stale)", EnvVars: []string{"SUPPORTMATRIX_PUBLISH_ALERTS"}},
			&cli.StringFlag{Name: "digest-issue", Usage: "keep one issue whose description is this Markdown `FILE` (render --format digest), updated in place", EnvVars: []string{"SUPPORTMATRIX_DIGEST_ISSUE"}},
			&cli.StringFlag{Name: "issue-label", Value: alert.DefaultLabel, Usage: "the `LABEL` of the alert and digest issues; they are found again among the open issues carrying it", EnvVars: []string{"SUPPORTMATRIX_ISSUE_LABEL"}},
		},
		Action: func(c *cli.Context) error {
			return runPublish(c, program.PublishOptions{
				Commit: c.Bool("commit"), MRNote: c.Bool("mr-note"), Matrix: c.String("matrix"), Results: c.String("results"),
				ResultsPath: c.String("results-path"), Pipeline: c.Int64("pipeline"), Root: c.String("root"),
				SupportPath: c.String("support"), ProgramPath: c.String("program"), Branch: c.String("branch"),
				MR: c.Int64("mr"), Plan: c.String("plan"), GitLab: gitlabOptions(c), Log: c.App.ErrWriter,
				Now: c.String("now"), Clock: envOf(c).now, LevelLog: c.String("levels-log"),
				MRProject: c.String("mr-project"), MRSourceProject: c.String("mr-source-project"),
				Alerts: c.Bool("alerts"), DigestIssue: c.String("digest-issue"), IssueLabel: c.String("issue-label"),
			})
		},
	}
}

func runPublish(c *cli.Context, o program.PublishOptions) error {
	r, err := program.Publish(c.Context, o)
	if err != nil {
		return err
	}
	return r.WriteText(c.App.Writer, o.MR)
}
