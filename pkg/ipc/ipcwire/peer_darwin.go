package ipcwire

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// PeerOf asks the kernel who is on the other end of c: LOCAL_PEERCRED for the uid
// (what getpeereid(3) reads) and LOCAL_PEERPID for the pid.
func PeerOf(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, fmt.Errorf("peer credentials: %T is not a Unix socket", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, fmt.Errorf("peer credentials: %w", err)
	}

	var p Peer
	var credErr error
	err = raw.Control(func(fd uintptr) {
		var xu *unix.Xucred
		xu, credErr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		if credErr != nil {
			return
		}
		p.UID = int(xu.Uid)
		// The pid is informational; a failure here does not hide the uid.
		if pid, err := unix.GetsockoptInt(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERPID); err == nil {
			p.PID = pid
		}
	})
	if err == nil {
		err = credErr
	}
	if err != nil {
		return Peer{}, fmt.Errorf("peer credentials (LOCAL_PEERCRED): %w", err)
	}
	return p, nil
}

// PeerExe is not implemented on macOS (it needs proc_pidpath from libproc); audit
// lines carry the pid only.
func PeerExe(int) string { return "" }
