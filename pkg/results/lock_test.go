package results

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestUpdateConcurrentWritersLoseNothing: 20 writers merge 20 runs into one
// file at once; every run lands. Without the lock, read-merge-write lost
// 14 of 20 (issue #13).
func TestUpdateConcurrentWritersLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	const writers = 20
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Update(path, run(int64(100+i), 1+i, true, cell("gke/1.35/runner", Passed)))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != writers {
		t.Fatalf("%d runs in the file, want %d: concurrent writers lost runs", len(f.Runs), writers)
	}
}

// TestUpdateWaitsThenFailsCleanly: a writer that cannot get the lock within
// the wait fails with ErrLocked naming the lock file, and the results file
// is untouched.
func TestUpdateWaitsThenFailsCleanly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	if _, err := Update(path, run(1, 1, true)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	unlock, err := lock(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	_, err = lock(path, 50*time.Millisecond)
	if !errors.Is(err, ErrLocked) || !filepath.IsAbs(LockPath(path)) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("the results file changed")
	}
}

// TestAddLocalGivesEachRunItsOwnID: every local run is a new run, numbered
// after the newest local one, even when several write at once; a GitLab
// pipeline's id does not count, and more local runs than KeepPreviews are
// kept.
func TestAddLocalGivesEachRunItsOwnID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	if _, err := Update(path, run(500, 1, true, cell("gke/1.35/runner", Passed))); err != nil {
		t.Fatal(err)
	}
	const writers = KeepPreviews + 5
	var wg sync.WaitGroup
	ids := make([]int64, writers)
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := run(0, 2+i, false, cell("gke/1.35/runner", Passed))
			r.Source = "local"
			_, ids[i], errs[i] = AddLocal(path, r)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if id < 1 || id > writers || seen[id] {
			t.Fatalf("ids %v, want each of 1..%d once", ids, writers)
		}
		seen[id] = true
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != writers+1 || f.NextLocalID() != writers+1 {
		t.Fatalf("%d runs, next local id %d; want %d runs kept and id %d next", len(f.Runs), f.NextLocalID(), writers+1, writers+1)
	}
}
