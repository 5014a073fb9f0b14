package ipcwire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Dial connects to the daemon's socket and makes sure the daemon on the other end
// runs as our own user before anything (a request may carry a refresh token) is
// written. Nothing listening gives an *UnavailableError (ErrDaemonUnavailable);
// another user's daemon gives ErrPeerRejected. It is pkg/ipc's dialer; this
// package's client dials with blocking system calls instead (sockconn.go).
func Dial(ctx context.Context, sock string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, dialError(sock, err)
	}
	peer, err := PeerOf(conn)
	if err := checkPeer(sock, peer, err); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// dialError explains a failed connect: nothing listening is ErrDaemonUnavailable.
func dialError(sock string, err error) error {
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
		return &UnavailableError{Path: sock, Cause: err}
	}
	return fmt.Errorf("connect to dbos-credd at %s: %w", sock, err)
}

// checkPeer refuses a daemon that runs as another user, or whose credentials the
// kernel would not give (err).
func checkPeer(sock string, peer Peer, err error) error {
	if err != nil {
		return err
	}
	if peer.UID != os.Geteuid() {
		return fmt.Errorf("%w: the daemon at %s runs as uid %d, not as you (uid %d)",
			ErrPeerRejected, sock, peer.UID, os.Geteuid())
	}
	return nil
}

// UnavailableError says that nothing answers on the socket, and how to fix it. It
// matches ErrDaemonUnavailable.
type UnavailableError struct {
	Path  string
	Cause error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("dbos-credd is not running (nothing answers at %s); start it with "+
		"`dbos-cloud daemon start` or run `dbos-credd`: %v", e.Path, e.Cause)
}

// Is reports whether target is ErrDaemonUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrDaemonUnavailable }

// Unwrap returns the dial error.
func (e *UnavailableError) Unwrap() error { return e.Cause }
