package ipc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestClientMapsErrorCodes(t *testing.T) {
	tests := []struct {
		code     string
		status   int
		sentinel error
	}{
		{CodeAccountNotFound, http.StatusNotFound, ErrAccountNotFound},
		{CodeLoginRequired, http.StatusUnauthorized, ErrLoginRequired},
		{CodeIDPUnavailable, http.StatusServiceUnavailable, ErrIDPUnavailable},
		{CodeKeyringUnavailable, http.StatusServiceUnavailable, ErrKeyringUnavailable},
		{CodePeerRejected, http.StatusForbidden, ErrPeerRejected},
		{CodeBadRequest, http.StatusBadRequest, ErrBadRequest},
		{CodeInternal, http.StatusInternalServerError, ErrInternal},
	}
	svc := &fakeService{}
	ts := startServer(t, svc, ServerOptions{})
	ctx := context.Background()

	calls := map[string]func() error{
		"Token":        func() error { _, err := ts.client.Token(ctx, TokenRequest{Account: "a"}); return err },
		"Accounts":     func() error { _, err := ts.client.Accounts(ctx); return err },
		"Store":        func() error { _, err := ts.client.Store(ctx, StoreRequest{Name: "a"}); return err },
		"Update":       func() error { _, err := ts.client.Update(ctx, "a", AccountUpdate{}); return err },
		"Forget":       func() error { _, err := ts.client.Forget(ctx, "a", true); return err },
		"DropCache":    func() error { return ts.client.DropCache(ctx, "a") },
		"Status":       func() error { _, err := ts.client.Status(ctx); return err },
		"KeyringCheck": func() error { _, err := ts.client.KeyringCheck(ctx); return err },
		"Unlock":       func() error { _, err := ts.client.Unlock(ctx, UnlockRequest{Password: "p"}); return err },
	}
	for _, tc := range tests {
		for name, call := range calls {
			t.Run(tc.code+"/"+name, func(t *testing.T) {
				msg := "fix it by doing " + tc.code
				svc.mu.Lock()
				// Wrapped, as a daemon would return it from deeper code.
				svc.err = fmt.Errorf("context: %w", NewError(tc.code, msg))
				svc.mu.Unlock()

				err := call()
				if !errors.Is(err, tc.sentinel) {
					t.Fatalf("err = %v, want %v", err, tc.sentinel)
				}
				var e *Error
				if !errors.As(err, &e) || e.Status != tc.status || e.Code != tc.code || e.Message != msg {
					t.Fatalf("err = %#v, want status %d code %s message %q", e, tc.status, tc.code, msg)
				}
				for _, other := range tests {
					if other.sentinel != tc.sentinel && errors.Is(err, other.sentinel) {
						t.Errorf("err also matches %v", other.sentinel)
					}
				}
			})
		}
	}
}

func TestClientRoundTrips(t *testing.T) {
	svc := &fakeService{}
	ts := startServer(t, svc, ServerOptions{})
	ctx := context.Background()

	tok, err := ts.client.Token(ctx, TokenRequest{Account: "prod", MinTTLSeconds: 60})
	if err != nil || tok.Account != "prod" || !tok.ExpiresAt.Equal(fakeExpiry) {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	user := "bob"
	acct, err := ts.client.Update(ctx, "prod", AccountUpdate{User: &user})
	if err != nil || acct.User != "bob" || acct.Name != "prod" {
		t.Fatalf("Update = %+v, %v", acct, err)
	}
	fr, err := ts.client.Forget(ctx, "prod", true)
	if err != nil || !fr.Revoked || fr.Account != "prod" {
		t.Fatalf("Forget = %+v, %v", fr, err)
	}
	if err := ts.client.DropCache(ctx, "prod"); err != nil {
		t.Fatalf("DropCache: %v", err)
	}
	stored, err := ts.client.Store(ctx, StoreRequest{Name: "new", RefreshToken: "rt", User: "u"})
	if err != nil || stored.Name != "new" {
		t.Fatalf("Store = %+v, %v", stored, err)
	}
	svc.mu.Lock()
	req, _ := svc.lastReq.(StoreRequest)
	svc.mu.Unlock()
	if req.RefreshToken != "rt" || req.Name != "new" {
		t.Errorf("service got %+v", req)
	}
}

func TestClientRefusesBadNamesLocally(t *testing.T) {
	c := NewClient(ClientOptions{Path: "/nonexistent/credd.sock"})
	ctx := context.Background()
	for _, err := range []error{
		c.DropCache(ctx, "../x"),
		func() error { _, err := c.Forget(ctx, "", false); return err }(),
		func() error { _, err := c.Store(ctx, StoreRequest{Name: "a/b"}); return err }(),
		func() error { _, err := c.Update(ctx, "a?b", AccountUpdate{}); return err }(),
	} {
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("err = %v, want ErrBadRequest", err)
		}
	}
}

func TestClientDaemonUnavailable(t *testing.T) {
	dir := sockDir(t)
	missing := filepath.Join(dir, "missing.sock")

	// A socket file nobody listens on: connection refused.
	stale := filepath.Join(dir, "stale.sock")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: stale}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)

	for _, path := range []string{missing, stale} {
		_, err := NewClient(ClientOptions{Path: path}).Status(context.Background())
		if !errors.Is(err, ErrDaemonUnavailable) {
			t.Fatalf("%s: err = %v, want ErrDaemonUnavailable", path, err)
		}
		msg := err.Error()
		for _, want := range []string{path, "dbos-credd", "dbos-cloud daemon start"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q lacks %q", msg, want)
			}
		}
	}
}

// Autostart runs the test binary as a daemon, detached in its own session, and the
// call that found no daemon succeeds against it.
func TestClientAutostart(t *testing.T) {
	dir := sockDir(t)
	path := filepath.Join(dir, "credd.sock")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(ClientOptions{Path: path, Autostart: &AutostartOptions{
		Command: self,
		Args:    []string{"-test.run=^$"},
		Env:     []string{envHelper + "=daemon"},
		Wait:    20 * time.Second, // generous: a loaded CI machine, not a timing check
		LogFile: filepath.Join(dir, "daemon.log"),
	}})
	defer c.Close()

	st, err := c.Status(context.Background())
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "daemon.log"))
		t.Fatalf("Status with autostart: %v\ndaemon log:\n%s", err, log)
	}
	t.Cleanup(func() { stopDaemon(t, st.PID, path) })

	if st.PID == os.Getpid() || st.PID == 0 {
		t.Fatalf("status came from pid %d, not from a started daemon", st.PID)
	}
	if sid, err := unix.Getsid(st.PID); err != nil || sid != st.PID {
		t.Errorf("daemon session %d (%v), want its own session %d", sid, err, st.PID)
	}

	// The next call uses the running daemon; no second start.
	st2, err := c.Status(context.Background())
	if err != nil || st2.PID != st.PID {
		t.Fatalf("second call: pid %d, %v; want %d", st2.PID, err, st.PID)
	}
}

// A daemon that dies at once is reported with its log, which is by default
// $XDG_STATE_HOME/dbos-cloud/credd.log (private), moved to .1 once it is large.
func TestClientAutostartReportsEarlyExit(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	logPath := filepath.Join(state, "dbos-cloud", "credd.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte("old log\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(logPath, 9<<20); err != nil { // past the 8 MiB bound
		t.Fatal(err)
	}

	path := filepath.Join(sockDir(t), "credd.sock")
	c := NewClient(ClientOptions{Path: path, Autostart: &AutostartOptions{
		Command: "/bin/sh", Args: []string{"-c", "echo cannot start >&2; exit 3"},
		Wait: time.Minute,
	}})
	_, err := c.Status(context.Background())
	if !errors.Is(err, ErrDaemonUnavailable) ||
		!strings.Contains(err.Error(), "exited before its socket appeared") ||
		!strings.Contains(err.Error(), "see "+logPath) {
		t.Fatalf("err = %v, want ErrDaemonUnavailable naming the early exit and the log", err)
	}

	log, err := os.ReadFile(logPath)
	if err != nil || string(log) != "cannot start\n" {
		t.Errorf("daemon log %q (%v), want the daemon's output alone", log, err)
	}
	if fi, err := os.Stat(logPath + ".1"); err != nil || fi.Size() != 9<<20 {
		t.Errorf("the large log was not moved to .1: %v", err)
	}
	for p, want := range map[string]os.FileMode{logPath: 0o600, filepath.Dir(logPath): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", p, fi.Mode().Perm(), err, want)
		}
	}
}

// With nowhere to keep a log, the daemon still starts, its output discarded.
func TestClientAutostartWithoutLogDir(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "relative/home") // not absolute: no default log
	path := filepath.Join(sockDir(t), "credd.sock")
	c := NewClient(ClientOptions{Path: path, Autostart: &AutostartOptions{
		Command: "/bin/false", Wait: time.Minute,
	}})
	_, err := c.Status(context.Background())
	if !errors.Is(err, ErrDaemonUnavailable) ||
		!strings.Contains(err.Error(), "run it in the foreground to see why") {
		t.Fatalf("err = %v, want the early exit, with no log to point at", err)
	}
}

func TestClientAutostartMissingCommand(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	path := filepath.Join(sockDir(t), "credd.sock")
	c := NewClient(ClientOptions{Path: path, Autostart: &AutostartOptions{Command: "/nonexistent/dbos-credd"}})
	_, err := c.Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/dbos-credd") {
		t.Fatalf("err = %v, want a start error naming the command", err)
	}
}

// AutostartFunc is consulted only when nothing answers, once, and its error or
// its "do not start" reach the caller.
func TestClientAutostartFuncIsLazy(t *testing.T) {
	ts := startServer(t, &fakeService{}, ServerOptions{})
	calls := 0
	c := NewClient(ClientOptions{Path: ts.path, AutostartFunc: func() (*AutostartOptions, error) {
		calls++
		return nil, errors.New("config unreadable")
	}})
	defer c.Close()
	if _, err := c.Status(context.Background()); err != nil || calls != 0 {
		t.Fatalf("with a running daemon: err %v, AutostartFunc called %d times; want nil, 0", err, calls)
	}

	down := filepath.Join(sockDir(t), "credd.sock")
	c = NewClient(ClientOptions{Path: down, AutostartFunc: func() (*AutostartOptions, error) {
		calls++
		return nil, errors.New("config unreadable")
	}})
	for range 2 {
		if _, err := c.Status(context.Background()); err == nil || err.Error() != "config unreadable" {
			t.Fatalf("err = %v, want the AutostartFunc's error", err)
		}
	}
	if calls != 1 {
		t.Errorf("AutostartFunc called %d times, want once", calls)
	}

	c = NewClient(ClientOptions{Path: down, AutostartFunc: func() (*AutostartOptions, error) {
		return nil, nil
	}})
	if _, err := c.Status(context.Background()); !errors.Is(err, ErrDaemonUnavailable) {
		t.Fatalf("err = %v, want ErrDaemonUnavailable when AutostartFunc says not to start", err)
	}
}

// stopDaemon ends a daemon started by a test and waits until its socket is gone.
func stopDaemon(t *testing.T, pid int, path string) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Errorf("stop daemon %d: %v", pid, err)
		return
	}
	for range 500 {
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("daemon %d did not remove its socket", pid)
}
