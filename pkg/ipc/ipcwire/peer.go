package ipcwire

import (
	"fmt"
	"net"
)

// peerOfConn runs byFD on the socket under c.
func peerOfConn(c net.Conn, byFD func(int) (Peer, error)) (Peer, error) {
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
	if err := raw.Control(func(fd uintptr) { p, credErr = byFD(int(fd)) }); err != nil {
		return Peer{}, fmt.Errorf("peer credentials: %w", err)
	}
	return p, credErr
}
