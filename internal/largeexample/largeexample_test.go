package largeexample

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// TestGrow: the example as it is at its own 40 distributions, 8,040 cells
// at 49, every copy loading as a matrix of its own.
func TestGrow(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", File))
	if err != nil {
		t.Fatal(err)
	}
	same, err := Grow(data, 40)
	if err != nil || !bytes.Equal(same, data) {
		t.Errorf("40 distributions: %v; want the file as it is", err)
	}
	grown, err := Grow(data, 49)
	if err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Parse("grown.yaml", grown)
	if err != nil {
		t.Fatal(err)
	}
	p := matrix.Expand(m)
	if len(m.Distributions) != 49 || len(p.Cells) != 8040 {
		t.Errorf("49 distributions: %d distributions, %d cells; want 49 and 8,040", len(m.Distributions), len(p.Cells))
	}
	if _, err := Grow([]byte("schema: x\n"), 49); err == nil {
		t.Error("a file without distributions grown")
	}
}
