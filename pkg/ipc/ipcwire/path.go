package ipcwire

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// ValidAccountName reports whether name may name an account: 1 to 64 characters from
// A-Z a-z 0-9 . _ -, starting with a letter or digit. The rule keeps names safe in
// URLs, keyring keys, file names and log lines without escaping. It is checked by
// hand rather than with a regexp, whose compilation at init cost every client
// process (git-credential-dbos among them) a tenth of a millisecond.
func ValidAccountName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
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
	if err := EnsureDir(dir, 0o700); err != nil {
		return "", err
	}
	return filepath.Join(dir, socketName), nil
}

// DefaultLogPath returns where a daemon started by a client writes its log:
// $XDG_STATE_HOME/dbos-cloud/credd.log, else ~/.local/state/dbos-cloud/credd.log, as
// the XDG spec places logs; "" when neither variable gives an absolute directory.
func DefaultLogPath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(dir) {
		home := os.Getenv("HOME")
		if !filepath.IsAbs(home) {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, socketDirName, "credd.log")
}

// EnsureDir creates dir (and missing parents) with mode 0700 and checks that dir is
// a real directory owned by the effective uid with no permission bits outside
// allowed (ErrUnsafeDir otherwise). Creation honours the umask, which can only
// remove bits. The daemon's Listen and DefaultSocketPath share it.
func EnsureDir(dir string, allowed fs.FileMode) error {
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
