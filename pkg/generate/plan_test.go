package generate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
)

// TestPlanCountedInArchive: Options.Plan is written as PlanFile after the
// other files and counted in the generate job's archive with them. GitLab
// includes pipeline.yml only from an archive of at most 5 MiB
// (lib/gitlab/ci/artifact_file_reader.rb: MAX_ARCHIVE_SIZE, checked against
// job_artifacts_archive.size), which at ARTIFACT_COMPRESSION_LEVEL=fastest
// holds the files stored (gitlab-runner
// commands/helpers/archive/fastzip/zip_fastzip_archiver.go, zip.Store):
// files that fit alone but not with their plan are refused at that level,
// naming the variable to set and the plan, and written at the others.
func TestPlanCountedInArchive(t *testing.T) {
	t.Parallel()
	plan := load(t, filepath.Join(repo, "examples/minimal/matrix.yaml"))
	set := openTemplates(t, "")
	opts := Options{ArtifactDir: "out", GenerateJob: "sm-generate", ArtifactCompression: StoredCompression}
	out, err := Generate(plan, set, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out.Files {
		if f.Name == PlanFile {
			t.Errorf("%s written without Options.Plan", PlanFile)
		}
	}
	files := archiveBound(out.Files)
	if files > cicheck.MaxArtifactArchive/2 {
		t.Fatalf("the minimal example's files make %d bytes; the test needs them well under the limit", files)
	}
	// A plan whose archive alone is the limit less half the files'
	// (archiveBound counts a KiB as 1,032 bytes): each fits, both do not.
	opts.Plan = bytes.Repeat([]byte("plan "), (cicheck.MaxArtifactArchive-files/2)/1032*1024/5)
	if alone := archiveBound([]File{{Name: PlanFile, Data: opts.Plan}}); alone > cicheck.MaxArtifactArchive || files+alone <= cicheck.MaxArtifactArchive {
		t.Fatalf("the plan alone makes %d bytes, the files %d; want each under the limit of %d, both over it", alone, files, cicheck.MaxArtifactArchive)
	}
	_, err = Generate(plan, set, opts)
	for _, want := range []string{"ARTIFACT_COMPRESSION_LEVEL=fastest", "the sm-generate job's artifacts", PlanFile + " among them", "set ARTIFACT_COMPRESSION_LEVEL to fast or above"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("files and plan stored: %v; want them refused, saying %q", err, want)
		}
	}
	opts.ArtifactCompression = "fast"
	withPlan, err := Generate(plan, set, opts)
	if err != nil {
		t.Fatalf("files and plan at fast: %v", err)
	}
	last := withPlan.Files[len(withPlan.Files)-1]
	if last.Name != PlanFile || !bytes.Equal(last.Data, opts.Plan) || len(withPlan.Files) != len(out.Files)+1 {
		t.Errorf("files %d, the last %s of %d bytes; want the %d files, then %s as given", len(withPlan.Files), last.Name, len(last.Data), len(out.Files), PlanFile)
	}
	// Write takes the plan for a file generate writes: a re-run replaces
	// the directory.
	dir := filepath.Join(t.TempDir(), "out")
	for range 2 {
		if err := withPlan.Write(dir); err != nil {
			t.Fatal(err)
		}
	}
	if data, err := os.ReadFile(filepath.Join(dir, PlanFile)); err != nil || !bytes.Equal(data, opts.Plan) {
		t.Errorf("%s in the written directory: %d bytes, %v", PlanFile, len(data), err)
	}
}
