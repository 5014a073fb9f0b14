package load

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/leakscan"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/test/internal/suite"
)

const (
	clients  = 256
	accounts = 8
	duration = 60 * time.Second
	ttl      = 4 * time.Second
	// refreshAt matches the daemon config below: a refresh at 75% of the lifetime.
	refreshAt = 0.75
	// maxRSSKiB bounds the daemon's resident memory under this load.
	maxRSSKiB = 64 << 10
)

// TestLoad: 256 clients ask for tokens of 8 accounts for 60s, while the emulator's
// access tokens live 4s and rotate their refresh tokens. Zero errors, the daemon's
// RSS stays bounded, and the refreshes the emulator saw are about one per account per
// refresh interval (0.75 x TTL): between half and twice that, so a noisy machine does
// not make the test flaky.
func TestLoad(t *testing.T) {
	suite.Gate(t, "DBOS_LOAD")
	leaks := leakscan.New()
	em := emulatortest.Start(t, "--access-token-ttl", ttl.String(), "--rotate-refresh-tokens")
	d := credtest.Start(t, credtest.Options{ConfigTOML: fmt.Sprintf(
		"[daemon]\nrefresh_at = %v\nrefresh_jitter = \"200ms\"\nlog_level = \"info\"\n", refreshAt)})
	setup := d.Client()
	for i := range accounts {
		suite.StoreLogin(t, em, setup, leaks, fmt.Sprintf("load%d", i), fmt.Sprintf("user%d", i))
	}
	pid := d.PID()
	rssIdle := suite.MustRSS(t, pid)
	before := em.Stats(t).TokenGrants.RefreshToken

	var requests, errs atomic.Int64
	var firstErr atomic.Value
	seen := sync.Map{} // distinct access tokens, for the leak scan
	var maxRSS atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()

	var wg sync.WaitGroup
	wg.Go(func() { sampleRSS(ctx, pid, &maxRSS) })
	for i := range clients {
		wg.Go(func() {
			c := ipc.NewClient(ipc.ClientOptions{Path: d.Socket(), Timeout: 30 * time.Second})
			defer c.Close()
			name := fmt.Sprintf("load%d", i%accounts)
			for ctx.Err() == nil {
				tok, err := c.Token(context.Background(), ipc.TokenRequest{Account: name})
				requests.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				seen.Store(tok.AccessToken, true)
			}
		})
	}
	wg.Wait()

	refreshes := em.Stats(t).TokenGrants.RefreshToken - before
	rssEnd := suite.MustRSS(t, pid)
	perAccount := float64(refreshes) / accounts
	want := duration.Seconds() / (refreshAt * ttl.Seconds())
	n := int64(0)
	seen.Range(func(k, _ any) bool { leaks.Add("access token", k.(string)); n++; return true })
	t.Logf("%d clients, %d accounts, %s, TTL %s: %d requests (%.0f/s), %d errors",
		clients, accounts, duration, ttl, requests.Load(), float64(requests.Load())/duration.Seconds(), errs.Load())
	t.Logf("refreshes at the emulator: %d (%.1f per account, expected about %.1f); %d distinct tokens",
		refreshes, perAccount, want, n)
	t.Logf("daemon RSS: idle %d KiB, max under load %d KiB, at the end %d KiB",
		rssIdle, maxRSS.Load(), rssEnd)

	if e := errs.Load(); e > 0 {
		t.Errorf("%d errors; first: %v", e, firstErr.Load())
	}
	if perAccount < want/2 || perAccount > want*2 {
		t.Errorf("%.1f refreshes per account, want between %.1f and %.1f", perAccount, want/2, want*2)
	}
	if m := maxRSS.Load(); m > maxRSSKiB {
		t.Errorf("daemon RSS reached %d KiB, bound %d KiB", m, maxRSSKiB)
	}
	d.Stop(t)
	leaks.Check(t, "dbos-credd log", d.Logs(), false)
	leaks.Check(t, "emulator log", em.Logs(), false)
}

// sampleRSS records the highest VmRSS of pid, sampled every 250ms until ctx ends.
func sampleRSS(ctx context.Context, pid int, max *atomic.Int64) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if kib, err := suite.RSSKiB(pid); err == nil && kib > max.Load() {
			max.Store(kib)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
