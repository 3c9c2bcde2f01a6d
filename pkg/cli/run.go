package cli

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:        "run",
		Usage:       "generate, run with gitlab-ci-local, collect and render: the whole loop on a laptop",
		ArgsUsage:   " ",
		Description: helpText("run"),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "local", Usage: "run with gitlab-ci-local on this machine (the only mode)", EnvVars: []string{"SUPPORTMATRIX_LOCAL"}},
			matrixFlag(),
			templatesFlag(),
			&cli.StringFlag{Name: "only", Usage: "run only the cells matching `SEL`: comma-separated globs, one per id part (gke/*/runner, */1.35/*)", EnvVars: []string{"SUPPORTMATRIX_ONLY"}},
			&cli.StringFlag{Name: "out", Value: program.DefaultLocalOut, Usage: "the working `DIR` for the pipeline, the run history and the table", EnvVars: []string{"SUPPORTMATRIX_RUN_OUT"}},
			&cli.IntFlag{Name: "concurrency", Value: program.DefaultLocalConcurrency, Usage: "at most `N` jobs at once", EnvVars: []string{"SUPPORTMATRIX_RUN_CONCURRENCY"}},
			rootFlag(),
			&cli.BoolFlag{Name: "strict", Usage: fmt.Sprintf("exit %d when a cell failed or was broken, or a cluster job failed", ExitInvalid), EnvVars: []string{"SUPPORTMATRIX_STRICT"}},
		},
		Action: func(c *cli.Context) error {
			env := envOf(c)
			return runLocal(c, program.LocalOptions{
				Matrix: c.String("matrix"), Templates: c.String("templates"), Only: c.String("only"),
				Out: c.String("out"), Concurrency: c.Int("concurrency"), Root: c.String("root"),
				Env: env.Environ, Dir: env.Dir, Now: env.now, Log: env.Stderr,
			})
		},
	}
}

func runLocal(c *cli.Context, o program.LocalOptions) error {
	if !c.Bool("local") {
		return Usage(errors.New("run needs --local: in GitLab CI, the parent pipeline runs generate, collect and publish (see examples/parent-pipeline)"))
	}
	r, err := program.RunLocal(c.Context, o)
	if err != nil {
		return err
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "run: warning: %s\n", msg)
	}
	if err := r.WriteText(c.App.Writer); err != nil {
		return err
	}
	if err := r.Failure(); err != nil && c.Bool("strict") {
		return Invalid(err)
	}
	return nil
}
