package report

import (
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// seq turns "P F p f - b P2" (oldest first) into counting results newest
// first, as fill hands them to flakeOf: P passed, F failed, p flaky (passed
// after a retry on GitLab), P2 passed on its second attempt, - skipped, b
// broken, c canceled.
func seq(s string) []*results.CellResult {
	var out []*results.CellResult
	for _, w := range strings.Fields(s) {
		cr := results.CellResult{}
		switch w {
		case "P":
			cr.Status = results.Passed
		case "P2":
			cr.Status, cr.Attempts = results.Passed, 2
		case "F":
			cr.Status = results.Failed
		case "F2":
			cr.Status, cr.Attempts = results.Failed, 2
		case "p":
			cr.Status = results.Flaky
		case "-":
			cr.Status = results.Skipped
		case "b":
			cr.Status = results.Broken
		case "c":
			cr.Status = results.Canceled
		}
		out = append([]*results.CellResult{&cr}, out...)
	}
	return out
}

func TestFlake(t *testing.T) {
	tests := []struct {
		name        string
		history     string // oldest first
		above       float64
		runs, flaky int
		isAbove     bool
	}{
		{name: "no result", history: "", above: 0.10, runs: 0, flaky: 0},
		{name: "steady passes", history: "P P P P", above: 0.10, runs: 4},
		{name: "steady failures", history: "F F F", above: 0.10, runs: 3},
		{name: "a retried pass", history: "P P2 P P", above: 0.10, runs: 4, flaky: 1, isAbove: true},
		{name: "flaky status from GitLab", history: "P p", above: 0.10, runs: 2, flaky: 1, isAbove: true},
		{name: "a failure that needed retries is still a failure", history: "P F2 F P", above: 0.10, runs: 4},
		{name: "one red night undone", history: "P P F P P", above: 0.10, runs: 5, flaky: 1, isAbove: true},
		{name: "one green night undone", history: "F F P F", above: 0.10, runs: 4, flaky: 1, isAbove: true},
		{name: "alternating", history: "P F P F P", above: 0.10, runs: 5, flaky: 3, isAbove: true},
		{name: "a lasting break", history: "P P P F F F", above: 0.10, runs: 6},
		{name: "a fix that holds", history: "F F P P P", above: 0.10, runs: 5},
		{name: "a new failure is no flake yet", history: "P P P F", above: 0.10, runs: 4},
		{name: "skipped, canceled and broken runs are left out", history: "P - F b P c", above: 0.10, runs: 3, flaky: 1, isAbove: true},
		{name: "one flake in eleven is under 10%", history: "P P P P P P P P P F P", above: 0.10, runs: 11, flaky: 1, isAbove: false},
		{name: "one flake in ten is exactly 10%: not above", history: "P P P P F P P P P P", above: 0.10, runs: 10, flaky: 1, isAbove: false},
		{name: "a threshold of zero flags any flake", history: "P P P P P P P P P P P P P P P P P P P P P P P P P P P P P2 P", above: 0, runs: 30, flaky: 1, isAbove: true},
		{name: "a threshold of one flags nothing", history: "P F P F P", above: 1, runs: 5, flaky: 3, isAbove: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := flakeOf(seq(tc.history), tc.above)
			if f.Runs != tc.runs || f.Flaky != tc.flaky || f.Above != tc.isAbove {
				t.Errorf("flake = %+v, want %d of %d runs, above %v", f, tc.flaky, tc.runs, tc.isAbove)
			}
			if f.Runs > 0 && f.Rate != float64(f.Flaky)/float64(f.Runs) {
				t.Errorf("rate %v, want %d/%d", f.Rate, f.Flaky, f.Runs)
			}
		})
	}
}

func TestFormatRate(t *testing.T) {
	for rate, want := range map[float64]string{0: "0%", 0.004: "<1%", 0.1: "10%", 1.0 / 3: "33%", 1: "100%"} {
		if got := FormatRate(rate); got != want {
			t.Errorf("FormatRate(%v) = %q, want %q", rate, got, want)
		}
	}
}

// TestFlakyAbovePolicy: the matrix's flaky_above decides; the default is
// matrix.DefaultFlakyAbove.
func TestFlakyAbovePolicy(t *testing.T) {
	m := loadFixture(t)
	runs := history(8, map[int]string{4: "failed"}) // 12.5% flaky
	if v := version(t, Build(m, file(runs...), Options{Requirement: judged}), "gke", "1.35"); v.Level != Qualifying {
		t.Fatalf("default flaky_above: %s (%s), want qualifying", v.Level, v.Reason)
	}
	m.PolicyFor("official").FlakyAbove = 0.2
	v := version(t, Build(m, file(runs...), Options{Requirement: judged}), "gke", "1.35")
	if v.Level != Supported || cellStatus(v, "runner") != results.Passed {
		t.Errorf("flaky_above 0.2: %s (%s), runner %s; want supported, passed", v.Level, v.Reason, cellStatus(v, "runner"))
	}
	if c := v.Cells[1]; c.Flake.Flaky != 1 || c.Flake.Runs != 8 || c.Flake.Above {
		t.Errorf("runner flake %+v, want 1 of 8, not above", c.Flake)
	}
}

func TestMostFlaky(t *testing.T) {
	m := loadFixture(t)
	var runs []results.Run
	// runner flakes twice and monitoring once in eight runs; deploy never.
	for i := 1; i <= 8; i++ {
		runner, monitoring := "passed", "passed"
		if i == 3 || i == 6 {
			runner = "failed"
		}
		if i == 5 {
			monitoring = "passed*2"
		}
		runs = append(runs, run(int64(i), 6+i, gke("passed", runner, monitoring)...))
	}
	runs = append(runs, run(9, 14, "kind/1.36/deploy=passed*3"))
	r := Build(m, file(runs...), Options{Requirement: judged})
	var got []string
	for _, c := range r.MostFlaky(0) {
		got = append(got, c.ID+" "+FormatRate(c.Flake.Rate))
	}
	want := "kind/1.36/deploy 100%, gke/1.35/runner 25%, gke/1.35/monitoring 12%"
	if strings.Join(got, ", ") != want {
		t.Errorf("most flaky = %s, want %s", strings.Join(got, ", "), want)
	}
	if n := len(r.MostFlaky(2)); n != 2 {
		t.Errorf("MostFlaky(2) gave %d cells", n)
	}
}
