package generate

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// largeMatrix writes a matrix of dists distributions × 10 minors × 20
// features (dists × 200 cells; 30 gives the 6,000-cell large example), half
// on permanent clusters, half ephemeral with upgrades, some with skew cells,
// with rules of every action.
func largeMatrix(dists int) []byte {
	var b strings.Builder
	b.WriteString("schema: supportmatrix/v1\nkubernetes:\n  versions: [")
	for i := 0; i < 10; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "\"1.%d\"", 28+i)
	}
	b.WriteString("]\ndistributions:\n")
	for d := 0; d < dists; d++ {
		fmt.Fprintf(&b, "  dist-%d:\n    name: Distribution %d\n    tier: community\n", d, d)
		if d%2 == 0 {
			fmt.Fprintf(&b, "    cluster: {type: permanent, context: \"agents:dist-%d-{minor}\"}\n", d)
		} else {
			b.WriteString("    cluster: {type: ephemeral, provision: kind-provision, teardown: kind-teardown}\n")
			if d%4 == 1 {
				b.WriteString("    skew: {max_behind: 2, verify: [f0]}\n")
			}
		}
		fmt.Fprintf(&b, "    tags: [runner-%d]\n    variables: {REGION: region-%d}\n", d%3, d)
	}
	b.WriteString("features:\n")
	for f := 0; f < 20; f++ {
		fmt.Fprintf(&b, "  f%d:\n    name: Feature %d\n    template: deploy\n    timeout: 30m\n", f, f)
		if f > 0 {
			fmt.Fprintf(&b, "    needs: [f%d]\n", (f-1)/3)
		}
	}
	b.WriteString(`rules:
  - match: {distribution: dist-0, feature: f19}
    action: exclude
    reason: not offered
  - match: {distribution: dist-2, feature: f18}
    action: manual
    reason: run by hand
  - match: {distribution: dist-2, feature: f17}
    action: allow_failure
    reason: known failure
upgrades:
  path: adjacent
  verify: [f0, f1]
pipeline:
  image: alpine/k8s:1.34.2
  strategy: depend
  retry: {max: 1, when: [runner_system_failure]}
  interruptible: true
  limits: {max_jobs: 500, max_needs: 50}
`)
	return []byte(b.String())
}

func largePlan(t testing.TB, dists int) *matrix.Plan {
	m, err := matrix.Parse("large.yaml", largeMatrix(dists))
	if err != nil {
		t.Fatalf("large matrix: %v", err)
	}
	return matrix.Expand(m)
}

// parseNeeds returns each job's needs (job names) in a generated file.
func parseNeeds(t testing.TB, data []byte) map[string][]string {
	t.Helper()
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse generated YAML: %v", err)
	}
	out := make(map[string][]string, len(doc))
	for name, j := range doc {
		if name == "stages" || name == "workflow" || strings.HasPrefix(name, ".") {
			continue // not jobs: the stages, workflow and the hidden templates
		}
		needs := []string{}
		var list []*yaml.Node
		if n := get(&j, "needs"); n != nil {
			list = n.Content
		}
		for _, n := range list {
			switch n.Kind {
			case yaml.ScalarNode:
				needs = append(needs, n.Value)
			case yaml.MappingNode:
				if get(n, "pipeline") != nil {
					continue // the parent pipeline's generate job
				}
				needs = append(needs, get(n, "job").Value)
			}
		}
		out[name] = needs
	}
	return out
}

// TestLargeLimits generates the 6,000-cell example and checks GitLab's
// limits on every file: names, needs, jobs per pipeline, size.
func TestLargeLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 6,000-cell input; the full run checks it")
	}
	plan := largePlan(t, 30)
	if n := len(plan.Cells); n < 6000 {
		t.Fatalf("large example has %d cells, want at least 6000", n)
	}
	out, err := Generate(plan, openTemplates(t, ""), Options{ArtifactDir: "out"})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if out.Shards < 2 {
		t.Fatalf("the large example fits one pipeline? shards = %d", out.Shards)
	}
	limits := plan.Matrix.Pipeline.Limits
	total := 0
	for _, f := range out.Files {
		if !strings.HasSuffix(f.Name, ".yml") {
			continue
		}
		if len(f.Data) >= 2*1000*1000 {
			t.Errorf("%s is %d bytes, over GitLab's 2 MB", f.Name, len(f.Data))
		}
		jobs := parseNeeds(t, f.Data)
		if len(jobs) > limits.MaxJobs {
			t.Errorf("%s has %d jobs, more than max_jobs %d", f.Name, len(jobs), limits.MaxJobs)
		}
		total += len(jobs)
		for name, needs := range jobs {
			if len(name) > cicheck.MaxJobName {
				t.Errorf("%s: job name %q is %d characters", f.Name, name, len(name))
			}
			if len(needs) > limits.MaxNeeds {
				t.Errorf("%s: %q needs %d jobs, more than max_needs %d", f.Name, name, len(needs), limits.MaxNeeds)
			}
			for _, n := range needs {
				if len(n) > cicheck.MaxNeededJobName {
					t.Errorf("%s: needed job %q is %d characters", f.Name, n, len(n))
				}
				if _, ok := jobs[n]; !ok {
					t.Errorf("%s: %q needs %q, which is not in the same file", f.Name, name, n)
				}
			}
		}
	}
	if total != len(out.Manifest.Jobs) {
		t.Errorf("files hold %d jobs, the manifest lists %d", total, len(out.Manifest.Jobs))
	}
}

// largeExample returns the plan of examples/large (6,660 cells, 7,139
// jobs) with k copies of each distribution (k = 1: the example itself),
// each copy's id suffixed "-cN"; rules that name a distribution keep to the
// original.
func largeExample(tb testing.TB, k int) *matrix.Plan {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "examples/large/matrix.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	if k > 1 {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			tb.Fatal(err)
		}
		dists := get(doc.Content[0], "distributions")
		orig := dists.Content
		for i := 2; i <= k; i++ {
			for j := 0; j+1 < len(orig); j += 2 {
				id := *orig[j]
				id.Value = fmt.Sprintf("%s-c%d", id.Value, i)
				dists.Content = append(dists.Content, &id, orig[j+1])
			}
		}
		if data, err = yaml.Marshal(&doc); err != nil {
			tb.Fatal(err)
		}
	}
	m, err := matrix.Parse("large.yaml", data)
	if err != nil {
		tb.Fatal(err)
	}
	return matrix.Expand(m)
}

// BenchmarkGenerate measures generating the large example (examples/large,
// 6,660 cells) at 1× and 10× (66,600 cells), files and manifest in memory,
// GitLab's rules checked (issue 14: 8,000 cells in 100 ms and 50 MB,
// linear to 80,000). The cells metric is per run.
func BenchmarkGenerate(b *testing.B) {
	for _, scale := range []int{1, 10} {
		b.Run(fmt.Sprintf("large=%dx", scale), func(b *testing.B) {
			plan := largeExample(b, scale) // b.Loop times only the loop
			set := openTemplates(b, "")
			b.ReportAllocs()
			var out *Output
			for b.Loop() {
				var err error
				if out, err = Generate(plan, set, Options{ArtifactDir: "out"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(out.Manifest.Cells)), "cells")
			b.ReportMetric(float64(len(out.Manifest.Jobs)), "jobs")
		})
	}
}

// TestYAMLSizeFollowsTarget: GitLab's default max_yaml_size_bytes was 1 MB
// before 17.3 and is 2 MB since (cicheck.MaxYAMLSize); each file is sized
// for the matrix's pipeline.gitlab, so a program for 17.0 is cut into more
// shards, each under 1 MB parsed.
func TestYAMLSizeFollowsTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 6,000-cell input; the full run checks it")
	}
	shards := map[cicheck.Version]int{}
	for _, target := range []cicheck.Version{{Major: 17, Minor: 0}, {Major: 17, Minor: 3}} {
		plan := largePlan(t, 30)
		plan.Matrix.Pipeline.GitLab = target
		plan.Matrix.Pipeline.Strategy = "depend"
		plan.Matrix.Pipeline.Limits.MaxJobs = 100000 // only the size limit cuts
		out, err := Generate(plan, openTemplates(t, ""), Options{ArtifactDir: "out"})
		if err != nil {
			t.Fatalf("GitLab %s: %v", target, err)
		}
		shards[target] = out.Shards
		for _, f := range out.Files {
			if !strings.HasSuffix(f.Name, ".yml") {
				continue
			}
			var doc yaml.Node
			if err := yaml.Unmarshal(f.Data, &doc); err != nil {
				t.Fatal(err)
			}
			if size, max := deepSize(&doc), cicheck.MaxYAMLSize(target); size > max {
				t.Errorf("GitLab %s: %s is about %d bytes parsed, over the %d GitLab %s takes", target, f.Name, size, max, target)
			}
		}
	}
	if shards[cicheck.Version{Major: 17, Minor: 0}] <= shards[cicheck.Version{Major: 17, Minor: 3}] {
		t.Errorf("shards: %v; want more for 17.0's 1 MB limit than for 17.3's 2 MB", shards)
	}
}

// TestArchiveSizeEstimate compares archiveSize, which holds the router's
// provide job to GitLab's 5 MiB include:artifact archive limit
// (lib/gitlab/ci/artifact_file_reader.rb), with a real zip archive of the
// large example's shard files: the estimate must not be below it.
func TestArchiveSizeEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 6,000-cell input; the full run checks it")
	}
	out, err := Generate(largePlan(t, 30), openTemplates(t, ""), Options{ArtifactDir: "out"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range out.Files[1:] {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "out/" + f.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.Data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	got, real := archiveSize(out.Files[1:]), buf.Len()
	if bound := archiveBound(out.Files[1:]); bound < got {
		t.Errorf("archiveBound %d is below archiveSize %d", bound, got)
	}
	noise := make([]byte, 3<<20)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(noise) // ChaCha8.Read never fails
	for _, files := range [][]File{{{Name: "noise", Data: noise}}, {{Name: "empty"}}, {{Name: "a", Data: bytes.Repeat([]byte("a"), 1<<20)}}, {{Name: "high", Data: bytes.Repeat([]byte{0xff, 0x90, 0x8f}, 1<<18)}}} {
		if bound, size := archiveBound(files), archiveSize(files); bound < size {
			t.Errorf("%s: archiveBound %d is below archiveSize %d", files[0].Name, bound, size)
		}
	}
	if got < real || got > real+real/10 {
		t.Errorf("estimate %d bytes, real zip %d: want at least the real size, at most 10%% more", got, real)
	}
	t.Logf("%d shard files: zip %d bytes, estimate %d, limit %d", len(out.Files)-1, real, got, cicheck.MaxArtifactArchive)
}
