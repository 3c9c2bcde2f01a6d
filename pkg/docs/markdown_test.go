package docs

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePageAnchors(t *testing.T) {
	for _, tc := range []struct {
		name string
		md   string
		want []Anchor
	}{
		{
			name: "standalone anchor above a heading, blank line between",
			md:   "<a id=\"runner\"></a>\n\n## Runner\n",
			want: []Anchor{{Line: 1, ID: "runner", Kind: AnchorStandalone, Heading: 0}},
		},
		{
			name: "standalone anchor followed by prose is not above a heading",
			md:   "<a id=\"runner\"></a>\nSome text.\n\n## Runner\n",
			want: []Anchor{{Line: 1, ID: "runner", Kind: AnchorStandalone, Heading: -1}},
		},
		{
			name: "standalone anchor above a setext heading",
			md:   "<a id=\"runner\"></a>\nRunner\n------\n",
			want: []Anchor{{Line: 1, ID: "runner", Kind: AnchorStandalone, Heading: 0}},
		},
		{
			name: "single quotes and name attribute",
			md:   "<a id='deploy'></a>\n## Deploy\n\nSee <a name=\"old\">here</a>.\n",
			want: []Anchor{{Line: 1, ID: "deploy", Kind: AnchorStandalone, Heading: 0}, {Line: 4, ID: "old", Kind: AnchorInline, Heading: -1}},
		},
		{
			name: "heading attribute and anchor inside a heading",
			md:   "## Runner {#runner}\n### Logs <a id=\"pod-logs\"></a>\n",
			want: []Anchor{{Line: 1, ID: "runner", Kind: AnchorAttribute, Heading: 0}, {Line: 2, ID: "pod-logs", Kind: AnchorInline, Heading: -1}},
		},
		{
			name: "fenced code blocks hide anchors and headings",
			md:   "```markdown\n<a id=\"runner\"></a>\n## Runner\n```\n~~~~\n```\n<a id=\"deploy\"></a>\n~~~~\n<a id=\"agent\"></a>\n## Agent\n",
			want: []Anchor{{Line: 9, ID: "agent", Kind: AnchorStandalone, Heading: 0}},
		},
		{
			name: "HTML comments and code spans hide anchors",
			md:   "<!--\n<a id=\"runner\"></a>\n-->\nUse `<a id=\"deploy\"></a>` like this. <!-- <a id=\"x\"></a> -->\n",
			want: nil,
		},
		{
			name: "a comment line between anchor and heading is invisible",
			md:   "<a id=\"runner\"></a>\n<!-- runner section -->\n## Runner\n",
			want: []Anchor{{Line: 1, ID: "runner", Kind: AnchorStandalone, Heading: 0}},
		},
		{
			name: "front matter is skipped",
			md:   "---\ntitle: <a id=\"x\"></a>\n---\n<a id=\"runner\"></a>\n## Runner\n",
			want: []Anchor{{Line: 4, ID: "runner", Kind: AnchorStandalone, Heading: 0}},
		},
		{
			name: "CRLF line ends",
			md:   "<a id=\"runner\"></a>\r\n## Runner\r\n",
			want: []Anchor{{Line: 1, ID: "runner", Kind: AnchorStandalone, Heading: 0}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ParsePage("p.md", []byte(tc.md))
			if !reflect.DeepEqual(p.Anchors, tc.want) {
				t.Errorf("anchors\n got %+v\nwant %+v", p.Anchors, tc.want)
			}
		})
	}
}

func TestParsePageHeadings(t *testing.T) {
	md := strings.Join([]string{
		"# Title #",      // 1: closing hashes dropped
		"",               // 2
		"Setext two",     // 3
		"----------",     // 4
		"",               // 5
		"Setext one",     // 6
		"==========",     // 7
		"",               // 8
		"- item",         // 9
		"---",            // 10: a thematic break after a list, not a heading
		"#not a heading", // 11
		"    ## indented code, not a heading",
		"###### Six {#six .cls}",
	}, "\n")
	p := ParsePage("p.md", []byte(md))
	want := []Heading{
		{Line: 1, Level: 1, Text: "Title"},
		{Line: 3, Level: 2, Text: "Setext two"},
		{Line: 6, Level: 1, Text: "Setext one"},
		{Line: 13, Level: 6, Text: "Six", ID: "six"},
	}
	if !reflect.DeepEqual(p.Headings, want) {
		t.Errorf("headings\n got %+v\nwant %+v", p.Headings, want)
	}
}

func TestParsePageListItems(t *testing.T) {
	md := strings.Join([]string{
		"## Tested settings", // 1
		"",                   // 2
		"- First setting",    // 3
		"  wrapped on two lines",
		"  - nested explanation", // 5
		"* [x] Task item",        // 6
		"1. Numbered",            // 7
		"",                       // 8
		"  An explanation paragraph under the item.",
		"-not an item", // 10
	}, "\n")
	p := ParsePage("p.md", []byte(md))
	want := []ListItem{
		{Line: 3, Indent: 0, Text: "First setting wrapped on two lines", Heading: 0},
		{Line: 5, Indent: 2, Text: "nested explanation", Heading: 0},
		{Line: 6, Indent: 0, Text: "Task item", Heading: 0},
		{Line: 7, Indent: 0, Text: "Numbered", Heading: 0},
	}
	if !reflect.DeepEqual(p.ListItems, want) {
		t.Errorf("items\n got %+v\nwant %+v", p.ListItems, want)
	}
}

func TestStripCodeSpans(t *testing.T) {
	for in, want := range map[string]string{
		"a `b` c":         "a  c",
		"a ``b ` c`` d":   "a  d",
		"unclosed ` tick": "unclosed ` tick",
		"none":            "none",
	} {
		if got := stripCodeSpans(in); got != want {
			t.Errorf("stripCodeSpans(%q) = %q, want %q", in, got, want)
		}
	}
}
