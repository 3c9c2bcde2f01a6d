package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

func docsCommand() *cli.Command {
	return &cli.Command{
		Name:        "docs",
		Usage:       "check the support program's documentation requirements, explain a distribution's path to official support, write PROGRAM.md",
		ArgsUsage:   " ",
		Description: helpText("docs"),
		Flags: []cli.Flag{
			matrixFlag(),
			&cli.StringFlag{Name: "root", Usage: "the repository root `DIR` that docs paths are relative to (default: the parent of the matrix file's matrix/ directory, else the nearest directory with .git, else the current directory)", EnvVars: []string{"SUPPORTMATRIX_ROOT"}},
			&cli.StringFlag{Name: "results", Usage: "the run history `FILE`, for green runs and freshness", Value: program.DefaultResults, EnvVars: []string{generate.ResultsVariable}},
			&cli.BoolFlag{Name: "check", Usage: fmt.Sprintf("report every documentation gap of official and beta distributions; exit %d on any", ExitInvalid), EnvVars: []string{"SUPPORTMATRIX_DOCS_CHECK"}},
			&cli.StringFlag{Name: "explain", Usage: "print the checklist and the steps to official support of the distribution `ID`", EnvVars: []string{"SUPPORTMATRIX_DOCS_EXPLAIN"}},
			&cli.BoolFlag{Name: "program", Usage: "write the program document (PROGRAM.md)", EnvVars: []string{"SUPPORTMATRIX_DOCS_PROGRAM"}},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "with --program, write to `FILE` (replaced atomically) instead of standard output", EnvVars: []string{"SUPPORTMATRIX_DOCS_OUT"}},
		},
		Action: func(c *cli.Context) error {
			return runDocs(c, program.DocsOptions{
				Matrix: c.String("matrix"), Root: c.String("root"), Results: c.String("results"),
				Check: c.Bool("check"), Explain: c.String("explain"), Program: c.Bool("program"), Out: c.String("out"),
			})
		},
	}
}

func runDocs(c *cli.Context, o program.DocsOptions) error {
	r, err := program.Docs(o)
	if err != nil {
		return err
	}
	w := c.App.Writer
	if !o.Check {
		_, err := w.Write(r.Text)
		return err
	}
	for _, p := range r.Gaps {
		fmt.Fprintln(w, p.String())
	}
	if n := len(r.Gaps); n > 0 {
		return Invalid(fmt.Errorf("docs check failed: %d %s", n, words.Plural("gap", n)))
	}
	fmt.Fprintf(w, "%s: the program is whole: %d %s with requirements, every one met\n", o.Matrix, r.WithRequirements, words.Plural("distribution", r.WithRequirements))
	return nil
}
