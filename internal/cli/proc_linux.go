package cli

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// processUID returns the owner of process pid, from /proc.
func processUID(pid int) (int, bool) {
	fi, err := os.Stat("/proc/" + strconv.Itoa(pid))
	if err != nil {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// processGone reports whether pid has exited. A zombie counts as gone: a daemon
// started by a CLI that has since exited is reparented, and in a container nobody
// may reap it.
func processGone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses and may itself
	// hold spaces or parentheses.
	i := bytes.LastIndexByte(data, ')')
	return i < 0 || i+2 >= len(data) || data[i+2] == 'Z'
}
