package ipcwire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultAutostartWait bounds how long a client waits for a daemon it started.
const DefaultAutostartWait = 3 * time.Second

// autostartPoll is how often the socket is tried while the daemon starts.
const autostartPoll = 20 * time.Millisecond

// probeTimeout bounds the dial that asks whether the daemon answers.
const probeTimeout = time.Second

// AutostartOptions say how a client starts the daemon when nothing answers.
type AutostartOptions struct {
	// Command is the daemon's executable (a path, or a name looked up in $PATH).
	Command string
	// Args are its arguments. Relative paths in them are not rewritten: the daemon
	// runs in "/" so that it keeps no directory busy.
	Args []string
	// Env is added to the client's environment. DBOS_CREDD_SOCKET is set to the
	// client's socket path before Env is added, so the daemon listens where the
	// client looks.
	Env []string
	// Wait bounds the wait for the socket; zero means DefaultAutostartWait.
	Wait time.Duration
	// LogFile receives the daemon's stdout and stderr (appended, mode 0600; see
	// openDaemonLog). Empty means DefaultLogPath, or /dev/null when that cannot be
	// created; os.DevNull discards the log.
	LogFile string
}

// maxDaemonLog is the size past which a daemon's log is moved to LOG.1 when a daemon
// is started on it, so that a log a daemon appends to for months stays bounded.
const maxDaemonLog = 8 << 20

// WithAutostart runs call, and when it fails because nothing answers on the
// socket and the options allow it, starts the daemon and runs call once more. The
// other errors of call are returned as they are.
func (c *Client) WithAutostart(ctx context.Context, call func() error) error {
	err := call()
	if !errors.Is(err, ErrDaemonUnavailable) {
		return err
	}
	auto, aerr := c.autostartOptions()
	if aerr != nil {
		return aerr
	}
	if auto == nil {
		return err
	}
	if err := c.start(ctx, auto); err != nil {
		return err
	}
	return call()
}

// autostartOptions returns how to start the daemon, or nil not to.
func (c *Client) autostartOptions() (*AutostartOptions, error) {
	c.autoOnce.Do(func() {
		c.auto = c.opts.Autostart
		if c.auto == nil && c.opts.AutostartFunc != nil {
			c.auto, c.autoErr = c.opts.AutostartFunc()
		}
	})
	return c.auto, c.autoErr
}

// start starts the daemon detached, as a says, and waits until its socket
// answers. The daemon gets its own session, so the client's exit and the
// terminal's Ctrl-C do not reach it.
func (c *Client) start(ctx context.Context, a *AutostartOptions) error {
	c.startMu.Lock()
	defer c.startMu.Unlock()

	sock, err := c.Path()
	if err != nil {
		return err
	}
	// Another goroutine of this client may have started it while we waited.
	if SocketAnswers(ctx, sock) {
		return nil
	}

	cmd, logName, err := daemonCommand(a, sock)
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		closeStdio(cmd)
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	closeStdio(cmd)

	// Reap the daemon if it dies while we live; tell the wait loop it has.
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return waitForSocket(ctx, a.Wait, logName, sock, cmd, exited)
}

// daemonCommand prepares the daemon's process: detached, output to its log (named in
// logName, "" when discarded), socket path in its environment.
func daemonCommand(a *AutostartOptions, sock string) (cmd *exec.Cmd, logName string, err error) {
	name := a.Command
	if strings.ContainsRune(name, filepath.Separator) {
		// Dir is "/" below, which would change what a relative path means.
		abs, err := filepath.Abs(name)
		if err != nil {
			return nil, "", fmt.Errorf("resolve daemon command %s: %w", name, err)
		}
		name = abs
	}

	cmd = exec.Command(name, a.Args...)
	cmd.Dir = "/"
	cmd.Env = append(append(os.Environ(), EnvSocket+"="+sock), a.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}

	out, logName, err := openDaemonLog(a.LogFile)
	if err != nil {
		return nil, "", err
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		_ = out.Close()
		return nil, "", fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, out, out
	return cmd, logName, nil
}

// openDaemonLog opens the file the daemon's output goes to, and returns its name (""
// when the output is discarded). A log past maxDaemonLog is first moved to LOG.1. A
// log the caller named must open; the default one is best effort, since a daemon is
// worth more than its log.
func openDaemonLog(given string) (*os.File, string, error) {
	name := given
	if name == "" {
		name = DefaultLogPath()
		if name == "" || os.MkdirAll(filepath.Dir(name), 0o700) != nil {
			name = os.DevNull
		}
	}

	if name != os.DevNull {
		if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() &&
			fi.Size() > maxDaemonLog {
			_ = os.Rename(name, name+".1")
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			return f, name, nil
		}
		if given != "" {
			return nil, "", fmt.Errorf("open daemon log %s: %w", name, err)
		}
	}

	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	return f, "", nil
}

// closeStdio closes our copies of the files handed to the child.
func closeStdio(cmd *exec.Cmd) {
	for _, f := range []any{cmd.Stdin, cmd.Stdout} { // Stderr is Stdout
		if cl, ok := f.(*os.File); ok {
			_ = cl.Close()
		}
	}
}

// waitForSocket polls until the socket answers, the daemon exits, or Wait passes.
func waitForSocket(ctx context.Context, wait time.Duration, logName, sock string,
	cmd *exec.Cmd, exited <-chan error) error {
	if wait <= 0 {
		wait = DefaultAutostartWait
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(autostartPoll)
	defer tick.Stop()

	for {
		if SocketAnswers(ctx, sock) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for dbos-credd at %s: %w", sock, ctx.Err())
		case err := <-exited:
			// A daemon started at the same moment by another process may have won
			// the lock; then ours exits and the socket answers anyway.
			if SocketAnswers(ctx, sock) {
				return nil
			}
			return &UnavailableError{Path: sock, Cause: fmt.Errorf(
				"started %s but it exited before its socket appeared (%v)%s",
				cmd.Path, err, logHint(logName))}
		case <-deadline.C:
			return &UnavailableError{Path: sock, Cause: fmt.Errorf(
				"started %s (pid %d) but its socket did not answer within %s%s",
				cmd.Path, cmd.Process.Pid, wait, logHint(logName))}
		case <-tick.C:
		}
	}
}

func logHint(logName string) string {
	if logName == "" {
		return "; run it in the foreground to see why"
	}
	return "; see " + logName
}

// probeSocket reports whether something accepts connections on sock.
func SocketAnswers(ctx context.Context, sock string) bool {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}
