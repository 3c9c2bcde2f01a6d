// Package generate turns an expanded matrix (a matrix.Plan) and the job
// templates into GitLab CI child-pipeline YAML and a manifest of the jobs.
//
// Each distribution × minor is one chain of jobs linked by needs: the
// cluster's prepare job (provision for ephemeral clusters, connect for
// permanent ones), the feature jobs in needs order, and a cleanup job that
// always runs (teardown, ephemeral clusters only). Upgrade and skew cells are
// chains of their own. Chains never wait on each other. Templates are plain
// job bodies; the generator adds the keys it owns (stage, needs, tags,
// resource_group, retry, timeout, interruptible, when, allow_failure) and
// passes the cell only as CI variables, never through a script line.
//
// Every file that holds cells ends with a self-report job (report.go) in
// the last stage: it reports on its own pipeline with the CI job token.
//
// Past the matrix's max_jobs (or GitLab's YAML size limit) pipeline.yml
// becomes a router: a provide-shards job (more, past 5 MiB of shard files)
// re-publishes the shard files as its artifacts and one trigger job per
// shard runs shard-N.yml as a grandchild pipeline. Output is byte-for-byte deterministic.
package generate

import (
	"fmt"
	"path"
	"regexp"
	"slices"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// Default names. GitLab's limits (YAML size, artifact archive, job names,
// needs) are pkg/cicheck's.
const (
	// DefaultGenerateJob is the parent pipeline's job that runs generate,
	// when Options.GenerateJob is empty.
	DefaultGenerateJob = "generate"
	// PipelineFile is the child pipeline the parent triggers.
	PipelineFile = "pipeline.yml"
	// ManifestFile lists every generated job.
	ManifestFile = "manifest.json"
	// ProvideJob is the router's job that re-publishes the shard files
	// (the first, when they need more than one: provideGroups).
	ProvideJob = "provide-shards"
	// PlanFile is the plan in Markdown beside the pipeline (Options.Plan):
	// the parent's generate job exposes it in the merge request, and each
	// report job reads it from that job's artifacts.
	PlanFile = "plan.md"
)

// Stages of every generated pipeline, in order. Jobs run as soon as their
// needs finish; stages only lay out the graph.
var (
	pipelineStages = []string{stagePrepare, stageUpgrade, stageTest, stageCleanup, stageReport}
	routerStages   = []string{stagePrepare, stageShards}
)

const (
	stagePrepare = "prepare"
	stageUpgrade = "upgrade"
	stageTest    = "test"
	stageCleanup = "cleanup"
	stageShards  = "shards"
)

// Options choose what Generate writes.
type Options struct {
	// Cells, when not nil, lists the cell ids to run (the changed profile:
	// added and changed cells). Generate adds the cells of their chain that
	// they need. Nil runs every cell that is not excluded.
	Cells []string
	// Only keeps the cells matching any of the selectors (and the cells they
	// need). Empty keeps every cell.
	Only []Selector
	// ArtifactDir is where the output directory sits in the parent's
	// generate job artifacts, relative to the project directory ("out").
	// The router's provide job re-publishes ArtifactDir/shard-N.yml.
	ArtifactDir string
	// GenerateJob is the name of the parent pipeline's job that ran
	// generate; the provide job fetches its artifacts through
	// needs:pipeline:$PARENT_PIPELINE_ID. Default "generate".
	GenerateJob string
	// MaxYAMLSize bounds the estimated parsed size of each file; default
	// GitLab's limit on the matrix's pipeline.gitlab (cicheck.MaxYAMLSize:
	// 1 MB before 17.3, 2 MB since).
	MaxYAMLSize int
	// NoReport leaves out the self-report job (report.go) that otherwise
	// ends every file holding cells. run --local turns it off: there is no
	// GitLab API to report from.
	NoReport bool
	// ReportImage is the report job's image, which must have supportmatrix
	// on PATH; default the matrix's pipeline.image.
	ReportImage string
	// MatrixFile is the matrix's path relative to the project directory,
	// which the report job's collect reads for the excluded cells
	// (SUPPORTMATRIX_MATRIX); "" leaves collect's default.
	MatrixFile string
	// ArtifactCompression is the runner's ARTIFACT_COMPRESSION_LEVEL in the
	// parent's generate job, which uploads every file Generate writes as its
	// artifacts ("" is the runner's default): at "fastest" the archive
	// holds them uncompressed (checkGenerateJobArchive).
	ArtifactCompression string
	// Plan, when not nil, is the plan in Markdown (`plan --format
	// markdown`), written as PlanFile after the other files. It is part of
	// the generate job's archive like them, so the archive's check counts
	// it: a plan added to the directory afterwards would not be.
	Plan []byte
}

// StoredCompression is the ARTIFACT_COMPRESSION_LEVEL at which the
// runner's default (fastzip) archiver stores files uncompressed (gitlab-runner
// commands/helpers/archiver.go GetCompressionLevel,
// commands/helpers/archive/fastzip/zip_fastzip_archiver.go: zip.Store).
const StoredCompression = "fastest"

// File is one generated file, named relative to the output directory.
type File struct {
	Name string
	Data []byte
}

// Output is what Generate produced: the files (pipeline.yml, any
// shard-N.yml, manifest.json, and plan.md with Options.Plan) and the
// manifest they were described by.
type Output struct {
	Files    []File
	Manifest Manifest
	// Shards is the number of shard files; 0 when pipeline.yml holds every job.
	Shards int
}

// Generate lays out the plan's selected cells as child-pipeline YAML built
// from the templates.
func Generate(plan *matrix.Plan, tmpl Templates, opts Options) (*Output, error) {
	g, err := start(plan, tmpl, &opts, true)
	if err != nil {
		return nil, err
	}
	m, b, run, chains := plan.Matrix, g.b, g.run, g.chains
	out, laid, err := layout(m, chains, opts, g.report(opts))
	if err != nil {
		return nil, err
	}
	if err := checkFiles(m, out, laid, b.chains); err != nil {
		return nil, err
	}
	for _, id := range plan.IDs() {
		if run[id] {
			out.Manifest.Cells = append(out.Manifest.Cells, id)
		}
	}
	data, err := encodeManifest(&out.Manifest)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	out.Files = append(out.Files, File{Name: ManifestFile, Data: data})
	if opts.Plan != nil {
		out.Files = append(out.Files, File{Name: PlanFile, Data: opts.Plan})
	}
	if err := checkGenerateJobArchive(out.Files, opts); err != nil {
		return nil, err
	}
	return out, nil
}

// checkGenerateJobArchive refuses files the parent's generate job could not
// provide: its trigger job includes PipelineFile from the job's artifacts,
// which GitLab reads only from an archive of at most
// cicheck.MaxArtifactArchive (lib/gitlab/ci/artifact_file_reader.rb), and
// the archive holds every file Generate writes, the plan included
// (Options.Plan: the job writes it with generate --plan, not afterwards, so
// that it is counted here). At the runner's
// StoredCompression level they go in uncompressed, so past 5 MiB of files
// the trigger would fail; at any other level they deflate to a small part
// of that (TestArchiveBound). The component's generate job sets a
// compressing level itself; a project or group CI/CD variable still wins
// over a job's (doc/ci/variables/_index.md, precedence), so this is where a
// stored archive is caught, before the pipeline starts.
func checkGenerateJobArchive(files []File, opts Options) error {
	if opts.ArtifactCompression != StoredCompression {
		return nil
	}
	if size := archiveBound(files); size > cicheck.MaxArtifactArchive {
		what := fmt.Sprintf("%d %s", len(files), words.Plural("file", len(files)))
		if slices.ContainsFunc(files, func(f File) bool { return f.Name == PlanFile }) {
			what += ", " + PlanFile + " among them"
		}
		return fmt.Errorf("generate: ARTIFACT_COMPRESSION_LEVEL=%s makes the runner store the %s job's artifacts uncompressed, about %d bytes for these %s; GitLab includes %s only from a job whose archive is at most %d bytes (lib/gitlab/ci/artifact_file_reader.rb): set ARTIFACT_COMPRESSION_LEVEL to fast or above for that job, or run fewer cells (--only, or the changed profile)",
			StoredCompression, opts.GenerateJob, size, what, PipelineFile, cicheck.MaxArtifactArchive)
	}
	return nil
}

// started is a Generate or Count run with its chains written (or measured).
type started struct {
	b      *builder
	run    map[string]bool
	chains []*encodedChain
}

// report reports whether the files end with the self-report job: unless
// turned off, and unless no cell runs.
func (g *started) report(opts Options) bool { return !opts.NoReport && !g.b.nothing }

// start checks the options (filling in defaults), selects the cells and
// builds and writes their chains; with keep false the chains are measured,
// not kept.
func start(plan *matrix.Plan, tmpl Templates, opts *Options, keep bool) (*started, error) {
	if plan == nil || plan.Matrix == nil {
		return nil, fmt.Errorf("generate: no plan")
	}
	m := plan.Matrix
	if opts.MaxYAMLSize <= 0 {
		opts.MaxYAMLSize = cicheck.MaxYAMLSize(m.Pipeline.GitLab)
	}
	if opts.GenerateJob == "" {
		opts.GenerateJob = DefaultGenerateJob
	}
	if opts.ArtifactDir == "" {
		opts.ArtifactDir = "."
	}
	opts.ArtifactDir = path.Clean(opts.ArtifactDir)
	if m.Pipeline.Limits.MaxNeeds < 2 {
		return nil, fmt.Errorf("%s: pipeline.limits.max_needs: %d; a chain needs at least 2", m.Pipeline.Limits.MaxNeedsPos, m.Pipeline.Limits.MaxNeeds)
	}
	run, err := selectCells(plan, *opts)
	if err != nil {
		return nil, err
	}
	b := &builder{
		m:    m,
		plan: plan,
		run:  run,
		tc:   &templateCache{src: tmpl, image: m.Pipeline.Image, done: map[string]*prepared{}},
	}
	if err := b.build(); err != nil {
		return nil, err
	}
	chains := make([]*encodedChain, 0, len(b.chains))
	w := &writer{}
	for _, c := range b.chains {
		ec, err := encodeChain(m, c, w, keep)
		if err != nil {
			return nil, err
		}
		chains = append(chains, ec)
	}
	return &started{b: b, run: run, chains: chains}, nil
}

// Count returns how many jobs Generate writes for the plan, the router's
// jobs of a sharded layout included, without writing the files: each
// chain is measured (its bytes and parsed size, which decide the layout)
// and laid out, and nothing is kept, assembled, checked or listed. A
// matrix Count accepts may still be refused by Generate (pkg/validate
// runs Generate as the gate); plan only counts.
func Count(plan *matrix.Plan, tmpl Templates, opts Options) (int, error) {
	g, err := start(plan, tmpl, &opts, false)
	if err != nil {
		return 0, err
	}
	fs, err := newFiles(plan.Matrix, opts, g.report(opts))
	if err != nil {
		return 0, err
	}
	all, shards, err := split(fs, g.chains)
	if err != nil {
		return 0, err
	}
	provide, err := provideGroups(shards)
	if err != nil {
		return 0, err
	}
	return jobCount(all, shards, provide), nil
}

// selectCells returns the ids of the cells that run: every non-excluded
// cell, or opts.Cells, narrowed by opts.Only, plus the cells they need.
func selectCells(plan *matrix.Plan, opts Options) (map[string]bool, error) {
	var ids []string
	if opts.Cells == nil {
		ids = plan.IDs()
	} else {
		ids = opts.Cells
	}
	if len(opts.Only) > 0 {
		var kept []string
		for _, id := range ids {
			if MatchAny(opts.Only, id) {
				kept = append(kept, id)
			}
		}
		if len(kept) == 0 && opts.Cells == nil {
			return nil, fmt.Errorf("--only %s matches no cell of the matrix", joinSelectors(opts.Only))
		}
		ids = kept
	}
	return plan.Closure(ids), nil
}

// variableName is what GitLab accepts as a variable name.
var variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkVariable refuses distribution variables the loader refuses
// (matrix.ReservedVariable is the one definition): names that could change
// what a job runs rather than what it tests against. The loader has refused
// them already; this keeps a hand-built matrix from slipping one through.
func checkVariable(dist, name string) error {
	if !variableName.MatchString(name) {
		return fmt.Errorf("distributions.%s.variables: %q is not a CI variable name (letters, digits and _)", dist, name)
	}
	if why, reserved := matrix.ReservedVariable(name); reserved {
		return fmt.Errorf("distributions.%s.variables: %s is reserved: %s", dist, name, why)
	}
	return nil
}
