package program

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultMatrix is where the matrix lives, relative to the repository root.
const DefaultMatrix = "matrix/matrix.yaml"

// FindRoot finds the repository root the way git finds its top level: the
// nearest of dir and its parents that holds DefaultMatrix, looking no
// further up than the first directory with a .git entry (the repository's
// top). So a command run from docs/ or pkg/x reads the same matrix as one
// run at the top. dir "" is the working directory. The error says where it
// looked.
func FindRoot(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	start, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find the matrix: %w", err)
	}
	for d := start; ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, DefaultMatrix)); err == nil && !st.IsDir() {
			return d, nil
		}
		_, gitErr := os.Stat(filepath.Join(d, ".git"))
		if gitErr == nil || filepath.Dir(d) == d {
			return "", fmt.Errorf("no %s in %s or any parent up to %s: run from the repository that holds it, or give --matrix FILE", DefaultMatrix, start, d)
		}
	}
}
