package cli

import (
	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

func planCommand() *cli.Command {
	return &cli.Command{
		Name:        "plan",
		Usage:       "list the cells the matrix expands to, and with --base what a change adds, removes and changes",
		ArgsUsage:   " ",
		Description: helpText("plan"),
		Flags: []cli.Flag{
			matrixFlag(),
			templatesFlag(),
			&cli.StringFlag{Name: "base", Usage: "compare with a git `REF` or another matrix FILE", EnvVars: []string{"SUPPORTMATRIX_BASE"}},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: program.PlanFormats[0], Usage: "`FORMAT`: " + words.OneOf(program.PlanFormats), EnvVars: []string{"SUPPORTMATRIX_PLAN_FORMAT"}},
		},
		Action: func(c *cli.Context) error {
			o := program.PlanOptions{Matrix: c.String("matrix"), Templates: c.String("templates"), Base: c.String("base"), Env: envOf(c).Environ}
			return runPlan(c, o, c.String("format"))
		},
	}
}

func runPlan(c *cli.Context, o program.PlanOptions, format string) error {
	if err := program.CheckFormat(format, program.PlanFormats); err != nil {
		return err
	}
	r, err := program.Plan(c.Context, o)
	if err != nil {
		return err
	}
	return r.Write(c.App.Writer, format)
}
