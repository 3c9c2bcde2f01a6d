package collect

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// bigTree fills s with a parent pipeline, a router child and shards of
// jobsPerShard cell jobs each (a tenth of them retried once), and returns
// the manifest and the number of jobs each pipeline lists.
func bigTree(s *gitlabtest.Server, shards, jobsPerShard int) (*Manifest, map[int64]int) {
	m := &Manifest{Schema: ManifestSchema}
	listed := map[int64]int{}
	s.AddPipeline(gitlabtest.Pipeline{ID: 1, Source: "schedule", Ref: "main"})
	s.AddJob(1, gitlabtest.Job{ID: 10, Name: "generate"})
	s.AddBridge(1, gitlabtest.Bridge{ID: 11, Name: "supportmatrix", Downstream: 2})
	listed[1] = 2
	s.AddPipeline(gitlabtest.Pipeline{ID: 2, Source: "parent_pipeline"})
	s.AddJob(2, gitlabtest.Job{ID: 20, Name: "shards"})
	listed[2] = 1 + shards
	id := int64(1000)
	for sh := 1; sh <= shards; sh++ {
		pid := int64(100 + sh)
		file := fmt.Sprintf("shard-%d.yml", sh)
		trigger := fmt.Sprintf("shard %d/%d", sh, shards)
		m.Jobs = append(m.Jobs, ManifestJob{Name: trigger, File: "pipeline.yml", Kind: KindTrigger, Target: file})
		s.AddBridge(2, gitlabtest.Bridge{ID: int64(30 + sh), Name: trigger, Downstream: pid})
		s.AddPipeline(gitlabtest.Pipeline{ID: pid, Source: "parent_pipeline"})
		var suites []gitlabtest.TestSuite
		for j := range jobsPerShard {
			name := fmt.Sprintf("d%d 1.%d: [f%d]", sh, 30+j/20, j%20)
			cell := fmt.Sprintf("d%d/1.%d/f%d", sh, 30+j/20, j%20)
			m.Jobs = append(m.Jobs, ManifestJob{Name: name, File: file, Kind: KindTest, Cell: cell, Action: "run"})
			if j%10 == 0 {
				id++
				s.AddJob(pid, gitlabtest.Job{ID: id, Name: name, Status: "failed"})
				listed[pid]++
			}
			id++
			s.AddJob(pid, gitlabtest.Job{ID: id, Name: name, Duration: 10})
			listed[pid]++
			if j%20 == 0 {
				suites = append(suites, gitlabtest.TestSuite{Name: fmt.Sprintf("d%d 1.%d", sh, 30+j/20), Cases: []gitlabtest.TestCase{
					{Classname: "supportmatrix", Name: fmt.Sprintf("server version v1.%d.1", 30+j/20), Status: "success"},
				}})
			}
		}
		s.SetTestReport(pid, suites)
	}
	return m, listed
}

// TestPipelineRequestBudgetLarge holds a tree of 5 shards of 250 cells to
// the request budget; -short takes 2 of them, still three pages a shard
// (the full run has the 1,250 cells).
func TestPipelineRequestBudgetLarge(t *testing.T) {
	shards := 5
	if testing.Short() {
		shards = 2
	}
	s := gitlabtest.New(t)
	m, listed := bigTree(s, shards, 250)
	run, _, err := Pipeline(context.Background(), newClient(t, s, nil), 1, Options{Manifest: m, DefaultBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Cells) != shards*250 {
		t.Fatalf("%d cells, want %d", len(run.Cells), shards*250)
	}
	flaky := 0
	for _, c := range run.Cells {
		if c.Status == results.Flaky {
			flaky++
		}
		if c.ServerVersion == "" {
			t.Fatalf("%s: no server version", c.Cell)
		}
	}
	if flaky != shards*25 {
		t.Errorf("%d flaky cells, want %d", flaky, shards*25)
	}
	budget := 5
	for _, n := range listed {
		budget += (n+99)/100 + 2
	}
	if got := s.Requests(); got > int64(budget) {
		t.Errorf("%d requests, budget %d", got, budget)
	}
	t.Logf("%d requests for %d pipelines (budget %d)", s.Requests(), len(listed), budget)
}

// BenchmarkPipeline5000Jobs collects 5,000 cell jobs in 10 shards (5,500
// attempts with retries) from a fake answering each request in 20 ms, and
// reports the requests made, the ideal time (requests × latency ÷
// concurrency) and the ratio of the measured time to it. The latency=0 case
// measures the CPU cost alone (JSON in the fake and in the client), which
// the ideal leaves out.
func BenchmarkPipeline5000Jobs(b *testing.B) {
	for _, tc := range []struct {
		latency time.Duration
		conc    int
	}{{0, 4}, {20 * time.Millisecond, 4}, {20 * time.Millisecond, 8}} {
		latency, conc := tc.latency, tc.conc
		b.Run(fmt.Sprintf("latency=%v/concurrency=%d", latency, conc), func(b *testing.B) {
			s := gitlabtest.New(b)
			m, _ := bigTree(s, 10, 500)
			s.SetLatency(latency)
			c := newClient(b, s, func(cfg *gitlab.Config) { cfg.Concurrency = conc })
			b.ResetTimer()
			start := time.Now()
			before := s.Requests()
			for range b.N {
				if _, _, err := Pipeline(context.Background(), c, 1, Options{Manifest: m, DefaultBranch: "main", Concurrency: conc}); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start) / time.Duration(b.N)
			reqs := float64(s.Requests()-before) / float64(b.N)
			ideal := time.Duration(reqs * float64(latency) / float64(conc))
			b.ReportMetric(reqs, "requests/op")
			b.ReportMetric(float64(ideal.Milliseconds()), "ideal-ms/op")
			if ideal > 0 {
				b.ReportMetric(float64(elapsed)/float64(ideal), "x-ideal")
			}
		})
	}
}
