package diag

import (
	"bytes"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Pos: Pos{"m.yaml", 3, 5}, Path: "a.b", Message: "bad", Rule: "type"}, "m.yaml:3:5: a.b: bad [type]"},
		{Problem{Pos: Pos{"m.yaml", 1, 1}, Message: "bad", Severity: Warning}, "m.yaml:1:1: warning: bad"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestSortAndFilter(t *testing.T) {
	ps := Problems{
		{Pos: Pos{"b", 1, 1}, Message: "4"},
		{Pos: Pos{"a", 2, 1}, Message: "3", Severity: Warning},
		{Pos: Pos{"a", 1, 2}, Message: "2"},
		{Pos: Pos{"a", 1, 2}, Message: "2b"},
		{Pos: Pos{"a", 1, 1}, Message: "1"},
	}
	ps.Sort()
	var got string
	for _, p := range ps {
		got += p.Message + " "
	}
	if got != "1 2 2b 3 4 " {
		t.Errorf("order %q", got)
	}
	if len(ps.Errors()) != 4 || len(ps.Warnings()) != 1 {
		t.Errorf("errors %d, warnings %d", len(ps.Errors()), len(ps.Warnings()))
	}
}

// TestYAMLSyntax checks that syntax errors point at the offending line,
// where yaml.v3 names the line the enclosing block starts on.
func TestYAMLSyntax(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"over-indented mapping", "a:\n  b: 1\n  c: {}\n   d: 3\n", "f.yaml:4:4: not valid YAML: did not find expected key; check this line's indentation [yaml]"},
		{"over-indented key", "a:\n  b: 1\n  c: 2\n   d: 3\n", "f.yaml:4:4: not valid YAML: mapping values are not allowed in this context; check this line's indentation [yaml]"},
		{"value then deeper key", "a:\n  b: x\n    c: 1\n", "f.yaml:3:5: not valid YAML: mapping values are not allowed in this context; check this line's indentation [yaml]"},
		{"tab indentation", "a:\n\tb: 1\n", "f.yaml:2:1: not valid YAML: a tab indents this line; YAML indents with spaces only [yaml]"},
		{"tab after spaces", "a:\n  b:\n  \tc: 1\n", "f.yaml:3:3: not valid YAML: a tab indents this line; YAML indents with spaces only [yaml]"},
		// The bracket that is never closed is the offending line.
		{"unclosed flow", "a: [1, 2\nb: 3\n", "f.yaml:1:1: not valid YAML: did not find expected ',' or ']' [yaml]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.NewDecoder(bytes.NewReader([]byte(tt.doc))).Decode(&n)
			if err == nil {
				t.Fatal("yaml.v3 accepts the document")
			}
			if got := YAMLSyntax("f.yaml", []byte(tt.doc), err).String(); got != tt.want {
				t.Errorf("got  %s\nwant %s\n(yaml.v3: %v)", got, tt.want, err)
			}
		})
	}
}
