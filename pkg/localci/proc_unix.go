//go:build unix

package localci

import (
	"os/exec"
	"syscall"
	"time"
)

// setProcessGroup puts gitlab-ci-local and the job shells it starts in their
// own process group, so that canceling the run stops them all.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
}
