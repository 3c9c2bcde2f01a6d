//go:build !unix

package localci

import (
	"os/exec"
	"time"
)

// setProcessGroup only bounds the wait for output after a cancel where
// process groups are not available.
func setProcessGroup(cmd *exec.Cmd) { cmd.WaitDelay = 10 * time.Second }

// killGroup has no group to kill where process groups are not available.
func killGroup(*exec.Cmd) {}
