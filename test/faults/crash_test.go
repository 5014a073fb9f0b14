package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/test/internal/suite"
)

// losses records accounts whose login a crash broke, by kind, for the test goroutine
// to count and repair (only it may log in again through the emulator harness).
type losses struct {
	mu      sync.Mutex
	pending map[string]string // account -> kind
	kinds   map[string]int
	first   map[string]string // kind -> first error message
}

func (l *losses) note(name, kind string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.pending[name]; ok {
		return
	}
	l.pending[name] = kind
	l.kinds[kind]++
	if _, ok := l.first[kind]; !ok {
		l.first[kind] = name + ": " + err.Error()
	}
}

func (l *losses) take() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pending
	l.pending = map[string]string{}
	return p
}

// TestKill9DuringRefreshes kills the daemon with SIGKILL at random moments while
// access tokens (2s lifetime, rotation on) are being refreshed in the background and
// on demand, 100 times. Afterwards every account must still refresh: a refresh token
// lost in a crash, or an old one sent again outside the reuse interval (the emulator
// then revokes the family), shows up as login_required; a keyring item torn by the
// crash shows up as keyring_unavailable. Each restart must also get past the stale
// socket.
//
// A broken login is counted, logged in again and the run goes on, so one run
// measures how often each kind happens; any loss fails the test.
//
// Two things make crashes harmless. (1) A kill between the login service's rotation
// and the daemon's keyring write loses the new refresh token, and no client can
// close that window alone: the login service has to accept the previous token for a
// while. Auth0 calls that the reuse interval; the emulator runs with one here, and
// the restarted daemon presents the last token it persisted, which is then a
// recovery, not a breach. (2) The keyring store writes file-backend items atomically
// (staged, flushed, renamed), so a kill mid-write never tears an item.
// reuseInterval is the emulator's reuse interval: long enough to cover a kill, a
// restart and the first refresh after it on a loaded machine. 5s was too short: on
// the shared 2-core machine (load average 8, race detector) one restart took 6.7s
// from the rotation to the next refresh, and that login was lost.
const reuseInterval = "30s"

func TestKill9DuringRefreshes(t *testing.T) {
	f := start(t, daemonConfig("refresh_at = 0.5\nrefresh_jitter = \"100ms\"\n"),
		"--access-token-ttl", "2s", "--rotate-refresh-tokens", "--refresh-reuse-interval", reuseInterval)
	c := f.d.Client()
	names := []string{"k1", "k2", "k3", "k4"}
	users := map[string]string{}
	for i, n := range names {
		users[n] = fmt.Sprintf("user%d", i)
		suite.StoreLogin(t, f.em, c, f.leaks, n, users[n])
	}
	before := f.em.Stats(t)

	lost := &losses{pending: map[string]string{}, kinds: map[string]int{}, first: map[string]string{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, force := range []bool{false, true} {
		wg.Go(func() { driveTokens(f, names, force, lost, stop) })
	}

	const cycles = 100
	for range cycles {
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
		f.d.Kill(t)
		f.d.Restart(t) // fails the test if the stale socket is not replaced
		for name := range lost.take() {
			_, _ = c.Forget(ctx(t), name, false)
			suite.StoreLogin(t, f.em, c, f.leaks, name, users[name])
		}
	}
	close(stop)
	wg.Wait()
	after := f.em.Stats(t)
	grants := after.TokenGrants.RefreshToken - before.TokenGrants.RefreshToken
	t.Logf("%d kill -9 cycles, %d refreshes granted meanwhile (%d of them a rotated token "+
		"within the reuse interval); logins broken: %v",
		cycles, grants, after.RefreshReuses-before.RefreshReuses, lost.kinds)
	for kind, msg := range lost.first {
		t.Errorf("%d logins broken by a crash (%s); first: %s", lost.kinds[kind], kind, msg)
	}
	if grants == 0 {
		t.Error("no refresh happened during the crashes: the test proved nothing")
	}

	for _, n := range names {
		// Two rotations: the first may still present the token held before the last
		// crash (a reuse the interval allows); the second must be an ordinary one.
		for i := range 2 {
			reuses := f.em.Stats(t).RefreshReuses
			if err := c.DropCache(ctx(t), n); err != nil {
				t.Fatalf("%s: drop cache: %v", n, err)
			}
			tok, err := c.Token(ctx(t), ipc.TokenRequest{Account: n})
			if err != nil {
				t.Fatalf("%s after %d crashes: %v", n, cycles, err)
			}
			f.leaks.Add("access token", tok.AccessToken)
			if i == 1 && f.em.Stats(t).RefreshReuses != reuses {
				t.Fatalf("%s: the daemon sent a rotated-away refresh token without a crash", n)
			}
		}
	}
}

// driveTokens asks for tokens of random accounts every 10-50ms until stop, dropping
// the cache first when force is set so that refreshes also run on demand. Errors
// from a killed daemon are expected; broken logins are noted in lost.
func driveTokens(f *fixture, names []string, force bool, lost *losses, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
		name := names[rand.IntN(len(names))]
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if force {
			_ = f.d.Client().DropCache(cctx, name)
		}
		tok, err := f.d.Client().Token(cctx, ipc.TokenRequest{Account: name})
		cancel()
		f.leaks.Add("access token", tok.AccessToken)
		switch {
		case errors.Is(err, ipc.ErrLoginRequired):
			lost.note(name, "refresh token lost or reused", err)
		case errors.Is(err, ipc.ErrKeyringUnavailable):
			lost.note(name, "keyring item unreadable", err)
		}
	}
}
