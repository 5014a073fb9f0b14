package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

func client() *ipc.Client {
	return ipc.NewClient(ipc.ClientOptions{Path: os.Getenv(ipc.EnvSocket), Timeout: 60 * time.Second})
}

// waitDaemon polls the daemon's status until it answers (30s at most).
func waitDaemon(ctx context.Context) error {
	c := client()
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.Status(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("daemon did not answer within 30s: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// maxConns keeps the storm's connections under the daemon's limit (ipc.DefaultMaxConns,
// which closes the ones beyond it); the other callers wait their turn client-side.
const maxConns = ipc.DefaultMaxConns - 32

// storm drops the account's cached token, lets waiters ask for it at once, and
// counts the refresh grants the emulator saw; the baseline is the one refresh that
// single-flight promises.
func storm(ctx context.Context, rounds, waiters int, emu, account string) error {
	c := client()
	defer c.Close()
	var seen, walls []float64
	for range rounds {
		if err := c.DropCache(ctx, account); err != nil {
			return fmt.Errorf("drop cache: %w", err)
		}
		before, err := refreshGrants(ctx, emu)
		if err != nil {
			return err
		}
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, waiters)
		conns := make(chan struct{}, maxConns)
		for range waiters {
			wg.Go(func() {
				conns <- struct{}{}
				defer func() { <-conns }()
				if _, err := c.Token(ctx, ipc.TokenRequest{Account: account}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		walls = append(walls, float64(time.Since(start).Microseconds())/1e3)
		close(errs)
		if err := <-errs; err != nil {
			return fmt.Errorf("storm waiter: %w", err)
		}
		after, err := refreshGrants(ctx, emu)
		if err != nil {
			return err
		}
		seen = append(seen, float64(after-before))
	}
	ones := make([]float64, len(seen))
	for i := range ones {
		ones[i] = 1
	}
	row(fmt.Sprintf("refresh storm: %d callers, ≤%d connections → refreshes seen (all served in %s)",
		waiters, min(waiters, maxConns), spreadOf(walls).format("ms", 0)),
		spreadOf(seen).format("refreshes", 0), "1 refresh", spreadOf(ratios(seen, ones)))
	return nil
}

func refreshGrants(ctx context.Context, emu string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(emu, "/")+"/emulator/stats", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("emulator stats: %w", err)
	}
	defer resp.Body.Close()
	var st struct {
		TokenGrants struct {
			RefreshToken int64 `json:"refresh_token"`
		} `json:"token_grants"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, fmt.Errorf("decode emulator stats: %w", err)
	}
	return st.TokenGrants.RefreshToken, nil
}

// fill stores n accounts, each with a refresh token (written to the keyring) and a
// cached access token of JWT size, as BenchmarkDaemonRSS does.
func fill(ctx context.Context, n int) error {
	c := client()
	defer c.Close()
	access := strings.Repeat("a", 900)
	for i := range n {
		_, err := c.Store(ctx, ipc.StoreRequest{Name: fmt.Sprintf("fill-%04d", i),
			Endpoints: ipc.Endpoints{APIURL: "http://127.0.0.1:1", Issuer: "http://127.0.0.1:1/",
				ClientID: "bench"},
			RefreshToken: fmt.Sprintf("refresh-%04d-%s", i, strings.Repeat("r", 40)),
			AccessToken:  fmt.Sprintf("%s-%04d", access, i), ExpiresAt: time.Now().Add(time.Hour)})
		if err != nil {
			return fmt.Errorf("store account %d: %w", i, err)
		}
	}
	return nil
}

// rssRow prints the process's VmRSS against a target.
func rssRow(pid int, label string, target float64) error {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return fmt.Errorf("read status of pid %d: %w", pid, err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return fmt.Errorf("parse VmRSS: %w", err)
			}
			mib := kib / 1024
			row(label, fmt.Sprintf("%.1f MiB", mib), fmt.Sprintf("%.0f MiB target", target),
				spread{mib / target, mib / target, mib / target})
			return nil
		}
	}
	return fmt.Errorf("no VmRSS for pid %d", pid)
}
