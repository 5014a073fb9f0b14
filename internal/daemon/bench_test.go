package daemon_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// rssMiB reads a process's resident set size from /proc.
func rssMiB(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS line")
	return 0
}

// BenchmarkDaemonRSS starts the real daemon and reports its RSS idle and after 1000
// accounts were stored (each with a refresh token in the keyring and a cached
// access token of JWT size). Targets: 25 MiB idle, 40 MiB with 1000 accounts.
func BenchmarkDaemonRSS(b *testing.B) {
	d := credtest.Start(b, credtest.Options{})
	c := d.Client()
	ctx := context.Background()
	_, _ = c.Status(ctx)
	idle := rssMiB(b, d.PID())

	access := strings.Repeat("a", 900)
	for i := range 1000 {
		_, err := c.Store(ctx, ipc.StoreRequest{Name: fmt.Sprintf("acct-%04d", i),
			Endpoints: ipc.Endpoints{APIURL: "http://127.0.0.1:1", Issuer: "http://127.0.0.1:1/",
				ClientID: "bench"},
			RefreshToken: fmt.Sprintf("refresh-%04d-%s", i, strings.Repeat("r", 40)),
			AccessToken:  fmt.Sprintf("%s-%04d", access, i), ExpiresAt: time.Now().Add(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Token(ctx, ipc.TokenRequest{Account: "acct-0500"}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(idle, "idle-RSS-MiB")
	b.ReportMetric(rssMiB(b, d.PID()), "1000acct-RSS-MiB")
}
