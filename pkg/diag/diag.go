// Package diag is the one diagnostics type of supportmatrix: a problem at a
// position in a file, with the element it concerns, the rule that says so
// and a severity. The matrix loader, the template reader, the docs and
// calendar checks and `validate` all report through it, so every finding
// prints the same way ("file:line:col: path: message [rule]") and sorts
// by place.
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a file, 1-based as editors show it.
type Pos struct {
	File   string
	Line   int
	Column int
}

// String renders the position as file:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// Severity tells an error, which refuses the input, from a warning, which
// is reported and lets it through.
type Severity int

// The severities.
const (
	Error Severity = iota
	Warning
)

// String names the severity as reports show it.
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one finding: where, which element, what is wrong and which
// rule says so.
type Problem struct {
	Pos      Pos
	Path     string // element path, e.g. distributions.eks.kubernetes
	Message  string
	Rule     string // short rule id, e.g. unknown-key
	Severity Severity
}

// String renders the problem as "file:line:col: path: message [rule]", with
// "warning: " before the path for warnings.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Pos.String())
	b.WriteString(": ")
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Rule != "" {
		b.WriteString(" [")
		b.WriteString(p.Rule)
		b.WriteString("]")
	}
	return b.String()
}

// Problems is every problem found. As an error it holds at least one
// Problem of severity Error.
type Problems []Problem

// Error renders one problem a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Errors returns the problems of severity Error.
func (ps Problems) Errors() Problems { return ps.filter(Error) }

// Warnings returns the problems of severity Warning.
func (ps Problems) Warnings() Problems { return ps.filter(Warning) }

func (ps Problems) filter(s Severity) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// Sort orders problems by file, line and column, keeping the order of
// problems at the same place.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// Addf appends a problem whose message is format applied to args.
func (ps *Problems) Addf(sev Severity, pos Pos, path, rule, format string, args ...any) {
	*ps = append(*ps, Problem{Pos: pos, Path: path, Message: fmt.Sprintf(format, args...), Rule: rule, Severity: sev})
}
