//go:build !linux

package plugin

import "os/exec"

// setParentDeathSignal does nothing where the kernel has no parent-death signal; the
// host still kills the plugin on every path it controls, including Ctrl-C.
func setParentDeathSignal(*exec.Cmd) {}
