package ipc

import (
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/coreos/go-systemd/v22/activation"
)

// ListenSystemd returns the socket systemd passed to this process (socket
// activation, sd_listen_fds(3)); ok is false when the process was not activated.
// Exactly one Unix stream socket is accepted: anything else, TCP above all, is an
// error. A socket file with group or other permission bits is refused too; the unit
// must say SocketMode=0600. The environment variables are cleared so that children
// do not inherit them. systemd owns the socket file, so no lock is taken.
func ListenSystemd(log *slog.Logger) (net.Listener, bool, error) {
	lns, err := activation.Listeners()
	if err != nil {
		return nil, false, fmt.Errorf("read systemd sockets: %w", err)
	}
	if len(lns) == 0 {
		return nil, false, nil
	}

	if len(lns) != 1 {
		closeAll(lns)
		return nil, false, fmt.Errorf("systemd passed %d sockets; dbos-credd takes exactly one", len(lns))
	}
	ul, isUnix := lns[0].(*net.UnixListener)
	if !isUnix {
		closeAll(lns)
		return nil, false, fmt.Errorf("systemd passed a non-Unix socket; dbos-credd serves Unix stream sockets only")
	}

	if err := checkSocketMode(ul.Addr().String()); err != nil {
		_ = ul.Close()
		return nil, false, err
	}
	if log != nil {
		log.Debug("using socket from systemd", "socket", ul.Addr().String())
	}
	return ul, true, nil
}

// checkSocketMode refuses a socket file others may connect to. Abstract and unnamed
// sockets have no file and no mode; they are refused as well.
func checkSocketMode(path string) error {
	if path == "" || path[0] == '@' {
		return fmt.Errorf("systemd passed an abstract or unnamed socket; use ListenStream=%%t/dbos-cloud/credd.sock")
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check systemd socket %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: systemd socket %s has mode %04o; set SocketMode=0600 in the unit",
			ErrUnsafeDir, path, fi.Mode().Perm())
	}
	return nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		if ln != nil {
			_ = ln.Close()
		}
	}
}
