package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

// New returns an empty history.
func New() *File { return &File{Schema: Schema, Runs: []Run{}} }

// Read loads a results file. A missing file is an empty history; a file that
// cannot be parsed is an error naming it.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read results %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes a results file strictly: unknown fields and another schema
// are errors naming name.
func Parse(name string, data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("results %s: %w", name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("results %s: trailing data after the JSON object", name)
	}
	if f.Schema != Schema {
		return nil, fmt.Errorf("results %s: schema %q, want %q", name, f.Schema, Schema)
	}
	for i, r := range f.Runs {
		if r.Pipeline == 0 {
			return nil, fmt.Errorf("results %s: runs[%d]: no pipeline id", name, i)
		}
	}
	if err := f.check(name); err != nil {
		return nil, err
	}
	if f.Runs == nil {
		f.Runs = []Run{}
	}
	f.sort()
	return &f, nil
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

// Marshal encodes the file deterministically: two-space indent and a
// trailing newline, runs newest first.
func (f *File) Marshal() ([]byte, error) {
	out := *f
	if out.Schema == "" {
		out.Schema = Schema
	}
	if out.Runs == nil {
		out.Runs = []Run{}
	}
	for i := range out.Runs {
		if out.Runs[i].Cells == nil {
			out.Runs[i].Cells = []CellResult{}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	return buf.Bytes(), nil
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
