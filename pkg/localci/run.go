package localci

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/environ"
	"gitlab.com/supportmatrix/supportmatrix/pkg/ci"
)

// StateDirName is the directory, inside Options.Dir, where gitlab-ci-local
// keeps its state; Run empties it first.
const StateDirName = ".gitlab-ci-local"

// Options says what Run runs and how.
type Options struct {
	// Binary is the gitlab-ci-local executable (Find, LookupIn). Required:
	// Run reads nothing of the process's environment to find one.
	Binary string
	// Env is the environment (KEY=value) of gitlab-ci-local, its jobs and
	// git, GCL_* variables dropped; its PATH is where git and rsync are
	// looked for. Run reads nothing of the process's environment: nil is
	// an empty one, in which neither is found.
	Env []string
	// Dir is a scratch working directory holding the pipeline file. Run
	// makes it a git repository of its own (gitlab-ci-local copies the
	// tracked files into each job's build directory) unless it already is
	// the top of one, and empties Dir/.gitlab-ci-local.
	Dir string
	// File is the pipeline file, relative to Dir; empty means .gitlab-ci.yml.
	File string
	// Concurrency bounds the jobs running at once; 0 means no bound.
	Concurrency int
	// Variables are added to every job of the top pipeline. gitlab-ci-local
	// does not pass them on to child pipelines: use trigger-job variables.
	Variables map[string]string
	// Manual names manual jobs to play.
	Manual []string
	// UseDocker runs jobs that declare an image in Docker; by default every
	// job runs in a shell (--force-shell-executor), so jobs must trust the
	// machine and find their tools on it.
	UseDocker bool
	// Progress receives a line when a job starts and when it finishes.
	Progress io.Writer
	// Output receives gitlab-ci-local's complete output, job logs included.
	Output io.Writer
}

// Status is what became of a job, in GitLab's words (package ci owns
// them), plus AllowedFailure, which GitLab shows as failed with
// allow_failure set (Status.CI).
type Status string

// The statuses Run reports.
const (
	Success        Status = Status(ci.Success)
	Failed         Status = Status(ci.Failed)
	AllowedFailure Status = "allowed_failure"   // failed, with allow_failure
	Skipped        Status = Status(ci.Skipped)  // never started: a job it needs failed
	Manual         Status = Status(ci.Manual)   // a manual job nobody played
	Canceled       Status = Status(ci.Canceled) // started, never finished
)

// CI returns the status in GitLab's words and whether the job was allowed
// to fail: AllowedFailure is GitLab's failed with allow_failure.
func (s Status) CI() (status ci.Status, allowFailure bool) {
	if s == AllowedFailure {
		return ci.Failed, true
	}
	return ci.Status(s), false
}

// JobResult is what one job did.
type JobResult struct {
	// Name is the job's name in its pipeline file.
	Name string
	// Pipeline is the base name of the file that defines the job: the
	// top pipeline's file, or the file a trigger job included
	// (pipeline.yml, shard-1.yml).
	Pipeline string
	// Triggerers is the chain of trigger jobs above the job's pipeline,
	// joined by " -> " ("child", "child -> shard 1"); empty at the top.
	Triggerers string
	// Trigger is true for a trigger job. Its status is its child pipeline's
	// with strategy depend or mirror (failed when a job there failed), and
	// success without a strategy.
	Trigger bool
	Status  Status
	// ExitCode is the exit status of the job's script; 0 when it did not run.
	ExitCode int
	// Duration is the job's run time as gitlab-ci-local printed it.
	Duration time.Duration
	// Started and Finished are the positions of the job's start and finish
	// among all job events of the run (0, 1, 2, ...), -1 when they did not
	// happen: a job that needs another starts after that one finished.
	Started, Finished int
	// ArtifactsDir holds the artifacts the job exported (its
	// artifacts:paths; dotenv reports under .gitlab-ci-reports/dotenv/);
	// empty when it exported none.
	ArtifactsDir string
	// JUnitFiles are the *.xml files among the job's artifacts, sorted.
	JUnitFiles []string
	// LogFile is the job's log (script lines prefixed "$ "), when written.
	LogFile string
}

// Result is the outcome of a run.
type Result struct {
	// StateDir is gitlab-ci-local's state directory.
	StateDir string
	// Jobs lists the top pipeline's jobs in file order, then each child
	// pipeline's, depth first in the order of their trigger jobs.
	Jobs []JobResult
	// ExitCode is gitlab-ci-local's exit status, for information only.
	ExitCode int
	// Warnings name what makes results ambiguous, such as two jobs in
	// different pipelines that share a log and artifacts directory.
	Warnings []string
}

// Job returns the result of the job name in the pipeline below the trigger
// chain triggerers ("" for the top pipeline).
func (r *Result) Job(triggerers, name string) (JobResult, bool) {
	for _, j := range r.Jobs {
		if j.Triggerers == triggerers && j.Name == name {
			return j, true
		}
	}
	return JobResult{}, false
}

// Run runs the pipeline in opts.Dir with gitlab-ci-local, child pipelines
// included, and returns what each job did. The jobs' statuses come from
// gitlab-ci-local's job events and files, not from its exit status. An error
// means the pipeline could not run at all (gitlab-ci-local missing, invalid
// YAML) or ctx ended; a failing job is a result.
func Run(ctx context.Context, opts Options) (res *Result, err error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("run pipeline: %w", err)
	}
	file := opts.File
	if file == "" {
		file = ".gitlab-ci.yml"
	}
	if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
		return nil, fmt.Errorf("run pipeline: %w", err)
	}
	bin := opts.Binary
	if bin == "" {
		return nil, fmt.Errorf("run pipeline: %w: no executable given", ErrNotFound)
	}
	env := cleanEnv(opts.Env)
	if err := CheckRsync(env); err != nil {
		return nil, fmt.Errorf("run pipeline: %w", err)
	}
	stateDir := filepath.Join(dir, StateDirName)
	if err := os.RemoveAll(stateDir); err != nil {
		return nil, fmt.Errorf("run pipeline: clear %s: %w", stateDir, err)
	}
	created, err := ensureRepo(ctx, dir, env)
	if created {
		// The repository is gitlab-ci-local's scratch: left behind under the
		// user's own repository, it would make their `git add -A` record the
		// output directory as an embedded repository instead of files.
		defer func() {
			if rerr := os.RemoveAll(filepath.Join(dir, ".git")); rerr != nil && err == nil {
				res, err = nil, fmt.Errorf("run pipeline: remove the scratch repository: %w", rerr)
			}
		}()
	}
	if err != nil {
		return nil, fmt.Errorf("run pipeline in %s: %w", dir, err)
	}

	args := []string{
		"--file", file,
		"--state-dir", StateDirName,
		"--home", dir,
		"--shell-executor-no-image",
		"--shell-isolation",
		"--no-artifacts-to-source",
		"--no-color",
		"--max-job-name-padding", "0",
		"--ignore-predefined-vars", "CI_PIPELINE_SOURCE",
	}
	if !opts.UseDocker {
		args = append(args, "--force-shell-executor")
	}
	if opts.Concurrency > 0 {
		args = append(args, "--concurrency", strconv.Itoa(opts.Concurrency))
	}
	for _, k := range sortedKeys(opts.Variables) {
		args = append(args, "--variable", k+"="+opts.Variables[k])
	}
	for _, m := range opts.Manual {
		args = append(args, "--manual", m)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	setProcessGroup(cmd)
	pr, pw := io.Pipe()
	// One pipe for both streams keeps the order in which gitlab-ci-local
	// wrote its lines: a failed job's "finished" line goes to stderr.
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run gitlab-ci-local: %w", err)
	}
	var (
		events  []event
		scanErr error
		wg      sync.WaitGroup
		output  strings.Builder // kept for error messages
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		events, scanErr = scanEvents(pr, opts.Progress, io.MultiWriter(nonNil(opts.Output), &limited{b: &output, max: 64 << 10}))
		_, _ = io.Copy(io.Discard, pr)
	}()
	waitErr := cmd.Wait()
	_ = pw.Close()
	wg.Wait()
	if scanErr != nil {
		return nil, fmt.Errorf("read gitlab-ci-local output: %w", scanErr)
	}
	if ctx.Err() != nil {
		killGroup(cmd)
		return nil, fmt.Errorf("run gitlab-ci-local: %w", ctx.Err())
	}
	exitCode := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(waitErr, &exitErr):
		exitCode = exitErr.ExitCode()
	case waitErr != nil:
		return nil, fmt.Errorf("run gitlab-ci-local: %w", waitErr)
	}
	if exitCode != 0 && len(events) == 0 {
		return nil, fmt.Errorf("gitlab-ci-local exited with status %d before running a job:\n%s", exitCode, tail(output.String(), 25))
	}
	res, err = collect(dir, file, events)
	if err != nil {
		return nil, err
	}
	res.ExitCode = exitCode
	return res, nil
}

// ensureRepo makes dir the top of a git repository with every file staged:
// with --shell-isolation, gitlab-ci-local copies only tracked files into the
// jobs' build directories. It reports whether it created the repository,
// which Run then removes when the run is over. git is looked for in the
// PATH of env and runs with env.
func ensureRepo(ctx context.Context, dir string, env []string) (created bool, err error) {
	git, ok := lookPath(environ.Getenv(env), "git")
	if !ok {
		return false, errors.New("gitlab-ci-local needs git, which is not in $PATH")
	}
	gitCmd := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, git, append([]string{"-C", dir}, args...)...)
		cmd.Env = env
		return cmd
	}
	top, err := gitCmd("rev-parse", "--show-toplevel").Output()
	if err == nil {
		if resolved, rerr := filepath.EvalSymlinks(dir); rerr == nil && strings.TrimSpace(string(top)) == resolved {
			return false, nil
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}} {
		if out, err := gitCmd(args...).CombinedOutput(); err != nil {
			return true, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return true, nil
}

// CheckRsync says, in one line, how to get rsync when it is not in the PATH
// of env (KEY=value), the environment gitlab-ci-local will run with: it
// copies each job's files with rsync.
func CheckRsync(env []string) error {
	if _, ok := lookPath(environ.Getenv(env), "rsync"); !ok {
		return errors.New("gitlab-ci-local needs rsync, which is not installed: install it with your package manager (apt-get install rsync, dnf install rsync, brew install rsync)")
	}
	return nil
}

// cleanEnv drops GCL_* variables, which gitlab-ci-local reads as options.
// The copy is never nil: a nil exec.Cmd.Env is the process's environment.
func cleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, "GCL_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// event is one job line of gitlab-ci-local's output: a start or a finish.
type event struct {
	depth    int    // child-pipeline depth (leading tabs)
	who      string // "[child -> shard 1] -> name" or "name"
	finished bool
	duration time.Duration
	outcome  string // "", "FAIL" or "WARN" (allowed failure)
	exitCode int
}

var (
	ansiRE     = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	startRE    = regexp.MustCompile(`^(\t*)(.+?) starting \S+ \([^()]*\)$`)
	finishedRE = regexp.MustCompile(`^(\t*)(.+?) finished in ([0-9.]+ (?:h|min|s|ms|μs|ns))(?:\s+(FAIL|WARN) (-?\d+))?\s*$`)
	durationRE = regexp.MustCompile(`^([0-9.]+) (h|min|s|ms|μs|ns)$`)
)

// maxEventLine is the longest line scanEvents reads for job events; longer
// lines (a job printing a minified file, a long base64 blob) are copied to
// the output whole but never parsed: a job event line is a job name and a
// few words. gitlab-runner treats long lines the same way, reading its job
// log through a bounded bufio.Reader and passing on each buffer-full chunk
// instead of failing (gitlab-runner commands/helpers/read_logs.go: a 16 KiB
// reader, ReadSlice, bufio.ErrBufferFull is not an error). Before, a
// bufio.Scanner aborted the run on a line over 4 MiB (issue #13 item 12).
const maxEventLine = 64 << 10

// scanEvents reads gitlab-ci-local's output, copying it to out, reporting job
// starts and finishes to progress, and returning them in order. Lines of any
// length are copied; only their first maxEventLine bytes are looked at.
func scanEvents(r io.Reader, progress, out io.Writer) ([]event, error) {
	progress, out = nonNil(progress), nonNil(out)
	var events []event
	br := bufio.NewReaderSize(r, maxEventLine)
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: copy it through to its end, parse none of it.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, _ = out.Write(chunk)
				chunk, err = br.ReadSlice('\n')
			}
			_, _ = out.Write(chunk)
			if len(chunk) == 0 || chunk[len(chunk)-1] != '\n' {
				_, _ = io.WriteString(out, "\n")
			}
			if err != nil {
				return events, ignoreEOF(err)
			}
			continue
		}
		if len(chunk) == 0 && err != nil {
			return events, ignoreEOF(err)
		}
		raw := strings.TrimSuffix(strings.TrimSuffix(string(chunk), "\n"), "\r")
		_, _ = fmt.Fprintln(out, raw)
		if e, ok := parseEvent(raw, progress); ok {
			events = append(events, e)
		}
		if err != nil {
			return events, ignoreEOF(err)
		}
	}
}

func ignoreEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// parseEvent reads one line as a job's start or finish, reporting it to
// progress.
func parseEvent(raw string, progress io.Writer) (event, bool) {
	line := ansiRE.ReplaceAllString(raw, "")
	if strings.HasSuffix(line, "after_script") {
		return event{}, false // an after_script warning repeats the finish line
	}
	if m := finishedRE.FindStringSubmatch(line); m != nil {
		e := event{depth: len(m[1]), who: strings.TrimSpace(m[2]), finished: true, duration: parseDuration(m[3]), outcome: m[4]}
		if e.who == "" {
			return event{}, false // "  finished in 1 s" names no job (found by FuzzScanEvents)
		}
		if m[5] != "" {
			e.exitCode, _ = strconv.Atoi(m[5])
		}
		switch {
		case e.who == "pipeline" && e.depth == 0 && e.outcome == "":
			// gitlab-ci-local ends with "pipeline finished in ..."
			// whatever its jobs did (src/handler.ts, 4.70.1): it is no
			// pass; the cells' outcomes are collected from the jobs.
			_, _ = fmt.Fprintf(progress, "finished pipeline (%s); the outcome is in the cells below\n", m[3])
		case e.outcome == "FAIL":
			_, _ = fmt.Fprintf(progress, "failed   %s (exit status %d, %s)\n", e.who, e.exitCode, m[3])
		case e.outcome == "WARN":
			_, _ = fmt.Fprintf(progress, "allowed to fail  %s (exit status %d, %s)\n", e.who, e.exitCode, m[3])
		default:
			_, _ = fmt.Fprintf(progress, "passed   %s (%s)\n", e.who, m[3])
		}
		return e, true
	}
	if m := startRE.FindStringSubmatch(line); m != nil {
		e := event{depth: len(m[1]), who: strings.TrimSpace(m[2])}
		if e.who == "" {
			return event{}, false
		}
		_, _ = fmt.Fprintf(progress, "started  %s\n", e.who)
		return e, true
	}
	return event{}, false
}

// parseDuration reads pretty-hrtime's "57 ms" or "1.19 s".
func parseDuration(s string) time.Duration {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0
	}
	unit := map[string]time.Duration{"h": time.Hour, "min": time.Minute, "s": time.Second,
		"ms": time.Millisecond, "μs": time.Microsecond, "ns": time.Nanosecond}[m[2]]
	// A duration past time.Duration's range (about 292 years) is no real
	// job's: converting it would overflow into a negative duration, so it
	// reads as unknown, like an unparsable one (found by FuzzScanEvents).
	d := v * float64(unit)
	if d >= math.MaxInt64 {
		return 0
	}
	return time.Duration(d)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func nonNil(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// limited keeps the last max bytes written to it, roughly.
type limited struct {
	b   *strings.Builder
	max int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.max {
		keep := l.b.String()
		if len(keep) > l.max/2 {
			keep = keep[len(keep)-l.max/2:]
		}
		l.b.Reset()
		l.b.WriteString(keep)
	}
	l.b.Write(p)
	return len(p), nil
}
