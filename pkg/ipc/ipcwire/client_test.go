package ipcwire_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

// fakeService answers as a daemon with the accounts it holds; Token blocks while
// block is open.
type fakeService struct {
	accounts []ipc.Account
	block    chan struct{}

	mu      sync.Mutex
	dropped []string
	tokens  []ipc.TokenRequest
}

func (f *fakeService) Token(ctx context.Context, _ ipc.Peer, req ipc.TokenRequest) (ipc.TokenResponse, error) {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ipc.TokenResponse{}, ctx.Err()
		}
	}
	f.mu.Lock()
	f.tokens = append(f.tokens, req)
	f.mu.Unlock()
	for _, a := range f.accounts {
		if a.Name == req.Account {
			return ipc.TokenResponse{Account: a.Name, AccessToken: "tok-" + a.Name,
				ExpiresAt: time.Unix(1893553445, 0).UTC(), User: a.User, APIURL: a.APIURL,
				Source: ipc.SourceKeyring}, nil
		}
	}
	return ipc.TokenResponse{}, ipc.NewError(ipc.CodeAccountNotFound, "no account named "+
		strconv.Quote(req.Account))
}

func (f *fakeService) Accounts(context.Context) (ipc.AccountList, error) {
	return ipc.AccountList{Default: "default", Accounts: f.accounts}, nil
}

func (f *fakeService) DropCache(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropped = append(f.dropped, name)
	return nil
}

func (f *fakeService) Store(context.Context, ipc.StoreRequest) (ipc.Account, error) {
	return ipc.Account{}, ipc.NewError(ipc.CodeBadRequest, "not here")
}

func (f *fakeService) Update(context.Context, string, ipc.AccountUpdate) (ipc.Account, error) {
	return ipc.Account{}, ipc.NewError(ipc.CodeBadRequest, "not here")
}

func (f *fakeService) Forget(context.Context, string, bool) (ipc.ForgetResponse, error) {
	return ipc.ForgetResponse{}, ipc.NewError(ipc.CodeBadRequest, "not here")
}

func (f *fakeService) Status(context.Context) (ipc.Status, error) { return ipc.Status{}, nil }

func (f *fakeService) KeyringCheck(context.Context) (ipc.KeyringStatus, error) {
	return ipc.KeyringStatus{}, nil
}

func (f *fakeService) Unlock(context.Context, ipc.UnlockRequest) (ipc.KeyringStatus, error) {
	return ipc.KeyringStatus{}, nil
}

// manyAccounts returns n accounts, enough past 2 KiB that the server sets the
// Content-Length itself.
func manyAccounts(n int) []ipc.Account {
	out := []ipc.Account{{Name: "default", User: "alice", State: ipc.StateOK,
		Endpoints: ipc.Endpoints{APIURL: "https://cloud.dbos.dev"}}}
	for i := 1; i < n; i++ {
		out = append(out, ipc.Account{Name: "acct" + strconv.Itoa(i), State: ipc.StateOK,
			Endpoints: ipc.Endpoints{APIURL: "http://127.0.0.1:" + strconv.Itoa(8000+i)}})
	}
	return out
}

// serve runs pkg/ipc's real server for svc on a fresh socket and returns its path.
func serve(t testing.TB, svc ipc.Service) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "w")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "credd.sock")
	ln, err := ipc.Listen(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := ipc.NewServer(svc, slog.New(slog.DiscardHandler), ipc.ServerOptions{})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	})
	return path
}

func TestClientAgainstServer(t *testing.T) {
	svc := &fakeService{accounts: manyAccounts(40)}
	c := ipcwire.NewClient(ipcwire.ClientOptions{Path: serve(t, svc), Timeout: 10 * time.Second})
	ctx := context.Background()

	tr, err := c.Token(ctx, ipcwire.TokenRequest{Account: "default", MinTTLSeconds: 300})
	if err != nil {
		t.Fatal(err)
	}
	if tr.AccessToken != "tok-default" || tr.User != "alice" || tr.ExpiresAt.Unix() != 1893553445 {
		t.Errorf("token answer %+v", tr)
	}

	list, err := c.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 40 || list.Default != "default" {
		t.Errorf("accounts: %d, default %q", len(list.Accounts), list.Default)
	}

	if err := c.DropCache(ctx, "acct3"); err != nil {
		t.Fatal(err)
	}
	svc.mu.Lock()
	dropped := append([]string(nil), svc.dropped...)
	svc.mu.Unlock()
	if len(dropped) != 1 || dropped[0] != "acct3" {
		t.Errorf("dropped %v", dropped)
	}

	_, err = c.Token(ctx, ipcwire.TokenRequest{Account: "nobody"})
	var we *ipcwire.Error
	if !errors.Is(err, ipcwire.ErrAccountNotFound) || !errors.Is(err, ipc.ErrAccountNotFound) ||
		!errors.As(err, &we) || we.Status != 404 || !strings.Contains(we.Message, "nobody") {
		t.Errorf("unknown account: %v", err)
	}
	_, err = c.Token(ctx, ipcwire.TokenRequest{Account: "-bad"})
	if !errors.Is(err, ipcwire.ErrBadRequest) {
		t.Errorf("bad account name: %v", err)
	}
}

func TestClientDaemonDown(t *testing.T) {
	dir, err := os.MkdirTemp("", "w")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	c := ipcwire.NewClient(ipcwire.ClientOptions{Path: filepath.Join(dir, "none.sock")})
	_, err = c.Accounts(context.Background())
	var ue *ipcwire.UnavailableError
	if !errors.Is(err, ipc.ErrDaemonUnavailable) || !errors.As(err, &ue) ||
		!strings.Contains(err.Error(), "dbos-cloud daemon start") {
		t.Errorf("no daemon: %v", err)
	}

	// AutostartFunc is asked once; its error is the call's.
	calls := 0
	boom := errors.New("config broken")
	c = ipcwire.NewClient(ipcwire.ClientOptions{Path: filepath.Join(dir, "none.sock"),
		AutostartFunc: func() (*ipcwire.AutostartOptions, error) { calls++; return nil, boom }})
	for range 2 {
		if _, err := c.Accounts(context.Background()); !errors.Is(err, boom) {
			t.Errorf("autostart func error: %v", err)
		}
	}
	if calls != 1 {
		t.Errorf("AutostartFunc called %d times", calls)
	}
}

func TestClientTimeout(t *testing.T) {
	svc := &fakeService{accounts: manyAccounts(1), block: make(chan struct{})}
	defer close(svc.block)
	c := ipcwire.NewClient(ipcwire.ClientOptions{Path: serve(t, svc), Timeout: 200 * time.Millisecond})
	_, err := c.Token(context.Background(), ipcwire.TokenRequest{Account: "default"})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("slow daemon: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	p, _ := c.Path()
	c = ipcwire.NewClient(ipcwire.ClientOptions{Path: p, Timeout: time.Minute})
	if _, err := c.Token(ctx, ipcwire.TokenRequest{Account: "default"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: %v", err)
	}
}

// A daemon that closes without answering, or answers garbage, gives an error that
// names the socket.
func TestClientBadAnswers(t *testing.T) {
	for _, answer := range []string{"", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
		"SSH-2.0-OpenSSH\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]"} {
		path := fakeDaemon(t, answer)
		c := ipcwire.NewClient(ipcwire.ClientOptions{Path: path, Timeout: 5 * time.Second})
		_, err := c.Token(context.Background(), ipcwire.TokenRequest{})
		if err == nil || !strings.Contains(err.Error(), path) && !strings.Contains(err.Error(), "decode") {
			t.Errorf("answer %q: err %v", answer, err)
		}
	}
}

// fakeDaemon listens on a socket, reads one request and writes answer verbatim.
func fakeDaemon(t *testing.T, answer string) string {
	dir, err := os.MkdirTemp("", "w")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		_, _ = conn.Read(buf)
		_, _ = io.WriteString(conn, answer)
	}()
	return path
}
