package results

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

func at(day int) time.Time { return time.Date(2026, 5, day, 6, 0, 0, 0, time.UTC) }

func run(id int64, day int, counts bool, cells ...CellResult) Run {
	return Run{
		Pipeline: id, Source: "schedule", Ref: "main", SHA: "abc", Counts: counts,
		TestReport: true, CreatedAt: at(day).Add(-time.Hour), FinishedAt: at(day), Cells: cells,
	}
}

func cell(id string, s Status) CellResult { return CellResult{Cell: id, Kind: "test", Status: s} }

func marshal(t *testing.T, f *File) []byte {
	t.Helper()
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadMissingIsEmpty(t *testing.T) {
	f, err := Read(filepath.Join(t.TempDir(), "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Schema != Schema || len(f.Runs) != 0 {
		t.Fatalf("got %+v, want an empty history", f)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"corrupt", `{"schema": "supportmatrix/results/v1", "runs": [`, "unexpected EOF"},
		{"corrupt v2", `{"schema": "supportmatrix/results/v2", "layouts": {}, "runs": [{"pipeline": 1`, "unexpected EOF"},
		{"schema not first", `{"runs": [], "schema": "supportmatrix/results/v2"}`, `field "runs" before the schema`},
		{"no schema", `{}`, `no schema`},
		{"layouts in v1", `{"schema": "supportmatrix/results/v1", "layouts": {}}`, `unknown field "layouts"`},
		{"v1 field in v2", `{"schema": "supportmatrix/results/v2", "runs": [{"pipeline": 1, "cells": []}]}`, `runs[0]: json: unknown field "cells"`},
		{"layout key", `{"schema": "supportmatrix/results/v2", "layouts": {"abc": ["a/1.35/x"]}}`, `layouts["abc"]: its cells hash to "`},
		{"missing layout", v2run(`"layout": "000000000000", "status": "P", "jobs": [1]`), `runs[0] (pipeline 7): layout "000000000000" is not in layouts`},
		{"short status", v2run(`"layout": "` + layoutKey([]string{"a/1.35/x"}) + `", "status": "PP", "jobs": [1]`), `status has 2 letters, layout`},
		{"bad letter", v2run(`"layout": "` + layoutKey([]string{"a/1.35/x"}) + `", "status": "Z", "jobs": [1]`), `cell a/1.35/x: unknown status letter 'Z', want one of P (passed), F (failed)`},
		{"jobs count", v2run(`"layout": "` + layoutKey([]string{"a/1.35/x"}) + `", "status": "P", "jobs": [1, 2]`), `jobs has 2 values, the layout has 1 cells`},
		{"job step", v2run(`"layout": "` + layoutKey([]string{"a/1.35/x"}) + `", "status": "P", "jobs": [-4]`), `jobs[0]: step -4 gives job id -4`},
		{"no jobs", v2run(`"layout": "` + layoutKey([]string{"a/1.35/x"}) + `", "status": "P"`), `jobs: want a list`},
		{"stray detail", v2run(`"layout": "` + layoutKey([]string{"a/1.35/x"}) + `", "status": "P", "jobs": [1], "details": {"b/1.35/y": {"reason": "r"}}`), `details for cell b/1.35/y, which is not in layout`},
		{"columns without layout", v2run(`"status": "P"`), `cell columns without a layout`},
		{"twice in v1", `{"schema": "supportmatrix/results/v1", "runs": [{"pipeline": 7, "source": "web", "counts": true, "test_report": false,
			"created_at": "2026-05-01T00:00:00Z", "finished_at": "2026-05-01T00:00:00Z",
			"cells": [{"cell": "a/1.35/x", "kind": "test", "status": "passed"}, {"cell": "a/1.35/x", "kind": "test", "status": "failed"}]}]}`,
			`runs[0] (pipeline 7): cell a/1.35/x is listed twice in the run`},
		{"other schema", `{"schema": "supportmatrix/results/v9", "runs": []}`, `schema "supportmatrix/results/v9"`},
		{"unknown field", `{"schema": "supportmatrix/results/v1", "runs": [], "extra": 1}`, `unknown field "extra"`},
		{"no pipeline", `{"schema": "supportmatrix/results/v1", "runs": [{"source": "web"}]}`, "runs[0]: no pipeline id"},
		{"trailing", `{"schema": "supportmatrix/results/v1", "runs": []} {}`, "trailing data"},
		// An unknown status was accepted and re-emitted by every command.
		{"unknown status", `{"schema": "supportmatrix/results/v1", "runs": [{"pipeline": 7, "source": "web", "counts": true, "test_report": false,
			"created_at": "2026-05-01T00:00:00Z", "finished_at": "2026-05-01T00:00:00Z",
			"cells": [{"cell": "gke/1.35/runner", "kind": "test", "status": "totally-passed"}]}]}`,
			`runs[0] (pipeline 7): cells[0] (gke/1.35/runner): unknown status "totally-passed", want one of passed, failed`},
		{"unknown kind", `{"schema": "supportmatrix/results/v1", "runs": [{"pipeline": 7, "source": "web", "counts": true, "test_report": false,
			"created_at": "2026-05-01T00:00:00Z", "finished_at": "2026-05-01T00:00:00Z",
			"cells": [{"cell": "gke/1.35/runner", "kind": "cluster", "status": "passed"}]}]}`, `unknown kind "cluster"`},
		{"no cell id", `{"schema": "supportmatrix/results/v1", "runs": [{"pipeline": 7, "source": "web", "counts": true, "test_report": false,
			"created_at": "2026-05-01T00:00:00Z", "finished_at": "2026-05-01T00:00:00Z",
			"cells": [{"kind": "test", "status": "passed"}]}]}`, `cells[0]: no cell id`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "results.json")
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil {
				t.Fatal("Read succeeded, want an error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q should name %s and say %q", err, path, tt.want)
			}
		})
	}
}

// v2run is a v2 file with one run (pipeline 7) of layout a/1.35/x whose
// cell columns are cols.
func v2run(cols string) string {
	return `{"schema": "supportmatrix/results/v2", "layouts": {"` + layoutKey([]string{"a/1.35/x"}) + `": ["a/1.35/x"]},
		"runs": [{"pipeline": 7, "source": "web", "counts": true, "test_report": false,
		"created_at": "2026-05-01T00:00:00Z", "finished_at": "2026-05-01T00:00:00Z", ` + cols + `}]}`
}

func TestMergeIdempotentAndOrderFree(t *testing.T) {
	a := run(10, 1, true, cell("gke/1.35/runner", Passed))
	b := run(11, 2, true, cell("gke/1.35/runner", Failed))
	c := run(12, 2, false, cell("gke/1.35/runner", Passed))
	c.Source, c.MR = "merge_request_event", 7

	f1 := New()
	for _, r := range []Run{a, b, c} {
		f1.Merge(r)
	}
	f2 := New()
	for _, r := range []Run{c, b, a, b, a} {
		f2.Merge(r)
	}
	b1, b2 := marshal(t, f1), marshal(t, f2)
	if !bytes.Equal(b1, b2) {
		t.Fatalf("merge order changed the output:\n%s\n---\n%s", b1, b2)
	}
	// Re-collecting replaces the run rather than adding one.
	b.Cells[0].Status = Flaky
	f1.Merge(b)
	if len(f1.Runs) != 3 {
		t.Fatalf("got %d runs after re-merging pipeline 11, want 3", len(f1.Runs))
	}
	if got := f1.Runs[1].Cells[0].Status; f1.Runs[1].Pipeline != 11 || got != Flaky {
		t.Fatalf("run 11 = %+v, want the re-collected status flaky", f1.Runs[1])
	}
	// Same pipeline id, local and remote: two runs.
	l := run(10, 3, false)
	l.Local, l.Source = true, "local"
	f1.Merge(l)
	if len(f1.Runs) != 4 {
		t.Fatalf("a local run with a GitLab pipeline's id replaced it: %d runs", len(f1.Runs))
	}
}

func TestMergeFileKeepsOtherPipelines(t *testing.T) {
	repo := New()
	repo.Merge(run(1, 1, true, cell("x/1.35/a", Passed)))
	repo.Merge(run(2, 2, true, cell("x/1.35/a", Failed)))
	this := New()
	this.Merge(run(2, 2, true, cell("x/1.35/a", Passed)))
	this.Merge(run(3, 3, true, cell("x/1.35/a", Passed)))
	repo.MergeFile(this)
	var ids []int64
	for _, r := range repo.Runs {
		ids = append(ids, r.Pipeline)
	}
	if want := []int64{3, 2, 1}; !slicesEqual(ids, want) {
		t.Fatalf("runs %v, want %v", ids, want)
	}
	if repo.Runs[1].Cells[0].Status != Passed {
		t.Fatalf("pipeline 2 kept the repository's copy, want the incoming one")
	}
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBound(t *testing.T) {
	f := New()
	for i := 1; i <= 40; i++ {
		f.Merge(run(int64(i), i%28+1, i%3 != 0))
	}
	f.Bound(5, 2)
	nc, np := 0, 0
	for _, r := range f.Runs {
		if r.Counts {
			nc++
		} else {
			np++
		}
	}
	if nc != 5 || np != 2 {
		t.Fatalf("kept %d counting and %d previews, want 5 and 2", nc, np)
	}
	// The kept ones are the newest.
	for i := 1; i < len(f.Runs); i++ {
		if f.Runs[i].FinishedAt.After(f.Runs[i-1].FinishedAt) {
			t.Fatalf("runs not newest first at %d", i)
		}
	}
	before := marshal(t, f)
	f.Bound(5, 2)
	if !bytes.Equal(before, marshal(t, f)) {
		t.Fatal("bounding twice changed the file")
	}
}

func TestHistoryAndFlipping(t *testing.T) {
	f := New()
	f.Merge(run(1, 1, true, cell("c", Passed)))
	f.Merge(run(2, 2, true)) // partial: no record of c
	f.Merge(run(3, 3, false, cell("c", Failed)))
	f.Merge(run(4, 4, true, cell("c", Failed)))
	f.Merge(run(5, 5, true, cell("c", Failed)))
	h := f.History("c", 2)
	if len(h) != 2 || h[0].Status != Failed || h[1].Status != Failed {
		t.Fatalf("History(c, 2) = %+v, want the two newest counting results", h)
	}
	if Flipping(h) {
		t.Fatal("two failures are not flipping")
	}
	h = f.History("c", 10)
	if len(h) != 3 {
		t.Fatalf("History(c, 10) has %d results, want 3 (previews and runs without c skipped)", len(h))
	}
	if !Flipping(h) {
		t.Fatal("passed then failed should be flipping")
	}
	tests := []struct {
		name string
		in   []Status
		want bool
	}{
		{"all passed", []Status{Passed, Passed}, false},
		{"flaky within a run", []Status{Passed, Flaky}, true},
		{"allowed failure is no failure", []Status{Passed, AllowedFailure}, false},
		{"skipped between", []Status{Failed, Skipped, Passed}, true},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []CellResult
			for _, s := range tt.in {
				h = append(h, cell("c", s))
			}
			if got := Flipping(h); got != tt.want {
				t.Fatalf("Flipping(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMarshalGolden(t *testing.T) {
	f := New()
	r := run(123, 4, true,
		CellResult{Cell: "gke/1.35/runner", Kind: "test", Status: Flaky, JobID: 9, JobURL: "https://gitlab.example/j/9",
			Duration: 61.5, Attempts: 2, ServerVersion: "v1.35.2", Tests: &TestCount{Total: 3, Passed: 3}},
		CellResult{Cell: "gke/1.35/terminal", Kind: "test", Status: Excluded, Reason: "Websocket idle timeout <lb>"},
		CellResult{Cell: "k3s/1.34->1.35", Kind: "upgrade", Status: Failed, Attempts: 1, FailureReason: "script_failure"},
	)
	r.URL = "https://gitlab.example/p/123"
	f.Merge(r)
	got := marshal(t, f)
	golden.Assert(t, "results.golden", got)
	want, err := os.ReadFile(filepath.Join("testdata", "results.golden"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("results.golden", want)
	if err != nil {
		t.Fatal(err)
	}
	if again := marshal(t, back); !bytes.Equal(again, want) {
		t.Fatalf("a read and re-marshalled file changed:\n%s", again)
	}
}
