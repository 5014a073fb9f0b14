// Package suite holds what the system-level fault and load suites share: the
// environment gate that keeps them out of a plain `go test ./...`, polling, a login
// stored through the real daemon with its tokens recorded for the leak scan, the
// daemon's resource use read from /proc, and request counting in the emulator's log.
//
// It starts nothing itself; the binaries come from internal/emulatortest and
// internal/credtest.
package suite

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/leakscan"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// Gate skips tb unless the environment variable env is "1". The long suites run only
// when asked for (make test-faults, make test-load), so `go test ./...` stays fast.
func Gate(tb testing.TB, env string) {
	tb.Helper()
	if os.Getenv(env) != "1" {
		tb.Skipf("set %s=1 to run this suite", env)
	}
}

// Ctx returns a context that ends with the test or after d.
func Ctx(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}

// Eventually polls cond every 50ms until it holds; the deadline only guards against
// a hang and is not an assertion about speed.
func Eventually(tb testing.TB, what string, limit time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("never happened within %s: %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Endpoints are the emulator's endpoints as an account stores them.
func Endpoints(em *emulatortest.Emulator) ipc.Endpoints {
	return ipc.Endpoints{APIURL: em.URL(), Issuer: em.Issuer(),
		ClientID: emulatortest.ClientID, Audience: emulatortest.Audience}
}

// StoreLogin logs identity in at the emulator (with a refresh token), stores the
// login in the daemon as account name, and records both tokens in leaks.
func StoreLogin(tb testing.TB, em *emulatortest.Emulator, c *ipc.Client, leaks *leakscan.Set,
	name, identity string) (access, refresh string) {
	tb.Helper()
	access, refresh = em.Login(tb, identity, "offline_access")
	leaks.Add("access token of "+name, access)
	leaks.Add("refresh token of "+name, refresh)
	if refresh == "" {
		tb.Fatal("the emulator gave no refresh token")
	}
	_, err := c.Store(Ctx(tb, 30*time.Second), ipc.StoreRequest{Name: name, User: identity,
		Endpoints: Endpoints(em), RefreshToken: refresh, AccessToken: access})
	if err != nil {
		tb.Fatalf("store login %s: %v", name, err)
	}
	return access, refresh
}

// RSSKiB returns the resident set size of process pid in KiB (VmRSS).
func RSSKiB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read status of pid %d: %w", pid, err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmRSS of pid %d: %w", pid, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// FDs returns the number of open file descriptors of process pid.
func FDs(pid int) (int, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, fmt.Errorf("list fds of pid %d: %w", pid, err)
	}
	return len(entries), nil
}

// MustRSS is RSSKiB failing tb on error.
func MustRSS(tb testing.TB, pid int) int64 {
	tb.Helper()
	n, err := RSSKiB(pid)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// MustFDs is FDs failing tb on error.
func MustFDs(tb testing.TB, pid int) int {
	tb.Helper()
	n, err := FDs(pid)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// LogMark is a position in an emulator's log, so that requests can be counted from
// there on.
type LogMark int

// Mark returns the current end of em's log.
func Mark(em *emulatortest.Emulator) LogMark { return LogMark(len(em.Logs())) }

// Requests counts the requests to path the emulator logged since mark (its log has
// one line per request, faults included).
func Requests(em *emulatortest.Emulator, mark LogMark, path string) int {
	logs := em.Logs()
	if int(mark) > len(logs) {
		mark = 0 // a restart does not shorten the log; guard anyway
	}
	return strings.Count(logs[mark:], " path="+path+" ")
}
