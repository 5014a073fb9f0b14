package faults

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/godbus/dbus"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/leakscan"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/test/internal/suite"
)

const (
	secretsDest = "org.freedesktop.secrets"
	secretsPath = dbus.ObjectPath("/org/freedesktop/secrets")
	loginPath   = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
)

// loginKeyring locks and unlocks gnome-keyring's "login" collection over the session
// bus, as a user's screen lock would, without a prompt.
type loginKeyring struct {
	conn     *dbus.Conn
	password string
}

func newLoginKeyring(t *testing.T) *loginKeyring {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	pw := os.Getenv("DBOS_IT_SECRET_SERVICE_PASSWORD")
	if pw == "" {
		pw = "ci-throwaway" // what .ci/run unlocks the collection with
	}
	return &loginKeyring{conn: conn, password: pw}
}

func (k *loginKeyring) lock(t *testing.T) {
	t.Helper()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := k.conn.Object(secretsDest, secretsPath).Call("org.freedesktop.Secret.Service.Lock", 0,
		[]dbus.ObjectPath{loginPath}).Store(&locked, &prompt)
	if err != nil || len(locked) != 1 {
		t.Fatalf("lock the login keyring: %v (locked %v, prompt %s)", err, locked, prompt)
	}
}

// unlock uses gnome-keyring's private interface: the standard Unlock needs a GUI
// prompt, which a headless machine cannot show.
func (k *loginKeyring) unlock(t *testing.T) {
	t.Helper()
	svc := k.conn.Object(secretsDest, secretsPath)
	var out dbus.Variant
	var session dbus.ObjectPath
	err := svc.Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain",
		dbus.MakeVariant("")).Store(&out, &session)
	if err != nil {
		t.Fatalf("open a Secret Service session: %v", err)
	}
	master := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte(k.password), "text/plain"}
	call := svc.Call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword",
		0, loginPath, master)
	if call.Err != nil {
		t.Fatalf("unlock the login keyring: %v", call.Err)
	}
}

// TestSecretServiceLocked locks the real Secret Service's login keyring under a
// running daemon. While it is locked: the keyring check says so, new logins and
// stored logins not yet in memory get keyring_unavailable, a rotated refresh token
// is held in memory (state unsaved) and nothing is deleted. Unlocked: everything
// recovers without a restart, and the rotated token reaches the keyring.
func TestSecretServiceLocked(t *testing.T) {
	suite.Gate(t, gateEnv)
	if os.Getenv("DBOS_IT_SECRET_SERVICE") != "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but DBOS_IT_SECRET_SERVICE is not set: .ci/run must start gnome-keyring")
		}
		t.Skip("set DBOS_IT_SECRET_SERVICE=1 with a Secret Service on the session bus")
	}
	kr := newLoginKeyring(t)
	t.Cleanup(func() { kr.unlock(t) }) // never leave the shared collection locked

	leaks := leakscan.New()
	em := emulatortest.Start(t, "--access-token-ttl", "1h", "--rotate-refresh-tokens")
	d := credtest.Start(t, credtest.Options{EmulatorURL: em.URL(),
		Env: []string{"DBOS_KEYRING_BACKEND=secret-service"}})
	c := d.Client()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name, other := "lk-"+hex.EncodeToString(b[:]), "lk-"+hex.EncodeToString(b[:])+"-b"
	t.Cleanup(func() {
		_, _ = c.Forget(ctx(t), name, false)
		_, _ = c.Forget(ctx(t), other, false)
		leaks.Check(t, "dbos-credd log", d.Logs(), false)
	})
	suite.StoreLogin(t, em, c, leaks, name, "kate")

	kr.lock(t)
	if ks, err := c.KeyringCheck(ctx(t)); err != nil || ks.Writable {
		t.Fatalf("keyring check while locked: %+v %v", ks, err)
	}
	access, refresh := em.Login(t, "liam", "offline_access")
	leaks.Add("login of "+other, access, refresh)
	_, err := c.Store(ctx(t), ipc.StoreRequest{Name: other, Endpoints: suite.Endpoints(em),
		RefreshToken: refresh, AccessToken: access})
	if !errors.Is(err, ipc.ErrKeyringUnavailable) {
		t.Fatalf("store while locked: %v, want keyring_unavailable", err)
	}
	d.Restart(t) // the stored login is no longer in memory
	_, err = c.Token(ctx(t), ipc.TokenRequest{Account: name})
	if !errors.Is(err, ipc.ErrKeyringUnavailable) {
		t.Fatalf("token of a stored login while locked: %v, want keyring_unavailable", err)
	}
	t.Logf("while locked: %v", err)
	leaks.Check(t, "locked keyring error", err.Error(), false)

	kr.unlock(t)
	suite.Eventually(t, "stored login served after unlock", 30*time.Second, func() bool {
		_, err := c.Token(ctx(t), ipc.TokenRequest{Account: name})
		return err == nil
	})

	// Locked during a rotation: the new refresh token waits in memory.
	kr.lock(t)
	_ = c.DropCache(ctx(t), name)
	tok, err := c.Token(ctx(t), ipc.TokenRequest{Account: name})
	if err != nil {
		t.Fatalf("refresh while locked: %v", err)
	}
	leaks.Add("access token", tok.AccessToken)
	if s := accountState(t, c, name); s != ipc.StateUnsaved {
		t.Fatalf("state after a rotation while locked = %s, want unsaved", s)
	}
	kr.unlock(t)
	suite.Eventually(t, "rotated token written after unlock", 60*time.Second, func() bool {
		return accountState(t, c, name) == ipc.StateOK
	})
	d.Restart(t)
	_ = c.DropCache(ctx(t), name)
	if _, err := c.Token(ctx(t), ipc.TokenRequest{Account: name}); err != nil {
		t.Fatalf("refresh with the token saved after unlock: %v", err)
	}
}

func accountState(t *testing.T, c *ipc.Client, name string) string {
	t.Helper()
	list, err := c.Accounts(ctx(t))
	if err != nil {
		t.Fatalf("accounts: %v", err)
	}
	for _, a := range list.Accounts {
		if a.Name == name {
			return a.State
		}
	}
	return "missing"
}
