// Command shlint runs shellcheck on the shell of every job template: the
// default templates and those of each directory given as an argument (an
// override directory such as examples/local/templates). Each template's
// script is checked as the job runs it, the shell library first (see
// jobscript), in POSIX sh mode, since a job's image may have only sh. Findings
// name the template's file and line; the exit status is 1 when there is any.
//
//	go run ./templates/internal/shlint [DIR...]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	jobtemplates "gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/jobs/internal/jobscript"
)

func main() {
	n, err := run(os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shlint:", err)
		os.Exit(2)
	}
	if n > 0 {
		fmt.Fprintf(os.Stderr, "shlint: %d shellcheck finding(s)\n", n)
		os.Exit(1)
	}
}

// finding is one shellcheck comment (shellcheck --format=json1).
type finding struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Level   string `json:"level"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// run checks every template and prints each finding once, at its origin;
// it returns how many it printed.
func run(dirs []string, out io.Writer) (int, error) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		return 0, fmt.Errorf("shellcheck is not installed (Debian: apt-get install shellcheck): %w", err)
	}
	type job struct {
		set *jobtemplates.Set
		rel string
	}
	var jobs []job
	defaults, err := jobtemplates.Open("")
	if err != nil {
		return 0, err
	}
	rels, err := defaults.List()
	if err != nil {
		return 0, err
	}
	for _, rel := range rels {
		jobs = append(jobs, job{defaults, rel})
	}
	for _, dir := range dirs {
		set, err := jobtemplates.Open(dir)
		if err != nil {
			return 0, err
		}
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || (filepath.Ext(p) != ".yml" && filepath.Ext(p) != ".yaml") {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			if err == nil {
				jobs = append(jobs, job{set, filepath.ToSlash(rel)})
			}
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	seen := map[string]bool{}
	var lines []string
	for _, j := range jobs {
		_, source, err := j.set.Read(j.rel)
		if err != nil {
			return 0, err
		}
		body, err := j.set.Parse(j.rel)
		if err != nil {
			return 0, err
		}
		script, err := jobscript.Build(source, body)
		if err != nil {
			return 0, err
		}
		findings, err := check(shellcheck, script.Text)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", source, err)
		}
		for _, f := range findings {
			line := fmt.Sprintf("%s: column %d: SC%d (%s): %s", script.Origin(f.Line), f.Column, f.Code, f.Level, f.Message)
			if !seen[line] {
				seen[line] = true
				lines = append(lines, line)
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
	return len(lines), nil
}

// excluded are the shellcheck checks turned off, each for a reason:
//
//   - SC2016 (expressions in single quotes do not expand): templates run a
//     pipeline through `check NAME sh -c '... "$VAR" ...'` on purpose: the
//     script is a constant and the values reach it through the environment,
//     never pasted into the string (issue 13: no shell string from a variable).
var excluded = "SC2016"

// check runs shellcheck on one script in POSIX sh mode.
func check(shellcheck, script string) ([]finding, error) {
	cmd := exec.Command(shellcheck, "--shell=sh", "--exclude="+excluded, "--format=json1", "-")
	cmd.Stdin = bytes.NewBufferString(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: findings
		return nil, fmt.Errorf("shellcheck: %v: %s", err, stderr.String())
	}
	var result struct {
		Comments []finding `json:"comments"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &result); err != nil {
		return nil, fmt.Errorf("shellcheck output: %w", err)
	}
	return result.Comments, nil
}
