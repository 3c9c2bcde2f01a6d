package report

import (
	"cmp"
	"fmt"
	"slices"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// Flake is a cell's flakiness over time: over the counting runs the history
// holds (results.KeepCounting at most), the share of runs whose result was
// not a clean signal.
//
// The runs counted (Runs) are those that recorded a pass or a failure of the
// cell: skipped, canceled, not-run and broken results neither pass nor fail
// (a broken cluster proved nothing, as BrokenBreaksStreak says), so they are
// left out of both counts. Of those, a run is flaky (Flaky) when
//
//   - the cell passed only after a retry (status flaky, or Attempts > 1), or
//   - its result was a one-run excursion between pass and fail: it differs
//     from the result before it and from the one after it (pass, fail,
//     pass: the failure flaked; fail, pass, fail: the pass did).
//
// A lasting change is not flakiness: a cell that broke and stayed broken,
// or was fixed and stayed fixed, flipped once and is not flaky for it, so a
// fixed cell does not read flaky for the month its failures stay in the
// history. The newest run has no successor yet and is flaky only by a
// retry; one red night that the next night undoes counts from then on (as
// policy.alert_after waits for a second red night before it alerts).
type Flake struct {
	Runs  int
	Flaky int
	// Rate is Flaky / Runs, 0 without runs.
	Rate float64
	// Above tells whether Rate is above the policy's flaky_above: the cell
	// reads flaky even when its newest run passed, and an official
	// distribution × minor with such a blocking cell stays qualifying.
	Above bool
}

// flakeOf measures the flakiness of a cell's counting results, newest first,
// against the policy's flaky_above.
func flakeOf(history []*results.CellResult, flakyAbove float64) Flake {
	type signal struct{ pass, retried bool }
	var buf [results.KeepCounting]signal
	s := buf[:0] // oldest first
	for i := len(history) - 1; i >= 0; i-- {
		switch cr := history[i]; cr.Status {
		case results.Passed, results.Flaky:
			s = append(s, signal{pass: true, retried: cr.Status == results.Flaky || cr.Attempts > 1})
		case results.Failed:
			s = append(s, signal{})
		}
	}
	f := Flake{Runs: len(s)}
	for i, x := range s {
		excursion := i > 0 && i < len(s)-1 && x.pass != s[i-1].pass && x.pass != s[i+1].pass
		if x.retried || excursion {
			f.Flaky++
		}
	}
	if f.Runs > 0 {
		f.Rate = float64(f.Flaky) / float64(f.Runs)
	}
	f.Above = f.Flaky > 0 && f.Rate > flakyAbove
	return f
}

// Text says the flakiness in words: "2 of 8 runs flaky (25%)".
func (f Flake) Text() string {
	return fmt.Sprintf("%d of %d %s flaky (%s)", f.Flaky, f.Runs, words.Plural("run", f.Runs), FormatRate(f.Rate))
}

// FormatRate writes a share as a whole percentage: "25%"; a share above
// zero that rounds to nothing is "<1%", so a flaky cell never reads 0%.
func FormatRate(rate float64) string {
	if rate > 0 && rate < 0.005 {
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", rate*100)
}

// MostFlakyLen is how many cells the "most flaky" lists show.
const MostFlakyLen = 10

// MostFlaky returns the cells that flaked at least once in the history,
// flakiest first (by rate, then by flaky runs), in table order among
// equals; at most n (every one when n <= 0). Feature, upgrade and skew cells
// take part.
func (r *Report) MostFlaky(n int) []*Cell {
	var out []*Cell
	for _, d := range r.Distributions {
		for _, v := range d.Versions {
			for _, c := range v.Cells {
				if c.Flake.Flaky > 0 {
					out = append(out, c)
				}
			}
		}
		for _, c := range append(append([]*Cell(nil), d.Upgrades...), d.Skews...) {
			if c.Flake.Flaky > 0 {
				out = append(out, c)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *Cell) int {
		return cmp.Or(cmp.Compare(b.Flake.Rate, a.Flake.Rate), cmp.Compare(b.Flake.Flaky, a.Flake.Flaky))
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// flakyText lists deciding cells above flaky_above for a level's reason:
// "runner flaky: 2 of 8 runs flaky (25%), above flaky_above 10%"; nil when
// none is.
func flakyText(cells []*Cell, flakyAbove float64) []string {
	var out []string
	for _, c := range cells {
		if c.Deciding && c.Flake.Above {
			out = append(out, fmt.Sprintf("%s flaky: %s, above flaky_above %s", c.Label, c.Flake.Text(), FormatRate(flakyAbove)))
		}
	}
	return out
}
