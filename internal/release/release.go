// Package release checks how supportmatrix ships: .goreleaser.yaml (static
// binaries and checksums for linux and darwin on amd64 and arm64), the
// Dockerfile of the image (the binary plus git, kubectl and helm, pinned by
// version and sha256), and the Makefile's build flags, against each other and
// against what a snapshot release (`make snapshot`) writes into dist/.
//
// There is no Docker engine where the tests run, so the Dockerfile is read
// rather than built: ParseDockerfile turns it into instructions that the tests
// check, and its download script is run with a stand-in for curl.
package release

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Instruction is one Dockerfile instruction, continuation lines joined.
type Instruction struct {
	// Cmd is the instruction in upper case: FROM, ARG, RUN, COPY, ...
	Cmd string
	// Args is the rest of the instruction, continuations joined by a space.
	Args string
	// Line is where the instruction starts (1-based).
	Line int
}

// Stage is one FROM and the instructions up to the next.
type Stage struct {
	From         Instruction
	Instructions []Instruction
}

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	// Global are the ARGs before the first FROM.
	Global []Instruction
	Stages []Stage
}

// ParseDockerfile reads a Dockerfile: comments and blank lines dropped,
// backslash continuations joined. It knows the syntax the project's own
// Dockerfile uses (no heredocs, no escape directive).
func ParseDockerfile(path string) (*Dockerfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dockerfile: %w", err)
	}
	var (
		df    Dockerfile
		cur   *Instruction
		lines []string
	)
	flush := func() {
		if cur == nil {
			return
		}
		cur.Args = strings.Join(lines, " ")
		if cur.Cmd == "FROM" {
			df.Stages = append(df.Stages, Stage{From: *cur})
		} else if len(df.Stages) == 0 {
			df.Global = append(df.Global, *cur)
		} else {
			st := &df.Stages[len(df.Stages)-1]
			st.Instructions = append(st.Instructions, *cur)
		}
		cur, lines = nil, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cont := strings.HasSuffix(line, "\\")
		line = strings.TrimSpace(strings.TrimSuffix(line, "\\"))
		if cur == nil {
			cmd, rest, _ := strings.Cut(line, " ")
			cur = &Instruction{Cmd: strings.ToUpper(cmd), Line: n}
			line = strings.TrimSpace(rest)
		}
		if line != "" {
			lines = append(lines, line)
		}
		if !cont {
			flush()
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dockerfile %s: %w", path, err)
	}
	if cur != nil {
		return nil, fmt.Errorf("dockerfile %s:%d: the last instruction ends with a continuation", path, cur.Line)
	}
	return &df, nil
}

var argRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$`)

// Args returns the ARG defaults of a stage, with the global ARGs the stage
// redeclares (an ARG without a value) taking their global default.
func (df *Dockerfile) Args(st Stage) map[string]string {
	global := map[string]string{}
	for _, in := range df.Global {
		if m := argRE.FindStringSubmatch(in.Args); m != nil {
			global[m[1]] = m[2]
		}
	}
	args := map[string]string{}
	for _, in := range st.Instructions {
		if in.Cmd != "ARG" {
			continue
		}
		if m := argRE.FindStringSubmatch(in.Args); m != nil {
			if m[2] == "" {
				args[m[1]] = global[m[1]]
			} else {
				args[m[1]] = m[2]
			}
		}
	}
	return args
}

// GlobalArgs returns the ARG defaults declared before the first FROM.
func (df *Dockerfile) GlobalArgs() map[string]string {
	return df.Args(Stage{Instructions: df.Global})
}

// Expand replaces $NAME and ${NAME} in s with vars; unknown names are left.
func Expand(s string, vars map[string]string) string {
	return os.Expand(s, func(name string) string {
		if v, ok := vars[name]; ok {
			return v
		}
		return "${" + name + "}"
	})
}
