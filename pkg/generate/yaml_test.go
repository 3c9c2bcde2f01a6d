package generate

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// canonical returns a copy of a parsed node as the generator would build
// it for encode: scalar styles forgotten (strings get quote11's quotes,
// other scalars their tag), positions dropped.
func canonical(n *yaml.Node) *yaml.Node {
	c := *n
	c.Line, c.Column = 0, 0
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	if c.Kind == yaml.ScalarNode {
		c.Style = 0
		if c.Tag == "!!str" {
			quote11(&c)
		}
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = canonical(k)
	}
	return &c
}

// TestWriterMatchesYAML checks that the job writer writes exactly what
// yaml.v3 (encode) writes for the same tree, for every chain of the
// examples, the large example, a matrix with hostile values and one with
// YAML 1.1 look-alikes: each chain's text is read back with yaml.v3, its
// scalar styles forgotten, and encoded again. The deepSize estimate the
// writer kept must be the one of the tree read back.
func TestWriterMatchesYAML(t *testing.T) {
	t.Parallel()
	for name, plan := range testPlans(t) {
		t.Run(name, func(t *testing.T) {
			b := testBuild(t, name, plan)
			w := &writer{}
			for _, c := range b.chains {
				ec, err := encodeChain(plan.Matrix, c, w, true)
				if err != nil {
					t.Fatal(err)
				}
				var doc yaml.Node
				if err := yaml.Unmarshal(ec.text, &doc); err != nil {
					t.Fatalf("chain %q does not parse: %v\n%s", c[0].name, err, ec.text)
				}
				want, err := encode(canonical(doc.Content[0]))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(ec.text, want) {
					t.Fatalf("chain %q: the writer differs from yaml.v3:\n%s", c[0].name, golden.FirstDiff(want, ec.text))
				}
				if got, want := ec.size, deepSize(&doc); got != want {
					t.Errorf("chain %q: size estimate %d, the tree read back has %d", c[0].name, got, want)
				}
			}
		})
	}
}

// testPlans are the plans the writer tests cover: every example, the
// large one at 4×, the hostile one and the YAML 1.1 look-alikes.
func testPlans(t *testing.T) map[string]*matrix.Plan {
	plans := map[string]*matrix.Plan{
		"large":     largePlan(t, 4),
		"malicious": maliciousPlan(t),
		"yaml11":    load(t, filepath.Join("testdata", "yaml11.yaml")),
	}
	for _, ex := range examples {
		plans[ex.name] = load(t, filepath.Join(repo, ex.matrix))
	}
	if testing.Short() {
		delete(plans, "large") // -short: the examples and the hostile plans only
	}
	return plans
}

// testBuild builds the chains of every cell of a plan of testPlans.
func testBuild(t *testing.T, name string, plan *matrix.Plan) *builder {
	t.Helper()
	tmpl := openTemplates(t, "")
	if name == "local" {
		tmpl = openTemplates(t, filepath.Join(repo, "examples/local/templates"))
	}
	run, err := selectCells(plan, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{m: plan.Matrix, plan: plan, run: run,
		tc: &templateCache{src: tmpl, image: plan.Matrix.Pipeline.Image, done: map[string]*prepared{}}}
	if err := b.build(); err != nil {
		t.Fatal(err)
	}
	return b
}

// hostileScalars are strings whose style the emitter decides in every way
// it can: plain, single or double quoted, literal, or escaped.
var hostileScalars = []string{
	"", " ", "a", "a b", " a", "a ", "-", "- a", "-a", "--", "---", "--- a", "...", "a...",
	"?", "? a", "?a", ":", ": a", ":a", "a:", "a: b", "a:b", "a :b", "#", "a#b", "a #b", "a# b",
	",a", "a,b", "[a", "a[b]", "{a}", "a{", "&a", "*a", "!a", "|a", ">a", "'a", "a'b", "\"a", "a\"b",
	"%a", "@a", "`a", "a\\b", "a\tb", "\ta", "a\n", "a\nb", "a\n\nb", "\na", "a \nb", "a\n b",
	"a\r\nb", "a\rb", "\x00", "\x7f", "é", "a\u2028b", "\ufeffa", "a\u0085b", "日本",
	"true", "True", "TRUE", "tRUE", "false", "yes", "Yes", "no", "on", "off", "y", "n", "Y", "N",
	"null", "Null", "~", "<<", "=", "0", "00", "007", "08", "0x1f", "0X1F", "0o17", "0b101", "-0b1",
	"-0o7", "1_000", "1,000", "1:30", "190:20:30", "1.35", "1.", ".5", "-.5", "+1", "-1", "1e3",
	"1E+3", "1e", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "inf", "nan", "1-35", "1.35->1.36",
	"2026-11-30", "2026-1-2", "2026-11-30 10:00:00", "2026-11-30T10:00:00Z", "20261130", "12345-1",
	"9223372036854775807", "9223372036854775808", "18446744073709551616", "0x8000000000000000",
	"1.2.3", "v1.35", "kind 1.35: deploy", "supportmatrix/kind/1.35", "$(rm -rf /)", "a: {b: c}",
	":x", "::", "-:", "a-", "30m", "1h 30m", strings.Repeat("x", 130),
}

// TestScalarStyle compares the writer's scalars with what yaml.v3 writes at
// the same place: as a mapping value and as a sequence item, at the
// columns the generator uses.
func TestScalarStyle(t *testing.T) {
	t.Parallel()
	for _, s := range hostileScalars {
		for _, at := range []place{{ind: 0}, {ind: 2}, {ind: 4}, {ind: 6}, {item: true, ind: 2}, {item: true, ind: 4}} {
			checkScalar(t, s, at)
		}
	}
}

func checkScalar(t *testing.T, s string, at place) {
	t.Helper()
	want, err := slowScalar(s, at)
	if err != nil {
		t.Skipf("yaml.v3 cannot write %q: %v", s, err)
	}
	w := &writer{}
	w.scalar(s, at)
	if w.err != nil {
		t.Fatalf("%q at %+v: %v", s, at, w.err)
	}
	if !bytes.Equal(w.buf, want) {
		t.Errorf("%q at %+v: writer %q, yaml.v3 %q", s, at, w.buf, want)
	}
}

// FuzzScalar: any string, at any place, is written as yaml.v3 writes it.
func FuzzScalar(f *testing.F) {
	for _, s := range hostileScalars {
		f.Add(s, false, 2)
	}
	f.Fuzz(func(t *testing.T, s string, item bool, ind int) {
		ind = 2 * (ind & 3)
		if item && ind == 0 {
			ind = 2
		}
		checkScalar(t, s, place{item: item, ind: ind})
	})
}

// TestKeywordsPlain: the keys writeJob writes without a style lookup
// (keyword) are plain scalars for encode too, and nothing else is a
// keyword.
func TestKeywordsPlain(t *testing.T) {
	for _, k := range []string{"extends", "stage", "needs", "variables", "image", "script", "tags", "resource_group", "timeout", "interruptible", "when", "allow_failure", "artifacts", "SM_CELL", "SM_FEATURE"} {
		if !keyword(k) || styleOf(k) != stylePlain {
			t.Errorf("%q: keyword %v, style %v; want a plain keyword", k, keyword(k), styleOf(k))
		}
	}
	for _, k := range []string{"on", "1.35", "extends ", "Stage", "SM_DISTRIBUTION"} {
		if keyword(k) {
			t.Errorf("%q is a keyword", k)
		}
	}
}
