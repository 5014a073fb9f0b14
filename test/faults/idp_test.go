package faults

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/test/internal/suite"
)

const tokenPath = "/oauth/token"

// TestLoginServiceDown: with the login service stopped, the cached access token is
// served while it is valid, then requests fail with idp_unavailable; once the
// service is back the same daemon process recovers on its own.
func TestLoginServiceDown(t *testing.T) {
	data, err := os.MkdirTemp("", "emu")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(data) })
	f := start(t, daemonConfig(`refresh_jitter = "100ms"`+"\n"),
		"--data", data, "--access-token-ttl", "6s", "--rotate-refresh-tokens")
	c := f.d.Client()
	suite.StoreLogin(t, f.em, c, f.leaks, "acct", "alice")
	pid := f.d.PID()

	// A fresh token, then the login service goes away.
	_ = c.DropCache(ctx(t), "acct")
	first, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"})
	if err != nil {
		t.Fatal(err)
	}
	f.leaks.Add("access token", first.AccessToken)
	f.em.Stop(t)

	served := 0
	for time.Until(first.ExpiresAt) > 500*time.Millisecond {
		tok, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"})
		if err != nil {
			t.Fatalf("token while the cached one is valid (%s left): %v",
				time.Until(first.ExpiresAt).Round(time.Millisecond), err)
		}
		f.leaks.Add("access token", tok.AccessToken)
		served++
		time.Sleep(100 * time.Millisecond)
	}

	var down error
	suite.Eventually(t, "idp_unavailable after expiry", 30*time.Second, func() bool {
		_, down = c.Token(ctx(t), ipc.TokenRequest{Account: "acct"})
		return down != nil
	})
	if !errors.Is(down, ipc.ErrIDPUnavailable) {
		t.Fatalf("error after expiry = %v, want idp_unavailable", down)
	}
	t.Logf("served %d cached tokens while down; then: %v", served, down)

	f.em.Restart(t)
	suite.Eventually(t, "recovery after the service is back", 60*time.Second, func() bool {
		tok, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"})
		f.leaks.Add("access token", tok.AccessToken)
		return err == nil
	})
	if f.d.PID() != pid {
		t.Fatal("the daemon was restarted")
	}
	f.leaks.Check(t, "idp_unavailable message", down.Error(), false)
}

// TestBackoffNoRetryStorm: while the token endpoint answers 503, many clients asking
// all the time cause a handful of refresh attempts (exponential backoff), not one per
// request; they get idp_unavailable, and the account recovers when the fault clears.
func TestBackoffNoRetryStorm(t *testing.T) {
	f := start(t, "", "--access-token-ttl", "1h")
	c := f.d.Client()
	suite.StoreLogin(t, f.em, c, f.leaks, "acct", "bob")

	f.em.Fault(t, tokenPath, http.StatusServiceUnavailable, 0, 0)
	mark := suite.Mark(f.em)
	_ = c.DropCache(ctx(t), "acct")

	const clients, window = 32, 8 * time.Second
	var mu sync.Mutex
	asked, unavailable := 0, 0
	var other []error
	var wg sync.WaitGroup
	end := time.Now().Add(window)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(end) {
				_, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"})
				mu.Lock()
				asked++
				switch {
				case errors.Is(err, ipc.ErrIDPUnavailable):
					unavailable++
				default: // a token with none cached and the service failing, or another error
					other = append(other, err)
				}
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()

	attempts := suite.Requests(f.em, mark, tokenPath)
	t.Logf("%d requests from %d clients in %s -> %d idp_unavailable, %d refresh attempts",
		asked, clients, window, unavailable, attempts)
	if len(other) > 0 {
		t.Errorf("%d unexpected answers while failing, first: %v", len(other), other[0])
	}
	// Backoff from 1s doubling: attempts near 0, 1, 3, 7 s; 8 leaves room for jitter.
	if attempts < 2 || attempts > 8 {
		t.Errorf("refresh attempts in %s = %d, want 2..8 (backoff, no storm)", window, attempts)
	}

	f.em.ClearFaults(t)
	suite.Eventually(t, "recovery after the 503s stop", 60*time.Second, func() bool {
		_, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"})
		return err == nil
	})
}

// TestSlowLoginService: a token endpoint that takes seconds to answer is waited for
// by every concurrent caller through one request; nobody gets an error or a second
// refresh.
func TestSlowLoginService(t *testing.T) {
	f := start(t, "", "--access-token-ttl", "1h")
	c := f.d.Client()
	suite.StoreLogin(t, f.em, c, f.leaks, "acct", "carol")

	f.em.Fault(t, tokenPath, 0, 3*time.Second, 1)
	mark := suite.Mark(f.em)
	_ = c.DropCache(ctx(t), "acct")

	const callers = 200
	errs := make(chan error, callers)
	tokens := make(chan string, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			tok, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"})
			errs <- err
			tokens <- tok.AccessToken
		})
	}
	wg.Wait()
	close(errs)
	close(tokens)
	for err := range errs {
		if err != nil {
			t.Fatalf("caller during a slow refresh: %v", err)
		}
	}
	distinct := map[string]bool{}
	for tok := range tokens {
		distinct[tok] = true
		f.leaks.Add("access token", tok)
	}
	if n := suite.Requests(f.em, mark, tokenPath); n != 1 || len(distinct) != 1 {
		t.Fatalf("%d token requests and %d distinct tokens for %d callers, want 1 and 1",
			n, len(distinct), callers)
	}
}

// TestLoginEndedAtService: a login revoked at the login service, or idle past the
// service's month, gives login_required with a message naming the command that
// fixes it; the stored login is not deleted behind the user's back.
func TestLoginEndedAtService(t *testing.T) {
	f := start(t, "", "--access-token-ttl", "1h", "--rotate-refresh-tokens")
	c := f.d.Client()
	_, revoked := suite.StoreLogin(t, f.em, c, f.leaks, "revoked", "dave")
	suite.StoreLogin(t, f.em, c, f.leaks, "idle", "erin")

	st, body := f.em.PostForm(t, "/oauth/revoke",
		url.Values{"token": {revoked}, "client_id": {emulatortest.ClientID}})
	if st != http.StatusOK {
		t.Fatalf("revoke: %d %s", st, body)
	}
	f.em.Advance(t, 31*24*time.Hour)

	for _, name := range []string{"revoked", "idle"} {
		_ = c.DropCache(ctx(t), name)
		_, err := c.Token(ctx(t), ipc.TokenRequest{Account: name})
		if !errors.Is(err, ipc.ErrLoginRequired) {
			t.Errorf("%s: err = %v, want login_required", name, err)
			continue
		}
		if want := "dbos-cloud login"; !strings.Contains(err.Error(), want) {
			t.Errorf("%s: message %q does not name %q", name, err, want)
		}
		f.leaks.Check(t, name+" error", err.Error(), false)
		if _, err := os.Stat(f.d.KeyringDir() + "/" + name); err != nil {
			t.Errorf("%s: keyring item removed: %v", name, err)
		}
	}
	list, err := c.Accounts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list.Accounts {
		if a.Name != "default" && a.State != ipc.StateLoginRequired {
			t.Errorf("account %s state = %s, want login_required", a.Name, a.State)
		}
	}
}
