package faults

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/test/internal/suite"
)

// TestSecondDaemonRefuses: a second dbos-credd on the same socket exits at once with
// a message saying one is running; the first keeps serving and keeps its socket.
func TestSecondDaemonRefuses(t *testing.T) {
	f := start(t, "")
	c := f.d.Client()
	suite.StoreLogin(t, f.em, c, f.leaks, "acct", "frank")

	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, testbin.Path(t, "cmd/dbos-credd"), "--foreground")
	cmd.Env = append(f.d.Env(), "PATH="+os.Getenv("PATH"), "DBOS_KEYRING_BACKEND=file",
		"DBOS_KEYRING_PASSWORD="+credtest.KeyringPassword)
	out, err := cmd.CombinedOutput()
	if cctx.Err() != nil {
		t.Fatal("the second daemon did not exit within 30s")
	}
	if err == nil {
		t.Fatalf("the second daemon exited 0:\n%s", out)
	}
	if !strings.Contains(string(out), "already running") {
		t.Fatalf("the second daemon's message does not say one is running:\n%s", out)
	}
	if _, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"}); err != nil {
		t.Fatalf("first daemon after the second one gave up: %v", err)
	}
	if fi, err := os.Lstat(f.d.Socket()); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket after the second daemon: %v %v", fi, err)
	}
	f.leaks.Check(t, "second daemon's output", string(out), false)
}

// positionRE matches a file:line:column position in a log line.
var positionRE = regexp.MustCompile(`config\.toml:\d+:\d+`)

// TestConfigEditsWhileServing: config edits land while clients keep asking for
// tokens. An edit that does not parse is ignored, with its position logged; one that
// parses applies live (a new account appears, then goes again). No request fails.
func TestConfigEditsWhileServing(t *testing.T) {
	f := start(t, "")
	c := f.d.Client()
	suite.StoreLogin(t, f.em, c, f.leaks, "acct", "gina")
	good, err := os.ReadFile(f.d.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}

	var failures atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				if _, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"}); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}

	hasAccount := func(name string) func() bool {
		return func() bool {
			list, err := c.Accounts(ctx(t))
			if err != nil {
				return false
			}
			for _, a := range list.Accounts {
				if a.Name == name {
					return true
				}
			}
			return false
		}
	}

	mark := len(f.d.Logs())
	f.d.WriteConfig(t, string(good)+"\n[accounts.broken\napi_url = \"x\"\n")
	suite.Eventually(t, "the bad edit logged with its position", 30*time.Second, func() bool {
		return positionRE.MatchString(f.d.Logs()[mark:])
	})
	if hasAccount("broken")() {
		t.Fatal("a config that does not parse was applied")
	}

	f.d.WriteConfig(t, string(good)+"\n[accounts.extra]\napi_url = \""+f.em.URL()+"\"\n")
	suite.Eventually(t, "a new account applied live", 30*time.Second, hasAccount("extra"))
	f.d.WriteConfig(t, string(good))
	suite.Eventually(t, "the account removed live", 30*time.Second, func() bool {
		return !hasAccount("extra")()
	})

	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d token requests failed during config edits; first: %v", n, firstErr.Load())
	}
}

// TestFileKeyringWrongPassword: a daemon given the wrong file-keyring password says
// keyring_unavailable (naming the unlock command) for a stored login, deletes
// nothing, and serves it once unlocked with the right password.
func TestFileKeyringWrongPassword(t *testing.T) {
	f := start(t, "")
	c := f.d.Client()
	suite.StoreLogin(t, f.em, c, f.leaks, "acct", "hank")
	f.leaks.Add("keyring password", credtest.KeyringPassword, "not-the-password")

	f.d.RestartWith(t, "DBOS_KEYRING_PASSWORD=not-the-password")
	for range 3 { // stays so; no retry makes it worse
		_, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"})
		if !errors.Is(err, ipc.ErrKeyringUnavailable) {
			t.Fatalf("token with the wrong password: %v, want keyring_unavailable", err)
		}
		f.leaks.Check(t, "keyring error", err.Error(), false)
	}
	if _, err := os.Stat(f.d.KeyringDir() + "/acct"); err != nil {
		t.Fatalf("keyring item gone: %v", err)
	}

	if _, err := c.Unlock(ctx(t), ipc.UnlockRequest{Password: credtest.KeyringPassword}); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if _, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"}); err != nil {
		t.Fatalf("token after unlock: %v", err)
	}
}
