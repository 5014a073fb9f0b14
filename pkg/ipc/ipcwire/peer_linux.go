package ipcwire

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// PeerOf asks the kernel who is on the other end of c (SO_PEERCRED). The answer is
// the credentials the peer had when it connected, which a later setuid in the peer
// cannot change.
func PeerOf(c net.Conn) (Peer, error) { return peerOfConn(c, peerOfFD) }

// peerOfFD reads SO_PEERCRED of the socket fd.
func peerOfFD(fd int) (Peer, error) {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return Peer{}, fmt.Errorf("peer credentials (SO_PEERCRED): %w", err)
	}
	return Peer{UID: int(cred.Uid), PID: int(cred.Pid)}, nil
}

// PeerExe returns the executable of pid, or "" when it cannot be read. The pid may
// have been reused by the time we look, so this is for audit lines only.
func PeerExe(pid int) string {
	if pid <= 0 {
		return ""
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return ""
	}
	return exe
}
