package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/templates"
)

// generateOptions are the flags of `generate`.
type generateOptions struct {
	Matrix      string
	Templates   string
	Base        string
	Profile     string
	Source      string // $CI_PIPELINE_SOURCE, which picks the profile
	Only        string
	Out         string
	GenerateJob string // the parent's job that runs generate ($CI_JOB_NAME)
}

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:      "generate",
		Usage:     "write the child pipeline(s) and the manifest for the matrix",
		ArgsUsage: " ",
		Description: `Each distribution × minor becomes one chain of jobs linked by needs, so a
slow or broken cluster holds up nothing else:

   gke 1.35: connect cluster  ->  gke 1.35: deploy  ->  gke 1.35: runner ...
   kind 1.35: provision cluster  ->  features  ->  kind 1.35: teardown cluster

Each job is its own group in GitLab, so its JUnit reports are a test suite of
their own, named as the job (the manifest's "suite").

Upgrade cells are chains too (k3s 1.34->1.35: provision 1.34, upgrade, re-run
the verify features, tear down), and so are skew cells (kind 1.35 nodes 1.32).
The teardown always runs, after every job of the chain that does not wait for
a person. Jobs reach the cell only through CI variables (SM_CELL,
SM_DISTRIBUTION, SM_K8S_VERSION, SM_K8S_MINOR, SM_FEATURE, KUBE_CONTEXT,
SM_FROM_VERSION, SM_TO_VERSION, SM_NODES_VERSION, the distribution's
variables); no matrix value is pasted into a script.

The profile decides which cells run: "all", or "changed" (the cells the change
adds or alters against --base, plus the cells of their chain they need). By
default the profile comes from the matrix's profiles for $CI_PIPELINE_SOURCE
and the base from $CI_MERGE_REQUEST_DIFF_BASE_SHA. --only narrows further with
a glob per part of the cell id.

Output in --out: pipeline.yml, manifest.json and, past pipeline.limits.max_jobs
or GitLab's YAML limit on pipeline.gitlab (1 MB before 17.3, 2 MB since),
shard-N.yml files behind a router pipeline.yml. Every file carries workflow
rules that admit it as a child of any parent, merge-request pipelines
included, and is checked against GitLab's rules before it is written.
The router's provide-shards job fetches the shards from the parent's generate
job, so the parent's trigger job must pass PARENT_PIPELINE_ID:

   generate:
     script: [supportmatrix generate --out out]
     artifacts: {paths: [out/]}
   matrix:
     needs: [generate]
     variables: {PARENT_PIPELINE_ID: $CI_PIPELINE_ID}
     trigger:
       include: [{artifact: out/pipeline.yml, job: generate}]
       strategy: depend   # mirror needs GitLab 18.2

The output replaces --out in one rename: on failure nothing is written.

Examples:
   supportmatrix generate --out out
   supportmatrix generate --profile changed --base origin/main --out out
   supportmatrix generate --only 'gke/*/runner,*/1.35/*' --out out
   supportmatrix generate --matrix examples/local/matrix.yaml --templates examples/local/templates --out out`,
		Flags: []cli.Flag{
			matrixFlag(),
			templatesFlag(),
			&cli.StringFlag{Name: "base", Usage: "compare with a git `REF` or another matrix FILE (the changed profile)", EnvVars: []string{"SUPPORTMATRIX_BASE", "CI_MERGE_REQUEST_DIFF_BASE_SHA"}},
			&cli.StringFlag{Name: "profile", Usage: "`PROFILE`: all or changed; default from the matrix's profiles for $CI_PIPELINE_SOURCE", EnvVars: []string{"SUPPORTMATRIX_PROFILE"}},
			&cli.StringFlag{Name: "pipeline-source", Usage: "the pipeline `SOURCE` that picks the profile", EnvVars: []string{"CI_PIPELINE_SOURCE"}},
			&cli.StringFlag{Name: "only", Usage: "run only the cells matching `SEL`, comma-separated globs per part: gke/*/runner,*/1.35/*", EnvVars: []string{"SUPPORTMATRIX_ONLY"}},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "the output `DIR` (required)", EnvVars: []string{"SUPPORTMATRIX_GENERATE_OUT"}},
			&cli.StringFlag{Name: "generate-job", Usage: "the parent pipeline's `JOB` that runs generate, whose artifacts hold the shards", Value: generate.DefaultGenerateJob, EnvVars: []string{"CI_JOB_NAME"}},
		},
		Action: func(c *cli.Context) error {
			o := generateOptions{
				Matrix: c.String("matrix"), Templates: c.String("templates"), Base: c.String("base"),
				Profile: c.String("profile"), Source: c.String("pipeline-source"), Only: c.String("only"),
				Out: c.String("out"), GenerateJob: c.String("generate-job"),
			}
			return runGenerate(o, c.App.ErrWriter)
		},
	}
}

func runGenerate(o generateOptions, stderr io.Writer) error {
	if o.Out == "" {
		return Usage(fmt.Errorf("generate: Required flag \"out\" not set: give --out DIR"))
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return Invalid(err)
	}
	profile := o.Profile
	if profile == "" {
		profile = matrix.ProfileAll
		if o.Source != "" {
			profile = m.ProfileFor(o.Source)
		}
	}
	if profile != matrix.ProfileAll && profile != matrix.ProfileChanged {
		return Usage(fmt.Errorf("--profile %q: use all or changed", profile))
	}
	if profile == matrix.ProfileChanged && o.Base == "" {
		return Usage(fmt.Errorf("the changed profile compares with a base: give --base REF|FILE (in a merge-request pipeline $CI_MERGE_REQUEST_DIFF_BASE_SHA), or --profile all"))
	}
	set, err := templates.Open(o.Templates)
	if err != nil {
		return Invalid(err)
	}
	plan := matrix.Expand(m)
	opts := generate.Options{ArtifactDir: artifactDir(o.Out), GenerateJob: o.GenerateJob}
	if o.Only != "" {
		if opts.Only, err = generate.ParseSelectors(o.Only); err != nil {
			return Usage(fmt.Errorf("--only: %w", err))
		}
	}
	if profile == matrix.ProfileChanged {
		b, err := loadBase(o.Base, o.Matrix, o.Templates, set.Hash)
		if err != nil {
			return Invalid(err)
		}
		d := matrix.Compare(b.Plan, plan, b.Hash, set.Hash)
		opts.Cells = append(append([]string{}, d.Added...), d.Changed...)
	}
	out, err := generate.Generate(plan, set, opts)
	if err != nil {
		return Invalid(err)
	}
	if err := out.Write(o.Out); err != nil {
		return Invalid(err)
	}
	files := make([]string, 0, len(out.Files))
	for _, f := range out.Files {
		files = append(files, filepath.Join(o.Out, f.Name))
	}
	fmt.Fprintf(stderr, "generate: profile %s: %d of %d cells, %d jobs", profile, len(out.Manifest.Cells), len(plan.IDs()), len(out.Manifest.Jobs))
	if out.Shards > 0 {
		fmt.Fprintf(stderr, " in %d shards", out.Shards)
	}
	fmt.Fprintf(stderr, "\ngenerate: wrote %s\n", strings.Join(files, ", "))
	return nil
}

// artifactDir is --out as the parent's generate job artifacts hold it:
// relative to the project directory (the working directory in CI).
func artifactDir(out string) string {
	if filepath.IsAbs(out) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, out); err == nil && !strings.HasPrefix(rel, "..") {
				out = rel
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(out))
}
