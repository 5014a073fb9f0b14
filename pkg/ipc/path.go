package ipc

import (
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

// isNotExist reports whether err says a path is missing.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist)
}
