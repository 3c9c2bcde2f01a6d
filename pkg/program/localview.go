package program

import (
	"fmt"
	"io"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
)

// WriteText writes what `run --local` prints: the collect summary, each
// distribution's levels per minor, the level changes the run made, and
// where the run, the table, the history and the level log are.
func (r *LocalResult) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s\n", r.Summary)
	for _, d := range r.Report.Distributions {
		fmt.Fprintf(w, "%-12s", d.ID)
		for _, v := range d.Versions {
			fmt.Fprintf(w, "  %s %-10s", v.Kubernetes, v.Level)
		}
		fmt.Fprintln(w)
	}
	for _, e := range r.LevelChanges {
		from := string(e.From)
		if from == "" {
			from = "(first)"
		}
		fmt.Fprintf(w, "level %s: %s -> %s (%s)\n", e.Cell, from, e.To, e.Reason)
	}
	_, err := fmt.Fprintf(w, "local run #%d\ntable: %s\nhistory: %s\nlevel log: %s\n", r.Run.Pipeline, r.Table, r.History, r.LevelLog)
	return err
}

// Failure is what fails `run --strict` (Problems), said in a sentence, or
// nil when the run had none.
func (r *LocalResult) Failure() error {
	failed, broken, infra := r.Problems()
	if failed+broken+infra == 0 {
		return nil
	}
	return fmt.Errorf("run: %d %s failed, %d broken, %d cluster %s; see %s",
		failed, words.Plural("cell", failed), broken, infra, words.Plural("problem", infra), r.Table)
}
