package ipc

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
	"golang.org/x/sys/unix"
)

// probeTimeout bounds the dial that tells a live socket from a stale one.
const probeTimeout = time.Second

// Listener is the daemon's socket on a path it owns: the socket file, the lock file
// beside it (path + ".lock") that keeps a second daemon away, and their cleanup.
// It implements net.Listener; Close removes the socket and releases the lock.
type Listener struct {
	*net.UnixListener

	path      string
	lock      *os.File
	log       *slog.Logger
	closeOnce sync.Once
	closeErr  error
}

// listenOptions loosen Listen for tests that need another uid to reach the socket.
type listenOptions struct {
	dirMode    fs.FileMode // permission bits the directory may have
	socketMode fs.FileMode // mode the socket is given
}

var secureListen = listenOptions{dirMode: 0o700, socketMode: 0o600}

// Listen creates the daemon's socket at path. The directory is created with mode
// 0700 if missing and refused (ErrUnsafeDir) if it is looser or owned by another
// user. A second daemon gets ErrAlreadyRunning, from the lock or, failing that, from
// a socket that still answers; a socket that does not answer was left by a crash and
// is replaced. The socket gets mode 0600.
func Listen(path string, log *slog.Logger) (*Listener, error) {
	return listen(path, log, secureListen)
}

func listen(path string, log *slog.Logger, opts listenOptions) (*Listener, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ipcwire.EnsureDir(filepath.Dir(path), opts.dirMode); err != nil {
		return nil, err
	}

	lock, err := acquireLock(path + ".lock")
	if err != nil {
		return nil, err
	}

	ln, err := bindSocket(path, opts.socketMode, log)
	if err != nil {
		_ = lock.Close() // closing releases the flock
		return nil, err
	}
	return &Listener{UnixListener: ln, path: path, lock: lock, log: log}, nil
}

// Path returns the socket's file name.
func (l *Listener) Path() string { return l.path }

// Close stops accepting, removes the socket file and releases the lock. The lock file
// itself stays: unlinking a lock file lets two processes lock different inodes.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		err := l.UnixListener.Close()
		if rmErr := os.Remove(l.path); rmErr != nil && !isNotExist(rmErr) {
			err = errors.Join(err, fmt.Errorf("remove socket %s: %w", l.path, rmErr))
		}
		if lkErr := l.lock.Close(); lkErr != nil {
			err = errors.Join(err, fmt.Errorf("release lock %s.lock: %w", l.path, lkErr))
		}
		l.closeErr = err
	})
	return l.closeErr
}

// acquireLock takes an exclusive flock on name and writes our pid into it, so that
// the next daemon's refusal can say who holds it. The kernel drops the lock when
// this process dies, however it dies.
func acquireLock(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", name, err)
	}

	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, alreadyRunning(name)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}

	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		_ = err // the pid is a courtesy for the error message; the lock is what counts
	}
	return f, nil
}

// alreadyRunning builds ErrAlreadyRunning naming the holder's pid when it is readable.
func alreadyRunning(lockName string) error {
	holder := "another process"
	if b, err := os.ReadFile(lockName); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			holder = "pid " + strconv.Itoa(pid)
		}
	}
	return fmt.Errorf("%w: %s holds %s; stop it first or give this one another socket path",
		ErrAlreadyRunning, holder, lockName)
}

// bindSocket clears a stale socket at path, binds a new one and sets its mode.
func bindSocket(path string, mode fs.FileMode, log *slog.Logger) (*net.UnixListener, error) {
	if err := clearStale(path, log); err != nil {
		return nil, err
	}

	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	// We remove the file ourselves in Close, after the listener is shut.
	ln.SetUnlinkOnClose(false)

	// The directory is 0700, so the umask-derived mode between bind and chmod is
	// reachable by no one else; a failed chmod still stops the daemon.
	if err := os.Chmod(path, mode); err != nil {
		_ = ln.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("set mode of socket %s: %w", path, err)
	}
	return ln, nil
}

// clearStale removes a socket file at path that no process answers on. Called with
// the lock held, so no other daemon of ours can be binding it right now; a socket
// that answers anyway belongs to something else (a systemd-activated daemon, or an
// older daemon without the lock) and is left alone.
func clearStale(path string, log *slog.Logger) error {
	fi, err := os.Lstat(path)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check socket %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket; refusing to replace it", path)
	}

	conn, err := net.DialTimeout("unix", path, probeTimeout)
	if err == nil {
		_ = conn.Close()
		return fmt.Errorf("%w: a process answers on %s", ErrAlreadyRunning, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("probe existing socket %s: %w", path, err)
	}

	log.Info("removing stale socket left by an earlier daemon", "socket", path)
	if err := os.Remove(path); err != nil && !isNotExist(err) {
		return fmt.Errorf("remove stale socket %s: %w", path, err)
	}
	return nil
}
