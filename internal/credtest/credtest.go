// Package credtest runs the real dbos-credd binary for tests: a socket in a short
// temporary directory, the encrypted file keyring in a temporary directory with a
// test password, and a config file written from the test's options. It gives other
// suites (CLI, plugin, git helper, fault and load tests) a daemon to talk to and the
// environment their processes need to reach it.
//
// It does not start anything in-process and leaves the daemon's behaviour to
// internal/daemon.
package credtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/leakscan"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
	"github.com/dbos-go/dbos-cloud/internal/testutil"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// KeyringPassword is the file keyring's password in every daemon started here.
const KeyringPassword = "credtest-keyring-password"

// ClientID and Audience are what the generated config uses for the emulator; the
// emulator accepts any client id.
const (
	ClientID = "emulatortest"
	Audience = "dbos-cloud-api"
)

// Options configure Start.
type Options struct {
	// EmulatorURL, when set, makes the generated config's "default" account (and
	// DBOS_DOMAIN in Env) point at the emulator.
	EmulatorURL string
	// Env is added to the daemon's environment, after the harness's own variables,
	// so it can override them (e.g. DBOS_KEYRING_BACKEND, DBOS_REFRESH_TOKEN).
	Env []string
	// ConfigTOML, when set, is the whole config file; otherwise one is generated.
	ConfigTOML string
	// Args are extra daemon flags.
	Args []string
}

// Daemon is one dbos-credd process (running or stopped) and its directories.
type Daemon struct {
	bin     string
	opts    Options
	root    string // short temp dir: socket, config, keyring, XDG dirs
	socket  string
	logs    *testutil.SyncBuffer
	client  *ipc.Client
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan error
	exitErr error
}

// Start builds (once) and starts dbos-credd and waits until it answers on its socket.
// The daemon is stopped and its directories removed when the test ends.
func Start(tb testing.TB, opts Options) *Daemon {
	tb.Helper()
	// Not tb.TempDir: socket paths must stay short (macOS caps them near 104 bytes).
	root, err := os.MkdirTemp("", "cd")
	if err != nil {
		tb.Fatalf("credtest: %v", err)
	}
	d := &Daemon{bin: testbin.Path(tb, "cmd/dbos-credd"), opts: opts, root: root,
		socket: filepath.Join(root, "run", "credd.sock"), logs: &testutil.SyncBuffer{}}
	for _, sub := range []string{"run", "config", "data", "home"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o700); err != nil {
			tb.Fatalf("credtest: %v", err)
		}
	}
	d.WriteConfig(tb, d.configText())
	d.client = ipc.NewClient(ipc.ClientOptions{Path: d.socket, Timeout: 60 * time.Second})

	tb.Cleanup(func() {
		d.client.Close()
		if d.running() {
			d.Stop(tb)
		}
		_ = os.RemoveAll(root)
	})
	d.launch(tb)
	return d
}

func (d *Daemon) configText() string {
	if d.opts.ConfigTOML != "" {
		return d.opts.ConfigTOML
	}
	if d.opts.EmulatorURL == "" {
		return "# written by credtest\n"
	}
	u := strings.TrimRight(d.opts.EmulatorURL, "/")
	return fmt.Sprintf(`# written by credtest
default_account = "default"

[accounts.default]
api_url = %q
issuer = %q
client_id = %q
audience = %q
`, u, u+"/", ClientID, Audience)
}

// WriteConfig replaces the config file (atomically, as editors do); a running daemon
// picks the change up through its watcher.
func (d *Daemon) WriteConfig(tb testing.TB, text string) {
	tb.Helper()
	tmp := d.ConfigPath() + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		tb.Fatalf("credtest: write config: %v", err)
	}
	if err := os.Rename(tmp, d.ConfigPath()); err != nil {
		tb.Fatalf("credtest: write config: %v", err)
	}
}

// Socket is the daemon's socket path.
func (d *Daemon) Socket() string { return d.socket }

// ConfigPath is the daemon's config file.
func (d *Daemon) ConfigPath() string { return filepath.Join(d.root, "config", "config.toml") }

// KeyringDir is where the file keyring keeps its items.
func (d *Daemon) KeyringDir() string { return filepath.Join(d.root, "data", "dbos-cloud", "keyring") }

// Client returns a client of this daemon (no autostart).
func (d *Daemon) Client() *ipc.Client { return d.client }

// Logs returns everything the daemon wrote to stderr so far, across restarts.
func (d *Daemon) Logs() string { return d.logs.String() }

// Env is the environment for CLI processes that should use this daemon: socket,
// config, XDG directories, HOME and, with an emulator, DBOS_DOMAIN. It holds no
// secret and no keyring setting: only the daemon opens the keyring.
func (d *Daemon) Env() []string {
	env := []string{
		ipc.EnvSocket + "=" + d.socket,
		"DBOS_CONFIG=" + d.ConfigPath(),
		"XDG_CONFIG_HOME=" + filepath.Join(d.root, "config"),
		"XDG_DATA_HOME=" + filepath.Join(d.root, "data"),
		"XDG_RUNTIME_DIR=" + filepath.Join(d.root, "run"),
		"HOME=" + filepath.Join(d.root, "home"),
	}
	if d.opts.EmulatorURL != "" {
		env = append(env, "DBOS_DOMAIN="+strings.TrimRight(d.opts.EmulatorURL, "/"))
	}
	return env
}

// daemonEnv is the daemon's own environment: a clean one, so the developer's
// keyring, config and tokens never leak into a test.
func (d *Daemon) daemonEnv() []string {
	env := append(d.Env(), "PATH="+os.Getenv("PATH"),
		"DBOS_KEYRING_BACKEND=file", "DBOS_KEYRING_PASSWORD="+KeyringPassword)
	if bus := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); bus != "" {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS="+bus)
	}
	return append(env, d.opts.Env...)
}

func (d *Daemon) launch(tb testing.TB) {
	tb.Helper()
	args := append([]string{"--foreground", "--log-level", "debug"}, d.opts.Args...)
	cmd := exec.Command(d.bin, args...)
	cmd.Env = d.daemonEnv()
	cmd.Stdout, cmd.Stderr = d.logs, d.logs
	if err := cmd.Start(); err != nil {
		tb.Fatalf("credtest: start dbos-credd: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	d.mu.Lock()
	d.cmd, d.done, d.exitErr = cmd, done, nil
	d.mu.Unlock()

	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := d.client.Status(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case err := <-done:
			d.mu.Lock()
			d.cmd, d.exitErr = nil, err
			d.mu.Unlock()
			tb.Fatalf("credtest: dbos-credd exited at start (%v):\n%s", err, d.Logs())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("credtest: dbos-credd did not answer on %s: %v\n%s", d.socket, err, d.Logs())
		}
	}
}

func (d *Daemon) running() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cmd != nil
}

// PID is the running daemon's process id (0 when stopped).
func (d *Daemon) PID() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		return 0
	}
	return d.cmd.Process.Pid
}

// Signal sends sig to the running daemon (e.g. syscall.SIGHUP).
func (d *Daemon) Signal(tb testing.TB, sig os.Signal) {
	tb.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		tb.Fatal("credtest: daemon not running")
	}
	if err := d.cmd.Process.Signal(sig); err != nil {
		tb.Fatalf("credtest: signal: %v", err)
	}
}

// Stop sends SIGTERM and waits for a clean exit; a non-zero exit fails the test.
func (d *Daemon) Stop(tb testing.TB) {
	tb.Helper()
	if err := d.end(syscall.SIGTERM); err != nil {
		tb.Errorf("credtest: dbos-credd exited with %v:\n%s", err, d.Logs())
	}
}

// Kill ends the daemon with SIGKILL, as a crash would: no graceful shutdown, the
// socket file stays behind.
func (d *Daemon) Kill(tb testing.TB) {
	tb.Helper()
	_ = d.end(syscall.SIGKILL)
}

// Restart starts the daemon again with the same directories, keyring and config
// (after Stop or Kill; a running daemon is stopped first).
func (d *Daemon) Restart(tb testing.TB) {
	tb.Helper()
	if d.running() {
		d.Stop(tb)
	}
	d.launch(tb)
}

// RestartWith restarts the daemon with env added to its environment from now on
// (e.g. "DBOS_KEYRING_PASSWORD=" to start it with a locked keyring).
func (d *Daemon) RestartWith(tb testing.TB, env ...string) {
	tb.Helper()
	if d.running() {
		d.Stop(tb)
	}
	d.opts.Env = append(append([]string(nil), d.opts.Env...), env...)
	d.launch(tb)
}

func (d *Daemon) end(sig syscall.Signal) error {
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(sig)
	var err error
	select {
	case err = <-done:
	case <-time.After(45 * time.Second):
		_ = cmd.Process.Kill()
		err = errors.Join(errors.New("no exit within 45s after signal"), <-done)
	}
	d.mu.Lock()
	d.cmd, d.exitErr = nil, err
	d.mu.Unlock()
	if sig == syscall.SIGKILL {
		return nil
	}
	return err
}

// CheckNoLeak fails the test for every leak leakscan finds in text (named what in
// the report): any of the secrets, raw or encoded (secrets shorter than
// leakscan.MinLen are ignored: they would match by chance), and any JWT or refresh
// token at all, since the texts checked here (logs, stderr) may hold none.
func CheckNoLeak(tb testing.TB, what, text string, secrets ...string) {
	tb.Helper()
	set := leakscan.New()
	for i, v := range secrets {
		set.Add(fmt.Sprintf("secret #%d given to CheckNoLeak", i+1), v)
	}
	set.Check(tb, what, text, false)
}
