//go:build unix

package localci

import (
	"os/exec"
	"syscall"
	"time"
)

// setProcessGroup puts gitlab-ci-local and the job shells it starts in their
// own process group, so that canceling the run (SIGINT, SIGTERM: main
// cancels the context) stops them all: SIGTERM to the group first, so that
// gitlab-ci-local can clean up.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
}

// killGroup kills what is left of a canceled run's process group: a job
// that ignored SIGTERM must not outlive the command.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
