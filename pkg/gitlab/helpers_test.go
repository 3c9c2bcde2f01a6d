package gitlab_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
)

// now is the fixed clock the tests give the client.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sleepLog records the waits the client asked for instead of sleeping.
type sleepLog struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleepLog) sleep(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
}

func (s *sleepLog) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newClient returns a client for fake with an injected sleep, no jitter and
// a fixed clock; mutate adjusts the config first.
func newClient(t testing.TB, fake *gitlabtest.Server, mutate func(*gitlab.Config)) (*gitlab.Client, *sleepLog, *bytes.Buffer) {
	t.Helper()
	sl := &sleepLog{}
	progress := &bytes.Buffer{}
	cfg := gitlab.Config{
		BaseURL:  fake.URL,
		Token:    gitlabtest.DefaultToken,
		Project:  fake.ProjectPath,
		Progress: &lockedWriter{w: progress},
		Sleep:    sl.sleep,
		Now:      func() time.Time { return now },
		Jitter:   func(time.Duration) time.Duration { return 0 },
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := gitlab.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, sl, progress
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Pipeline ids of the tree fixture.
const (
	rootID   = 100
	childID  = 200
	shard1ID = 301
	shard2ID = 302
	shard3ID = 303
)

// shardJobs is how many jobs (attempts) each shard pipeline holds: more
// than two pages, exactly one page, one page and one job.
var shardJobs = map[int64]int{shard1ID: 250, shard2ID: 100, shard3ID: 101}

// addTree fills fake with a parent pipeline whose "matrix" bridge triggers a
// router child, whose three shard bridges trigger grandchildren. Shard 1
// holds retried jobs: "gke 1.35: [deploy]" failed on a runner, was retried
// and passed; "eks 1.34: [conformance]" failed twice.
func addTree(fake *gitlabtest.Server) {
	fake.AddPipeline(gitlabtest.Pipeline{ID: rootID, Source: "schedule"})
	fake.AddJob(rootID, gitlabtest.Job{ID: 1001, Name: "generate", Stage: "generate", Duration: 12.5})
	fake.AddBridge(rootID, gitlabtest.Bridge{ID: 1002, Name: "matrix", Stage: "run", Downstream: childID})

	fake.AddPipeline(gitlabtest.Pipeline{ID: childID, Source: "parent_pipeline"})
	fake.AddJob(childID, gitlabtest.Job{ID: 2001, Name: "route", Stage: "route", Duration: 3})
	for i, id := range []int64{shard1ID, shard2ID, shard3ID} {
		fake.AddPipeline(gitlabtest.Pipeline{ID: id, Source: "parent_pipeline", Status: "failed"})
		fake.AddBridge(childID, gitlabtest.Bridge{ID: int64(2010 + i), Name: fmt.Sprintf("shard %d/3", i+1), Stage: "shards", Downstream: id, Status: "failed"})
	}
	for _, id := range []int64{shard1ID, shard2ID, shard3ID} {
		n := shardJobs[id]
		base := id * 10000
		extra := 0
		if id == shard1ID {
			fake.AddJob(id, gitlabtest.Job{ID: base + 1, Name: "gke 1.35: [deploy]", Stage: "deploy", Status: "failed", FailureReason: "runner_system_failure", Duration: 40})
			fake.AddJob(id, gitlabtest.Job{ID: base + 2, Name: "gke 1.35: [deploy]", Stage: "deploy", Duration: 42})
			fake.AddJob(id, gitlabtest.Job{ID: base + 3, Name: "eks 1.34: [conformance]", Stage: "test", Status: "failed", Duration: 300})
			fake.AddJob(id, gitlabtest.Job{ID: base + 4, Name: "eks 1.34: [conformance]", Stage: "test", Status: "failed", Duration: 310, AllowFailure: true})
			extra = 4
		}
		for j := extra; j < n; j++ {
			status := "success"
			if j%17 == 0 {
				status = "skipped"
			}
			fake.AddJob(id, gitlabtest.Job{ID: base + 10 + int64(j), Name: fmt.Sprintf("kind 1.%d: [feature-%03d]", 30+j%7, j), Stage: "test", Status: status, Duration: float64(j%60) + 0.25})
		}
	}
}

// treeJobs is the number of job attempts and bridges of the fixture.
func treeJobs() int {
	n := 1 + 1 + 1 + 3 // root job + bridge, child job + 3 bridges
	for _, v := range shardJobs {
		n += v
	}
	return n
}

// cleanRun is the tree fixture as a client with newClient's config
// collects it without a fault.
type cleanRun struct {
	tree []ci.Pipeline
	// rendered is renderTree's text with the fake's address as in the
	// golden file (renderFrom).
	rendered string
	// requests the client counted and the fake saw; the fake's log.
	requests, fakeRequests int64
	log                    []gitlabtest.Request
	sleeps                 []time.Duration
	progress               string
}

// cleanTree returns the clean run, collected once per test binary for the
// tests that check it or hold another run against it; those collect
// their own runs, and none changes this one.
func cleanTree(t *testing.T) *cleanRun {
	t.Helper()
	clean.once.Do(func() {
		fake := gitlabtest.New(t)
		addTree(fake)
		c, sleeps, progress := newClient(t, fake, nil)
		tree, err := c.PipelineTree(context.Background(), rootID)
		clean.run = &cleanRun{tree: tree, rendered: renderFrom(tree, fake), requests: c.Requests(), fakeRequests: fake.Requests(),
			log: fake.Log(), sleeps: sleeps.all(), progress: progress.String()}
		clean.err = err
	})
	if clean.err != nil {
		t.Fatalf("clean run: %v", clean.err)
	}
	return clean.run
}

var clean struct {
	once sync.Once
	run  *cleanRun
	err  error
}

// renderFrom is renderTree of a tree collected from fake, with the fake's
// random address replaced by the golden files' http://gitlab.test.
func renderFrom(tree []ci.Pipeline, fake *gitlabtest.Server) string {
	return strings.ReplaceAll(renderTree(tree), hostOf(fake), "http://gitlab.test")
}

// renderTree prints a pipeline tree compactly for golden files.
func renderTree(ps []ci.Pipeline) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "pipeline %d project=%d parent=%d bridge=%q depth=%d source=%s ref=%s status=%s created=%s url=%s jobs=%d\n",
			p.ID, p.ProjectID, p.ParentID, p.BridgeName, p.Depth, p.Source, p.Ref, p.Status,
			p.CreatedAt.Format(time.RFC3339), p.WebURL, len(p.Jobs))
		for _, j := range p.Jobs {
			flags := ""
			if j.Retried {
				flags += " retried"
			}
			if j.AllowFailure {
				flags += " allow_failure"
			}
			if j.Bridge {
				flags += fmt.Sprintf(" bridge->%d", j.Downstream)
			}
			if j.FailureReason != "" {
				flags += " reason=" + j.FailureReason
			}
			started := "-"
			if j.StartedAt != nil {
				started = j.StartedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(&b, "  %d %q stage=%s status=%s duration=%g started=%s%s\n", j.ID, j.Name, j.Stage, j.Status, j.Duration, started, flags)
		}
	}
	return b.String()
}

// hostOf returns scheme://host of the fake's API URL.
func hostOf(fake *gitlabtest.Server) string {
	return strings.TrimSuffix(fake.URL, "/api/v4")
}
