package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

type daemonStartOptions struct {
	LogFile string
	Wait    time.Duration
}

type daemonStopOptions struct {
	Wait time.Duration
}

type daemonStatusOptions struct {
	JSON bool
}

// daemonCallTimeout bounds one request of the daemon commands; they never wait on
// the login service.
const daemonCallTimeout = 5 * time.Second

func newDaemonCmd(e *env) *cli.Command {
	return &cli.Command{
		Name:  "daemon",
		Usage: "start, stop, inspect or install dbos-credd, the credential daemon",
		Subcommands: []*cli.Command{
			newDaemonStartCmd(e, nil), newDaemonStopCmd(e, nil), newDaemonStatusCmd(e, nil),
			newDaemonInstallCmd(e, nil),
		},
		Action: subcommandRequired,
	}
}

func newDaemonStartCmd(e *env, runF func(context.Context, *daemonStartOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runDaemonStart
	}
	return &cli.Command{
		Name:  "start",
		Usage: "start dbos-credd in the background and wait until it answers",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-file", Usage: "append the daemon's log to `FILE` " +
				"(default: $XDG_STATE_HOME/dbos-cloud/credd.log; /dev/null discards it)"},
			&cli.DurationFlag{Name: "wait", Value: 10 * time.Second, Usage: "how long to wait for its socket"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("daemon start takes no arguments")
			}
			return runF(c.Context, &daemonStartOptions{LogFile: c.String("log-file"), Wait: c.Duration("wait")})
		},
	}
}

func newDaemonStopCmd(e *env, runF func(context.Context, *daemonStopOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runDaemonStop
	}
	return &cli.Command{
		Name:  "stop",
		Usage: "ask dbos-credd to exit (SIGTERM) and wait until its socket is gone",
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "wait", Value: 10 * time.Second, Usage: "how long to wait for the exit"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("daemon stop takes no arguments")
			}
			return runF(c.Context, &daemonStopOptions{Wait: c.Duration("wait")})
		},
	}
}

func newDaemonStatusCmd(e *env, runF func(context.Context, *daemonStatusOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runDaemonStatus
	}
	return &cli.Command{
		Name:  "status",
		Usage: "show whether dbos-credd runs, its version, pid, socket and counters",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("daemon status takes no arguments")
			}
			return runF(c.Context, &daemonStatusOptions{JSON: wantJSON(c)})
		},
	}
}

// plainDaemon is a client of the configured socket that never starts the daemon:
// the daemon commands report what is, and start it only when told to.
func (e *env) plainDaemon() (*ipc.Client, DaemonOptions, error) {
	o, err := e.daemonOptions()
	if err != nil {
		return nil, o, err
	}
	return ipc.NewClient(ipc.ClientOptions{Path: o.Socket, Timeout: daemonCallTimeout}), o, nil
}

func (e *env) runDaemonStart(ctx context.Context, o *daemonStartOptions) error {
	plain, do, err := e.plainDaemon()
	if err != nil {
		return err
	}
	defer plain.Close()
	if st, err := plain.Status(ctx); err == nil {
		e.success("dbos-credd is already running (pid %d, %s)", st.PID, st.Socket)
		return nil
	} else if !errors.Is(err, ipc.ErrDaemonUnavailable) {
		return err
	}

	credd := e.findCredd()
	if credd == "" {
		return &Error{Code: ExitDaemonUnavailable, Err: errors.New("dbos-credd was not found"),
			Hint: "install it next to dbos-cloud or on PATH"}
	}
	c := ipc.NewClient(ipc.ClientOptions{Path: do.Socket, Timeout: daemonCallTimeout,
		Autostart: &ipc.AutostartOptions{Command: credd, Env: do.Env, Wait: o.Wait, LogFile: o.LogFile}})
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return unavailable(err)
	}
	e.success("dbos-credd %s started (pid %d), listening on %s", st.Version, st.PID, st.Socket)
	return nil
}

func (e *env) runDaemonStop(ctx context.Context, o *daemonStopOptions) error {
	plain, _, err := e.plainDaemon()
	if err != nil {
		return err
	}
	defer plain.Close()
	st, err := plain.Status(ctx)
	if errors.Is(err, ipc.ErrDaemonUnavailable) {
		e.info("dbos-credd is not running")
		return nil
	}
	if err != nil {
		return err
	}
	sock, err := plain.Path()
	if err != nil {
		return err
	}

	// The daemon names its own pid; signal it only if that process is ours, so a
	// confused or lying daemon cannot make us signal someone else's process.
	// Where the owner cannot be read (no /proc), the socket's peer check stands:
	// the daemon that answered runs as this user.
	if uid, ok := processUID(st.PID); st.PID <= 1 || (ok && uid != os.Geteuid()) {
		return fmt.Errorf("stop dbos-credd: pid %d (reported by the daemon) is not a process of yours", st.PID)
	}
	if err := syscall.Kill(st.PID, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop dbos-credd (pid %d): %w", st.PID, err)
	}
	if err := waitStopped(ctx, st.PID, sock, o.Wait); err != nil {
		return err
	}
	e.success("dbos-credd (pid %d) stopped", st.PID)
	return nil
}

// waitStopped polls until nothing answers on sock. If the process is gone but the
// socket still answers, something else holds it (systemd socket activation), and
// waiting longer would not help.
func waitStopped(ctx context.Context, pid int, sock string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		answers := ipc.SocketAnswers(ctx, sock)
		if !answers {
			return nil
		}
		if processGone(pid) {
			return fmt.Errorf("dbos-credd (pid %d) exited but %s still accepts connections; "+
				"if systemd manages it, run: systemctl --user stop dbos-credd.socket dbos-credd.service", pid, sock)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dbos-credd (pid %d) did not stop within %s", pid, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (e *env) runDaemonStatus(ctx context.Context, o *daemonStatusOptions) error {
	plain, _, err := e.plainDaemon()
	if err != nil {
		return err
	}
	defer plain.Close()
	st, err := plain.Status(ctx)
	if err != nil {
		return unavailable(err)
	}
	if o.JSON {
		return printJSON(e.stdout, st)
	}

	w := e.stdout
	fmt.Fprintf(w, "dbos-credd %s, pid %d, up %s\n", st.Version, st.PID,
		(time.Duration(st.UptimeSeconds) * time.Second).String())
	fmt.Fprintf(w, "Socket:   %s\n", st.Socket)
	fmt.Fprintf(w, "Config:   %s\n", dash(st.Config))
	fmt.Fprintf(w, "Keyring:  %s\n", st.KeyringBackend)
	fmt.Fprintf(w, "Accounts: %d (default %s)\n", len(st.Accounts), dash(st.DefaultAccount))
	c := st.Counters
	fmt.Fprintf(w, "Requests: %d (%d from cache, %d refreshes, %d failures)\n",
		c.Requests, c.CacheHits, c.Refreshes, c.Failures)
	return nil
}

// absCredd returns the dbos-credd to put in service files, as an absolute path.
func (e *env) absCredd(given string) (string, error) {
	p := given
	if p == "" {
		p = e.findCredd()
	}
	if p == "" {
		return "", &Error{Code: ExitFailure, Err: errors.New("dbos-credd was not found"),
			Hint: "install it next to dbos-cloud or on PATH, or name it with --credd PATH"}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	return abs, nil
}

// unavailable gives an unreachable daemon its exit code; ipc's message already
// names the fix.
func unavailable(err error) error {
	if errors.Is(err, ipc.ErrDaemonUnavailable) {
		return &Error{Code: ExitDaemonUnavailable, Err: err}
	}
	return err
}
