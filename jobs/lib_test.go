package jobs_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/jobs/internal/jobscript"
	"gitlab.com/supportmatrix/supportmatrix/pkg/collect"
)

// shells are the shells a job may run in: GitLab Runner picks bash when the
// image has it and sh otherwise (gitlab-org/gitlab-runner shells/bash.go,
// BashDetectShellScript). Debian's sh is dash, a strict POSIX shell.
func shells(t *testing.T) []string {
	t.Helper()
	var found []string
	for _, name := range []string{"sh", "bash"} {
		if p, err := exec.LookPath(name); err == nil {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		t.Skip("no sh or bash")
	}
	return found
}

// fakeKubectl answers /version with v1.35.2, as an API server does.
const fakeKubectl = "#!/bin/sh\nprintf '{\\n  \"major\": \"1\",\\n  \"gitVersion\": \"v1.35.2\"\\n}\\n'\n"

// runLibrary runs the library and steps the way the runner does (errexit,
// pipefail, one shell) in dir, with the programs in bin first on PATH, and
// returns the exit status and output.
func runLibrary(t *testing.T, shell, bin, dir, steps string, start func(*exec.Cmd)) (int, string) {
	t.Helper()
	cmd := exec.Command(shell, "-c", jobscript.Prelude+jobs.Library()+steps)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "SM_CELL=kind/1.35/demo")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if start != nil {
		start(cmd)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	}
	t.Fatalf("run: %v\n%s", err, out.String())
	return 0, ""
}

// junitReport is the shape of the library's report, decoded strictly.
type junitReport struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Classname string    `xml:"classname,attr"`
			Name      string    `xml:"name,attr"`
			Failure   *struct{} `xml:"failure"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// parseStrictJUnit decodes a report of the library: valid XML, one suite,
// counts that match its cases.
func parseStrictJUnit(data []byte) (junitReport, error) {
	var r junitReport
	if err := xml.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("report is not valid XML: %w", err)
	}
	if len(r.Suites) != 1 {
		return r, fmt.Errorf("report has %d suites, want 1", len(r.Suites))
	}
	s := r.Suites[0]
	failures := 0
	for _, c := range s.Cases {
		if c.Failure != nil {
			failures++
		}
	}
	if s.Tests != len(s.Cases) || s.Failures != failures {
		return r, fmt.Errorf("suite says tests=%d failures=%d, has %d cases and %d failures", s.Tests, s.Failures, len(s.Cases), failures)
	}
	return r, nil
}

// readReport checks that junit/NAME.xml is valid XML whose counts match its
// cases, that it is the only file left in junit/, and returns what the
// collector reads from it.
func readReport(t *testing.T, dir, name string) (junitReport, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "junit", name+".xml"))
	if err != nil {
		t.Fatalf("no report: %v", err)
	}
	r, err := parseStrictJUnit(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "junit")); len(entries) != 1 {
		t.Errorf("junit/ holds %d files, want only the report", len(entries))
	}
	cases, err := collect.ParseJUnit(name, data)
	if err != nil {
		t.Fatalf("the collector cannot read the report: %v", err)
	}
	status := map[string]string{}
	for _, c := range cases {
		status[c.Classname+"/"+c.Name] = string(c.Status)
	}
	return r, status
}

// TestLibrary runs the shell library in every available shell: a passing
// job, a failing check, a step killed by a signal, a script that stops on an
// error, and a job terminated mid-step all leave a valid report that the
// collector reads, with the server version where the collector looks for it,
// and each step's output as it printed it (XML's special characters escaped
// by sed, other output copied by the shell, trailing newlines dropped).
func TestLibrary(t *testing.T) {
	t.Parallel()
	versionCase := jobs.MetaClassname + "/" + jobs.ServerVersionCase + " v1.35.2"
	tests := []struct {
		name, steps string
		exit        int // -1: any non-zero status
		kill        bool
		want        map[string]string // classname/name -> status in the collector's terms
		out         map[string]string // classname/name -> system-out, for the cases named
	}{
		{"pass", "junit_start demo\nrecord_server_version\ncheck works echo fine\ncheck \"says <it>\" printf '%s\\n\\n' 'a \"q\" <b> & c'\n" +
			"junit_case demo plain passed 'as is\n\n'\njunit_case demo \"& more\" skipped 'a&b\n'\njunit_done\n", 0,
			false, map[string]string{versionCase: "success", "demo/works": "success", "demo/says <it>": "success", "demo/plain": "success", "demo/& more": "skipped"},
			map[string]string{versionCase: "v1.35.2", "demo/works": "fine", "demo/says <it>": `a "q" <b> & c`, "demo/plain": "as is", "demo/& more": "a&b"}},
		{"fail", "junit_start demo\nrecord_server_version\ncheck \"breaks <&>\" sh -c 'echo broken; exit 4'\ncheck \"goes on\" true\njunit_done\n", -1,
			false, map[string]string{versionCase: "success", "demo/breaks <&>": "failed", "demo/goes on": "success"},
			map[string]string{"demo/breaks <&>": "broken"}},
		{"killed step", "junit_start demo\ncheck killed sh -c 'kill -9 $$'\ncheck after true\njunit_done\n", -1,
			false, map[string]string{"demo/killed": "failed", "demo/after": "success"}, nil},
		{"stopped script", "junit_start demo\ncheck first true\nJUNIT_STEP=\"second step\"\nfalse\n", 1,
			false, map[string]string{"demo/first": "success", "demo/second step": "failed"}, nil},
		{"terminated job", "junit_start demo\ncheck first true\ncheck slow sh -c 'touch started; sleep 30'\njunit_done\n", 143,
			true, map[string]string{"demo/first": "success", "demo/job script": "failed"}, nil},
	}
	shs := shells(t)
	if testing.Short() {
		shs = shs[:1] // -short: sh only, as TestHostileValues
	}
	bin := t.TempDir() // read only, shared by the cases
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(fakeKubectl), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, shell := range shs {
		for _, tt := range tests {
			t.Run(filepath.Base(shell)+"/"+tt.name, func(t *testing.T) {
				t.Parallel() // each runs in its own directory and process group
				dir := t.TempDir()
				var start func(*exec.Cmd)
				if tt.kill {
					start = func(cmd *exec.Cmd) {
						// The runner cancels a job with SIGTERM to its processes,
						// here once the slow step runs.
						for i := 0; i < 3000; i++ {
							if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
								break
							}
							time.Sleep(10 * time.Millisecond)
						}
						if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM); err != nil {
							t.Error(err)
						}
					}
				}
				code, out := runLibrary(t, shell, bin, dir, tt.steps, start)
				if (tt.exit == -1 && code == 0) || (tt.exit != -1 && code != tt.exit) {
					t.Errorf("exit status %d, want %d\n%s", code, tt.exit, out)
				}
				r, got := readReport(t, dir, "demo")
				if r.Suites[0].Name != "kind/1.35/demo" {
					t.Errorf("suite %q, want the cell id", r.Suites[0].Name)
				}
				if len(got) != len(tt.want) {
					t.Errorf("cases %v, want %v", got, tt.want)
				}
				for k, v := range tt.want {
					if got[k] != v {
						t.Errorf("case %q = %q, want %q (all: %v)\n%s", k, got[k], v, got, out)
					}
				}
				for _, c := range r.Suites[0].Cases {
					if want, ok := tt.out[c.Classname+"/"+c.Name]; ok && c.SystemOut != want {
						t.Errorf("case %q printed %q, want %q", c.Classname+"/"+c.Name, c.SystemOut, want)
					}
				}
			})
		}
	}
}

// TestWithLibrary puts the library first in before_script, keeps a
// template's own before_script after it, and leaves everything else alone.
func TestWithLibrary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		keys       string   // the job's keys, in order
		before     []string // before_script after the library
	}{
		{"no before_script", "variables: {A: b}\nscript: [echo]\n", "variables before_script script", nil},
		{"a list", "before_script: [one, two]\nscript: [echo]\n", "before_script script", []string{"one", "two"}},
		{"a string", "script: [echo]\nbefore_script: one\n", "script before_script", []string{"one"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := jobs.Parse("x.yml", []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			n := len(body.Content)
			job := jobs.WithLibrary(body)
			var keys []string
			for i := 0; i < len(job.Content); i += 2 {
				keys = append(keys, job.Content[i].Value)
			}
			if strings.Join(keys, " ") != tt.keys {
				t.Errorf("keys %v, want %s", keys, tt.keys)
			}
			var got struct {
				BeforeScript []string `yaml:"before_script"`
			}
			if err := job.Decode(&got); err != nil {
				t.Fatal(err)
			}
			if len(got.BeforeScript) == 0 || got.BeforeScript[0] != jobs.Library() {
				t.Fatalf("before_script does not start with the library")
			}
			if strings.Join(got.BeforeScript[1:], "|") != strings.Join(tt.before, "|") {
				t.Errorf("before_script after the library = %q, want %q", got.BeforeScript[1:], tt.before)
			}
			if len(body.Content) != n {
				t.Errorf("WithLibrary changed its argument")
			}
		})
	}
}

// TestLibraryCaseNamesFromGo: the version case's classname and name have
// one definition, jobs.MetaClassname and jobs.ServerVersionCase, which
// collect reads by; the library's file holds placeholders for them, never
// the words, and Library writes every placeholder in on the same lines.
func TestLibraryCaseNamesFromGo(t *testing.T) {
	t.Parallel()
	src, lib := jobs.LibrarySource(), jobs.Library()
	for i, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue // comments may name the case
		}
		for _, word := range []string{jobs.MetaClassname, jobs.ServerVersionCase} {
			if strings.Contains(line, word) {
				t.Errorf("lib/junit.sh:%d spells %s itself; write its placeholder", i+1, word)
			}
		}
	}
	if !strings.Contains(src, "@SERVER_VERSION_CASE@") || !strings.Contains(src, "@META_CLASSNAME@") {
		t.Error("lib/junit.sh lacks the case-name placeholders")
	}
	if p := regexp.MustCompile(`@[A-Z_]+@`).FindString(lib); p != "" {
		t.Errorf("Library leaves the placeholder %s", p)
	}
	if strings.Count(src, "\n") != strings.Count(lib, "\n") {
		t.Error("Library changes the number of lines; shellcheck and jobscript map lines to the file")
	}
}
