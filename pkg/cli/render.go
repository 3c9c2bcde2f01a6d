package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// renderOptions are the flags of `render`.
type renderOptions struct {
	Matrix  string
	Results string
	Format  string
	Out     string
	Now     string
	Root    string
}

// renderFormats are the formats `render --format` takes.
var renderFormats = []string{"markdown", "json", "html", "badges"}

func renderCommand() *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "write the support table from the matrix and the run history",
		ArgsUsage: " ",
		Description: `Computes a support level for every distribution × Kubernetes minor from the
matrix and matrix/results.json, and writes the table.

Levels, first match wins:
   n/a          the distribution does not offer the minor
   untested     no blocking feature has a result from a counting run yet
   failing      a blocking feature's newest result failed, within max_age
   broken       a blocking feature's newest result is broken, within max_age:
                its cluster did not come up, could not be reached, or runs
                another minor (a failed provision, connect or upgrade job);
                nothing was proven, and it is no product failure
   stale        a blocking feature's newest result is older than max_age
   untested     a blocking feature has never run (others have)
   supported    official tier, every blocking feature passing, the policy's
                requires met and green_runs consecutive green runs
   qualifying   official tier and passing, the policy not met yet
   beta, community, deprecated
                the tier, when every blocking feature passes

Only counting runs decide (scheduled or web pipelines on the default branch);
merge-request previews never do. A run whose cluster was broken neither
extends nor ends a green streak (it proved nothing either way); the level is
broken while it is the newest result. Each level names the run that decided
it, and the table lists failed cluster jobs (a failed teardown too: the
cluster may still be running) apart from product failures. Non-blocking features, excluded cells and
cells whose rule is allow_failure or manual never decide a level.

Staleness is judged at --now, which in GitLab CI defaults to the pipeline's
creation time ($CI_PIPELINE_CREATED_AT): a table rendered after the scheduled
runs stopped decays to stale. Without either, it is judged at the newest
finish time in the results, never the clock, and the table says so: the same
inputs always give the same bytes. The table states when it was judged.

A history that holds only local runs (run --local's, collect --local-dir's)
is rendered in the local view: local runs decide its levels, and the table
says it is never published. A --results file that does not exist is an
error, except the default matrix/results.json before the first collect (an
empty history, with a note).

Formats:
   markdown   matrix/SUPPORT.md, written for GitLab's Markdown (default)
   json       schema supportmatrix/support/v1, for scripts
   html       one self-contained page for GitLab Pages (no script, no assets)
   badges     one SVG badge per distribution: --out names a directory that
              receives <distribution>.svg

Examples:
   supportmatrix render --out matrix/SUPPORT.md
   supportmatrix render --format json | jq '.distributions[] | {id, versions: [.versions[].level]}'
   supportmatrix render --format html --out public/index.html
   supportmatrix render --format badges --out public/badges
   supportmatrix render --now 2026-05-10T00:00:00Z   # what the table says on that day

Files are replaced atomically: a failure never truncates an existing table.`,
		Flags: []cli.Flag{
			matrixFlag(),
			&cli.StringFlag{Name: "results", Aliases: []string{"r"}, Value: defaultResults, Usage: "the run history `FILE` (must exist, except the default before the first collect)", EnvVars: []string{"SUPPORTMATRIX_RESULTS"}},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "markdown", Usage: "`FORMAT`: markdown, json, html or badges", EnvVars: []string{"SUPPORTMATRIX_RENDER_FORMAT"}},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write to `FILE` (a directory for badges) instead of standard output", EnvVars: []string{"SUPPORTMATRIX_RENDER_OUT"}},
			nowFlag("the newest finish time in the results"),
			rootFlag(),
		},
		Action: func(c *cli.Context) error {
			o := renderOptions{
				Matrix: c.String("matrix"), Results: c.String("results"), Format: c.String("format"),
				Out: c.String("out"), Now: c.String("now"), Root: c.String("root"),
			}
			return runRender(o, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// defaultResults is the run history's default path, the one file render
// may find missing (before the first collect).
const defaultResults = "matrix/results.json"

func runRender(o renderOptions, stdout, stderr io.Writer) error {
	known := false
	for _, f := range renderFormats {
		known = known || o.Format == f
	}
	if !known {
		return Usage(fmt.Errorf("render: --format %q: use markdown, json, html or badges", o.Format))
	}
	if o.Format == "badges" && o.Out == "" {
		return Usage(fmt.Errorf("render: --format badges writes one file per distribution: give --out DIR"))
	}
	now, err := parseNow("render", o.Now)
	if err != nil {
		return err
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return Invalid(err)
	}
	if _, err := os.Stat(o.Results); errors.Is(err, fs.ErrNotExist) {
		// A mistyped path must not render an all-untested table.
		if filepath.Clean(o.Results) != filepath.Clean(defaultResults) {
			return Invalid(fmt.Errorf("render: --results %s: no such file", o.Results))
		}
		fmt.Fprintf(stderr, "supportmatrix: note: %s does not exist yet (no run collected): rendering an empty history\n", o.Results)
	}
	hist, err := results.Read(o.Results)
	if err != nil {
		return Invalid(fmt.Errorf("render: %w", err))
	}
	root := o.Root
	if root == "" {
		root = docs.DefaultRoot(o.Matrix)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return Invalid(fmt.Errorf("render: --root %s is not a directory", root))
	}
	rep, audit := buildReport(m, hist, root, now, localOnly(hist))

	if o.Format == "badges" {
		return writeBadges(o.Out, render.Badges(rep))
	}
	var out []byte
	switch o.Format {
	case "markdown":
		out = render.Markdown(rep)
	case "json":
		out = render.JSON(rep)
	case "html":
		out = render.HTML(rep)
	}
	if o.Out == "" {
		_, err := stdout.Write(out)
		return err
	}
	if err := atomicfile.Write(o.Out, out); err != nil {
		return Invalid(fmt.Errorf("render: %w", err))
	}
	if o.Format == "markdown" {
		// The program document goes next to the table, linked from it.
		opts := docs.Options{}
		if dir, err := repoRel(root, filepath.Dir(o.Out)); err == nil {
			opts.Dir = dir
		}
		program := filepath.Join(filepath.Dir(o.Out), docs.ProgramFile)
		if err := atomicfile.Write(program, docs.Program(audit, rep, opts)); err != nil {
			return Invalid(fmt.Errorf("render: %w", err))
		}
	}
	return nil
}

// writeBadges writes each badge atomically into dir, creating it.
func writeBadges(dir string, badges []render.BadgeFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Invalid(fmt.Errorf("render: badges directory: %w", err))
	}
	for _, b := range badges {
		if err := atomicfile.Write(filepath.Join(dir, b.Name), b.Data); err != nil {
			return Invalid(fmt.Errorf("render: badge: %w", err))
		}
	}
	return nil
}

// localOnly reports whether a history holds runs and every one is local:
// such a history is shown in the local view.
func localOnly(f *results.File) bool {
	for _, r := range f.Runs {
		if !r.Local {
			return false
		}
	}
	return len(f.Runs) > 0
}
