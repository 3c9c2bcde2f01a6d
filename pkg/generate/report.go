package generate

import (
	"fmt"
	"path"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// The self-report job ends every generated file that holds cells
// (pipeline.yml, or each shard-N.yml behind a router): it reports on its own
// pipeline with nothing but the CI job token, so that a merge request on a
// GitLab where the parent has no project token (merge-request pipelines get
// no protected variables, a fork's never gets the target's) still shows the
// plan and the results.
//
// A job token may list its pipeline's jobs (GET
// /projects/:id/pipelines/:pipeline_id/jobs is `job_token_allowed: true` in
// lib/api/ci/pipelines.rb) and download a job's artifacts (GET
// /projects/:id/jobs/:job_id/artifacts, lib/api/ci/job_artifacts.rb), and
// nothing else collect reads: the manifest comes from the parent's generate
// job's artifacts, the statuses from the pipeline's jobs, test counts from
// each cell job's JUnit files. The job writes the results as Markdown (with
// the plan) and JSON under ReportDir, exposed with artifacts:expose_as, and
// as a JUnit report of one case per cell, which the merge request's test
// widget shows (child pipelines' reports from GitLab 18.5).
const (
	// ReportJob names the self-report job of pipeline.yml; a shard's is
	// ReportJobName("shard-N.yml").
	ReportJob = "supportmatrix report"
	// KindReport is its kind in the manifest: not a cell job, never a
	// cluster job; collect leaves it out of every run, its own included.
	KindReport = "report"
	// ReportDir is the directory of the job's artifacts, relative to the
	// project directory.
	ReportDir = "supportmatrix-report"
	// ReportExposeAs is the link text of the job's artifacts. GitLab takes
	// letters, digits, '-', '_' and spaces, at most 100 characters
	// (lib/gitlab/ci/config/entry/artifacts.rb EXPOSE_AS_REGEX).
	ReportExposeAs = "supportmatrix results"
	// ManifestPipelineVariable holds the id of the pipeline whose generate
	// job holds the manifest: the parent's trigger passes PARENT_PIPELINE_ID
	// to pipeline.yml, whose report job reads it; a router passes it on to
	// its shards under this name.
	ManifestPipelineVariable = "SUPPORTMATRIX_MANIFEST_PIPELINE"
)

// The other variables the report job sets for its commands: the
// environment variables of collect's and render's flags (pkg/cli reads
// its flags from them by these names).
const (
	ManifestVariable    = "SUPPORTMATRIX_MANIFEST"
	ManifestJobVariable = "SUPPORTMATRIX_MANIFEST_JOB"
	FileVariable        = "SUPPORTMATRIX_FILE"
	MatrixVariable      = "SUPPORTMATRIX_MATRIX"
	ResultsVariable     = "SUPPORTMATRIX_RESULTS"
)

// stageReport is the last stage of a generated file. The report job has no
// needs, so GitLab schedules it by stage: it starts once every job of the
// earlier stages has finished, failed or skipped ones included with
// `when: always` (a job with needs, even only needs:pipeline, is scheduled
// as a DAG job and would start at once: lib/gitlab/ci/config/entry/job.rb
// `scheduling_type: needs_defined? ? :dag : :stage`).
const stageReport = "report"

// reportScript is the job's script. It holds no matrix value: everything it
// reads comes through the job's variables. The tokens read before the job
// token (ci.TokenVariables: SUPPORTMATRIX_TOKEN, GITLAB_TOKEN) are emptied
// for the command, so collect uses CI_JOB_TOKEN and the report is the same
// on every GitLab, with or without secrets.
var reportScript = []string{
	ci.TokenVariable + `= ` + ci.GitLabTokenVariable + `= supportmatrix collect --pipeline "$CI_PIPELINE_ID"`,
	`if [ -f "$SM_PLAN" ]; then set -- --plan "$SM_PLAN"; fi; supportmatrix render --format run "$@" --out "$SM_REPORT_DIR/results.md"`,
	`supportmatrix render --format junit --out "$SM_REPORT_DIR/junit.xml"`,
}

// reportPart is the self-report job of one file: its text (a top-level
// mapping entry), its tree (for pkg/cicheck) and its deepSize estimate.
type reportPart struct {
	text []byte
	high int        // bytes of text from 144 up (archiveBound)
	tree *yaml.Node // a mapping of the one entry
	size int
}

// reportJob renders the self-report job of the generated file named file.
func reportJob(m *matrix.Matrix, file string, opts Options) (*reportPart, error) {
	j := newMapping()
	j.set("stage", str(stageReport))
	vars := newMapping()
	manifest := path.Join(opts.ArtifactDir, ManifestFile)
	vars.set(ManifestVariable, str(manifest))
	vars.set(ManifestJobVariable, str(opts.GenerateJob))
	if file == PipelineFile {
		// A shard gets it from its router's trigger job instead, as a
		// pipeline variable (which a job variable would not override).
		vars.set(ManifestPipelineVariable, str("$PARENT_PIPELINE_ID"))
	}
	vars.set(FileVariable, str(file))
	if opts.MatrixFile != "" && cicheck.Inside(opts.MatrixFile) {
		vars.set(MatrixVariable, str(path.Clean(opts.MatrixFile)))
	}
	vars.set(ResultsVariable, str(path.Join(ReportDir, results.FileName)))
	vars.set("SM_PLAN", str(path.Join(opts.ArtifactDir, PlanFile)))
	vars.set("SM_REPORT_DIR", str(ReportDir))
	j.set("variables", vars.n)
	if img := reportImage(m, opts); img != "" {
		j.set("image", str(img))
	}
	j.set("script", strs(reportScript))
	// `when: always` inside the rule: a matched rule's when replaces the
	// job's (lib/gitlab/ci/build/rules.rb), so it is said where it counts.
	always := newMapping()
	always.set("when", str("always"))
	j.set("rules", seq(always.n))
	art := newMapping()
	art.set("when", str("always"))
	// expose_as needs paths without '*' (lib/gitlab/ci/config/entry/
	// artifacts.rb); a directory links to the artifacts browser.
	art.set("expose_as", str(ReportExposeAs))
	art.set("paths", strs([]string{ReportDir + "/"}))
	reports := newMapping()
	reports.set("junit", str(path.Join(ReportDir, "junit.xml")))
	art.set("reports", reports.n)
	j.set("artifacts", art.n)
	if r := retryNode(m.Pipeline.Retry); r != nil {
		j.set("retry", r)
	}
	if interruptible(m, false) {
		j.set("interruptible", boolean(true))
	}
	// The report is a view of the cells, not a cell: when it cannot be
	// written (no supportmatrix in the image, GitLab unreachable) the
	// pipeline shows a warning, and its status stays the cells'.
	j.set("allow_failure", boolean(true))
	doc := newMapping()
	doc.set(ReportJobName(file), j.n)
	out, err := encode(doc.n)
	if err != nil {
		return nil, fmt.Errorf("encode the report job of %s: %w", file, err)
	}
	return &reportPart{text: out, high: highBytes(out), tree: doc.n, size: deepSize(doc.n)}, nil
}

// reportImage is the image of the report job: Options.ReportImage, else
// the matrix's pipeline.image ("" leaves the runner's default).
func reportImage(m *matrix.Matrix, opts Options) string {
	if opts.ReportImage != "" {
		return opts.ReportImage
	}
	return m.Pipeline.Image
}

// reportEntry is the report job's manifest entry for file.
func reportEntry(file string) ManifestJob {
	name := ReportJobName(file)
	return ManifestJob{Name: name, File: file, Kind: KindReport, Suite: cicheck.GroupName(name)}
}

// ReportJobName names the report job of a generated file: ReportJob in
// pipeline.yml, "supportmatrix report: shard-2" in shard-2.yml. Each shard's
// name is its own, so that its JUnit report is a test suite of its own where
// the reports of a pipeline's children meet (the merge request's test
// widget; GitLab names a suite after the job's group, app/models/ci/build.rb
// test_suite_name, and ": shard-2" is no group suffix,
// app/models/commit_status.rb group_name), and gitlab-ci-local, which keeps
// artifacts by job name, keeps each shard's apart.
func ReportJobName(file string) string {
	if file == PipelineFile {
		return ReportJob
	}
	return ReportJob + ": " + trimExt(file)
}
