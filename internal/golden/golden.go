// Package golden compares generated output — pipelines, manifests, tables,
// reports — with files under a test package's testdata/, and rewrites them
// when the tests run with -update (go test ./... -update, make
// update-golden). A golden diff is read like code: it is the product.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the output")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// Assert compares got with testdata/name, or writes it there under -update.
// On a difference it names the file, the first differing line and the
// command that accepts the change.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test with -update accepts it; read the diff):\n%s", path, FirstDiff(want, got))
	}
}

// FirstDiff describes the first line where want and got differ.
func FirstDiff(want, got []byte) string {
	wl := bytes.Split(want, []byte("\n"))
	gl := bytes.Split(got, []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}
