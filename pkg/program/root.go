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

// AtRoot returns paths, relative to the repository root as the commands'
// defaults are, under the root FindRoot finds from dir, so that a command
// run from a subdirectory reads the files one run at the top reads. Run
// from the root itself (dir "" is the working directory) they stay as
// given. With optional (a command that does without the matrix), finding
// no root leaves them as given instead of failing.
func AtRoot(dir string, optional bool, paths ...string) ([]string, error) {
	root, err := FindRoot(dir)
	switch {
	case err != nil && optional:
		return paths, nil
	case err != nil:
		return nil, err
	}
	if cwd, _ := filepath.Abs("."); dir == "" && root == cwd {
		return paths, nil
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Join(root, p)
	}
	return out, nil
}
