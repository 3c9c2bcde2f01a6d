package generate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/internal/yaml11"
)

// Scalars are written by hand, in the style encode (yaml.v3, the package's
// one YAML style) gives a !!str scalar node after quote11: the job writer
// (writer.go) calls appendStr for every string of a job. For the strings
// the generator writes (printable ASCII on one line) the style is decided
// here, by yaml.v3's own rules, ported:
//
//   - double quotes when YAML 1.1 (GitLab's Psych) would read the plain
//     string as another type (quote11), or when yaml.v3's YAML 1.2 resolver
//     would (encode.go: a !!str whose plain form resolves to another tag is
//     "forceQuoting"; resolve.go, ported in resolvesToString);
//   - single quotes when the emitter may not write it plain in block
//     context (emitterc.go yaml_emitter_analyze_scalar: leading or trailing
//     space, an indicator, ": " or " #");
//   - plain otherwise.
//
// Anything else (a line break, a tab, a control or non-ASCII character) is
// rare, comes only from distribution variables, and is rendered by yaml.v3
// itself at the same place in a small document (slowScalar), so every
// string is written exactly as encode would write it. TestScalarStyle and
// FuzzScalar compare both with yaml.v3.

// scalarStyle is how a string is written.
type scalarStyle int

const (
	stylePlain scalarStyle = iota
	styleSingle
	styleDouble
	styleSlow // not printable ASCII on one line: yaml.v3 renders it
)

// styleOf returns how encode writes s as a !!str scalar in block context.
func styleOf(s string) scalarStyle {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return styleSlow
		}
	}
	if !yaml11.Plain(s) || !resolvesToString(s) {
		return styleDouble
	}
	if !blockPlainAllowed(s) {
		return styleSingle
	}
	return stylePlain
}

// blockPlainAllowed is yaml_emitter_analyze_scalar's block_plain_allowed
// (yaml.v3 emitterc.go) for a non-empty string of printable ASCII without
// line breaks or tabs: no leading or trailing space, no document marker,
// no leading indicator, no ": " or " #".
func blockPlainAllowed(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	followedBySpace := func(i int) bool { return i+1 >= len(s) || s[i+1] == ' ' }
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '?', ':', '-':
		if followedBySpace(0) {
			return false
		}
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case ':':
			if followedBySpace(i) {
				return false
			}
		case '#':
			if s[i-1] == ' ' {
				return false
			}
		}
	}
	return true
}

// resolvesToString reports whether yaml.v3 reads s, written plain, as a
// string: its resolver (yaml.v3 resolve.go, resolve with no tag) ported for
// the first characters that can start something else. A letter other than
// y, n, t, f, o (and ~, <) starts a string; those few start a string too
// unless they spell true, false or null, which YAML 1.1 refuses first.
func resolvesToString(s string) bool {
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c == '.':
		switch s {
		case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF":
			return false
		}
		_, err := strconv.ParseFloat(s, 64)
		return err != nil
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		switch s {
		case "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
			return false
		}
		if isTimestamp(s) {
			return false
		}
		plain := strings.ReplaceAll(s, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return false
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return false
		}
		if yamlStyleFloat(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return false
			}
		}
		for _, p := range []struct {
			prefix string
			base   int
		}{{"0b", 2}, {"-0b", 2}, {"0o", 8}, {"-0o", 8}} {
			if rest, ok := strings.CutPrefix(plain, p.prefix); ok {
				if p.prefix[0] == '-' {
					rest = "-" + rest
				}
				if _, err := strconv.ParseInt(rest, p.base, 64); err == nil {
					return false
				}
				if p.prefix[0] != '-' {
					if _, err := strconv.ParseUint(rest, p.base, 64); err == nil {
						return false
					}
				}
			}
		}
		return true
	}
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL", "<<":
		return false
	}
	return true
}

// yamlStyleFloat is yaml.v3's ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$.
func yamlStyleFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// isTimestamp is yaml.v3's parseTimestamp (resolve.go): the formats it
// reads a plain scalar starting with YYYY- as.
func isTimestamp(s string) bool {
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, format := range []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"} {
		if _, err := time.Parse(format, s); err == nil {
			return true
		}
	}
	return false
}

// appendQuoted appends s in the style (not styleSlow).
func appendQuoted(dst []byte, s string, style scalarStyle) []byte {
	switch style {
	case styleDouble:
		dst = append(dst, '"')
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, s[i])
		}
		return append(dst, '"')
	case styleSingle:
		dst = append(dst, '\'')
		for i := 0; i < len(s); i++ {
			if s[i] == '\'' {
				dst = append(dst, '\'')
			}
			dst = append(dst, s[i])
		}
		return append(dst, '\'')
	}
	return append(dst, s...)
}

// place is where a scalar sits, for slowScalar: after "key:" of a mapping
// entry at column ind, or after "- " of a sequence item whose dash is at
// column ind.
type place struct {
	item bool
	ind  int
}

// slowScalar renders s with yaml.v3 at the place, as the text that follows
// "key:" (a value: " x\n", or " |-\n" and indented lines) or "- " (an
// item: "x\n"), by encoding a document that puts s there: the emitter's
// choices depend only on the nesting, so the text is what encode writes
// in the whole file.
func slowScalar(s string, at place) ([]byte, error) {
	depth := at.ind / 2
	var prefix bytes.Buffer
	var leaf *yaml.Node
	if at.item {
		depth-- // the sequence is the value of a key two columns left
		leaf = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{str(s)}}
	} else {
		leaf = str(s)
	}
	if depth < 0 || at.ind%2 != 0 {
		return nil, fmt.Errorf("encode %q: no place at column %d", s, at.ind)
	}
	doc := newMapping()
	doc.set("k", leaf)
	for i := 0; i < depth; i++ {
		outer := newMapping()
		outer.set("a", doc.n)
		doc = outer
	}
	for i := 0; i < depth; i++ {
		prefix.WriteString(strings.Repeat(" ", 2*i) + "a:\n")
	}
	prefix.WriteString(strings.Repeat(" ", 2*depth) + "k:")
	if at.item {
		prefix.WriteString("\n" + strings.Repeat(" ", at.ind) + "- ")
	}
	out, err := encode(doc.n)
	if err != nil {
		return nil, fmt.Errorf("encode %q: %w", s, err)
	}
	rest, ok := bytes.CutPrefix(out, prefix.Bytes())
	if !ok {
		return nil, fmt.Errorf("encode %q: yaml.v3 wrote an unexpected shape:\n%s", s, out)
	}
	return rest, nil
}
