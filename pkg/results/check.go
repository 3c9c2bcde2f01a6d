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

// check refuses cells a results file must not hold: no cell id, an unknown
// kind or status. name is the file's name for the message.
func (f *File) check(name string) error {
	for i := range f.Runs {
		r := &f.Runs[i]
		for j, c := range r.Cells {
			if c.Cell != "" && c.Status.Known() && slices.Contains(cellid.Kinds, c.Kind) {
				continue
			}
			where := fmt.Sprintf("results %s: runs[%d] (pipeline %d): cells[%d]", name, i, r.Pipeline, j)
			switch {
			case c.Cell == "":
				return fmt.Errorf("%s: no cell id", where)
			case !c.Status.Known():
				return fmt.Errorf("%s (%s): unknown status %q, want one of %s", where, c.Cell, c.Status, joinStatuses())
			case !slices.Contains(cellid.Kinds, c.Kind):
				return fmt.Errorf("%s (%s): unknown kind %q, want one of %s", where, c.Cell, c.Kind, strings.Join(cellid.Kinds, ", "))
			}
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
