package program

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// TestLocalRunsBuildUpLevels runs testdata/local-runs five times with the
// real gitlab-ci-local: green, runner failing (SIM_FAIL in the jobs'
// environment), green, an --only run of terminal, green. Each run is a new
// local run; runner reads flaky across runs; the --only run keeps the cells
// it did not run and counts only its own; the level climbs to supported
// over the runs, and each change is in the local level log once.
func TestLocalRunsBuildUpLevels(t *testing.T) {
	t.Parallel()
	bin := localcitest.Binary(t)
	out := t.TempDir()
	day := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	steps := []struct {
		only, fail string
		level      report.Level
		green      int
		cells      int
		changed    string // the level change this run logs, "" for none
	}{
		{level: report.Qualifying, green: 1, cells: 3, changed: "->qualifying"},
		{fail: "runner", level: report.Failing, green: 0, cells: 3, changed: "qualifying->failing"},
		{level: report.Qualifying, green: 1, cells: 3, changed: "failing->qualifying"},
		{only: "sim/*/terminal", level: report.Qualifying, green: 1, cells: 2},
		{level: report.Supported, green: 2, cells: 3, changed: "qualifying->supported"},
	}
	for i, s := range steps {
		env := append(localcitest.Env(), localci.EnvBinary+"="+bin)
		if s.fail != "" {
			env = append(env, "SIM_FAIL="+s.fail)
		}
		finished := day.Add(time.Duration(i) * time.Hour)
		r, err := RunLocal(context.Background(), LocalOptions{
			Matrix: "testdata/local-runs/matrix.yaml", Templates: "../../examples/local/templates", Only: s.only,
			Out: out, Concurrency: 4, Root: "testdata/local-runs", Env: env,
			Now: func() time.Time { return finished },
		})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if r.Run.Pipeline != int64(i+1) || !r.Run.Local || r.Run.Counts {
			t.Errorf("run %d recorded as %s (counts %v), want local run #%d that never counts", i+1, r.Report.LastRun.Name(), r.Run.Counts, i+1)
		}
		if r.Run.Partial != (s.only != "") {
			t.Errorf("run %d partial = %v", i+1, r.Run.Partial)
		}
		if r.Summary.Cells != s.cells {
			t.Errorf("run %d summary counts %d cells, want %d (the selection's): %s", i+1, r.Summary.Cells, s.cells, r.Summary)
		}
		v := r.Report.Distributions[0].Versions[0]
		if v.Level != s.level || v.GreenRuns != s.green {
			t.Errorf("run %d: %s with %d green runs (%s), want %s with %d", i+1, v.Level, v.GreenRuns, v.Reason, s.level, s.green)
		}
		var got []string
		for _, c := range r.LevelChanges {
			got = append(got, string(c.From)+"->"+string(c.To))
		}
		if strings.Join(got, ",") != s.changed {
			t.Errorf("run %d logged %v, want %q", i+1, got, s.changed)
		}
		if i == 3 {
			// The --only run left runner alone: it keeps the flaky
			// result of the runs before.
			for _, c := range v.Cells {
				if c.Label == "runner" && (c.Status != results.Flaky || c.Run == nil || c.Run.Pipeline != 3) {
					t.Errorf("after the --only run, runner is %s from %+v, want flaky from local run #3", c.Status, c.Run)
				}
			}
		}
	}
	hist, err := results.Read(filepath.Join(out, LocalResults))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Runs) != len(steps) {
		t.Errorf("%d runs in the local history, want %d", len(hist.Runs), len(steps))
	}
	data, err := os.ReadFile(filepath.Join(out, LocalLevelLog))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := report.ParseLog(LocalLevelLog, data)
	if err != nil || len(entries) != 4 {
		t.Errorf("level log %v:\n%s", err, data)
	}
	table, _ := os.ReadFile(filepath.Join(out, LocalTable))
	if !strings.Contains(string(table), "Local view") || !strings.Contains(string(table), "local run #5") {
		t.Errorf("the local table does not say it is the local view decided by local run #5:\n%s", table)
	}
}
