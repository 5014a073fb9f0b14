package ipcwire

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// PeerOf asks the kernel who is on the other end of c: LOCAL_PEERCRED for the uid
// (what getpeereid(3) reads) and LOCAL_PEERPID for the pid.
func PeerOf(c net.Conn) (Peer, error) { return peerOfConn(c, peerOfFD) }

// peerOfFD reads LOCAL_PEERCRED and LOCAL_PEERPID of the socket fd.
func peerOfFD(fd int) (Peer, error) {
	xu, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return Peer{}, fmt.Errorf("peer credentials (LOCAL_PEERCRED): %w", err)
	}
	p := Peer{UID: int(xu.Uid)}
	// The pid is informational; a failure here does not hide the uid.
	if pid, err := unix.GetsockoptInt(fd, unix.SOL_LOCAL, unix.LOCAL_PEERPID); err == nil {
		p.PID = pid
	}
	return p, nil
}

// PeerExe is not implemented on macOS (it needs proc_pidpath from libproc); audit
// lines carry the pid only.
func PeerExe(int) string { return "" }
