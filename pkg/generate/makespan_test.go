package generate

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"go.yaml.in/yaml/v3"
)

// BenchmarkMakespan runs the local example, every job sleeping the same
// time, through gitlab-ci-local with limited concurrency: once as generated
// (a DAG of chains) and once with the same jobs in plain stages (needs
// removed). It reports both makespans against the lower bound max(critical
// path, total work / concurrency), computed twice: with the nominal sleep,
// and with the job durations gitlab-ci-local measured in the DAG run (its
// per-job overhead included).
//
//	go test ./pkg/generate -run XXX -bench Makespan -benchtime 1x
func BenchmarkMakespan(b *testing.B) {
	bin, err := localci.LookupIn(os.Getenv, "")
	if err != nil {
		b.Skipf("gitlab-ci-local not installed: %v", err)
	}
	const sleep, concurrency = 2, 6
	plan := load(b, filepath.Join(repo, "examples/local/matrix.yaml"))
	for _, d := range plan.Matrix.Distributions {
		var vars []matrix.KV
		for _, v := range d.Variables {
			if v.Key != "SIM_SLEEP" && v.Key != "SIM_FAIL" {
				vars = append(vars, v)
			}
		}
		d.Variables = append(vars, matrix.KV{Key: "SIM_SLEEP", Value: strconv.Itoa(sleep)})
	}
	out, err := Generate(plan, openTemplates(b, filepath.Join(repo, "examples/local/templates")), Options{NoReport: true})
	if err != nil {
		b.Fatal(err)
	}
	data := out.Files[0].Data
	needs := parseNeeds(b, data)
	depth := map[string]int{}
	var longest func(string) int
	longest = func(j string) int {
		if d, ok := depth[j]; ok {
			return d
		}
		d := 1
		for _, n := range needs[j] {
			d = max(d, 1+longest(n))
		}
		depth[j] = d
		return d
	}
	path := 0
	for j := range needs {
		path = max(path, longest(j))
	}
	jobs := len(needs)
	lower := time.Duration(max(path, (jobs+concurrency-1)/concurrency)) * sleep * time.Second

	staged := withoutNeeds(b, data)
	for i := 0; i < b.N; i++ {
		dag, res := runFile(b, bin, data, concurrency)
		stages, _ := runFile(b, bin, staged, concurrency)
		took := map[string]time.Duration{}
		var total time.Duration
		for _, j := range res.Jobs {
			took[j.Name] = j.Duration
			total += j.Duration
		}
		end := map[string]time.Duration{}
		var finish func(string) time.Duration
		finish = func(j string) time.Duration {
			if e, ok := end[j]; ok {
				return e
			}
			var start time.Duration
			for _, n := range needs[j] {
				start = max(start, finish(n))
			}
			end[j] = start + took[j]
			return end[j]
		}
		measured := total / concurrency
		for j := range needs {
			measured = max(measured, finish(j))
		}
		b.ReportMetric(measured.Seconds(), "measured-bound-s")
		b.ReportMetric(dag.Seconds()/measured.Seconds(), "dag/measured-bound")
		b.ReportMetric(dag.Seconds(), "dag-s")
		b.ReportMetric(stages.Seconds(), "stages-s")
		b.ReportMetric(lower.Seconds(), "bound-s")
		b.ReportMetric(dag.Seconds()/lower.Seconds(), "dag/bound")
		b.ReportMetric(stages.Seconds()/lower.Seconds(), "stages/bound")
	}
	b.Logf("%d jobs, critical path %d jobs, %ds each, concurrency %d", jobs, path, sleep, concurrency)
}

// runFile runs a pipeline file with gitlab-ci-local and returns the wall time.
func runFile(b *testing.B, bin string, data []byte, concurrency int) (time.Duration, *localci.Result) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	res, err := localci.Run(context.Background(), localci.Options{Binary: bin, Env: os.Environ(), Dir: dir, Concurrency: concurrency})
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	for _, j := range res.Jobs {
		if j.Status != localci.Success {
			b.Fatalf("%s: %s", j.Name, j.Status)
		}
	}
	return took, res
}

// withoutNeeds removes every needs key: the jobs then run stage by stage.
func withoutNeeds(b *testing.B, data []byte) []byte {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	for i := 1; i < len(doc.Content[0].Content); i += 2 {
		job := doc.Content[0].Content[i]
		if job.Kind != yaml.MappingNode {
			continue
		}
		for k := 0; k+1 < len(job.Content); k += 2 {
			if job.Content[k].Value == "needs" {
				job.Content = append(job.Content[:k], job.Content[k+2:]...)
				break
			}
		}
	}
	outb, err := encode(doc.Content[0])
	if err != nil {
		b.Fatal(err)
	}
	return outb
}
