//go:build !linux && !darwin

package ipcwire

import (
	"errors"
	"net"
)

// errNoPeerCred is returned where this package has no way to ask the kernel for a
// socket peer's credentials yet. Without them no peer can be trusted, so every
// connection is refused: a port to a new system starts here.
var errNoPeerCred = errors.New("peer credentials are not supported on this system")

// PeerOf refuses every peer on this system (see errNoPeerCred).
func PeerOf(net.Conn) (Peer, error) { return Peer{}, errNoPeerCred }

func peerOfFD(int) (Peer, error) { return Peer{}, errNoPeerCred }

// PeerExe is not implemented on this system.
func PeerExe(int) string { return "" }
