//go:build unix

package ipcwire

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sockConn is a connected Unix socket used with blocking system calls. A one-shot
// client then needs neither the runtime's network poller (an epoll instance, an
// event fd, and a park and wake-up per read) nor net's dialer. Timeouts are the
// socket's SO_SNDTIMEO and SO_RCVTIMEO; Shutdown interrupts a blocked call from
// another goroutine.
type sockConn struct {
	fd int

	mu     sync.Mutex // orders Shutdown and Close, so fd is never reused under us
	closed bool
}

// errTimeout is a socket timeout; it is a net.Error whose Timeout is true.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// dialSock connects to sock, with timeout bounding every later read and write too,
// and checks the daemon's user as Dial does.
func dialSock(sock string, timeout time.Duration) (*sockConn, error) {
	for attempt := 0; ; attempt++ {
		c, err := connectSock(sock, timeout)
		if errors.Is(err, unix.EINTR) && attempt < 3 {
			continue // a connect cut short by a signal is started over
		}
		if err != nil {
			return nil, dialError(sock, err)
		}
		peer, err := peerOfFD(c.fd)
		if err := checkPeer(sock, peer, err); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
}

func connectSock(sock string, timeout time.Duration) (*sockConn, error) {
	syscall.ForkLock.RLock() // no child may inherit the fd before it is close-on-exec
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}

	c := &sockConn{fd: fd}
	tv := unix.NsecToTimeval(max(timeout, time.Millisecond).Nanoseconds())
	for _, opt := range []int{unix.SO_SNDTIMEO, unix.SO_RCVTIMEO} {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
			c.Close()
			return nil, os.NewSyscallError("setsockopt", err)
		}
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
		c.Close()
		if errors.Is(err, unix.EAGAIN) {
			return nil, fmt.Errorf("connect: %w", timeoutError{})
		}
		return nil, os.NewSyscallError("connect", err)
	}
	return c, nil
}

func (c *sockConn) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(c.fd, p[n:])
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return n, timeoutError{}
		case err != nil:
			return n, os.NewSyscallError("write", err)
		}
		n += m
	}
	return n, nil
}

func (c *sockConn) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(c.fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return 0, timeoutError{}
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Shutdown ends both directions, waking a Read or Write blocked in another
// goroutine; after Close it does nothing.
func (c *sockConn) Shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		_ = unix.Shutdown(c.fd, unix.SHUT_RDWR)
	}
}

func (c *sockConn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		_ = unix.Close(c.fd)
	}
}
