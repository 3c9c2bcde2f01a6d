package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	if err := Write(path, []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "two\n" {
		t.Fatalf("read %q, %v; want two", got, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want the old file's 0640 kept", st.Mode().Perm())
	}

	// A failed rename leaves the old file byte-identical and no temporary.
	boom := errors.New("disk gone")
	err = writeAtomic(path, []byte("three\n"), func(string, string) error { return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v, want the rename failure naming %s", err, path)
	}
	got, _ = os.ReadFile(path)
	if string(got) != "two\n" {
		t.Fatalf("old file changed to %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary file left behind: %v", entries)
	}

	// A missing directory fails before touching anything.
	if err := Write(filepath.Join(dir, "no", "results.json"), []byte("x")); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}
