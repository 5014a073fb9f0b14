package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestLeakscanFails runs the scripts in testdata/leakscan, each of which leaks a
// token through one path (a command's stdout or stderr, the daemon log, the
// emulator log, a log file, a script that stops early), and checks that the scan
// fails each of them with a report naming the path and not holding the token, and
// passes the one that keeps its tokens where they belong.
func TestLeakscanFails(t *testing.T) {
	tests := []struct {
		script string
		want   []string // in the failure reports; none for a script that must pass
	}{
		{"clean", nil},
		{"stdout", []string{"leakscan: stdout of dbos-cloud exec -- cat alice.rt holds token in alice.rt"}},
		{"stderr", []string{
			"leakscan: stderr of dbos-cloud exec -- sh -c cat alice.rt >&2 holds token in alice.rt"}},
		{"jwt_stdout", []string{"leakscan: stdout of dbos-cloud token holds access token of alice"}},
		{"jwt_flag", []string{"-jwt is only for a command meant to print a token, not dbos-cloud exec"}},
		{"daemon_log", []string{"leakscan: dbos-credd log holds token in alice.rt"}},
		{"emulator_log", []string{"leakscan: emulator log holds token in alice.rt"}},
		{"log_file", []string{"/credd.log holds token in alice.rt"}},
		{"unscanned", []string{"leakscan: stdout of dbos-cloud exec -- cat alice.rt holds token in alice.rt",
			"(found after the script stopped)"}},
	}
	for _, tc := range tests {
		t.Run(tc.script, func(t *testing.T) {
			p := scriptParams(t, "")
			p.Files = []string{"testdata/leakscan/" + tc.script + ".txtar"}
			p.Cmds["inject"] = cmdInject
			r := &recordT{T: t}
			testscript.RunT(r, p)

			if tc.want == nil {
				if r.failed {
					t.Fatalf("the clean script failed:\n%s", r.text())
				}
				if !strings.Contains(r.text(), "emulator log, dbos-credd log") {
					t.Errorf("the scan did not read both logs:\n%s", r.text())
				}
				return
			}
			for _, want := range tc.want {
				if !r.failed || !strings.Contains(r.text(), want) {
					t.Fatalf("failed=%v, want a failure reporting %q:\n%s", r.failed, want, r.text())
				}
			}
			checkReportsHoldNoToken(t, r)
		})
	}
}

// checkReportsHoldNoToken checks the scan's own reports (not the commands' output
// testscript echoes) for the script's tokens.
func checkReportsHoldNoToken(t *testing.T, r *recordT) {
	t.Helper()
	for _, line := range strings.Split(r.text(), "\n") {
		if !strings.Contains(line, "leakscan: ") {
			continue
		}
		if strings.Contains(line, "v1.") || strings.Contains(line, "eyJ") {
			t.Errorf("a report holds a token: %s", line)
		}
	}
}

// cmdInject: inject daemon|emulator FILE sends FILE's first line in a request path
// to the daemon or the emulator, which log the paths of requests: a way to put a
// secret in their logs and show the scan finds it there. It waits until the log
// holds it.
func cmdInject(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: inject daemon|emulator FILE")
	}
	s := st(ts)
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	tok, _, _ := strings.Cut(string(data), "\n")

	var logs func() string
	switch args[0] {
	case "emulator":
		s.emu.API(s.tb, http.MethodGet, "/v1alpha1/"+tok+"/users", "", nil)
		logs = s.emu.Logs
	case "daemon":
		ts.Check(getUnix(s.daemon.Socket(), "/v1/inject/"+tok))
		logs = s.daemon.Logs
	default:
		ts.Fatalf("inject: unknown target %q", args[0])
	}
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs(), tok); {
		if time.Now().After(deadline) {
			ts.Fatalf("inject: the %s log never showed the request", args[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// getUnix makes one GET request over a Unix socket; the answer does not matter.
func getUnix(socket, path string) error {
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}}}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://credd" + path)
	if err != nil {
		return fmt.Errorf("inject: GET %s: %w", "http://credd/…", err)
	}
	return resp.Body.Close()
}

// recordT is a testscript.T that records a script's failure and log instead of
// failing the test running it. It embeds the real *testing.T so the harness (which
// needs a testing.TB) still cleans up through it, and a Fatal of the harness itself
// still fails the real test; Error and Errorf, which the end-of-script scan uses,
// are recorded.
type recordT struct {
	*testing.T
	mu     sync.Mutex
	log    strings.Builder
	failed bool
}

func (r *recordT) record(failed bool, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = r.failed || failed
	fmt.Fprintln(&r.log, args...)
}

func (r *recordT) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

// Log records args.
func (r *recordT) Log(args ...any) { r.record(false, args...) }

// Error records a failure.
func (r *recordT) Error(args ...any) { r.record(true, args...) }

// Errorf records a failure.
func (r *recordT) Errorf(format string, args ...any) { r.record(true, fmt.Sprintf(format, args...)) }

// Fatal records a failure and ends the script.
func (r *recordT) Fatal(args ...any) { r.record(true, args...); r.FailNow() }

// FailNow ends the script's goroutine (see Run) as a failure.
func (r *recordT) FailNow() { r.record(true); runtime.Goexit() }

// Skip records the skip and ends the script; the test then fails, since these
// scripts need nothing that may be missing.
func (r *recordT) Skip(args ...any) {
	r.record(true, append([]any{"skipped:"}, args...)...)
	runtime.Goexit()
}

// Parallel does nothing: the scripts run one after another.
func (r *recordT) Parallel() {}

// Verbose is true so that testscript keeps the whole log, which the test reads.
func (r *recordT) Verbose() bool { return true }

// Run runs f on its own goroutine, which FailNow may end, and waits for it.
func (r *recordT) Run(_ string, f func(testscript.T)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
}
