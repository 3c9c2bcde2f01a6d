package docs

import (
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// TestProgramFollowsTheProjectsPaths: PROGRAM.md names the directory the
// project's own docs: entries use and links the page convention only when
// the repository has it; no path of this repository leaks into another's.
func TestProgramFollowsTheProjectsPaths(t *testing.T) {
	tests := []struct {
		matrix, root, dir string
		conventions       bool
	}{
		{"../../examples/local/matrix.yaml", "../..", "examples/local/docs", true},
		{"../../matrix/matrix.yaml", "../..", "docs/distributions", true},
		{"testdata/complete/matrix/matrix.yaml", "testdata/complete", "docs/distributions", false},
	}
	for _, tt := range tests {
		t.Run(tt.matrix, func(t *testing.T) {
			m, err := matrix.Load(tt.matrix)
			if err != nil {
				t.Fatal(err)
			}
			a := Inspect(m, tt.root)
			if got := a.PagesDir(); got != tt.dir {
				t.Errorf("pages dir %q, want %q", got, tt.dir)
			}
			if a.HasConventions() != tt.conventions {
				t.Errorf("conventions found = %v, want %v", !tt.conventions, tt.conventions)
			}
			doc := string(Program(a, nil, Options{Dir: "matrix"}))
			if !strings.Contains(doc, "the pages under `"+tt.dir+"/`") {
				t.Errorf("PROGRAM.md does not name %s/", tt.dir)
			}
			if strings.Contains(doc, "(../docs/README.md)") != tt.conventions {
				t.Errorf("PROGRAM.md links docs/README.md: %v, want %v", !tt.conventions, tt.conventions)
			}
			if tt.dir != DefaultPagesDir && strings.Contains(doc, DefaultPagesDir) {
				t.Errorf("PROGRAM.md names %s, which this project does not use", DefaultPagesDir)
			}
		})
	}
}
