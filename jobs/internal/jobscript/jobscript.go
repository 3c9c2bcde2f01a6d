// Package jobscript assembles the shell script that GitLab Runner runs for a
// template job: the shell library, then the template's before_script and
// script entries, one after the other in one shell. It keeps where each line
// came from, so that a shellcheck finding or a test failure names the
// template's file and line. The linter (jobs/internal/shlint) and the
// hostile-value test of the templates use it.
package jobscript

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
)

// Prelude is what GitLab Runner's bash and sh shells put before a job's
// commands: errexit, and pipefail where the shell has it
// (gitlab-org/gitlab-runner shells/bash.go, BashWriter.Finish). The runner
// then runs the commands joined by newlines through `: | eval '...'`.
const Prelude = "if set -o | grep pipefail > /dev/null; then set -o pipefail; fi; set -o errexit\n"

// Origin is the file and line a line of the script comes from.
type Origin struct {
	File string
	Line int
}

// String renders the origin as file:line.
func (o Origin) String() string { return fmt.Sprintf("%s:%d", o.File, o.Line) }

// Script is a job's commands as one shell script.
type Script struct {
	// Text is the commands joined by newlines, the library first.
	Text string
	// Origins holds, for each line of Text (0-based), where it comes from.
	Origins []Origin
}

// Origin returns where line n (1-based, as shellcheck counts) of the script
// comes from.
func (s Script) Origin(n int) Origin {
	if n < 1 || n > len(s.Origins) {
		return Origin{File: "?", Line: n}
	}
	return s.Origins[n-1]
}

// Build returns the script of a template job: source names the template's
// file, body is its parsed mapping (jobs.Set.Parse). The library is added
// the way the generator adds it (jobs.WithLibrary).
func Build(source string, body *yaml.Node) (Script, error) {
	var s Script
	job := jobs.WithLibrary(body)
	for _, key := range []string{"before_script", "script"} {
		v := value(job, key)
		if v == nil {
			continue
		}
		items := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			items = v.Content
		}
		for _, item := range items {
			if item.Kind != yaml.ScalarNode {
				return Script{}, fmt.Errorf("%s:%d: %s entries are strings (nested lists are not used by supportmatrix templates)", source, item.Line, key)
			}
			file, first := source, item.Line
			switch {
			case item.Line == 0: // the library: not from the template's file
				file, first = jobs.LibraryPath, 1
			case item.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
				first = item.Line + 1 // a block scalar starts on the next line
			}
			text := strings.TrimSuffix(item.Value, "\n")
			for i := range strings.Split(text, "\n") {
				s.Origins = append(s.Origins, Origin{File: file, Line: first + i})
			}
			s.Text += text + "\n"
		}
	}
	if s.Text == "" {
		return Script{}, fmt.Errorf("%s: no script", source)
	}
	return s, nil
}

func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
