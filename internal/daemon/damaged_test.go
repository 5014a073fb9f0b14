package daemon_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// TestTornKeyringItemAtStart: a daemon starting on a keyring with an item cut short
// (as an in-place write killed midway would leave it) starts, lists the account as
// unreadable naming the file, serves the other accounts, leaves the file alone, and
// takes a new login over it.
func TestTornKeyringItemAtStart(t *testing.T) {
	em := emulatortest.Start(t, "--access-token-ttl", "5m")
	d := credtest.Start(t, credtest.Options{EmulatorURL: em.URL()})
	c := d.Client()
	_, rt := storeLogin(t, em, c, "torn", "tina")
	access, good := storeLogin(t, em, c, "good", "gus")
	d.Stop(t)

	path := filepath.Join(d.KeyringDir(), "torn")
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	torn := whole[:len(whole)/2]
	if err := os.WriteFile(path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	d.Restart(t)

	st, err := c.Status(ctxT(t))
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	var found bool
	for _, a := range st.Accounts {
		if a.Name == "torn" {
			found = true
			if a.State != ipc.StateUnreadable || !strings.Contains(a.LastError, path) {
				t.Fatalf("torn item in status: %+v", a)
			}
		}
	}
	if !found {
		t.Fatalf("torn item not in status: %+v", st.Accounts)
	}

	_, err = c.Token(ctxT(t), ipc.TokenRequest{Account: "torn"})
	if !errors.Is(err, ipc.ErrKeyringUnavailable) || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("token of the torn item: %v", err)
	}
	t.Logf("torn item: %v", err)
	if _, err := c.Token(ctxT(t), ipc.TokenRequest{Account: "good"}); err != nil {
		t.Fatalf("token beside a torn item: %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, torn) {
		t.Fatal("the torn item was changed")
	}

	_, rt2 := storeLogin(t, em, c, "torn", "tina")
	if _, err := c.Token(ctxT(t), ipc.TokenRequest{Account: "torn"}); err != nil {
		t.Fatalf("token after a new login: %v", err)
	}
	credtest.CheckNoLeak(t, "dbos-credd log", d.Logs(), rt, rt2, access, good)
}
