package engine

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the kernel kill an engine the test started if the test
// binary itself dies before its cleanups run.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
