package results

import (
	"fmt"
	"slices"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cellid"
)

// Known reports whether s is a status SPEC defines. A results file with
// any other status ("totally-passed") is refused, never re-emitted.
func (s Status) Known() bool { return slices.Contains(Statuses, s) }

// checkRun refuses a run a results file must not hold: no pipeline id, a
// cell with no id, an unknown kind or status. i is the run's place in the
// file, for the message.
func checkRun(i int, r *Run) error {
	if r.Pipeline == 0 {
		return fmt.Errorf("runs[%d]: no pipeline id", i)
	}
	for j, c := range r.Cells {
		if c.Cell != "" && c.Status.Known() && slices.Contains(cellid.Kinds, c.Kind) {
			continue
		}
		where := fmt.Sprintf("runs[%d] (pipeline %d): cells[%d]", i, r.Pipeline, j)
		switch {
		case c.Cell == "":
			return fmt.Errorf("%s: no cell id", where)
		case !c.Status.Known():
			return fmt.Errorf("%s (%s): unknown status %q, want one of %s", where, c.Cell, c.Status, joinStatuses())
		case !slices.Contains(cellid.Kinds, c.Kind):
			return fmt.Errorf("%s (%s): unknown kind %q, want one of %s", where, c.Cell, c.Kind, strings.Join(cellid.Kinds, ", "))
		}
	}
	return nil
}

// twice returns a cell id listed more than once in cells, or "". A run
// records each cell once; the v2 format names cells by id.
func twice(cells []CellResult) string {
	seen := make(map[string]bool, len(cells))
	for i := range cells {
		if seen[cells[i].Cell] {
			return cells[i].Cell
		}
		seen[cells[i].Cell] = true
	}
	return ""
}

func joinStatuses() string {
	s := make([]string, len(Statuses))
	for i, st := range Statuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}
