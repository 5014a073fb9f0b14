package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
	"github.com/dbos-go/dbos-cloud/pkg/tokens/keyringstore"
)

// inProcess serves the daemon's Service on a real socket from inside the test, so
// the server's connection bound can be raised for the 1000-client test.
func inProcess(t *testing.T, _ *emulatortest.Emulator) (*ipc.Client, *tokens.Manager) {
	t.Helper()
	return inProcessTB(t)
}

func inProcessTB(t testing.TB) (*ipc.Client, *tokens.Manager) {
	t.Helper()
	return inProcessLog(t, slog.New(slog.DiscardHandler))
}

// inProcessLog is inProcessTB with the daemon's logger given.
func inProcessLog(t testing.TB, log *slog.Logger) (*ipc.Client, *tokens.Manager) {
	t.Helper()
	store, err := keyringstore.Open(keyringstore.Options{Backends: []string{"file"},
		FileDir: t.TempDir(), FilePassword: secret.New("pw")})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := tokens.New(tokens.Options{Store: store, Log: log,
		Refresher: newRefresher(&http.Client{Timeout: 30 * time.Second}, "test")})
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(ServiceOptions{Manager: mgr, Keyring: store, Log: log, Default: "default"})

	dir, err := os.MkdirTemp("", "d")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := ipc.Listen(filepath.Join(dir, "s.sock"), log)
	if err != nil {
		t.Fatal(err)
	}
	srv := ipc.NewServer(svc, log, ipc.ServerOptions{MaxConns: 4096})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Shutdown(context.Background())
		_ = mgr.Close(context.Background())
		_ = os.RemoveAll(dir)
	})
	return ipc.NewClient(ipc.ClientOptions{Path: ln.Path(), Timeout: 2 * time.Minute}), mgr
}

// TestThousandClientsOneRefresh: 1000 concurrent requests for an account whose token
// is gone cause exactly one refresh grant at the login service.
func TestThousandClientsOneRefresh(t *testing.T) {
	em := emulatortest.Start(t, "--access-token-ttl", "10m", "--rotate-refresh-tokens")
	c, _ := inProcess(t, em)
	ctx := context.Background()
	_, refresh := em.Login(t, "zed", "offline_access")
	if _, err := c.Store(ctx, ipc.StoreRequest{Name: "busy", Endpoints: ipc.Endpoints{APIURL: em.URL(),
		Issuer: em.Issuer(), ClientID: emulatortest.ClientID}, RefreshToken: refresh}); err != nil {
		t.Fatal(err)
	}
	// Hold the token endpoint for a moment so that every request is waiting on it.
	em.Fault(t, "/oauth/token", 0, 2*time.Second, 1)
	before := em.Stats(t).TokenGrants.RefreshToken

	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	tokensSeen := make(chan string, n)
	for range n {
		wg.Go(func() {
			tok, err := c.Token(ctx, ipc.TokenRequest{Account: "busy", MinTTLSeconds: 60})
			if err != nil {
				errs <- err
				return
			}
			tokensSeen <- tok.AccessToken
		})
	}
	wg.Wait()
	close(errs)
	close(tokensSeen)
	for err := range errs {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for tok := range tokensSeen {
		distinct[tok] = true
	}
	if got := em.Stats(t).TokenGrants.RefreshToken - before; got != 1 || len(distinct) != 1 {
		t.Fatalf("refresh grants = %d, distinct tokens = %d; want 1 and 1", got, len(distinct))
	}
}

// FuzzStoreRequest feeds the daemon's StoreRequest handling with arbitrary content:
// it must not panic, and its errors must not quote the tokens given.
func FuzzStoreRequest(f *testing.F) {
	f.Add("work", "http://api", "http://login/", "cid", "rt-0123456789", "", int64(0))
	f.Add("", "", "", "", "", "at-eyJhbGciOi.e30.sig", int64(0))
	f.Add("../x", "http://api", "", "", "", "at-0123456789", int64(1e9))
	f.Add("a", "http://api", "http://login/", "cid", "", "eyJhbGciOiJub25lIn0.eyJleHAiOjR9.", int64(0))
	svc := &Service{log: slog.New(slog.DiscardHandler), configured: map[string]tokens.Endpoints{
		"a": {APIURL: "http://conf", Issuer: "http://conf-login/", ClientID: "conf"}}}
	f.Fuzz(func(t *testing.T, name, api, iss, cid, rt, at string, exp int64) {
		req := ipc.StoreRequest{Name: name, Endpoints: ipc.Endpoints{APIURL: api, Issuer: iss, ClientID: cid},
			RefreshToken: rt, AccessToken: at}
		if exp != 0 {
			req.ExpiresAt = time.Unix(exp%(1<<40), 0)
		}
		l, err := svc.loginFromRequest(req)
		if err != nil {
			for _, s := range []string{rt, at} {
				if len(s) >= 8 && strings.Contains(err.Error(), s) {
					t.Fatalf("error quotes a token: %v", err)
				}
			}
			return
		}
		if !tokens.ValidName(l.Name) || l.RefreshToken.Reveal() != rt || l.AccessToken.Reveal() != at {
			t.Fatalf("login does not match the request: %+v", l)
		}
	})
}
