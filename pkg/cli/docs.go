package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// docsOptions are the flags of `docs`.
type docsOptions struct {
	Matrix  string
	Root    string
	Results string
	Check   bool
	Explain string
	Program bool
	Out     string
}

func docsCommand() *cli.Command {
	return &cli.Command{
		Name:      "docs",
		Usage:     "check the support program's documentation requirements, explain a distribution's path to official support, write PROGRAM.md",
		ArgsUsage: " ",
		Description: `An official support program is more than green jobs: each official and beta
distribution needs a docs page covering every feature area the matrix runs on
it and listing its tested settings, and an official one needs a permanent
cluster. The matrix knows all of this, so this command checks it.

The page convention (docs/README.md): the page named by the distribution's
"docs:" key, relative to the repository root, has

   <a id="runner"></a>                  one anchor per feature area the matrix
   ## Runner Kubernetes executor        runs there (a cell not excluded), the
                                        feature id, on its own line above a
                                        heading of level 2 or deeper
   ## Tested settings                   exactly this level-2 heading, with
   - Dataplane V2 enabled               each matrix setting as a list item,
                                        verbatim

What a tier requires is its policy's "requires" (official defaults to docs,
settings, permanent-cluster); beta without a policy requires docs and
settings; community and deprecated require nothing.

   supportmatrix docs --check
      Every gap of an official or beta distribution as file:line:col: message,
      on the matrix line or the page line to change, e.g.

      docs/distributions/aks.md:1:1: warning: distributions.aks.docs: no section for feature area monitoring ...
      matrix/matrix.yaml:13:7: warning: distributions.k3s.cluster: official distribution runs on an ephemeral cluster ...

      Exit 1 when there is a gap, 0 when the program is whole. "validate"
      shows the same findings as warnings.

   supportmatrix docs --explain k3s
      One distribution's checklist (docs page, feature areas, tested
      settings, permanent cluster, green runs so far, freshness) and the
      steps, with their file:line, from its tier to official support.

   supportmatrix docs --program --out matrix/PROGRAM.md
      The program document that "render" writes next to SUPPORT.md: what
      tiers and levels mean, the policy in plain words, each distribution's
      checklist and what it still lacks, and the path to certification.

Green runs and freshness come from the run history (--results); a missing
results file is an empty history. Output is deterministic: no clock is read.`,
		Flags: []cli.Flag{
			matrixFlag(),
			&cli.StringFlag{Name: "root", Usage: "the repository root `DIR` that docs paths are relative to (default: the parent of the matrix file's matrix/ directory, else the nearest directory with .git, else the current directory)", EnvVars: []string{"SUPPORTMATRIX_ROOT"}},
			&cli.StringFlag{Name: "results", Usage: "the run history `FILE`, for green runs and freshness", Value: "matrix/results.json", EnvVars: []string{"SUPPORTMATRIX_RESULTS"}},
			&cli.BoolFlag{Name: "check", Usage: "report every documentation gap of official and beta distributions; exit 1 on any", EnvVars: []string{"SUPPORTMATRIX_DOCS_CHECK"}},
			&cli.StringFlag{Name: "explain", Usage: "print the checklist and the steps to official support of the distribution `ID`", EnvVars: []string{"SUPPORTMATRIX_DOCS_EXPLAIN"}},
			&cli.BoolFlag{Name: "program", Usage: "write the program document (PROGRAM.md)", EnvVars: []string{"SUPPORTMATRIX_DOCS_PROGRAM"}},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "with --program, write to `FILE` (replaced atomically) instead of standard output", EnvVars: []string{"SUPPORTMATRIX_DOCS_OUT"}},
		},
		Action: func(c *cli.Context) error {
			o := docsOptions{
				Matrix: c.String("matrix"), Root: c.String("root"), Results: c.String("results"),
				Check: c.Bool("check"), Explain: c.String("explain"), Program: c.Bool("program"), Out: c.String("out"),
			}
			return runDocs(o, c.App.Writer)
		},
	}
}

func runDocs(o docsOptions, stdout io.Writer) error {
	modes := 0
	for _, on := range []bool{o.Check, o.Explain != "", o.Program} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return Usage(fmt.Errorf("docs: give exactly one of --check, --explain ID, --program"))
	}
	if o.Out != "" && !o.Program {
		return Usage(fmt.Errorf("docs: --out goes with --program"))
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return Invalid(err)
	}
	root := o.Root
	if root == "" {
		root = docs.DefaultRoot(o.Matrix)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return Invalid(fmt.Errorf("docs: --root %s is not a directory", root))
	}
	audit := docs.Inspect(m, root)

	if o.Check {
		probs := audit.Problems()
		for _, p := range probs {
			fmt.Fprintln(stdout, p.String())
		}
		if len(probs) > 0 {
			return Invalid(fmt.Errorf("docs check failed: %d %s", len(probs), pluralize("gap", len(probs))))
		}
		n := 0
		for _, d := range audit.Distributions {
			if len(d.Requires) > 0 {
				n++
			}
		}
		fmt.Fprintf(stdout, "%s: the program is whole: %d %s with requirements, every one met\n", o.Matrix, n, pluralize("distribution", n))
		return nil
	}

	hist, err := results.Read(o.Results)
	if err != nil {
		return Invalid(fmt.Errorf("docs: %w", err))
	}
	rep := report.Build(m, hist, report.Options{Repo: os.DirFS(root), Requirement: audit.Requirement})
	opts := docs.Options{}
	if o.Out != "" {
		if dir, err := repoRel(root, filepath.Dir(o.Out)); err == nil {
			opts.Dir = dir
		}
	}
	if o.Explain != "" {
		out, err := docs.Explain(audit, rep, o.Explain, opts)
		if err != nil {
			return Usage(err)
		}
		_, err = stdout.Write(out)
		return err
	}
	out := docs.Program(audit, rep, opts)
	if o.Out == "" {
		_, err = stdout.Write(out)
		return err
	}
	if err := atomicfile.Write(o.Out, out); err != nil {
		return Invalid(fmt.Errorf("docs: write %s: %w", o.Out, err))
	}
	return nil
}

// repoRel returns dir relative to the repository root, with slashes, for
// the links of a document written there.
func repoRel(root, dir string) (string, error) {
	ar, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	ad, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(ar, ad)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}
