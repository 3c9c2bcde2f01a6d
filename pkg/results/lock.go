package results

import (
	"errors"
	"fmt"
	"os"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/atomicfile"
)

// LockWait is how long a writer waits for another writer of the same
// results file before giving up with an error. Merging a run takes
// milliseconds; a lock held longer belongs to a stuck process.
const LockWait = 2 * time.Minute

// lockPoll is how often a waiting writer tries the lock again.
const lockPoll = 20 * time.Millisecond

// LockPath is the sidecar file whose lock guards path. The lock is not taken
// on the results file itself, which atomicfile replaces by renaming.
func LockPath(path string) string { return path + ".lock" }

// ErrLocked means another writer held the results file's lock for longer
// than LockWait.
var ErrLocked = errors.New("another supportmatrix is writing it")

// Update merges run into the history at path and writes it back, under an
// exclusive lock on LockPath(path): two collects on one file both land,
// one after the other, and neither silently drops the other's run (a
// read-merge-write without a lock lost 14 of 20 runs in a race test). The
// file is replaced atomically; on any failure it is left as it was. It
// returns the history written.
func Update(path string, run Run) (*File, error) {
	return update(path, KeepPreviews, func(*File) Run { return run })
}

// AddLocal merges a local run (run --local) into the local history at path
// as Update does, and gives it its own id under the lock: one more than the
// newest local run's, so that every local run is a new run and levels build
// up over local runs as over scheduled ones. Local runs are kept as many as
// counting runs (KeepCounting). It returns the history written and the id.
func AddLocal(path string, run Run) (*File, int64, error) {
	var id int64
	f, err := update(path, KeepCounting, func(f *File) Run {
		run.Local = true
		run.Pipeline = f.NextLocalID()
		id = run.Pipeline
		return run
	})
	return f, id, err
}

// NextLocalID is the id of the next local run: one more than the newest
// local run's, 1 in a history without one.
func (f *File) NextLocalID() int64 {
	var last int64
	for _, r := range f.Runs {
		if r.Local && r.Pipeline > last {
			last = r.Pipeline
		}
	}
	return last + 1
}

// update is Update's locked read-merge-bound-write; run makes the run to
// merge from the history read, previews bounds the runs that do not count.
func update(path string, previews int, run func(*File) Run) (*File, error) {
	unlock, err := lock(path, LockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	f, err := Read(path)
	if err != nil {
		return nil, err
	}
	f.Merge(run(f))
	f.Bound(KeepCounting, previews)
	data, err := f.Marshal()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(path, data); err != nil {
		return nil, fmt.Errorf("write results %s: %w", path, err)
	}
	return f, nil
}

// lock takes the exclusive lock of path, waiting up to wait.
func lock(path string, wait time.Duration) (unlock func(), err error) {
	lp := LockPath(path)
	deadline := time.Now().Add(wait)
	for {
		unlock, held, err := tryLock(lp)
		if err != nil {
			return nil, fmt.Errorf("lock results %s: %w", path, err)
		}
		if !held {
			return unlock, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("results %s: %w (%s held for over %s)", path, ErrLocked, lp, wait)
		}
		time.Sleep(lockPoll)
	}
}

// openLock opens (creating) the lock file.
func openLock(lp string) (*os.File, error) {
	return os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
}
