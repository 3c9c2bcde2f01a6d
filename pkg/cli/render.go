package cli

import (
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
)

func renderCommand() *cli.Command {
	return &cli.Command{
		Name:        "render",
		Usage:       "write the support table from the matrix and the run history",
		ArgsUsage:   " ",
		Description: helpText("render"),
		Flags: []cli.Flag{
			matrixFlag(),
			&cli.StringFlag{Name: "results", Aliases: []string{"r"}, Value: program.DefaultResults, Usage: "the run history `FILE` (must exist, except the default before the first collect)", EnvVars: []string{generate.ResultsVariable}},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "markdown", Usage: "`FORMAT`: markdown, json, html, badges, digest or openmetrics; run or junit (the newest run, for a merge request)", EnvVars: []string{"SUPPORTMATRIX_RENDER_FORMAT"}},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write to `FILE` (a directory for badges) instead of standard output", EnvVars: []string{"SUPPORTMATRIX_RENDER_OUT"}},
			&cli.StringFlag{Name: "plan", Usage: "with --format run: a `FILE` with plan's Markdown to put before the results", EnvVars: []string{"SUPPORTMATRIX_RENDER_PLAN"}},
			nowFlag("the newest finish time in the results"),
			&cli.StringFlag{Name: "since", Usage: "digest: list the level changes after this `RFC3339` time, the last digest's (default: " + inUnits(report.DefaultDigestPeriod, 24*time.Hour, "days") + " before --now)", EnvVars: []string{"SUPPORTMATRIX_DIGEST_SINCE"}},
			&cli.StringFlag{Name: "levels-log", Usage: "digest: the level log `FILE` (default: " + report.LogFile + " beside --results)", EnvVars: []string{"SUPPORTMATRIX_RENDER_LEVELS_LOG"}},
			rootFlag(),
		},
		Action: func(c *cli.Context) error {
			return runRender(c, program.RenderOptions{
				Matrix: c.String("matrix"), Results: c.String("results"), Format: c.String("format"),
				Out: c.String("out"), Now: c.String("now"), Since: c.String("since"), LevelLog: c.String("levels-log"),
				Root: c.String("root"), Plan: c.String("plan"), Log: c.App.ErrWriter,
			})
		},
	}
}

func runRender(c *cli.Context, o program.RenderOptions) error {
	out, err := program.Render(o)
	if err != nil {
		return err
	}
	_, err = c.App.Writer.Write(out)
	return err
}

// nowFlag is --now of render and publish: the time the levels are judged
// at. In CI it defaults to the pipeline's creation time, so that a table
// published after the scheduled runs stopped decays to stale
// (CI_PIPELINE_CREATED_AT, lib/gitlab/ci/variables/builder/pipeline.rb).
func nowFlag(def string) *cli.StringFlag {
	return &cli.StringFlag{Name: "now", Usage: "judge the levels (staleness) at this `RFC3339` time (default: " + def + ")",
		EnvVars: []string{"SUPPORTMATRIX_NOW", "CI_PIPELINE_CREATED_AT"}}
}
