package generate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// repo is the repository root, relative to this package.
const repo = "../.."

func load(t testing.TB, file string) *matrix.Plan {
	t.Helper()
	m, err := matrix.Load(file)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return matrix.Expand(m)
}

func openTemplates(t testing.TB, dir string) *jobs.Set {
	t.Helper()
	set, err := jobs.Open(dir)
	if err != nil {
		t.Fatalf("open templates %q: %v", dir, err)
	}
	return set
}

// examples are the matrices every golden test generates.
var examples = []struct {
	name, matrix, templates string
}{
	{"minimal", "examples/minimal/matrix.yaml", ""},
	{"local", "examples/local/matrix.yaml", "examples/local/templates"},
	{"project", "matrix/matrix.yaml", ""},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			plan := load(t, filepath.Join(repo, ex.matrix))
			tdir := ""
			if ex.templates != "" {
				tdir = filepath.Join(repo, ex.templates)
			}
			out, err := Generate(plan, openTemplates(t, tdir), Options{ArtifactDir: "out"})
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			for _, f := range out.Files {
				golden.Assert(t, filepath.Join(ex.name, f.Name+".golden"), f.Data)
			}
			again, err := Generate(load(t, filepath.Join(repo, ex.matrix)), openTemplates(t, tdir), Options{ArtifactDir: "out"})
			if err != nil {
				t.Fatalf("generate again: %v", err)
			}
			if len(again.Files) != len(out.Files) {
				t.Fatalf("second run wrote %d files, first %d", len(again.Files), len(out.Files))
			}
			for i := range out.Files {
				if !bytes.Equal(out.Files[i].Data, again.Files[i].Data) {
					t.Errorf("%s differs between two runs on the same input", out.Files[i].Name)
				}
			}
		})
	}
}

// TestRouterArtifactDir: the router names the shard files in artifacts:paths
// and include:artifact through the output directory, and a runner archives
// only paths inside the project (gitlab-runner
// commands/helpers/file_archiver.go): an absolute or ../ directory is
// refused, never copied into the pipeline.
func TestRouterArtifactDir(t *testing.T) {
	t.Parallel()
	for dir, ok := range map[string]bool{
		"out": true, "./ci/out/": true, ".": true,
		"../out": false, "/builds/out": false, "out/../../x": false,
	} {
		plan := load(t, filepath.Join(repo, "examples/local/matrix.yaml"))
		plan.Matrix.Pipeline.Limits.MaxJobs = 20
		out, err := Generate(plan, openTemplates(t, filepath.Join(repo, "examples/local/templates")), Options{ArtifactDir: dir})
		switch {
		case ok && err != nil:
			t.Errorf("--out %q: %v", dir, err)
		case ok && out.Shards == 0:
			t.Errorf("--out %q: no shards", dir)
		case !ok && err == nil:
			t.Errorf("--out %q: accepted; the router reads:\n%s", dir, out.Files[0].Data)
		case !ok && !strings.Contains(err.Error(), "not inside the project"):
			t.Errorf("--out %q: %v", dir, err)
		}
	}
}

// TestPermanentClusterSerialised: every job that acts on a permanent
// cluster holds the cluster's resource group (one per distribution ×
// minor), so no two pipelines, a merge request's and the nightly's, run
// jobs on one cluster at once (GitLab runs one job of a resource group at a
// time across the project's pipelines, app/models/ci/resource_group.rb).
func TestPermanentClusterSerialised(t *testing.T) {
	t.Parallel()
	plan := load(t, filepath.Join(repo, "matrix/matrix.yaml"))
	out, err := Generate(plan, openTemplates(t, ""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out.Files[0].Data, &doc); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, j := range out.Manifest.Jobs {
		d := plan.Matrix.Distribution(j.Distribution)
		if d == nil || d.Cluster.Type != matrix.ClusterPermanent || j.Kind != KindTest {
			continue
		}
		want := "supportmatrix/" + j.Distribution + "/" + j.Kubernetes
		job, _ := doc[j.Name].(map[string]any)
		if got := job["resource_group"]; got != want {
			t.Errorf("%s: resource_group %v, want %s (one per cluster)", j.Name, got, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no job on a permanent cluster")
	}
}

// TestCountMatchesGenerate: Count gives the number of jobs Generate
// writes, for every cell and for a few, in one file and in shards.
func TestCountMatchesGenerate(t *testing.T) {
	t.Parallel()
	for name, plan := range testPlans(t) {
		tmpl := openTemplates(t, "")
		if name == "local" {
			tmpl = openTemplates(t, filepath.Join(repo, "examples/local/templates"))
		}
		ids := plan.IDs()
		for _, opts := range []Options{{}, {Cells: ids[:len(ids)/3]}, {Cells: []string{}}, {MaxYAMLSize: 200000}} {
			out, err := Generate(plan, tmpl, opts)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			n, err := Count(plan, tmpl, opts)
			if err != nil {
				t.Fatalf("%s: count: %v", name, err)
			}
			if n != len(out.Manifest.Jobs) {
				t.Errorf("%s with %d cells: Count %d, Generate wrote %d jobs (%d shards)", name, len(opts.Cells), n, len(out.Manifest.Jobs), out.Shards)
			}
		}
	}
}

// TestTemplatesPreparedByContent: templates are prepared once per process
// (sharedPrepared), keyed by their bytes, so an override edited between two
// Generate calls, or another default image, is what the next call writes.
func TestTemplatesPreparedByContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "features"), 0o755); err != nil {
		t.Fatal(err)
	}
	deploy := filepath.Join(dir, "features", "deploy.yml")
	pipeline := func(script, image string) string {
		t.Helper()
		if err := os.WriteFile(deploy, []byte("script:\n  - "+script+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		plan := load(t, filepath.Join(repo, "examples/minimal/matrix.yaml"))
		plan.Matrix.Pipeline.Image = image
		out, err := Generate(plan, openTemplates(t, dir), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return string(out.Files[0].Data)
	}
	for _, tc := range []struct{ script, image, absent string }{
		{"echo first-edit", "registry.test/first:1", ""},
		{"echo second-edit", "registry.test/first:1", "first-edit"},
		{"echo second-edit", "registry.test/second:2", "registry.test/first:1"},
	} {
		got := pipeline(tc.script, tc.image)
		for _, want := range []string{tc.script, "image: " + tc.image} {
			if !strings.Contains(got, want) {
				t.Errorf("script %q, image %q: the pipeline lacks %q", tc.script, tc.image, want)
			}
		}
		if tc.absent != "" && strings.Contains(got, tc.absent) {
			t.Errorf("script %q, image %q: the pipeline still has %q from an earlier call", tc.script, tc.image, tc.absent)
		}
	}
}
