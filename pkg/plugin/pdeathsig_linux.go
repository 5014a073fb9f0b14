package plugin

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill the plugin if the CLI dies without
// cleaning up (SIGKILL, a crash), so that no plugin process outlives it. The signal is
// tied to the thread that forked; Go keeps that thread unless a goroutine locked to it
// exits, which this program does not do.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
