package localci

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireTools returns the gitlab-ci-local executable, skipping the test
// with -short, or when it or rsync is missing unless
// SUPPORTMATRIX_REQUIRE_TOOLS=1. Other packages use localcitest.Binary,
// which this package's own tests cannot import.
func requireTools(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running gitlab-ci-local")
	}
	bin, err := LookupIn(os.Getenv, "")
	if err == nil {
		err = CheckRsync(toolEnv())
	}
	if err != nil {
		if os.Getenv("SUPPORTMATRIX_REQUIRE_TOOLS") == "1" {
			t.Fatalf("tools required: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	return bin
}

// toolEnv is the environment the tests run gitlab-ci-local with: the test
// process's, which no test changes (none calls t.Setenv), so that they run
// in parallel.
func toolEnv() []string { return os.Environ() }

// copyDir copies a testdata directory into a fresh temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestRunParentChildGrandchild(t *testing.T) {
	t.Parallel()
	bin := requireTools(t)
	dir := copyDir(t, "testdata/pipeline")
	var progress, output bytes.Buffer
	res, err := Run(context.Background(), Options{Binary: bin, Env: toolEnv(), Dir: dir, Concurrency: 2, Progress: &progress, Output: &output})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, output.String())
	}
	t.Logf("progress:\n%s", progress.String())

	type want struct {
		triggerers, name, pipeline string
		status                     Status
		exitCode                   int
		junit                      []string // base names
	}
	const child = "child pipeline"
	wants := []want{
		{"", "generate", ".gitlab-ci.yml", Success, 0, nil},
		{"", child, ".gitlab-ci.yml", Failed, 0, nil},
		{child, "sim 1.35: [provision]", "pipeline.yml", Success, 0, nil},
		{child, "sim 1.35: [deploy]", "pipeline.yml", Failed, 1, []string{"deploy.xml"}},
		{child, "sim 1.35: [runner]", "pipeline.yml", AllowedFailure, 3, []string{"runner.xml"}},
		{child, "sim 1.35: [terminal]", "pipeline.yml", Skipped, 0, nil},
		{child, "sim 1.35: [pod-logs]", "pipeline.yml", Success, 0, []string{"pod-logs.xml"}},
		{child, "sim 1.35: [monitoring]", "pipeline.yml", Manual, 0, nil},
		{child, "sim 1.35: [teardown]", "pipeline.yml", Success, 0, nil},
		{child, "shards", "pipeline.yml", Success, 0, nil},
		{child, "shard 1", "pipeline.yml", Success, 0, nil},
		{child + " -> shard 1", "sim 1.34: [deploy]", "shard-1.yml", Success, 0, nil},
	}
	if len(res.Jobs) != len(wants) {
		for _, j := range res.Jobs {
			t.Logf("got %q / %q: %s", j.Triggerers, j.Name, j.Status)
		}
		t.Fatalf("got %d jobs, want %d", len(res.Jobs), len(wants))
	}
	for i, w := range wants {
		j := res.Jobs[i]
		t.Run(w.name, func(t *testing.T) {
			if j.Triggerers != w.triggerers || j.Name != w.name || j.Pipeline != w.pipeline {
				t.Fatalf("job %d = %q/%q in %s, want %q/%q in %s", i, j.Triggerers, j.Name, j.Pipeline, w.triggerers, w.name, w.pipeline)
			}
			if j.Status != w.status || j.ExitCode != w.exitCode {
				t.Errorf("status %s (exit %d), want %s (exit %d)", j.Status, j.ExitCode, w.status, w.exitCode)
			}
			var junit []string
			for _, f := range j.JUnitFiles {
				junit = append(junit, filepath.Base(f))
			}
			if strings.Join(junit, ",") != strings.Join(w.junit, ",") {
				t.Errorf("JUnit files %v, want %v", junit, w.junit)
			}
			ran := w.status == Success || w.status == Failed || w.status == AllowedFailure
			if !j.Trigger && ran && (j.Started < 0 || j.Finished <= j.Started || j.LogFile == "") {
				t.Errorf("ran but Started=%d Finished=%d LogFile=%q", j.Started, j.Finished, j.LogFile)
			}
			if !ran && (j.Started >= 0 || j.Finished >= 0) {
				t.Errorf("did not run but Started=%d Finished=%d", j.Started, j.Finished)
			}
		})
	}

	// A job never starts before the jobs it needs have finished.
	needs := map[[2]string][]string{
		{"", child}:                     {"generate"},
		{child, "sim 1.35: [deploy]"}:   {"sim 1.35: [provision]"},
		{child, "sim 1.35: [runner]"}:   {"sim 1.35: [provision]"},
		{child, "sim 1.35: [pod-logs]"}: {"sim 1.35: [provision]"},
		{child, "sim 1.35: [teardown]"}: {"sim 1.35: [deploy]", "sim 1.35: [runner]", "sim 1.35: [pod-logs]"},
		{child, "shard 1"}:              {"shards"},
	}
	for job, deps := range needs {
		j, _ := res.Job(job[0], job[1])
		for _, d := range deps {
			dep, _ := res.Job(job[0], d)
			if j.Trigger {
				first := firstStart(res, job[0]+" -> "+job[1], job[1])
				if first >= 0 && first < dep.Finished {
					t.Errorf("%s's pipeline started at %d, before %s finished at %d", job[1], first, d, dep.Finished)
				}
				continue
			}
			if j.Started < dep.Finished {
				t.Errorf("%s started at %d, before %s finished at %d", job[1], j.Started, d, dep.Finished)
			}
		}
	}

	// The dotenv report of the provision job reached the jobs that need it.
	deploy, _ := res.Job(child, "sim 1.35: [deploy]")
	data, err := os.ReadFile(deploy.JUnitFiles[0])
	if err != nil || !strings.Contains(string(data), "deploy on sim-1-35") {
		t.Errorf("deploy's JUnit = %q, %v: want the provision job's KUBE_CONTEXT", data, err)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
	for _, line := range []string{"started  [child pipeline] -> sim 1.35: [deploy]", "failed   [child pipeline] -> sim 1.35: [deploy] (exit status 1"} {
		if !strings.Contains(progress.String(), line) {
			t.Errorf("progress lacks %q", line)
		}
	}
}

// firstStart is the first start event of a job in the pipeline below the
// trigger chain (the trigger's own name when top-level).
func firstStart(res *Result, chain, trigger string) int {
	first := -1
	for _, j := range res.Jobs {
		if (j.Triggerers == chain || j.Triggerers == trigger) && j.Started >= 0 && (first < 0 || j.Started < first) {
			first = j.Started
		}
	}
	return first
}

func TestRunInvalidPipeline(t *testing.T) {
	t.Parallel()
	bin := requireTools(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte("job:\n  script: [echo]\n  retry: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Options{Binary: bin, Env: toolEnv(), Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "retry") {
		t.Fatalf("Run = %v, want an error naming retry", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	bin := requireTools(t)
	dir := t.TempDir()
	files := map[string]string{
		"good.yml": "job:\n  stage: test\n  script: [echo]\n  retry: {max: 2, when: [runner_system_failure]}\n",
		"bad.yml":  "job:\n  stage: test\n  script: [echo]\n  retry: 7\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Validate(context.Background(), bin, toolEnv(), dir, "good.yml"); err != nil {
		t.Errorf("Validate(good.yml) = %v", err)
	}
	err := Validate(context.Background(), bin, toolEnv(), dir, "good.yml", "bad.yml")
	if err == nil || !strings.Contains(err.Error(), "bad.yml") || !strings.Contains(err.Error(), "retry") || strings.Contains(err.Error(), "fatal:") {
		t.Errorf("Validate(bad.yml) = %v, want the retry problem without git noise", err)
	}
	if _, err := os.Stat(filepath.Join(dir, validateStateDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Validate left %s behind", validateStateDir)
	}
}

func TestSafeName(t *testing.T) {
	t.Parallel()
	// Values checked against gitlab-ci-local 4.70.1's base64url encoding.
	tests := map[string]string{
		"generate":            "generate",
		"kind 1.35: [deploy]": "kindIA1Lg35OiBbdeployXQ",
		"a~~~b":               "afn5-b",
		"é":                   "w6k",
		"shard-1_x":           "shard-1_x",
	}
	for in, want := range tests {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScanEvents(t *testing.T) {
	t.Parallel()
	out := strings.Join([]string{
		"generate starting shell (generate)",
		"generate $ echo generate finished in 5 ms",
		"generate finished in 126 ms",
		"\t[child] -> a: [x] starting shell (test)",
		"\t[child] -> a: [x] finished in 1.19 s  FAIL 1 ",
		"\t[child] -> b starting alpine:3 (test)",
		"\t[child] -> b finished in 57 ms  WARN 3 ",
		"\t[child] -> b finished in 57 ms  WARN 2  after_script",
		"\t\t[child -> shard 1] -> g1 finished in 2 min",
		"\x1b[32m PASS \x1b[39m generate",
		"pipeline finished in 13 s",
	}, "\n")
	var progress bytes.Buffer
	events, err := scanEvents(strings.NewReader(out), &progress, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []event{
		{who: "generate"},
		{who: "generate $ echo generate", finished: true, duration: 5 * time.Millisecond},
		{who: "generate", finished: true, duration: 126 * time.Millisecond},
		{depth: 1, who: "[child] -> a: [x]"},
		{depth: 1, who: "[child] -> a: [x]", finished: true, duration: 1190 * time.Millisecond, outcome: "FAIL", exitCode: 1},
		{depth: 1, who: "[child] -> b"},
		{depth: 1, who: "[child] -> b", finished: true, duration: 57 * time.Millisecond, outcome: "WARN", exitCode: 3},
		{depth: 2, who: "[child -> shard 1] -> g1", finished: true, duration: 2 * time.Minute},
		{who: "pipeline", finished: true, duration: 13 * time.Second},
	}
	// gitlab-ci-local's closing line is never reported as a pass.
	if p := progress.String(); strings.Contains(p, "passed   pipeline") || !strings.Contains(p, "finished pipeline (13 s)") {
		t.Errorf("progress:\n%s", p)
	}
	if len(events) != len(want) {
		t.Fatalf("got %d events %+v, want %d", len(events), events, len(want))
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, events[i], want[i])
		}
	}
}

// TestScanEventsLongLine: a job that prints a line over 4 MiB (the old
// bufio.Scanner limit) neither aborts the run nor hides the events around
// it, and the line reaches the output whole. -short prints lines of a few
// times maxEventLine, which cross the reader's buffer the same way; the
// full run keeps the 5 MiB lines (15 MiB through the race detector).
func TestScanEventsLongLine(t *testing.T) {
	t.Parallel()
	size := 5 << 20
	if testing.Short() {
		size = 3*maxEventLine + 5
	}
	long := strings.Repeat("x", size)
	in := "a starting shell (test)\n" + long + "\n" + long + "\r\n" +
		"a finished in 5 ms\nb starting shell (test)\n" + long // no final newline
	var out bytes.Buffer
	events, err := scanEvents(strings.NewReader(in), nil, &out)
	if err != nil {
		t.Fatalf("scanEvents: %v", err)
	}
	want := []event{{who: "a"}, {who: "a", finished: true, duration: 5 * time.Millisecond}, {who: "b"}}
	if len(events) != len(want) {
		t.Fatalf("events %+v, want %+v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, events[i], want[i])
		}
	}
	if got, wantLen := out.Len(), len(in)+1; got != wantLen {
		t.Errorf("output has %d bytes, want every input byte and a final newline (%d)", got, wantLen)
	}
}

// A run under the user's own repository leaves no nested repository behind:
// `git add -A` there records the output directory's files, not an embedded
// repository (mode 160000) that hides them.
func TestRunLeavesNoNestedRepository(t *testing.T) {
	t.Parallel()
	bin := requireTools(t)
	outer := t.TempDir()
	gitIn := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", outer}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	gitIn("init", "-q")
	dir := filepath.Join(outer, "out", "local")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte("job:\n  script: [echo done]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Binary: bin, Env: toolEnv(), Dir: dir})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if j, ok := res.Job("", "job"); !ok || j.Status != Success {
		t.Fatalf("job = %+v, want success", j)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Run left %s/.git behind (stat: %v)", dir, err)
	}
	gitIn("add", "-A")
	staged := gitIn("ls-files", "--stage")
	if strings.Contains(staged, "160000 ") {
		t.Fatalf("git add -A staged an embedded repository:\n%s", staged)
	}
	if !strings.Contains(staged, "out/local/.gitlab-ci.yml") {
		t.Fatalf("git add -A did not stage the output directory's files:\n%s", staged)
	}
}

// TestCheckRsync: rsync is looked for in the PATH of the environment given,
// not the process's (which has it wherever the tools tests run), and its
// absence is one line saying how to install it.
func TestCheckRsync(t *testing.T) {
	t.Parallel()
	withRsync := t.TempDir()
	executable(t, withRsync, "rsync")
	tests := []struct {
		name  string
		env   []string
		found bool
	}{
		{"empty PATH", []string{"PATH=" + t.TempDir()}, false},
		{"no environment", nil, false},
		{"relative entry", []string{"PATH=."}, false},
		{"in PATH", []string{"PATH=" + t.TempDir() + string(os.PathListSeparator) + withRsync}, true},
		{"last PATH wins", []string{"PATH=" + withRsync, "PATH=" + t.TempDir()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckRsync(tt.env)
			if tt.found {
				if err != nil {
					t.Fatalf("CheckRsync(%q) = %v, want rsync found", tt.env, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckRsync(%q) found rsync", tt.env)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "apt-get install rsync") || !strings.Contains(msg, "brew install rsync") {
				t.Fatalf("CheckRsync = %q, want one line saying how to install rsync", msg)
			}
		})
	}
}

// TestRunLooksInItsEnvironment: Run looks for rsync and git in the PATH of
// Options.Env, never the process's, and says which one it lacks before it
// starts gitlab-ci-local (here a script that would fail the test).
func TestRunLooksInItsEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte("job:\n  script: [true]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "gitlab-ci-local")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 99\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	onlyRsync := t.TempDir()
	executable(t, onlyRsync, "rsync")
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"no environment", nil, "needs rsync"},
		{"no rsync", []string{"PATH=" + t.TempDir()}, "needs rsync"},
		{"no git", []string{"PATH=" + onlyRsync}, "needs git"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Run(context.Background(), Options{Binary: bin, Env: tt.env, Dir: dir})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run with %q = %v, want an error saying it %s", tt.env, err, tt.want)
			}
		})
	}
}
