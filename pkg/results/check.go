package results

import (
	"fmt"
	"slices"
	"strings"
)

// kinds lists every cell kind a results file may hold.
var kinds = []string{"test", "upgrade", "skew"}

// Known reports whether s is a status SPEC defines. A results file with
// any other status ("totally-passed") is refused, never re-emitted.
func (s Status) Known() bool { return slices.Contains(Statuses, s) }

// check refuses cells a results file must not hold: no cell id, an unknown
// kind or status, a cell listed twice. name is the file's name for the message.
func (f *File) check(name string) error {
	for i := range f.Runs {
		r := &f.Runs[i]
		seen := make(map[string]bool, len(r.Cells))
		for j, c := range r.Cells {
			where := fmt.Sprintf("results %s: runs[%d] (pipeline %d): cells[%d]", name, i, r.Pipeline, j)
			switch {
			case c.Cell == "":
				return fmt.Errorf("%s: no cell id", where)
			case !c.Status.Known():
				return fmt.Errorf("%s (%s): unknown status %q, want one of %s", where, c.Cell, c.Status, joinStatuses())
			case !slices.Contains(kinds, c.Kind):
				return fmt.Errorf("%s (%s): unknown kind %q, want one of %s", where, c.Cell, c.Kind, strings.Join(kinds, ", "))
			case seen[c.Cell]:
				return fmt.Errorf("%s (%s): the cell is listed twice in the run", where, c.Cell)
			}
			seen[c.Cell] = true
		}
	}
	return nil
}

func joinStatuses() string {
	s := make([]string, len(Statuses))
	for i, st := range Statuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}
