package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/pkg/collect"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
	"gitlab.com/supportmatrix/supportmatrix/templates"
)

// runOptions are the flags of `run`.
type runOptions struct {
	Local       bool
	Matrix      string
	Templates   string
	Only        string
	Out         string
	Concurrency int
	Root        string
	Strict      bool
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "generate, run with gitlab-ci-local, collect and render: the whole loop on a laptop",
		ArgsUsage: " ",
		Description: `run --local does on one machine what GitLab CI does for the program: it
generates the child pipeline, runs it with gitlab-ci-local (an independent
implementation of GitLab CI; found on PATH, in ./.tools, at
$SUPPORTMATRIX_GITLAB_CI_LOCAL, or installed with npm into the user cache the
first time), collects every job's outcome from what gitlab-ci-local wrote —
never from its exit status, which ignores child pipelines — and renders the
support table.

Jobs run in a shell on this machine, so templates must find their tools here.
The examples/local matrix simulates its clusters and needs nothing but a shell:

   supportmatrix run --local --matrix examples/local/matrix.yaml --templates examples/local/templates

Everything goes under --out (default out/local): out/ (the generated
pipeline), results.json (the local run history: local runs count there, and
only there — it is never published), SUPPORT.md (the table from it).
Exit status: 0 when the run was made and collected, whatever its cells did
(the table says); with --strict, 1 when a cell failed or was broken (its
cluster did not come up, could not be reached, or runs another minor) or a
cluster job failed (a teardown too). 1 when the run could not be made.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "local", Usage: "run with gitlab-ci-local on this machine (the only mode)", EnvVars: []string{"SUPPORTMATRIX_LOCAL"}},
			matrixFlag(),
			templatesFlag(),
			&cli.StringFlag{Name: "only", Usage: "run only the cells matching `SEL`: comma-separated globs, one per id part (gke/*/runner, */1.35/*)", EnvVars: []string{"SUPPORTMATRIX_ONLY"}},
			&cli.StringFlag{Name: "out", Value: "out/local", Usage: "the working `DIR` for the pipeline, the run history and the table", EnvVars: []string{"SUPPORTMATRIX_RUN_OUT"}},
			&cli.IntFlag{Name: "concurrency", Value: 4, Usage: "at most `N` jobs at once", EnvVars: []string{"SUPPORTMATRIX_RUN_CONCURRENCY"}},
			rootFlag(),
			&cli.BoolFlag{Name: "strict", Usage: "exit 1 when a cell failed or was broken, or a cluster job failed", EnvVars: []string{"SUPPORTMATRIX_STRICT"}},
		},
		Action: func(c *cli.Context) error {
			o := runOptions{Strict: c.Bool("strict"), Local: c.Bool("local"), Matrix: c.String("matrix"), Templates: c.String("templates"), Only: c.String("only"),
				Out: c.String("out"), Concurrency: c.Int("concurrency"), Root: c.String("root")}
			return runLocal(c.Context, envOf(c), o)
		},
	}
}

func runLocal(ctx context.Context, env Env, o runOptions) error {
	stdout, stderr := env.Stdout, env.Stderr
	if !o.Local {
		return Usage(errors.New("run needs --local: in GitLab CI, the parent pipeline runs generate, collect and publish (see examples/parent-pipeline)"))
	}
	var sels []generate.Selector
	if o.Only != "" {
		var err error
		if sels, err = generate.ParseSelectors(o.Only); err != nil {
			return Usage(fmt.Errorf("--only: %w", err))
		}
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return Invalid(err)
	}
	set, err := templates.Open(o.Templates)
	if err != nil {
		return Invalid(err)
	}
	plan := matrix.Expand(m)
	out, err := generate.Generate(plan, set, generate.Options{Only: sels})
	if err != nil {
		return Invalid(err)
	}
	pipelineDir := filepath.Join(o.Out, "out")
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return Invalid(fmt.Errorf("run: %w", err))
	}
	if err := out.Write(pipelineDir); err != nil {
		return Invalid(err)
	}
	fmt.Fprintf(stderr, "run: generated %d jobs for %d cells in %s\n", len(out.Manifest.Jobs), len(out.Manifest.Cells), pipelineDir)

	bin, err := localci.Find(ctx, env.getenv, env.Dir, stderr)
	if err != nil {
		return Invalid(fmt.Errorf("run: %w", err))
	}
	res, err := localci.Run(ctx, localci.Options{
		Binary:      bin,
		Dir:         o.Out,
		File:        filepath.ToSlash(filepath.Join("out", generate.PipelineFile)),
		Concurrency: o.Concurrency,
		Progress:    stderr,
	})
	if err != nil {
		return Invalid(fmt.Errorf("run: %w", err))
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "run: warning: %s\n", w)
	}
	if err := collect.SaveLocal(o.Out, res); err != nil {
		return Invalid(err)
	}
	manifest, err := collect.ReadManifest(filepath.Join(pipelineDir, generate.ManifestFile))
	if err != nil {
		return Invalid(err)
	}
	// The run's time is when it finished: the one clock reading, recorded
	// in the history so that rendering it again gives the same table.
	finished := env.now().UTC().Truncate(time.Second)
	run, summary, err := collect.Local(res, collect.LocalOptions{Manifest: manifest, Plan: plan, Time: finished})
	if err != nil {
		return Invalid(err)
	}
	// In this local history, local runs are the only runs: they count here,
	// and only here. The file is never published.
	run.Counts = true
	run.Partial = len(sels) > 0
	resultsPath := filepath.Join(o.Out, "results.json")
	hist, err := results.Update(resultsPath, run)
	if err != nil {
		return Invalid(err)
	}
	root := o.Root
	if root == "" {
		root = docs.DefaultRoot(o.Matrix)
	}
	rep, _ := buildReport(m, hist, root, time.Time{}, true)
	tablePath := filepath.Join(o.Out, "SUPPORT.md")
	if err := atomicfile.Write(tablePath, render.Markdown(rep)); err != nil {
		return Invalid(err)
	}
	fmt.Fprintf(stdout, "%s\n", summary)
	printLevels(stdout, rep)
	fmt.Fprintf(stdout, "table: %s\nhistory: %s\n", tablePath, resultsPath)
	if o.Strict {
		// A broken cluster (and a failed teardown) fails --strict too:
		// it proved nothing, and it is never a pass.
		failed, broken := countStatus(run, results.Failed), countStatus(run, results.Broken)
		if failed+broken > 0 || len(run.Infra) > 0 {
			return Invalid(fmt.Errorf("run: %d %s failed, %d broken, %d cluster %s; see %s",
				failed, pluralize("cell", failed), broken, len(run.Infra), pluralize("problem", len(run.Infra)), tablePath))
		}
	}
	return nil
}

func countStatus(run results.Run, s results.Status) int {
	n := 0
	for _, c := range run.Cells {
		if c.Status == s {
			n++
		}
	}
	return n
}

// printLevels writes one line per distribution: its level per minor.
func printLevels(w io.Writer, r *report.Report) {
	for _, d := range r.Distributions {
		fmt.Fprintf(w, "%-12s", d.ID)
		for _, v := range d.Versions {
			fmt.Fprintf(w, "  %s %-10s", v.Kubernetes, v.Level)
		}
		fmt.Fprintln(w)
	}
}
