package docs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// fixture loads testdata/<name>/matrix/matrix.yaml, inspects its docs and
// builds the report of its results.json (an empty history when absent).
func fixture(t *testing.T, name string) (*Audit, *report.Report) {
	t.Helper()
	file := filepath.Join("testdata", name, "matrix", "matrix.yaml")
	m, err := matrix.Load(file)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	root := DefaultRoot(file)
	if want := filepath.Join("testdata", name); root != want {
		t.Fatalf("DefaultRoot(%s) = %s, want %s", file, root, want)
	}
	hist, err := results.Read(filepath.Join(root, "matrix", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, a := BuildReport(m, hist, root, report.Options{})
	return a, rep
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []string // the rule of each problem, in output order
	}{
		{"complete", nil},
		{"missing-page", []string{"docs-missing", "docs-missing"}},
		{"missing-section", []string{"docs-settings", "docs-feature", "docs-feature", "docs-feature", "docs-settings", "docs-feature", "docs-settings"}},
		{"ephemeral-official", []string{"permanent-cluster"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := fixture(t, tc.name)
			probs := a.Problems()
			var rules []string
			var out strings.Builder
			for _, p := range probs {
				if p.Severity != matrix.Warning {
					t.Errorf("%s: severity %s, want warning", p, p.Severity)
				}
				if p.Pos.File == "" || p.Pos.Line < 1 {
					t.Errorf("%s: no file:line", p)
				}
				rules = append(rules, p.Rule)
				out.WriteString(p.String() + "\n")
			}
			if strings.Join(rules, " ") != strings.Join(tc.rules, " ") {
				t.Errorf("rules %v, want %v\n%s", rules, tc.rules, out.String())
			}
			golden.Assert(t, filepath.Join(tc.name, "check.golden"), []byte(out.String()))
			if got := Check(a.Matrix, a.Root); len(got) != len(probs) {
				t.Errorf("Check found %d problems, Inspect %d", len(got), len(probs))
			}
		})
	}
}

// TestCheckLocations pins the places each kind of gap is reported at: the
// matrix line to change, or the page line.
func TestCheckLocations(t *testing.T) {
	for _, tc := range []struct {
		fixture, path, at string
	}{
		// A missing page: the matrix's docs line; no docs key: the distribution's line.
		{"missing-page", "distributions.gke.docs", "testdata/missing-page/matrix/matrix.yaml:17"},
		{"missing-page", "distributions.aks", "testdata/missing-page/matrix/matrix.yaml:18"},
		// A missing feature section: the page, line 1, naming the matrix line.
		{"missing-section", "distributions.gke.docs", "testdata/missing-section/docs/distributions/gke.md:1"},
		// A setting listed differently: the setting's line in the matrix.
		{"missing-section", "distributions.gke.settings", "testdata/missing-section/matrix/matrix.yaml:17"},
		// An ephemeral official cluster: the cluster's type line.
		{"ephemeral-official", "distributions.k3s.cluster", "testdata/ephemeral-official/matrix/matrix.yaml:13"},
	} {
		a, _ := fixture(t, tc.fixture)
		found := false
		for _, p := range a.Problems() {
			if p.Path == tc.path && short(p.Pos) == filepath.FromSlash(tc.at) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no problem on %s at %s; got:\n%s", tc.fixture, tc.path, tc.at, a.Problems().Error())
		}
	}
}

func TestProgramGolden(t *testing.T) {
	for _, name := range []string{"complete", "missing-page", "missing-section", "ephemeral-official"} {
		t.Run(name, func(t *testing.T) {
			a, rep := fixture(t, name)
			got := Program(a, rep, Options{})
			golden.Assert(t, filepath.Join(name, "PROGRAM.md.golden"), got)
			// Same inputs, same bytes: inspect and build again.
			a2, rep2 := fixture(t, name)
			if again := Program(a2, rep2, Options{}); !bytes.Equal(got, again) {
				t.Error("PROGRAM.md differs between two runs on the same inputs")
			}
		})
	}
}

// TestProgramStatesSettingsVerbatim checks that every tested setting appears
// in PROGRAM.md as a list item exactly as the matrix states it.
func TestProgramStatesSettingsVerbatim(t *testing.T) {
	a, rep := fixture(t, "complete")
	doc := string(Program(a, rep, Options{}))
	for _, d := range a.Matrix.Distributions {
		for _, s := range d.Settings {
			if !strings.Contains(doc, "\n- "+s.Text+"\n") {
				t.Errorf("PROGRAM.md lacks the setting %q of %s as a list item", s.Text, d.ID)
			}
		}
	}
}

func TestProgramWithoutHistory(t *testing.T) {
	a, _ := fixture(t, "complete")
	doc := string(Program(a, nil, Options{}))
	for _, want := range []string{"| 1.35 | `untested` | 0 of 3 | never | no result |", "so far 1.35: 0 of 3, 1.36: 0 of 3."} {
		if !strings.Contains(doc, want) {
			t.Errorf("PROGRAM.md without history lacks %q", want)
		}
	}
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct{ fixture, id string }{
		{"complete", "gke"},
		{"complete", "kind"},
		{"ephemeral-official", "k3s"},
		{"missing-section", "aks"},
	} {
		t.Run(tc.fixture+"/"+tc.id, func(t *testing.T) {
			a, rep := fixture(t, tc.fixture)
			got, err := Explain(a, rep, tc.id, Options{})
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join(tc.fixture, "explain-"+tc.id+".golden"), got)
		})
	}
	a, rep := fixture(t, "complete")
	if _, err := Explain(a, rep, "nope", Options{}); err == nil || !strings.Contains(err.Error(), "gke, aks, kind") {
		t.Errorf("Explain of an unknown id: %v, want an error listing the ids", err)
	}
}

func TestPath(t *testing.T) {
	a, rep := fixture(t, "complete")
	for _, tc := range []struct {
		id    string
		tiers []matrix.Tier
		open  []int // remaining steps per target
	}{
		// gke 1.36 has 2 of 3 green runs.
		{"gke", []matrix.Tier{matrix.TierOfficial}, []int{1}},
		// aks is documented; official needs 3 green runs on 1.36 (it has 3) and the tier.
		{"aks", []matrix.Tier{matrix.TierOfficial}, []int{1}},
		// kind: page, sections, settings, runs, freshness, tier for beta (beta's
		// default policy: 1 green run, 8d); cluster, runs, freshness, tier for official.
		{"kind", []matrix.Tier{matrix.TierBeta, matrix.TierOfficial}, []int{6, 4}},
	} {
		paths := a.Path(a.Distribution(tc.id), rep)
		if len(paths) != len(tc.tiers) {
			t.Fatalf("%s: %d targets, want %d", tc.id, len(paths), len(tc.tiers))
		}
		for i, tg := range paths {
			if tg.Tier != tc.tiers[i] || len(tg.Remaining()) != tc.open[i] {
				var texts []string
				for _, s := range tg.Remaining() {
					texts = append(texts, s.Text)
				}
				t.Errorf("%s: target %s with %d open steps, want %s with %d:\n%s", tc.id, tg.Tier, len(tg.Remaining()), tc.tiers[i], tc.open[i], strings.Join(texts, "\n"))
			}
		}
	}
}

func TestDefaultRoot(t *testing.T) {
	outside := t.TempDir() // no .git above it
	for _, tc := range []struct{ in, want string }{
		{"matrix/matrix.yaml", "."},
		{filepath.Join("repo", "matrix", "matrix.yaml"), "repo"},
		// This package sits two levels below the repository's .git.
		{"matrix.yaml", filepath.Join("..", "..")},
		{filepath.Join(outside, "x", "m.yaml"), "."},
	} {
		if got := DefaultRoot(tc.in); got != tc.want {
			t.Errorf("DefaultRoot(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestProjectMatrix runs the check on the repository's own matrix and docs:
// every gap must carry a real location, and the output must be stable.
func TestProjectMatrix(t *testing.T) {
	file := filepath.Join("..", "..", "matrix", "matrix.yaml")
	m, err := matrix.Load(file)
	if err != nil {
		t.Skipf("the project matrix does not load: %v", err)
	}
	root := DefaultRoot(file)
	first, second := Check(m, root), Check(m, root)
	if first.Error() != second.Error() {
		t.Error("two checks of the same tree differ")
	}
	for _, p := range first {
		if _, err := os.Stat(p.Pos.File); err != nil {
			t.Errorf("%s: the location's file does not exist", p)
		}
	}
	t.Logf("docs --check on the project matrix:\n%s", first.Error())
}

func TestRequirement(t *testing.T) {
	for _, tc := range []struct {
		fixture, dist, name string
		met                 bool
		detail              string
	}{
		{"complete", "gke", "docs", true, "docs page docs/distributions/gke.md"},
		{"complete", "gke", "settings", true, "2 tested settings listed"},
		{"complete", "kind", "docs", false, "no docs page declared"},
		{"complete", "kind", "permanent-cluster", false, "the cluster is ephemeral, not permanent"},
		{"missing-page", "gke", "docs", false, "docs page docs/distributions/gke.md does not exist"},
		{"missing-section", "gke", "docs", false, "docs page docs/distributions/gke.md has no section for runner, monitoring"},
		{"missing-section", "gke", "settings", false, `docs page docs/distributions/gke.md does not list "Dataplane V2 enabled"`},
		{"missing-section", "aks", "settings", false, `docs page docs/distributions/aks.md has no "Tested settings" section`},
		{"ephemeral-official", "k3s", "permanent-cluster", false, "the cluster is ephemeral, not permanent"},
	} {
		a, _ := fixture(t, tc.fixture)
		met, detail := a.Requirement(tc.dist, tc.name)
		if met != tc.met || detail != tc.detail {
			t.Errorf("%s %s %s: (%v, %q), want (%v, %q)", tc.fixture, tc.dist, tc.name, met, detail, tc.met, tc.detail)
		}
	}
}

// TestSettingsDeclared: `settings: []` declares a distribution tested on its
// defaults, which meets the settings requirement with nothing for the page
// to list; a distribution without the key has a gap.
func TestSettingsDeclared(t *testing.T) {
	root := t.TempDir()
	page := "# X\n\n<a id=\"deploy\"></a>\n## Deploy\n"
	for _, name := range []string{"defaults", "silent"} {
		p := filepath.Join(root, "docs", name+".md")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := matrix.Parse("m.yaml", []byte(`schema: supportmatrix/v1
kubernetes: {versions: ["1.35"]}
distributions:
  defaults:
    name: Defaults
    tier: official
    cluster: {type: permanent, context: "a/b:d-{minor}"}
    docs: docs/defaults.md
    settings: []
  silent:
    name: Silent
    tier: official
    cluster: {type: permanent, context: "a/b:s-{minor}"}
    docs: docs/silent.md
features:
  deploy: {name: Deploy}
`))
	if err != nil {
		t.Fatal(err)
	}
	a := Inspect(m, root)
	if met, detail := a.Requirement("defaults", matrix.RequireSettings); !met || detail != "tested on the distribution's defaults (settings: [])" {
		t.Errorf("settings: []: (%v, %q), want met", met, detail)
	}
	if met, _ := a.Requirement("silent", matrix.RequireSettings); met {
		t.Error("no settings key: met, want a gap")
	}
	var got []string
	for _, p := range a.Problems() {
		got = append(got, p.Path+" "+p.Rule)
	}
	if strings.Join(got, ", ") != "distributions.silent settings-missing" {
		t.Errorf("problems %v, want only the silent distribution's settings-missing", got)
	}
}

// TestPagesStayInsideTheRepository: a docs page is read inside the
// repository root only and bounded, so a symlink to /etc/passwd is not
// parsed as a page, a symlink to /dev/zero or a FIFO does not hang or
// exhaust memory, and an oversized page is refused (issue 13 item 8).
func TestPagesStayInsideTheRepository(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "docs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.md")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.md"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), MaxPageSize+1)
	if err := os.WriteFile(filepath.Join(dir, "big.md"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "real.md"), []byte("# Real\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.md", filepath.Join(dir, "inside.md")); err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	src.WriteString("schema: supportmatrix/v1\nkubernetes: {versions: [\"1.35\"]}\ndistributions:\n")
	names := []string{"passwd", "zero", "fifo", "big", "inside"}
	for _, n := range names {
		fmt.Fprintf(&src, "  %s:\n    name: %s\n    tier: community\n    cluster: {type: permanent, context: \"a/b:%s-{minor}\"}\n    docs: docs/%s.md\n", n, n, n, n)
	}
	src.WriteString("features:\n  deploy: {name: Deploy}\n")
	m, err := matrix.Parse("m.yaml", []byte(src.String()))
	if err != nil {
		t.Fatal(err)
	}
	a := Inspect(m, root)
	want := map[string]string{
		"passwd": "path escapes from parent",
		"zero":   "path escapes from parent",
		"fifo":   "not a regular file",
		"big":    "is larger than 1 MiB",
	}
	for _, da := range a.Distributions {
		id := da.Distribution.ID
		if id == "inside" {
			if da.Page == nil {
				t.Errorf("inside: a symlink within the repository is a page: %s", da.PageMissing)
			}
			continue
		}
		if da.Page != nil {
			t.Errorf("%s: read as a page, want refused", id)
			continue
		}
		if !strings.Contains(da.PageMissing, want[id]) {
			t.Errorf("%s: %q, want it to say %q", id, da.PageMissing, want[id])
		}
	}
}
