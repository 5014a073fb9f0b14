package daemon_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond; the deadline only guards against a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func storeLogin(t *testing.T, em *emulatortest.Emulator, c *ipc.Client, name, user string) (string, string) {
	t.Helper()
	access, refresh := em.Login(t, user, "offline_access")
	if refresh == "" {
		t.Fatal("emulator gave no refresh token")
	}
	_, err := c.Store(ctxT(t), ipc.StoreRequest{Name: name, User: user,
		Endpoints: ipc.Endpoints{APIURL: em.URL(), Issuer: em.Issuer(),
			ClientID: emulatortest.ClientID, Audience: emulatortest.Audience},
		RefreshToken: refresh, AccessToken: access})
	if err != nil {
		t.Fatalf("store login: %v", err)
	}
	return access, refresh
}

// TestRefreshRotationAcrossRestart: a rotated refresh token is saved, so a daemon
// killed and restarted still refreshes (the emulator refuses a rotated-away token).
func TestRefreshRotationAcrossRestart(t *testing.T) {
	em := emulatortest.Start(t, "--access-token-ttl", "5m", "--rotate-refresh-tokens")
	d := credtest.Start(t, credtest.Options{EmulatorURL: em.URL()})
	c := d.Client()
	access, refresh := storeLogin(t, em, c, "work", "alice")
	secrets := []string{access, refresh}

	got, err := c.Token(ctxT(t), ipc.TokenRequest{Account: "work"})
	if err != nil || got.AccessToken != access || got.Source != "keyring" || got.APIURL != em.URL() {
		t.Fatalf("cached token: %+v %v", got, err)
	}

	before := em.Stats(t).TokenGrants.RefreshToken
	for i := range 3 {
		if err := c.DropCache(ctxT(t), "work"); err != nil {
			t.Fatal(err)
		}
		tok, err := c.Token(ctxT(t), ipc.TokenRequest{Account: "work"})
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		secrets = append(secrets, tok.AccessToken)
		if i == 1 {
			d.Kill(t)
			d.Restart(t)
		}
	}
	if n := em.Stats(t).TokenGrants.RefreshToken - before; n != 3 {
		t.Fatalf("refresh grants = %d, want 3", n)
	}

	st, err := c.Status(ctxT(t))
	if err != nil || st.KeyringBackend != "file" || st.Counters.Refreshes != 1 {
		t.Fatalf("status = %+v %v", st, err)
	}
	for _, a := range st.Accounts {
		if a.Name == "work" && (a.State != ipc.StateOK || a.RefreshLastUsed == nil || a.User != "alice") {
			t.Fatalf("account = %+v", a)
		}
	}
	d.Stop(t)
	credtest.CheckNoLeak(t, "daemon log", d.Logs(), secrets...)
	if !strings.Contains(d.Logs(), `msg="token granted"`) || !strings.Contains(d.Logs(), "account=work") {
		t.Fatalf("no audit line in the log:\n%s", d.Logs())
	}
}

func TestErrorCodes(t *testing.T) {
	em := emulatortest.Start(t)
	d := credtest.Start(t, credtest.Options{EmulatorURL: em.URL()})
	c := d.Client()
	_, refresh := storeLogin(t, em, c, "gone", "bob")

	// Revoked at the login service behind the daemon's back: login_required.
	if st, body := em.PostForm(t, "/oauth/revoke", map[string][]string{
		"token": {refresh}, "client_id": {emulatortest.ClientID}}); st != 200 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	_ = c.DropCache(ctxT(t), "gone")

	tests := []struct {
		account string
		want    error
		hint    string
	}{
		{"gone", ipc.ErrLoginRequired, "dbos-cloud login --account gone"},
		{"nobody", ipc.ErrAccountNotFound, "dbos-cloud login --account nobody"},
		{"default", ipc.ErrLoginRequired, "dbos-cloud login --account default"},
	}
	for _, tc := range tests {
		_, err := c.Token(ctxT(t), ipc.TokenRequest{Account: tc.account})
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("%s: err = %v, want %v naming %q", tc.account, err, tc.want, tc.hint)
		}
	}
	list, err := c.Accounts(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, a := range list.Accounts {
		states[a.Name] = a.State
	}
	if states["gone"] != ipc.StateLoginRequired || states["default"] != ipc.StateNotLoggedIn {
		t.Fatalf("states = %v", states)
	}
	// The refused login is kept (not deleted silently) until a new login or forget.
	if _, err := os.Stat(d.KeyringDir() + "/gone"); err != nil {
		t.Fatalf("keyring item removed: %v", err)
	}
	credtest.CheckNoLeak(t, "daemon log", d.Logs(), refresh)
}

func TestForgetRevokes(t *testing.T) {
	em := emulatortest.Start(t)
	d := credtest.Start(t, credtest.Options{EmulatorURL: em.URL()})
	c := d.Client()
	storeLogin(t, em, c, "tmp", "carol")

	resp, err := c.Forget(ctxT(t), "tmp", true)
	if err != nil || !resp.Revoked {
		t.Fatalf("forget: %+v %v", resp, err)
	}
	if em.Stats(t).Revocations != 1 {
		t.Fatal("emulator saw no revocation")
	}
	if _, err := c.Token(ctxT(t), ipc.TokenRequest{Account: "tmp"}); !errors.Is(err, ipc.ErrAccountNotFound) {
		t.Fatalf("token after forget: %v", err)
	}
	if _, err := os.Stat(d.KeyringDir() + "/tmp"); !os.IsNotExist(err) {
		t.Fatalf("keyring item still there: %v", err)
	}
}

func TestEnvironmentRefreshToken(t *testing.T) {
	em := emulatortest.Start(t, "--rotate-refresh-tokens")
	_, refresh := em.Login(t, "ci-user", "offline_access")
	d := credtest.Start(t, credtest.Options{EmulatorURL: em.URL(), Env: []string{
		"DBOS_REFRESH_TOKEN=" + refresh, "DBOS_DOMAIN=" + em.URL(),
		"DBOS_AUTH_DOMAIN=" + em.URL(), "DBOS_CLIENT_ID=" + emulatortest.ClientID,
	}, ConfigTOML: "# no accounts\n"})
	c := d.Client()

	tok, err := c.Token(ctxT(t), ipc.TokenRequest{}) // the default is the env account
	if err != nil || tok.Account != "ci" || tok.Source != "environment" {
		t.Fatalf("token = %+v %v", tok, err)
	}
	entries, _ := os.ReadDir(d.KeyringDir())
	if len(entries) != 0 {
		t.Fatalf("environment token persisted: %v", entries)
	}
	credtest.CheckNoLeak(t, "daemon log", d.Logs(), refresh, tok.AccessToken)
}

func TestConfigReload(t *testing.T) {
	d := credtest.Start(t, credtest.Options{ConfigTOML: "default_account = \"one\"\n"})
	c := d.Client()
	defaultIs := func(want string) func() bool {
		return func() bool {
			st, err := c.Status(ctxT(t))
			return err == nil && st.DefaultAccount == want
		}
	}
	eventually(t, "initial default", defaultIs("one"))

	d.WriteConfig(t, "default_account = \"two\"\n[accounts.two]\napi_url = \"http://127.0.0.1:1\"\n")
	defer func() {
		if t.Failed() {
			t.Log(d.Logs())
		}
	}()
	eventually(t, "valid edit applied", defaultIs("two"))

	d.WriteConfig(t, "default_account = \"three\"\nno_such_key = 1\n")
	eventually(t, "invalid edit logged with its position", func() bool {
		return strings.Contains(d.Logs(), "no_such_key") && strings.Contains(d.Logs(), "config.toml:2")
	})
	if !defaultIs("two")() {
		t.Fatal("invalid edit applied")
	}

	// SIGHUP reloads too (here: the file is fixed while the watcher is busy).
	d.WriteConfig(t, "default_account = \"four\"\n")
	d.Signal(t, syscall.SIGHUP)
	eventually(t, "reload after SIGHUP", defaultIs("four"))
}

func TestKeyringLockedUntilUnlock(t *testing.T) {
	em := emulatortest.Start(t)
	d := credtest.Start(t, credtest.Options{EmulatorURL: em.URL()})
	c := d.Client()
	storeLogin(t, em, c, "acct", "dave")

	// Without a password the file keyring stays locked; requests say so and
	// nothing is deleted.
	d.RestartWith(t, "DBOS_KEYRING_PASSWORD=")
	_, err := c.Token(ctxT(t), ipc.TokenRequest{Account: "acct"})
	if !errors.Is(err, ipc.ErrKeyringUnavailable) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("token while locked: %v", err)
	}
	ks, err := c.KeyringCheck(ctxT(t))
	if err != nil || ks.Writable || !ks.NeedsPassword {
		t.Fatalf("keyring check while locked: %+v %v", ks, err)
	}
	if _, err := c.Unlock(ctxT(t), ipc.UnlockRequest{Password: "wrong-password"}); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := os.Stat(d.KeyringDir() + "/acct"); err != nil {
		t.Fatalf("keyring item gone: %v", err)
	}

	ks, err = c.Unlock(ctxT(t), ipc.UnlockRequest{Password: credtest.KeyringPassword})
	if err != nil || !ks.Writable {
		t.Fatalf("unlock: %+v %v", ks, err)
	}
	if _, err := c.Token(ctxT(t), ipc.TokenRequest{Account: "acct"}); err != nil {
		t.Fatalf("token after unlock: %v", err)
	}
	credtest.CheckNoLeak(t, "daemon log", d.Logs(), credtest.KeyringPassword, "wrong-password")
}

// TestSecretServiceThroughDaemon stores, reads and removes a login through the daemon
// on a real Secret Service (gnome-keyring's "login" collection, started by .ci/run).
func TestSecretServiceThroughDaemon(t *testing.T) {
	if os.Getenv("DBOS_IT_SECRET_SERVICE") != "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but DBOS_IT_SECRET_SERVICE is not set: .ci/run must start gnome-keyring")
		}
		t.Skip("set DBOS_IT_SECRET_SERVICE=1 with a Secret Service on the session bus")
	}
	em := emulatortest.Start(t, "--rotate-refresh-tokens")
	d := credtest.Start(t, credtest.Options{EmulatorURL: em.URL(),
		Env: []string{"DBOS_KEYRING_BACKEND=secret-service"}})
	c := d.Client()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "it-" + hex.EncodeToString(b[:])
	t.Cleanup(func() { _, _ = c.Forget(context.Background(), name, false) })

	if st, err := c.Status(ctxT(t)); err != nil || st.KeyringBackend != "secret-service" {
		t.Fatalf("status: %+v %v", st, err)
	}
	if ks, err := c.KeyringCheck(ctxT(t)); err != nil || !ks.Writable {
		t.Fatalf("keyring check: %+v %v", ks, err)
	}
	storeLogin(t, em, c, name, "erin")

	// A new daemon process must read the (rotated) token back from the keyring.
	_ = c.DropCache(ctxT(t), name)
	if _, err := c.Token(ctxT(t), ipc.TokenRequest{Account: name}); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	d.Restart(t)
	if _, err := c.Token(ctxT(t), ipc.TokenRequest{Account: name, MinTTLSeconds: 600000}); err != nil {
		t.Fatalf("token after restart: %v", err)
	}
	if _, err := c.Forget(ctxT(t), name, false); err != nil {
		t.Fatalf("forget: %v", err)
	}
	d.Restart(t)
	if _, err := c.Token(ctxT(t), ipc.TokenRequest{Account: name}); !errors.Is(err, ipc.ErrAccountNotFound) {
		t.Fatalf("token after forget: %v", err)
	}
}

// TestBackgroundRefresh: an account in use is refreshed before its token expires,
// with no request waiting on it; the rotated token is saved and keeps working.
func TestBackgroundRefresh(t *testing.T) {
	em := emulatortest.Start(t, "--access-token-ttl", "4s", "--rotate-refresh-tokens")
	d := credtest.Start(t, credtest.Options{ConfigTOML: `
[daemon]
refresh_at = 0.5
refresh_jitter = "100ms"
`})
	c := d.Client()
	access, refresh := storeLogin(t, em, c, "bg", "fay")
	if _, err := c.Token(ctxT(t), ipc.TokenRequest{Account: "bg"}); err != nil {
		t.Fatal(err)
	}

	before := em.Stats(t).TokenGrants.RefreshToken
	eventually(t, "two background refreshes", func() bool {
		return em.Stats(t).TokenGrants.RefreshToken-before >= 2
	})
	tok, err := c.Token(ctxT(t), ipc.TokenRequest{Account: "bg"})
	if err != nil || tok.AccessToken == access {
		t.Fatalf("token after background refresh: %v (same as the first: %v)", err, tok.AccessToken == access)
	}
	st, _ := c.Status(ctxT(t))
	if st.Counters.Refreshes < 2 || st.Counters.Failures != 0 {
		t.Fatalf("counters = %+v", st.Counters)
	}
	d.Stop(t)
	credtest.CheckNoLeak(t, "daemon log", d.Logs(), access, refresh, tok.AccessToken)
}
