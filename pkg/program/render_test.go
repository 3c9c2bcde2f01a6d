package program

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestRenderMatchesTheRenderGoldens: the support-table goldens of
// pkg/render are what `supportmatrix render` prints on the same inputs
// (both go through docs.BuildReport), byte for byte but for the matrix
// path the table names.
func TestRenderMatchesTheRenderGoldens(t *testing.T) {
	dir := filepath.Join("..", "render", "testdata")
	for format, golden := range map[string]string{"markdown": "support.md.golden", "json": "support.json.golden", "html": "support.html.golden"} {
		t.Run(format, func(t *testing.T) {
			matrixPath := filepath.Join(dir, "matrix.yaml")
			got, err := Render(RenderOptions{Matrix: matrixPath, Results: filepath.Join(dir, "results.json"), Root: filepath.Join(dir, "repo"), Format: format})
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, golden))
			if err != nil {
				t.Fatal(err)
			}
			got = bytes.ReplaceAll(got, []byte(matrixPath), []byte("testdata/matrix.yaml"))
			if !bytes.Equal(got, want) {
				t.Errorf("render --format %s differs from %s (regenerate it with go test ./pkg/render -update)", format, golden)
			}
		})
	}
}
