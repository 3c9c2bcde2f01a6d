package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
	"gitlab.com/supportmatrix/supportmatrix/pkg/validate"
)

// validateOptions are the flags of `validate`.
type validateOptions struct {
	Matrix    string
	Templates string
	Format    string
	Date      string
	Root      string
}

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:        "validate",
		Usage:       "check the matrix file and its templates and report every problem with its file:line:col",
		ArgsUsage:   " ",
		Description: helpText("validate"),
		Flags: []cli.Flag{
			matrixFlag(),
			templatesFlag(),
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "`FORMAT` of the report: text, json or codequality", EnvVars: []string{"SUPPORTMATRIX_VALIDATE_FORMAT"}},
			&cli.StringFlag{Name: "date", Usage: "the `YYYY-MM-DD` that stands in for today in the Kubernetes calendar checks (default: today)", EnvVars: []string{"SUPPORTMATRIX_DATE"}},
			rootFlag(),
		},
		Action: func(c *cli.Context) error {
			// `validate FILE` used to check the default matrix and say valid.
			if c.Args().Present() {
				return Usage(fmt.Errorf("validate takes no arguments, got %q; to check another file, use --matrix %s", c.Args().Slice(), c.Args().First()))
			}
			o := validateOptions{Matrix: c.String("matrix"), Templates: c.String("templates"), Format: c.String("format"), Date: c.String("date"), Root: c.String("root")}
			return runValidate(o, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// rootFlag is the repository root that docs paths are relative to.
func rootFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "root", Usage: "the repository root `DIR` that docs pages are relative to (default: the parent of the matrix file's matrix/ folder, else the nearest git top level, else the current directory)", EnvVars: []string{"SUPPORTMATRIX_ROOT"}}
}

func runValidate(o validateOptions, stdout, stderr io.Writer) error {
	if o.Format != "text" && o.Format != "json" && o.Format != "codequality" {
		return Usage(fmt.Errorf("--format %q: use text, json or codequality", o.Format))
	}
	today, err := parseDay(o.Date)
	if err != nil {
		return Usage(err)
	}
	data, err := matrix.ReadFile(o.Matrix)
	if err != nil {
		return Invalid(err)
	}
	set, err := jobs.Open(o.Templates)
	if err != nil {
		return Invalid(err)
	}
	res := validate.Matrix(validate.Options{File: o.Matrix, Data: data, Templates: set, Today: today, Root: o.Root})
	m, probs := res.Matrix, res.Problems
	switch o.Format {
	case "json":
		err = writeJSON(stdout, program.ValidateReport(probs))
	case "codequality":
		err = writeJSON(stdout, program.CodeQuality(probs))
	default:
		for _, p := range probs {
			fmt.Fprintln(stdout, p.String())
		}
		if m != nil {
			plan := res.Plan
			excluded := 0
			for _, c := range plan.Cells {
				if c.Excluded() {
					excluded++
				}
			}
			fmt.Fprintf(stdout, "%s: valid: %d distributions, %d minors, %d features, %d cells (%d excluded), %d upgrade and %d skew cells, %d %s\n",
				o.Matrix, len(m.Distributions), len(m.Kubernetes.Versions), len(m.Features), len(plan.Cells), excluded,
				len(plan.Upgrades), len(plan.Skews), len(probs.Warnings()), pluralize("warning", len(probs.Warnings())))
		}
	}
	if err != nil {
		return err
	}
	if n := len(probs.Errors()); n > 0 {
		if o.Format == "text" {
			return Invalid(fmt.Errorf("%s: %d %s", o.Matrix, n, pluralize("problem", n)))
		}
		return Invalid(ErrSilent)
	}
	return nil
}

func pluralize(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// parseDay reads --date, or returns today (UTC, at midnight) when empty. It
// is the one place the clock is read for calendar checks.
func parseDay(s string) (time.Time, error) {
	if s == "" {
		now := time.Now().UTC()
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--date %q: write YYYY-MM-DD", s)
	}
	return t, nil
}

// writeJSON writes v indented, with a trailing newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
