package program

import (
	"context"
	"path/filepath"
	"slices"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// GenerateOptions are what `generate` reads.
type GenerateOptions struct {
	Matrix    string
	Templates string
	Base      string // compared with in the changed profile
	// Env (KEY=value) is the whole environment git runs in to read a ref
	// Base (gitrepo.Open).
	Env     []string
	Profile string // all or changed; "" picks it from Source
	Source  string // $CI_PIPELINE_SOURCE, which picks the profile
	Only    string // selectors, comma-separated
	Out     string
	// WorkDir is the project directory the parent's generate job runs in
	// ("" is the working directory): artifacts paths are relative to it.
	WorkDir     string
	GenerateJob string // the parent's job that runs generate ($CI_JOB_NAME)
	// NoReport leaves out the self-report job of each child pipeline;
	// ReportImage is its image (default the matrix's pipeline.image).
	NoReport    bool
	ReportImage string
	// ArtifactCompression is the runner's $ARTIFACT_COMPRESSION_LEVEL in
	// the generate job (generate.Options).
	ArtifactCompression string
	// Plan also writes the plan in Markdown as generate.PlanFile, the
	// bytes `plan --format markdown` prints with the same Base: written
	// in the same rename as the pipeline, and counted in the generate
	// job's archive with it.
	Plan bool
}

// GenerateResult says what Generate wrote.
type GenerateResult struct {
	Profile string
	Cells   int // cells the pipeline runs
	Of      int // cells of the plan
	Jobs    int
	Shards  int
	Files   []string // the paths written
}

// Generate writes the child pipeline(s), the manifest and, with o.Plan,
// the plan into o.Out, in one rename: on failure nothing is written.
func Generate(ctx context.Context, o GenerateOptions) (*GenerateResult, error) {
	if o.Out == "" {
		return nil, usagef("generate: give --out DIR")
	}
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return nil, err
	}
	profile := o.Profile
	if profile == "" {
		profile = matrix.ProfileAll
		if o.Source != "" {
			profile = m.ProfileFor(o.Source)
		}
	}
	if !slices.Contains(matrix.ProfileModes, profile) {
		return nil, usagef("--profile %q: use %s", profile, words.OneOf(matrix.ProfileModes))
	}
	if profile == matrix.ProfileChanged && o.Base == "" {
		return nil, usagef("the changed profile compares with a base: give --base REF|FILE (in a merge-request pipeline $CI_MERGE_REQUEST_DIFF_BASE_SHA), or --profile all")
	}
	set, err := jobs.Open(o.Templates)
	if err != nil {
		return nil, err
	}
	plan := matrix.Expand(m)
	opts := generate.Options{
		ArtifactDir: artifactDir(o.WorkDir, o.Out), GenerateJob: o.GenerateJob,
		NoReport: o.NoReport, ReportImage: o.ReportImage, MatrixFile: artifactDir(o.WorkDir, o.Matrix),
		ArtifactCompression: o.ArtifactCompression,
	}
	if opts.Only, err = selectors(o.Only); err != nil {
		return nil, err
	}
	var c *change
	if o.Base != "" && (profile == matrix.ProfileChanged || o.Plan) {
		if c, err = changeScope(ctx, o.Base, o.Env, o.Matrix, o.Templates, plan, set); err != nil {
			return nil, err
		}
	}
	if profile == matrix.ProfileChanged {
		opts.Cells = c.scope
	}
	if o.Plan {
		r, err := planOf(plan, set, c)
		if err != nil {
			return nil, err
		}
		opts.Plan = r.Markdown()
	}
	out, err := generate.Generate(plan, set, opts)
	if err != nil {
		return nil, err
	}
	if err := out.Write(o.Out); err != nil {
		return nil, err
	}
	r := &GenerateResult{Profile: profile, Cells: len(out.Manifest.Cells), Of: len(plan.IDs()), Jobs: len(out.Manifest.Jobs), Shards: out.Shards}
	for _, f := range out.Files {
		r.Files = append(r.Files, filepath.Join(o.Out, f.Name))
	}
	return r, nil
}

// selectors parses --only; "" selects every cell.
func selectors(only string) ([]generate.Selector, error) {
	if only == "" {
		return nil, nil
	}
	sels, err := generate.ParseSelectors(only)
	if err != nil {
		return nil, usagef("--only: %w", err)
	}
	return sels, nil
}

// artifactDir is out as the parent's generate job artifacts hold it:
// relative to the project directory wd (the working directory in CI).
func artifactDir(wd, out string) string {
	if filepath.IsAbs(out) {
		if abs, err := filepath.Abs(wd); err == nil {
			if rel, err := filepath.Rel(abs, out); err == nil && !strings.HasPrefix(rel, "..") {
				out = rel
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(out))
}
