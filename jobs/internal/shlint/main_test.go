package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindingsAtTemplateLines checks that a finding in an override's script
// is reported at the template's own file and line, and that the defaults
// (with the library) are clean.
func TestFindingsAtTemplateLines(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: shellcheck over every template (make lint runs it too)")
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("SUPPORTMATRIX_REQUIRE_TOOLS") == "1" {
			t.Fatalf("shellcheck required: %v", err)
		}
		t.Skip("shellcheck not installed")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "features"), 0o755); err != nil {
		t.Fatal(err)
	}
	body := "# an override\nscript:\n  - junit_start bad\n  - |\n    x=\"$SM_CELL\"\n    echo $x\n  - junit_done\n"
	if err := os.WriteFile(filepath.Join(dir, "features", "bad.yml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n, err := run([]string{dir}, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "features", "bad.yml") + ":6: column 6: SC2086"
	if n != 1 || !strings.HasPrefix(out.String(), want) {
		t.Errorf("run = %d findings:\n%s\nwant one at %s", n, out.String(), want)
	}
}
