//go:build !linux && !darwin

package ipc

import (
	"errors"
	"net"
)

// errNoPeerCred is returned where this package has no way to ask the kernel for a
// socket peer's credentials yet. Without them no peer can be trusted, so every
// connection is refused: a port to a new system starts here.
var errNoPeerCred = errors.New("peer credentials are not supported on this system")

func peerOf(net.Conn) (Peer, error) { return Peer{}, errNoPeerCred }

func peerExe(int) string { return "" }
