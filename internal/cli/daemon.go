package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// Daemon is the part of the dbos-credd client the CLI uses (ipc.Client implements it).
type Daemon interface {
	Token(ctx context.Context, req ipc.TokenRequest) (ipc.TokenResponse, error)
	Accounts(ctx context.Context) (ipc.AccountList, error)
	Store(ctx context.Context, req ipc.StoreRequest) (ipc.Account, error)
	Update(ctx context.Context, name string, upd ipc.AccountUpdate) (ipc.Account, error)
	Forget(ctx context.Context, name string, revoke bool) (ipc.ForgetResponse, error)
	DropCache(ctx context.Context, name string) error
	Status(ctx context.Context) (ipc.Status, error)
	KeyringCheck(ctx context.Context) (ipc.KeyringStatus, error)
	Unlock(ctx context.Context, req ipc.UnlockRequest) (ipc.KeyringStatus, error)
}

// DaemonOptions say where the daemon listens and how to start it.
type DaemonOptions struct {
	// Socket is the socket path; empty means ipc's default (DBOS_CREDD_SOCKET, then
	// the runtime directory).
	Socket string
	// Command is the dbos-credd binary to start when nothing answers; empty
	// disables autostart.
	Command string
	// Env is added to the started daemon's environment (its config path).
	Env []string
	// Timeout bounds each request.
	Timeout time.Duration
}

// ConnectDaemon is the default Deps.Daemon: an ipc client, which starts Command in
// the background if the socket does not answer.
func ConnectDaemon(o DaemonOptions) (Daemon, error) {
	opts := ipc.ClientOptions{Path: o.Socket, Timeout: o.Timeout}
	if o.Command != "" {
		opts.Autostart = &ipc.AutostartOptions{Command: o.Command, Env: o.Env, Wait: 5 * time.Second}
	}
	return ipc.NewClient(opts), nil
}

// connect returns the daemon client, created once per run. The connection itself is
// made by the first request, so this costs no round trip.
func (e *env) connect() (Daemon, error) {
	if e.daemon != nil || e.daemonErr != nil {
		return e.daemon, e.daemonErr
	}
	o, err := e.daemonOptions()
	if err != nil {
		e.daemonErr = err
		return nil, err
	}
	e.log.Debug("daemon", "socket", o.Socket, "autostart", o.Command)

	d, err := e.deps.Daemon(o)
	if err != nil {
		e.daemonErr = daemonError(err, o)
		return nil, e.daemonErr
	}
	e.daemon = daemonErrors{d: d, opts: o}
	return e.daemon, nil
}

// daemonOptions reads the socket and autostart settings: DBOS_CREDD_SOCKET, else the
// config's daemon.socket, else the default path.
func (e *env) daemonOptions() (DaemonOptions, error) {
	cfg, path, err := e.config()
	if err != nil {
		return DaemonOptions{}, err
	}
	o := DaemonOptions{Timeout: 30 * time.Second, Env: []string{EnvConfig + "=" + path}}
	if cfg.Daemon.Socket != "" && e.getenv(ipc.EnvSocket) == "" {
		o.Socket = cfg.Daemon.Socket
	}
	if cfg.Daemon.AutostartEnabled() {
		o.Command = e.findCredd()
	}
	return o, nil
}

// findCredd looks for dbos-credd next to this binary, then on PATH; "" if absent.
func (e *env) findCredd() string {
	exe := e.deps.Executable
	if exe == "" {
		exe, _ = os.Executable()
	}
	if exe != "" {
		p := filepath.Join(filepath.Dir(exe), "dbos-credd")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	p, err := exec.LookPath("dbos-credd")
	if err != nil {
		return ""
	}
	return p
}

// daemonError adds the fix to a failure to reach the daemon.
func daemonError(err error, o DaemonOptions) error {
	if !errors.Is(err, ipc.ErrDaemonUnavailable) {
		return err
	}
	hint := "start it with: dbos-credd"
	if o.Command == "" {
		hint = "autostart is off or dbos-credd was not found; start it with: dbos-credd"
	}
	return &Error{Code: ExitDaemonUnavailable, Err: err, Hint: hint}
}

// daemonErrors decorates every daemon call's error with the fix for an unreachable
// daemon.
type daemonErrors struct {
	d    Daemon
	opts DaemonOptions
}

func (w daemonErrors) Token(ctx context.Context, r ipc.TokenRequest) (ipc.TokenResponse, error) {
	v, err := w.d.Token(ctx, r)
	return v, daemonError(err, w.opts)
}

func (w daemonErrors) Accounts(ctx context.Context) (ipc.AccountList, error) {
	v, err := w.d.Accounts(ctx)
	return v, daemonError(err, w.opts)
}

func (w daemonErrors) Store(ctx context.Context, r ipc.StoreRequest) (ipc.Account, error) {
	v, err := w.d.Store(ctx, r)
	return v, daemonError(err, w.opts)
}

func (w daemonErrors) Update(ctx context.Context, n string, u ipc.AccountUpdate) (ipc.Account, error) {
	v, err := w.d.Update(ctx, n, u)
	return v, daemonError(err, w.opts)
}

func (w daemonErrors) Forget(ctx context.Context, n string, revoke bool) (ipc.ForgetResponse, error) {
	v, err := w.d.Forget(ctx, n, revoke)
	return v, daemonError(err, w.opts)
}

func (w daemonErrors) DropCache(ctx context.Context, n string) error {
	return daemonError(w.d.DropCache(ctx, n), w.opts)
}

func (w daemonErrors) Status(ctx context.Context) (ipc.Status, error) {
	v, err := w.d.Status(ctx)
	return v, daemonError(err, w.opts)
}

func (w daemonErrors) KeyringCheck(ctx context.Context) (ipc.KeyringStatus, error) {
	v, err := w.d.KeyringCheck(ctx)
	return v, daemonError(err, w.opts)
}

func (w daemonErrors) Unlock(ctx context.Context, r ipc.UnlockRequest) (ipc.KeyringStatus, error) {
	v, err := w.d.Unlock(ctx, r)
	return v, daemonError(err, w.opts)
}
