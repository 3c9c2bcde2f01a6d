package validate_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/diag"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/validate"
)

// repoRoot is the repository root seen from this package's directory.
const repoRoot = "../.."

// today is the day the calendar checks run on, fixed so results do not
// depend on the clock.
var today = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// templatesFor returns the template set a matrix file is meant for: the
// templates/ folder beside it, else the embedded defaults.
func templatesFor(t *testing.T, file string) *jobs.Set {
	t.Helper()
	dir := filepath.Join(filepath.Dir(file), "templates")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = ""
	}
	set, err := jobs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// matrixFiles lists every matrix file in the repository: fixtures (valid
// and invalid), examples and the project's own.
func matrixFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".tools" || d.Name() == "node_modules" || d.Name() == "out") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".golden.yaml") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("schema: supportmatrix/v1")) || strings.Contains(p, "invalid-") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 40 {
		t.Fatalf("found only %d matrix files", len(out))
	}
	return out
}

// TestNothingPassesValidateAndFailsLater walks every matrix file of the
// repository through validate and through what each later stage refuses
// (load, plan and generate as library calls, docs --check, versions
// --check). A file that a later stage refuses must be refused by validate
// (plan, generate) or carry the same finding as a warning (docs, versions).
func TestNothingPassesValidateAndFailsLater(t *testing.T) {
	t.Parallel()
	var refusedLater atomic.Int64
	// Cleanup runs once every file's subtest, parallel ones included, ended.
	t.Cleanup(func() {
		if n := refusedLater.Load(); n < 30 {
			t.Errorf("only %d refusals by later stages: the walk lost its fixtures", n)
		}
	})
	for _, file := range matrixFiles(t) {
		name, _ := filepath.Rel(repoRoot, file)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			t.Parallel()
			if testing.Short() && strings.HasPrefix(filepath.ToSlash(name), "examples/large/") {
				t.Skip("-short: 6,660 cells through every stage; the full run walks it")
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			set := templatesFor(t, file)
			v := validate.Matrix(validate.Options{File: file, Data: data, Templates: set, Today: today})
			said := map[string]bool{}
			for _, p := range v.Problems {
				said[p.String()] = true
			}
			gateRefused := len(v.Problems.Errors()) > 0

			m, err := matrix.Parse(file, data)
			if err != nil {
				refusedLater.Add(1)
				if !gateRefused {
					t.Fatalf("load refuses what validate accepts:\n%v", err)
				}
				return
			}
			// plan counts jobs with Generate on every cell; generate
			// --profile all writes them.
			if _, err := generate.Generate(matrix.Expand(m), set, generate.Options{}); err != nil {
				refusedLater.Add(1)
				// The generator names the matrix line, and the template
				// set names its file once.
				if !strings.HasPrefix(err.Error(), file+":") {
					t.Errorf("generate's error names no line of %s: %v", file, err)
				}
				if strings.Count(err.Error(), "template ") > 1 {
					t.Errorf("generate's error repeats its prefix: %v", err)
				}
				if !gateRefused {
					t.Fatalf("plan/generate refuse what validate accepts:\n%v", err)
				}
				return
			}
			var later diag.Problems
			later = append(later, docs.Check(m, "")...)
			for _, p := range kube.Check(m, today) {
				if kube.Failing(p) {
					later = append(later, p)
				}
			}
			for _, p := range later {
				refusedLater.Add(1)
				if !said[p.String()] {
					t.Errorf("a later check finds what validate does not say:\n  %s", p)
				}
			}
		})
	}
}

// TestGateFixtures checks testdata/invalid-*.yaml, each against its
// "# want: line:col: message" comments, with testdata/templates as the
// override directory.
// matchWant reports whether each problem matches its "# want:" line, in
// order. {N} in a want line stands for any whole number: a figure that
// follows from the templates' bytes (a parsed size) is not what a fixture
// is about, and pinning it breaks the fixture on any template change.
func matchWant(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i, w := range want {
		re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(w), regexp.QuoteMeta("{N}"), `\d+`) + "$")
		if !re.MatchString(got[i]) {
			return false
		}
	}
	return true
}

func TestGateFixtures(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	set, err := jobs.Open("testdata/templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				if rest, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
					want = append(want, rest)
				}
			}
			v := validate.Matrix(validate.Options{File: file, Data: data, Templates: set, Today: today})
			if v.Matrix != nil {
				t.Errorf("validate accepts %s", file)
			}
			var got []string
			for _, p := range v.Problems.Errors() {
				got = append(got, strings.TrimPrefix(p.String(), file+":"))
			}
			if !matchWant(got, want) {
				t.Errorf("problems differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}
