package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:        "generate",
		Usage:       "write the child pipeline(s) and the manifest for the matrix",
		ArgsUsage:   " ",
		Description: helpText("generate"),
		Flags: []cli.Flag{
			matrixFlag(),
			templatesFlag(),
			&cli.StringFlag{Name: "base", Usage: "compare with a git `REF` or another matrix FILE (the changed profile, and the change --plan reports)", EnvVars: []string{"SUPPORTMATRIX_BASE", "CI_MERGE_REQUEST_DIFF_BASE_SHA"}},
			&cli.StringFlag{Name: "profile", Usage: "`PROFILE`: all or changed; default from the matrix's profiles for $CI_PIPELINE_SOURCE", EnvVars: []string{"SUPPORTMATRIX_PROFILE"}},
			&cli.StringFlag{Name: "pipeline-source", Usage: "the pipeline `SOURCE` that picks the profile", EnvVars: []string{"CI_PIPELINE_SOURCE"}},
			&cli.StringFlag{Name: "only", Usage: "run only the cells matching `SEL`, comma-separated globs per part: gke/*/runner,*/1.35/*", EnvVars: []string{"SUPPORTMATRIX_ONLY"}},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "the output `DIR` (required)", EnvVars: []string{"SUPPORTMATRIX_GENERATE_OUT"}},
			&cli.BoolFlag{Name: "plan", Usage: "also write the plan in Markdown to DIR/" + generate.PlanFile + " (plan --format markdown, against the same --base), in the same rename and counted in the generate job's artifacts", EnvVars: []string{"SUPPORTMATRIX_GENERATE_PLAN"}},
			&cli.BoolFlag{Name: "no-report", Usage: "leave out the self-report job that ends each child pipeline", EnvVars: []string{"SUPPORTMATRIX_NO_REPORT"}},
			&cli.StringFlag{Name: "report-image", Usage: "the self-report job's `IMAGE`, with supportmatrix on PATH (default: the matrix's pipeline.image)", EnvVars: []string{"SUPPORTMATRIX_REPORT_IMAGE"}},
			&cli.StringFlag{Name: "artifact-compression", Usage: fmt.Sprintf("the runner's `LEVEL` for the generate job's artifacts; at fastest they are stored uncompressed, and generate refuses files over GitLab's %d MiB include:artifact limit", cicheck.MaxArtifactArchive>>20), EnvVars: []string{"ARTIFACT_COMPRESSION_LEVEL"}},
			&cli.StringFlag{Name: "generate-job", Usage: "the parent pipeline's `JOB` that runs generate, whose artifacts hold the shards", Value: generate.DefaultGenerateJob, EnvVars: []string{"CI_JOB_NAME"}},
		},
		Action: func(c *cli.Context) error {
			return runGenerate(c, program.GenerateOptions{
				Matrix: c.String("matrix"), Templates: c.String("templates"), Base: c.String("base"), Env: envOf(c).Environ,
				Profile: c.String("profile"), Source: c.String("pipeline-source"), Only: c.String("only"),
				Out: c.String("out"), WorkDir: envOf(c).Dir, GenerateJob: c.String("generate-job"),
				NoReport: c.Bool("no-report"), ReportImage: c.String("report-image"),
				ArtifactCompression: c.String("artifact-compression"), Plan: c.Bool("plan"),
			})
		},
	}
}

func runGenerate(c *cli.Context, o program.GenerateOptions) error {
	r, err := program.Generate(c.Context, o)
	if err != nil {
		return err
	}
	w := c.App.ErrWriter
	fmt.Fprintf(w, "generate: profile %s: %d of %d cells, %d jobs", r.Profile, r.Cells, r.Of, r.Jobs)
	if r.Shards > 0 {
		fmt.Fprintf(w, " in %d shards", r.Shards)
	}
	fmt.Fprintf(w, "\ngenerate: wrote %s\n", strings.Join(r.Files, ", "))
	return nil
}
