package ipc

import (
	"context"
	"errors"
	"io/fs"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

// EnvSocket overrides the socket path for the daemon and every client.
const EnvSocket = ipcwire.EnvSocket

// ValidAccountName reports whether name may name an account (see
// ipcwire.ValidAccountName).
func ValidAccountName(name string) bool { return ipcwire.ValidAccountName(name) }

// DefaultSocketPath returns where the daemon listens and clients connect (see
// ipcwire.DefaultSocketPath).
func DefaultSocketPath() (string, error) { return ipcwire.DefaultSocketPath() }

// SocketAnswers reports whether something accepts connections on sock (see
// ipcwire.SocketAnswers).
func SocketAnswers(ctx context.Context, sock string) bool { return ipcwire.SocketAnswers(ctx, sock) }

// isNotExist reports whether err says a path is missing.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist)
}
