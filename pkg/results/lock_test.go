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
