package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/dbos-go/dbos-cloud/config"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
	"github.com/dbos-go/dbos-cloud/pkg/tokens/keyringstore"
)

// Options configure Run. Flags given on the command line win over the config file.
type Options struct {
	// ConfigPath is the config file; empty means config.DefaultPath().
	ConfigPath string
	// Socket overrides the configured socket path.
	Socket string
	// LogLevel overrides the configured level when set ("debug", "info", ...).
	LogLevel string
	// Level is the handler's level, changed on reload unless LogLevel is set.
	Level   *slog.LevelVar
	Log     *slog.Logger
	Version string
	// Reload receives a value on SIGHUP.
	Reload <-chan os.Signal
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// ShutdownTimeout bounds the graceful shutdown (default 30s).
	ShutdownTimeout time.Duration
}

// Run is the daemon: it serves until ctx ends, then shuts down gracefully (requests
// in flight finish, pending keyring writes complete).
func Run(ctx context.Context, o Options) error {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Level == nil {
		o.Level = new(slog.LevelVar)
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	log := o.Log
	if o.ConfigPath == "" {
		o.ConfigPath = config.DefaultPath()
	}

	cfg, err := config.Load(o.ConfigPath)
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	set, err := settingsFrom(cfg)
	if err != nil {
		return fmt.Errorf("config %s: %w", o.ConfigPath, err)
	}
	if err := applyLevel(o, set.logLevel); err != nil {
		return err
	}

	store, err := openKeyring(o, set, log)
	if err != nil {
		return err
	}
	env, err := envSource(o.Getenv, set)
	if err != nil {
		return err
	}
	mgr, err := tokens.New(tokens.Options{
		Store:      store,
		Refresher:  newRefresher(&http.Client{Timeout: 30 * time.Second}, "dbos-credd/"+o.Version),
		Log:        log,
		Policy:     set.policy,
		Configured: cloneAccounts(set.accounts),
		Env:        env,
	})
	if err != nil {
		return err
	}

	ln, socket, err := listen(o, set, log)
	if err != nil {
		_ = mgr.Close(context.Background())
		return err
	}
	svc := NewService(ServiceOptions{Manager: mgr, Keyring: store, Log: log, Version: o.Version,
		Socket: socket, Config: o.ConfigPath, Default: defaultAccount(set, env),
		Configured: cloneAccounts(set.accounts)})
	return serve(ctx, o, runState{log: log, mgr: mgr, svc: svc, ln: ln, socket: socket,
		store: store, env: env})
}

type runState struct {
	log    *slog.Logger
	mgr    *tokens.Manager
	svc    *Service
	ln     net.Listener
	socket string
	store  *keyringstore.Store
	env    *tokens.EnvSource
}

func serve(ctx context.Context, o Options, r runState) error {
	srv := ipc.NewServer(r.svc, r.log, ipc.ServerOptions{Version: o.Version})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(r.ln) }()

	// Warm the cache of stored records; a locked keyring is retried on demand.
	go func() {
		if err := r.mgr.LoadAll(ctx); err != nil {
			r.log.Warn("stored accounts not loaded yet", "err", err)
		}
	}()

	watcher, err := config.Watch(ctx, o.ConfigPath, r.log, func(c *config.Config) { reload(o, r, c) })
	if err != nil {
		r.log.Warn("config changes will not be picked up", "config", o.ConfigPath, "err", err)
	}

	r.log.Info("dbos-credd started", "version", o.Version, "pid", os.Getpid(), "uid", os.Getuid(),
		"socket", r.socket, "config", o.ConfigPath, "keyring_backend", r.store.Backend(),
		"keyring_locked", r.store.NeedsPassword(), "log_level", o.Level.Level().String(),
		"env_account", envName(r.env))

	var serveErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-o.Reload:
			r.log.Info("reloading config on SIGHUP", "config", o.ConfigPath)
			if watcher != nil {
				watcher.Reload()
			}
		case serveErr = <-served:
			break loop
		}
	}
	return shutdown(o, r, srv, watcher, serveErr)
}

func shutdown(o Options, r runState, srv *ipc.Server, w *config.Watcher, serveErr error) error {
	r.log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	if w != nil {
		_ = w.Close()
	}
	errs := []error{serveErr}
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop serving: %w", err))
	}
	if err := r.mgr.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("pending keyring writes: %w", err))
	}
	if err := r.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		r.log.Debug("close listener", "err", err)
	}
	err := errors.Join(errs...)
	r.log.Info("stopped", "err", err)
	return err
}

// reload applies a changed config: accounts, default, refresh timing, log level. The
// socket and keyring backend need a restart; a change to them is logged.
func reload(o Options, r runState, c *config.Config) {
	set, err := settingsFrom(c)
	if err != nil {
		r.log.Error("config change not applied", "config", o.ConfigPath, "err", err)
		return
	}
	if err := applyLevel(o, set.logLevel); err != nil {
		r.log.Error("config change: log level not applied", "err", err)
	}
	r.mgr.SetPolicy(set.policy)
	r.svc.setAccounts(defaultAccount(set, r.env), cloneAccounts(set.accounts))
	r.log.Info("config reloaded", "config", o.ConfigPath, "accounts", len(set.accounts),
		"default_account", defaultAccount(set, r.env), "log_level", o.Level.Level().String())
}

func applyLevel(o Options, configured string) error {
	name := configured
	if o.LogLevel != "" {
		name = o.LogLevel
	}
	l, err := parseLevel(name)
	if err != nil {
		return err
	}
	o.Level.Set(l)
	return nil
}

// defaultAccount is the configured default, or the environment account when the
// config names none and the daemon was started with DBOS_REFRESH_TOKEN.
func defaultAccount(s settings, env *tokens.EnvSource) string {
	if env != nil && s.defaultAccount == "default" {
		if _, ok := s.accounts["default"]; !ok {
			return env.Account
		}
	}
	return s.defaultAccount
}

func envName(env *tokens.EnvSource) string {
	if env == nil {
		return ""
	}
	return env.Account
}

func openKeyring(o Options, s settings, log *slog.Logger) (*keyringstore.Store, error) {
	backends := s.backends
	if forced := o.Getenv("DBOS_KEYRING_BACKEND"); forced != "" {
		backends = []string{forced}
	}
	pw, err := keyringPassword(o.Getenv)
	if err != nil {
		return nil, err
	}
	store, err := keyringstore.Open(keyringstore.Options{Backends: backends,
		FileDir: keyringFileDir(s.fileDir), FilePassword: pw, Log: log})
	if err != nil {
		return nil, err
	}
	return store, nil
}

// keyringPassword reads the file backend's password from DBOS_KEYRING_PASSWORD or the
// file named by DBOS_KEYRING_PASSWORD_FILE (first line). None leaves it locked.
func keyringPassword(getenv func(string) string) (secret.Token, error) {
	if pw := getenv("DBOS_KEYRING_PASSWORD"); pw != "" {
		return secret.New(pw), nil
	}
	path := getenv("DBOS_KEYRING_PASSWORD_FILE")
	if path == "" {
		return secret.Token{}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return secret.Token{}, fmt.Errorf("read DBOS_KEYRING_PASSWORD_FILE: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return secret.New(strings.TrimRight(line, "\r")), nil
}

func secretFromEnv(v string) secret.Token { return secret.New(v) }

// listen takes the socket from systemd when started by socket activation, else
// binds the path from the flag, the config, or the default.
func listen(o Options, s settings, log *slog.Logger) (net.Listener, string, error) {
	ln, ok, err := ipc.ListenSystemd(log)
	if err != nil {
		return nil, "", fmt.Errorf("systemd socket: %w", err)
	}
	if ok {
		return ln, ln.Addr().String(), nil
	}

	path := o.Socket
	if path == "" {
		path = s.socket
	}
	if path == "" {
		if path, err = ipc.DefaultSocketPath(); err != nil {
			return nil, "", fmt.Errorf("socket path: %w", err)
		}
	}
	l, err := ipc.Listen(path, log)
	if err != nil {
		return nil, "", err
	}
	return l, path, nil
}
