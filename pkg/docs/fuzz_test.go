package docs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParsePage feeds arbitrary text to the page scanner: it never panics,
// every position it reports is a line of the input, in order, and every
// index into Headings is in range.
func FuzzParsePage(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/docs/distributions/*.md")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("---\ntitle: x\n---\n<a id=\"a\"></a>\n## A {#b}\n\n- one\n  two\n```\n# no\n```\n<!-- c\n-->\nT\n===\n"))
	f.Add([]byte("* x\r\n<!-- <a id=\"x\"></a> -->\n`# not`\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := ParsePage("fuzz.md", data)
		if p == nil || p.Path != "fuzz.md" {
			t.Fatalf("page %+v", p)
		}
		lines := strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") + 1
		inside := func(what string, i, line, prev int) {
			if line < 1 || line > lines {
				t.Fatalf("%s %d: line %d outside 1..%d", what, i, line, lines)
			}
			if line < prev {
				t.Fatalf("%s %d: line %d before line %d", what, i, line, prev)
			}
		}
		heading := func(what string, i, h int) {
			if h < -1 || h >= len(p.Headings) {
				t.Fatalf("%s %d: heading index %d of %d", what, i, h, len(p.Headings))
			}
		}
		prev := 0
		for i, h := range p.Headings {
			inside("heading", i, h.Line, prev)
			prev = h.Line
			if h.Level < 1 || h.Level > 6 {
				t.Fatalf("heading %d: level %d", i, h.Level)
			}
		}
		for i, a := range p.Anchors {
			inside("anchor", i, a.Line, 0)
			heading("anchor", i, a.Heading)
			if a.Heading >= 0 && p.Headings[a.Heading].Line < a.Line {
				t.Fatalf("anchor %d on line %d points at the heading on line %d above it", i, a.Line, p.Headings[a.Heading].Line)
			}
		}
		prev = 0
		for i, li := range p.ListItems {
			inside("list item", i, li.Line, prev)
			prev = li.Line
			heading("list item", i, li.Heading)
			if li.Indent < 0 {
				t.Fatalf("list item %d: indent %d", i, li.Indent)
			}
			if li.Heading >= 0 && p.Headings[li.Heading].Line > li.Line {
				t.Fatalf("list item %d on line %d sits under the heading on line %d", i, li.Line, p.Headings[li.Heading].Line)
			}
		}
	})
}
