package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:        "validate",
		Usage:       "check the matrix file and its templates and report every problem with its file:line:col",
		ArgsUsage:   " ",
		Description: helpText("validate"),
		Flags: []cli.Flag{
			matrixFlag(),
			templatesFlag(),
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: program.ValidateFormats[0], Usage: "`FORMAT` of the report: " + words.OneOf(program.ValidateFormats), EnvVars: []string{"SUPPORTMATRIX_VALIDATE_FORMAT"}},
			&cli.StringFlag{Name: "date", Usage: "the `YYYY-MM-DD` that stands in for today in the Kubernetes calendar checks (default: today)", EnvVars: []string{"SUPPORTMATRIX_DATE"}},
			rootFlag(),
		},
		Action: func(c *cli.Context) error {
			return runValidate(c, c.String("format"), program.ValidateOptions{
				Matrix: c.String("matrix"), Templates: c.String("templates"), Date: c.String("date"),
				Root: c.String("root"), Now: envOf(c).now,
			})
		},
	}
}

// rootFlag is the repository root that docs paths are relative to.
func rootFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "root", Usage: "the repository root `DIR` that docs pages are relative to (default: the parent of the matrix file's matrix/ folder, else the nearest git top level, else the current directory)", EnvVars: []string{"SUPPORTMATRIX_ROOT"}}
}

func runValidate(c *cli.Context, format string, o program.ValidateOptions) error {
	if err := program.CheckFormat(format, program.ValidateFormats); err != nil {
		return err
	}
	r, err := program.Validate(o)
	if err != nil {
		return err
	}
	if err := r.Write(c.App.Writer, format); err != nil {
		return err
	}
	if n := len(r.Problems.Errors()); n > 0 {
		if format == "text" {
			return Invalid(fmt.Errorf("%s: %d %s", o.Matrix, n, words.Plural("problem", n)))
		}
		return Invalid(ErrSilent)
	}
	return nil
}
