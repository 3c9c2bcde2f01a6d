package generate

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/templates"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// repo is the repository root, relative to this package.
const repo = "../.."

func load(t testing.TB, file string) *matrix.Plan {
	t.Helper()
	m, err := matrix.Load(file)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return matrix.Expand(m)
}

func openTemplates(t testing.TB, dir string) *templates.Set {
	t.Helper()
	set, err := templates.Open(dir)
	if err != nil {
		t.Fatalf("open templates %q: %v", dir, err)
	}
	return set
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// examples are the matrices every golden test generates.
var examples = []struct {
	name, matrix, templates string
}{
	{"minimal", "examples/minimal/matrix.yaml", ""},
	{"local", "examples/local/matrix.yaml", "examples/local/templates"},
	{"project", "matrix/matrix.yaml", ""},
}

func TestGolden(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			plan := load(t, filepath.Join(repo, ex.matrix))
			tdir := ""
			if ex.templates != "" {
				tdir = filepath.Join(repo, ex.templates)
			}
			out, err := Generate(plan, openTemplates(t, tdir), Options{ArtifactDir: "out"})
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			for _, f := range out.Files {
				golden.Assert(t, filepath.Join(ex.name, f.Name+".golden"), f.Data)
			}
			again, err := Generate(load(t, filepath.Join(repo, ex.matrix)), openTemplates(t, tdir), Options{ArtifactDir: "out"})
			if err != nil {
				t.Fatalf("generate again: %v", err)
			}
			if len(again.Files) != len(out.Files) {
				t.Fatalf("second run wrote %d files, first %d", len(again.Files), len(out.Files))
			}
			for i := range out.Files {
				if !bytes.Equal(out.Files[i].Data, again.Files[i].Data) {
					t.Errorf("%s differs between two runs on the same input", out.Files[i].Name)
				}
			}
		})
	}
}
