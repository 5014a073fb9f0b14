//go:build !linux

package cli

import (
	"errors"
	"syscall"
)

// processUID is unknown without /proc; callers rely on the socket's peer check
// (the daemon that answered runs as this user) instead.
func processUID(int) (int, bool) { return 0, false }

// processGone reports whether pid has exited (a zombie is not detected here).
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
