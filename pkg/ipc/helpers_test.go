package ipc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/testutil"
)

// The test binary doubles as a helper process: a daemon for the autostart test, and
// a client running as another uid for the peer test.
const envHelper = "IPC_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(envHelper) {
	case "daemon":
		os.Exit(runHelperDaemon())
	case "rawclient":
		os.Exit(runHelperRawClient())
	case "systemd":
		os.Exit(runHelperSystemd())
	}
	os.Exit(m.Run())
}

// runHelperDaemon serves the fake service on $DBOS_CREDD_SOCKET until SIGTERM, or
// for two minutes at most so that a crashed test leaves nothing behind.
func runHelperDaemon() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ln, err := Listen(os.Getenv(EnvSocket), log)
	if err != nil {
		log.Error("listen", "err", err)
		return 1
	}
	srv := NewServer(&fakeService{}, log, ServerOptions{})

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		select {
		case <-sig:
		case <-time.After(2 * time.Minute):
		}
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

// runHelperSystemd serves the fake service on the socket passed as by systemd
// (fd 3, LISTEN_FDS=1). systemd sets LISTEN_PID to the child's pid, which the test
// cannot know before the start, so the helper sets it itself.
func runHelperSystemd() int {
	os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	ln, ok, err := ListenSystemd(nil)
	if err != nil || !ok {
		fmt.Printf("activation failed: ok=%v err=%v\n", ok, err)
		return 3
	}
	if os.Getenv("LISTEN_FDS") != "" {
		fmt.Println("LISTEN_FDS left in the environment")
		return 3
	}
	srv := NewServer(&fakeService{}, nil, ServerOptions{})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
		case <-time.After(2 * time.Minute):
		}
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); err != nil {
		return 1
	}
	return 0
}

// runHelperRawClient sends GET /v1/status with plain HTTP, then the same through
// Client, and prints what came back: "raw STATUS BODY" and "client ERR".
func runHelperRawClient() int {
	sock := os.Getenv(EnvSocket)
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	resp, err := hc.Get("http://x" + PathStatus)
	if err != nil {
		fmt.Println("raw error", err)
		return 1
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	fmt.Printf("raw %d %s", resp.StatusCode, body.String())

	_, err = NewClient(ClientOptions{Path: sock}).Status(context.Background())
	fmt.Printf("client peer_rejected=%v %v\n", errors.Is(err, ErrPeerRejected), err)
	return 0
}

// fakeService answers every method with fixed data, or with err when set.
type fakeService struct {
	mu       sync.Mutex
	err      error
	lastPeer Peer
	lastReq  any
}

func (f *fakeService) fail() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakeService) record(p *Peer, req any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p != nil {
		f.lastPeer = *p
	}
	f.lastReq = req
}

var fakeExpiry = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func (f *fakeService) Token(_ context.Context, p Peer, req TokenRequest) (TokenResponse, error) {
	f.record(&p, req)
	if err := f.fail(); err != nil {
		return TokenResponse{}, err
	}
	name := req.Account
	if name == "" {
		name = "default"
	}
	return TokenResponse{Account: name, AccessToken: "eyJhbGciOiJSUzI1NiJ9.fake-access-token.sig",
		ExpiresAt: fakeExpiry, User: "alice", Organization: "acme",
		APIURL: "https://cloud.dbos.dev", Source: SourceKeyring}, nil
}

func (f *fakeService) Accounts(context.Context) (AccountList, error) {
	if err := f.fail(); err != nil {
		return AccountList{}, err
	}
	return AccountList{Default: "default", Accounts: []Account{{Name: "default", State: StateOK}}}, nil
}

func (f *fakeService) Store(_ context.Context, req StoreRequest) (Account, error) {
	f.record(nil, req)
	if err := f.fail(); err != nil {
		return Account{}, err
	}
	return Account{Name: req.Name, Endpoints: req.Endpoints, User: req.User, State: StateOK}, nil
}

func (f *fakeService) Update(_ context.Context, name string, upd AccountUpdate) (Account, error) {
	f.record(nil, upd)
	if err := f.fail(); err != nil {
		return Account{}, err
	}
	acct := Account{Name: name, State: StateOK}
	if upd.User != nil {
		acct.User = *upd.User
	}
	return acct, nil
}

func (f *fakeService) Forget(_ context.Context, name string, revoke bool) (ForgetResponse, error) {
	if err := f.fail(); err != nil {
		return ForgetResponse{}, err
	}
	return ForgetResponse{Account: name, Revoked: revoke}, nil
}

func (f *fakeService) DropCache(_ context.Context, name string) error {
	f.record(nil, name)
	return f.fail()
}

func (f *fakeService) Status(context.Context) (Status, error) {
	if err := f.fail(); err != nil {
		return Status{}, err
	}
	return Status{Version: "test", PID: os.Getpid(), DefaultAccount: "default"}, nil
}

func (f *fakeService) KeyringCheck(context.Context) (KeyringStatus, error) {
	if err := f.fail(); err != nil {
		return KeyringStatus{}, err
	}
	return KeyringStatus{Backend: "file", Writable: true}, nil
}

func (f *fakeService) Unlock(_ context.Context, req UnlockRequest) (KeyringStatus, error) {
	f.record(nil, req)
	if err := f.fail(); err != nil {
		return KeyringStatus{}, err
	}
	return KeyringStatus{Backend: "file", Writable: true}, nil
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer = testutil.SyncBuffer

// sockDir returns a short new directory for sockets (macOS caps socket paths near
// 104 bytes, and t.TempDir paths can be longer).
func sockDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// testServer is a server for svc on a fresh socket, with its log and a client.
type testServer struct {
	path   string
	svc    *fakeService
	log    *syncBuffer
	srv    *Server
	client *Client
}

func startServer(t testing.TB, svc *fakeService, opts ServerOptions) *testServer {
	t.Helper()
	return startServerLevel(t, svc, opts, slog.LevelDebug)
}

func startServerLevel(t testing.TB, svc *fakeService, opts ServerOptions, level slog.Level) *testServer {
	t.Helper()
	path := filepath.Join(sockDir(t), "credd.sock")
	logBuf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: level}))

	ln, err := Listen(path, log)
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, path, svc, logBuf, log, opts)
}

func serveOn(t testing.TB, ln net.Listener, path string, svc *fakeService, logBuf *syncBuffer,
	log *slog.Logger, opts ServerOptions) *testServer {
	t.Helper()
	srv := NewServer(svc, log, opts)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()

	client := NewClient(ClientOptions{Path: path, Timeout: 30 * time.Second})
	t.Cleanup(func() {
		client.Close()
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{path: path, svc: svc, log: logBuf, srv: srv, client: client}
}

// rawRequest sends req bytes on a new connection and returns the parsed response.
func rawRequest(t *testing.T, path, req string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	return resp, body.String()
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

func itoa(n int) string { return strconv.Itoa(n) }

func itoaHex(n int) string { return strconv.FormatInt(int64(n), 16) }
