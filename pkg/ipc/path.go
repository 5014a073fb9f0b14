package ipc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
)

// EnvSocket overrides the socket path for the daemon and every client.
const EnvSocket = "DBOS_CREDD_SOCKET"

// socketName and socketDirName form the default path under the runtime directory.
const (
	socketDirName = "dbos-cloud"
	socketName    = "credd.sock"
)

// accountNameRE is the charset of account names in paths and in the config file: it
// keeps names safe in URLs, keyring keys, file names and log lines without escaping.
var accountNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidAccountName reports whether name may name an account: 1 to 64 characters from
// A-Z a-z 0-9 . _ -, starting with a letter or digit.
func ValidAccountName(name string) bool {
	return accountNameRE.MatchString(name)
}

// DefaultSocketPath returns where the daemon listens and clients connect:
// $DBOS_CREDD_SOCKET, else $XDG_RUNTIME_DIR/dbos-cloud/credd.sock, else
// <tmp>/dbos-cloud-<uid>/credd.sock. The last is in a shared directory, so it is
// created here with mode 0700 and refused (ErrUnsafeDir) if someone else made it
// first or loosened it: a client must not hand a refresh token to another user's
// socket.
func DefaultSocketPath() (string, error) {
	if p := os.Getenv(EnvSocket); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("resolve %s=%q: %w", EnvSocket, p, err)
		}
		return abs, nil
	}

	// The XDG spec says relative values must be ignored.
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" && filepath.IsAbs(rt) {
		return filepath.Join(rt, socketDirName, socketName), nil
	}

	dir := filepath.Join(os.TempDir(), socketDirName+"-"+strconv.Itoa(os.Geteuid()))
	if err := ensureDir(dir, 0o700); err != nil {
		return "", err
	}
	return filepath.Join(dir, socketName), nil
}

// ensureDir creates dir (and missing parents) with mode 0700 and checks that dir is
// a real directory owned by the effective uid with no permission bits outside
// allowed. Creation honours the umask, which can only remove bits.
func ensureDir(dir string, allowed fs.FileMode) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create socket directory %s: %w", dir, err)
	}

	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check socket directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory (a symlink is refused too)", ErrUnsafeDir, dir)
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("%w: %s is owned by uid %d, not by you (uid %d); remove it or choose another socket path",
			ErrUnsafeDir, dir, uid, os.Geteuid())
	}
	if extra := fi.Mode().Perm() &^ allowed; extra != 0 {
		return fmt.Errorf("%w: %s has mode %04o; run `chmod 700 %s`",
			ErrUnsafeDir, dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// fileOwner returns the owner uid of fi when the platform reports one.
func fileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// isNotExist reports whether err says a path is missing.
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist)
}
