package results

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
)

// History bounds, applied by Bound. Policies read at most the last
// KeepCounting counting runs (green_runs is small, flakiness looks at a
// handful of runs); previews (merge requests, pushes, local runs) only
// matter while their merge request is open, so few are kept.
const (
	KeepCounting = 30
	KeepPreviews = 10
)

// FileName is the run history's name: matrix/results.json, results.json
// in a local run's directory and in a report job's artifacts.
const FileName = "results.json"

// New returns an empty history.
func New() *File { return &File{Schema: Schema, Runs: []Run{}} }

// Read loads a results file, streaming it: a missing file is an empty
// history; a file that cannot be parsed is an error naming it. A file of
// the previous schema (SchemaV1) is read as well and migrated: the next
// Marshal writes Schema.
func Read(path string) (*File, error) {
	in, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read results %s: %w", path, err)
	}
	defer in.Close()
	return Decode(path, in)
}

// Parse decodes a results file held in memory, as Decode does.
func Parse(name string, data []byte) (*File, error) {
	return Decode(name, bytes.NewReader(data))
}

// Decode reads a results file from r strictly, one run at a time: what is
// not JSON, unknown fields (and fields spelt in another case or given
// twice), another schema, an unknown status or kind and a cell listed
// twice in a run are errors naming name and the line.
func Decode(name string, r io.Reader) (*File, error) {
	f, err := decode(name, r)
	if err != nil {
		return nil, err
	}
	f.sort()
	return f, nil
}

// sameRun reports whether a and b record the same pipeline. GitLab pipelines
// and gitlab-ci-local runs live in separate id spaces.
func sameRun(a, b *Run) bool { return a.Pipeline == b.Pipeline && a.Local == b.Local }

// Merge adds run to the history, replacing an earlier collection of the same
// pipeline: collecting a pipeline twice leaves the same history.
func (f *File) Merge(run Run) {
	if f.Schema == "" {
		f.Schema = Schema
	}
	for i := range f.Runs {
		if sameRun(&f.Runs[i], &run) {
			f.Runs[i] = run
			f.sort()
			return
		}
	}
	f.Runs = append(f.Runs, run)
	f.sort()
}

// MergeFile merges every run of other into f, other's runs replacing f's for
// the same pipeline. publish uses it to fold this run's results into the
// repository's copy: runs of other pipelines are never lost.
func (f *File) MergeFile(other *File) {
	if other == nil {
		return
	}
	for _, r := range other.Runs {
		f.Merge(r)
	}
}

// sort orders the runs newest first: FinishedAt descending, then pipeline id
// descending, GitLab runs before local ones, so that the order never depends
// on merge order.
func (f *File) sort() {
	slices.SortStableFunc(f.Runs, func(a, b Run) int {
		if c := b.FinishedAt.Compare(a.FinishedAt); c != 0 {
			return c
		}
		if a.Pipeline != b.Pipeline {
			if a.Pipeline > b.Pipeline {
				return -1
			}
			return 1
		}
		switch {
		case a.Local == b.Local:
			return 0
		case b.Local:
			return -1
		default:
			return 1
		}
	})
}

// Bound keeps the newest counting runs (at most counting) and the newest
// other runs (at most previews), dropping older ones.
func (f *File) Bound(counting, previews int) {
	kept := f.Runs[:0:0]
	nc, np := 0, 0
	for _, r := range f.Runs {
		if r.Counts {
			if nc < counting {
				kept = append(kept, r)
			}
			nc++
			continue
		}
		if np < previews {
			kept = append(kept, r)
		}
		np++
	}
	f.Runs = kept
}

// Marshal encodes the file deterministically in the Schema format
// (codec.go): one line per run, newest first, and a trailing newline.
func (f *File) Marshal() ([]byte, error) {
	return encode(f)
}

// Counting returns the runs that count toward support, newest first.
func (f *File) Counting() []Run { return f.Deciding(false) }

// Deciding returns the runs that decide levels, newest first: the counting
// runs, and with local the local runs too (run --local's own history, in
// which local runs stand in for scheduled ones; never published).
func (f *File) Deciding(local bool) []Run {
	var out []Run
	for _, r := range f.Runs {
		if r.Counts || (local && r.Local) {
			out = append(out, r)
		}
	}
	return out
}

// Cell returns the result of cell in run r, or nil when the run did not
// record it (a partial run, or a cell added later).
func (r *Run) Cell(cell string) *CellResult {
	for i := range r.Cells {
		if r.Cells[i].Cell == cell {
			return &r.Cells[i]
		}
	}
	return nil
}

// History returns cell's results in the newest n counting runs that
// recorded it, newest first. Runs that did not record the cell are skipped.
func (f *File) History(cell string, n int) []CellResult {
	var out []CellResult
	for i := range f.Runs {
		if len(out) >= n {
			break
		}
		if !f.Runs[i].Counts {
			continue
		}
		if c := f.Runs[i].Cell(cell); c != nil {
			out = append(out, *c)
		}
	}
	return out
}

// Flipping reports whether a cell's history alternates between passing and
// failing: it holds both a passed and a failed result, or a result that was
// already flaky within its run. Other statuses (skipped, canceled, not_run,
// allowed_failure, ...) neither pass nor fail and are ignored. This is the
// "flipping across recent runs" half of the flaky status; the report decides
// how many runs to look at (History's n) and shows such a cell as flaky.
func Flipping(history []CellResult) bool {
	passed, failed := false, false
	for _, c := range history {
		switch c.Status {
		case Passed:
			passed = true
		case Failed:
			failed = true
		case Flaky:
			return true
		}
	}
	return passed && failed
}
