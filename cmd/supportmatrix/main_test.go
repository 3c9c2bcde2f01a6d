package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
)

// TestMain lets a test run this binary as supportmatrix itself: with
// SUPPORTMATRIX_TEST_MAIN=1 it is main, signals included.
func TestMain(m *testing.M) {
	if os.Getenv("SUPPORTMATRIX_TEST_MAIN") == "1" {
		os.Exit(run())
	}
	os.Exit(m.Run())
}

// TestSignalStopsLocalRun starts `run --local` on a pipeline whose job
// sleeps, sends SIGINT once the job runs (as Ctrl-C does), and checks that
// supportmatrix exits, that the job's process is gone (gitlab-ci-local's
// whole process group was stopped), and that the results file and the
// table are byte for byte as they were.
func TestSignalStopsLocalRun(t *testing.T) {
	bin := localcitest.Binary(t)
	t.Parallel()
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "job.pid")
	write := func(rel, data string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	matrixPath := write("matrix/matrix.yaml", `schema: supportmatrix/v1
kubernetes:
  versions: ["1.36"]
distributions:
  slow:
    name: Slow
    tier: community
    cluster: {type: ephemeral, provision: sim-provision, teardown: sim-teardown}
    variables:
      SLOW_PIDFILE: "`+pidfile+`"
features:
  slow:
    name: Slow
    template: slow
`)
	for _, rel := range []string{"clusters/sim-provision.yml", "clusters/sim-teardown.yml", "upgrade.yml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "local", "templates", rel))
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Join("templates", rel), string(data))
	}
	write("templates/features/slow.yml", `# Sleeps long enough to be interrupted; records the sleeper's pid.
script:
  - sleep 300 &
  - echo "$!" > "$SLOW_PIDFILE"
  - wait
`)
	out := filepath.Join(dir, "out")
	resultsBefore := write("out/results.json", "{\n  \"schema\": \"supportmatrix/results/v1\",\n  \"runs\": []\n}\n")
	tableBefore := write("out/SUPPORT.md", "# the table of an earlier run\n")

	cmd := exec.Command(os.Args[0], "run", "--local", "--matrix", matrixPath, "--templates", filepath.Join(dir, "templates"), "--out", out)
	cmd.Env = append(os.Environ(), "SUPPORTMATRIX_TEST_MAIN=1", "SUPPORTMATRIX_GITLAB_CI_LOCAL="+bin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Wait for the job to run (gitlab-ci-local starts slowly on a busy
	// machine), then interrupt.
	var pid int
	deadline := time.Now().Add(5 * time.Minute)
	for pid == 0 {
		select {
		case err := <-done:
			t.Fatalf("supportmatrix ended before the job ran: %v\n%s\n%s", err, stdout.String(), stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
		if data, err := os.ReadFile(pidfile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the job never started\n%s", stderr.String())
		}
	}
	if !alive(pid) {
		t.Fatalf("the job's sleeper %d is not running before the signal", pid)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("exit %v, want status 1", err)
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("supportmatrix did not stop on SIGINT\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the run was interrupted:\n%s", stderr.String())
	}
	// The sleeper was gitlab-ci-local's grandchild: gone with the group.
	for i := 0; alive(pid); i++ {
		if i == 50 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("job process %d survived the signal", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for path, want := range map[string]string{
		resultsBefore: "{\n  \"schema\": \"supportmatrix/results/v1\",\n  \"runs\": []\n}\n",
		tableBefore:   "# the table of an earlier run\n",
	} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s changed: %q, %v", path, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "supportmatrix-local.json")); !os.IsNotExist(err) {
		t.Errorf("an interrupted run recorded a result: %v", err)
	}
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err)
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}
