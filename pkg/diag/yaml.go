package diag

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// maxSyntaxScan bounds how many lines past yaml.v3's line YAMLSyntax reads
// to find the offending one.
const maxSyntaxScan = 2000

// YAMLSyntax turns a yaml.v3 syntax error in data into a problem at the
// offending line, with the rule "yaml". yaml.v3 names the line where the
// enclosing block started (an indentation mistake on line 9 of a mapping
// that starts on line 2 is reported at line 2); the offending line is the
// first line at which the document, cut there, fails with the same message.
// A tab in a line's indentation is named as such: YAML indents with spaces
// only.
func YAMLSyntax(file string, data []byte, err error) Problem {
	pos, text := yamlErrorPos(file, err), yamlErrorText(err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if pos.Line >= 1 && pos.Line <= len(lines) {
		prefix := bytes.Join(lines[:pos.Line-1], nil)
		for n := pos.Line; n <= len(lines) && n < pos.Line+maxSyntaxScan; n++ {
			prefix = append(prefix, lines[n-1]...)
			var doc yaml.Node
			dec := yaml.NewDecoder(bytes.NewReader(prefix))
			if perr := dec.Decode(&doc); perr != nil && yamlErrorText(perr) == text {
				pos.Line = n
				break
			}
		}
	}
	if pos.Line >= 1 && pos.Line <= len(lines) {
		line := lines[pos.Line-1]
		indent := line[:len(line)-len(bytes.TrimLeft(line, " \t"))]
		if i := bytes.IndexByte(indent, '\t'); i >= 0 {
			pos.Column = i + 1
			return Problem{Pos: pos, Rule: "yaml", Message: "not valid YAML: a tab indents this line; YAML indents with spaces only"}
		}
		pos.Column = len(indent) + 1
		if text == "did not find expected key" || text == "mapping values are not allowed in this context" {
			text += "; check this line's indentation"
		}
	}
	return Problem{Pos: pos, Rule: "yaml", Message: "not valid YAML: " + text}
}

// yamlErrorPos extracts the line of a yaml.v3 syntax error.
func yamlErrorPos(file string, err error) Pos {
	p := Pos{File: file, Line: 1, Column: 1}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1]) // the pattern matched digits
	}
	return p
}

func yamlErrorText(err error) string {
	s := yamlLine.ReplaceAllString(err.Error(), "")
	return strings.TrimPrefix(s, "yaml: ")
}
