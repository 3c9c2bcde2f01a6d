package gitlab_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
)

// BenchmarkPipelineTree5000Jobs collects 5,000 jobs spread over a parent, a
// router child and five shard grandchildren (1,000 jobs each) from a fake
// answering every request after 20 ms, at concurrency 4. It reports the
// requests per collection and the ratio of the wall time to the ideal
// requests × latency ÷ concurrency (1.0 = the connection pool never idles).
func BenchmarkPipelineTree5000Jobs(b *testing.B) {
	const (
		latency     = 20 * time.Millisecond
		concurrency = 4
		shards      = 5
		perShard    = 1000
	)
	fake := gitlabtest.New(b)
	fake.AddPipeline(gitlabtest.Pipeline{ID: 1})
	fake.AddBridge(1, gitlabtest.Bridge{ID: 11, Name: "matrix", Downstream: 2})
	fake.AddPipeline(gitlabtest.Pipeline{ID: 2, Source: "parent_pipeline"})
	fake.AddJob(2, gitlabtest.Job{ID: 21, Name: "route"})
	for s := range shards {
		pid := int64(10 + s)
		fake.AddPipeline(gitlabtest.Pipeline{ID: pid, Source: "parent_pipeline"})
		fake.AddBridge(2, gitlabtest.Bridge{ID: int64(30 + s), Name: fmt.Sprintf("shard %d/%d", s+1, shards), Downstream: pid})
		for j := range perShard {
			fake.AddJob(pid, gitlabtest.Job{ID: pid*100000 + int64(j), Name: fmt.Sprintf("job %d", j)})
		}
	}
	fake.SetLatency(latency)

	var requests, conns int64
	var elapsed time.Duration
	b.ResetTimer()
	for b.Loop() {
		c, err := gitlab.New(gitlab.Config{BaseURL: fake.URL, Token: gitlabtest.DefaultToken,
			Project: fake.ProjectPath, Concurrency: concurrency})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		before := fake.Connections()
		tree, err := c.PipelineTree(context.Background(), 1)
		elapsed += time.Since(start)
		conns += fake.Connections() - before
		if err != nil {
			b.Fatal(err)
		}
		jobs := 0
		for _, p := range tree {
			jobs += len(p.Jobs)
		}
		if jobs != shards*perShard+1+1+shards { // shard jobs, route, matrix bridge, shard bridges
			b.Fatalf("collected %d jobs", jobs)
		}
		requests += c.Requests()
	}
	n := float64(b.N)
	perOp := float64(requests) / n
	ideal := perOp * float64(latency) / concurrency
	b.ReportMetric(perOp, "requests/op")
	// TCP connections opened per collection, per request in flight: 1.0
	// means every connection was reused (Go's default transport keeps 2 idle
	// per host, so 4 in flight re-dialled all the time).
	b.ReportMetric(float64(conns)/n/concurrency, "conns/concurrency")
	b.ReportMetric(float64(elapsed)/n/ideal, "x-ideal")
}
