// Package emulatortest runs the real dbos-cloud-emulator binary for tests: it starts
// the process on a free loopback port with the test API on, learns its URL from the
// listening line, captures its log, and drives the test API (approve, deny, clock,
// stats, faults) and whole device logins over HTTP.
//
// It does not start anything in-process, and it leaves the emulator's behaviour to
// internal/emulator; its only job is to spare every test suite the plumbing.
package emulatortest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/testbin"
	"github.com/dbos-go/dbos-cloud/internal/testutil"
)

// ClientID is the OAuth client ID Login uses. The emulator accepts any.
const ClientID = "emulatortest"

// Audience is the API audience of the emulator's access tokens.
const Audience = "dbos-cloud-api"

const listenPrefix = "dbos-cloud-emulator listening on "

// Emulator is one running (or stopped) dbos-cloud-emulator process.
type Emulator struct {
	bin    string
	args   []string
	url    string
	client *http.Client
	logs   *testutil.SyncBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan error // receives the process's exit once
}

// Start runs the emulator with args, adding --test-api, --addr 127.0.0.1:0 and
// --device-interval 1s unless args set them. The process is stopped when the test
// ends. With --tls-cert, the harness's HTTP client trusts that certificate.
func Start(tb testing.TB, args ...string) *Emulator {
	tb.Helper()
	e := &Emulator{
		bin:  testbin.Path(tb, "cmd/dbos-cloud-emulator"),
		args: withDefaults(args),
		logs: &testutil.SyncBuffer{},
	}
	e.client = &http.Client{Timeout: 30 * time.Second, Transport: e.transport(tb)}
	e.launch(tb)
	tb.Cleanup(func() {
		if e.running() {
			e.Stop(tb)
		}
	})
	return e
}

func withDefaults(args []string) []string {
	out := append([]string(nil), args...)
	if !hasFlag(args, "test-api") {
		out = append(out, "--test-api")
	}
	if !hasFlag(args, "addr") {
		out = append(out, "--addr", "127.0.0.1:0")
	}
	if !hasFlag(args, "device-interval") {
		out = append(out, "--device-interval", "1s")
	}
	return out
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// flagValue returns the value of --name in args ("--name v" or "--name=v").
func flagValue(args []string, name string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func (e *Emulator) transport(tb testing.TB) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	cert := flagValue(e.args, "tls-cert")
	if cert == "" {
		return t
	}
	pem, err := os.ReadFile(cert)
	if err != nil {
		tb.Fatalf("emulatortest: read --tls-cert: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		tb.Fatalf("emulatortest: --tls-cert %s holds no PEM certificate", cert)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t
}

// launch starts the process and waits for its listening line.
func (e *Emulator) launch(tb testing.TB) {
	tb.Helper()
	cmd := exec.Command(e.bin, e.args...)
	cmd.Stderr = e.logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("emulatortest: stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("emulatortest: start %s: %v", e.bin, err)
	}

	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, r)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	select {
	case line := <-lines:
		u, ok := strings.CutPrefix(strings.TrimSpace(line), listenPrefix)
		if !ok {
			_ = cmd.Process.Kill()
			<-done
			tb.Fatalf("emulatortest: emulator did not start: %q\nlog:\n%s", line, e.logs.String())
		}
		e.url = u
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		tb.Fatalf("emulatortest: no listening line within 60s\nlog:\n%s", e.logs.String())
	}

	e.mu.Lock()
	e.cmd, e.done = cmd, done
	e.mu.Unlock()
}

func (e *Emulator) running() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cmd != nil
}

// URL returns the base URL, without a trailing slash.
func (e *Emulator) URL() string { return e.url }

// Issuer returns the issuer as written in the emulator's tokens (with the slash).
func (e *Emulator) Issuer() string { return e.url + "/" }

// Client returns an HTTP client that reaches the emulator (trusting its TLS
// certificate when it serves HTTPS).
func (e *Emulator) Client() *http.Client { return e.client }

// Logs returns everything the emulator has written to stderr, across restarts.
func (e *Emulator) Logs() string { return e.logs.String() }

// Stop sends SIGTERM and waits for the process, failing the test if it does not
// exit cleanly within 15 seconds.
func (e *Emulator) Stop(tb testing.TB) {
	tb.Helper()
	e.mu.Lock()
	cmd, done := e.cmd, e.done
	e.cmd = nil
	e.mu.Unlock()
	if cmd == nil {
		return
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			tb.Errorf("emulatortest: emulator exited with %v\nlog:\n%s", err, e.logs.String())
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		tb.Errorf("emulatortest: emulator ignored SIGTERM for 15s")
	}
}

// Restart stops the emulator and starts it again with the same arguments on the
// same port. Only state under --data survives.
func (e *Emulator) Restart(tb testing.TB) {
	tb.Helper()
	e.Stop(tb)
	u, err := url.Parse(e.url)
	if err != nil {
		tb.Fatalf("emulatortest: parse own URL: %v", err)
	}
	e.args = setFlag(e.args, "addr", u.Host)
	e.launch(tb)
}

func setFlag(args []string, name, value string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "-")
		switch {
		case strings.HasPrefix(a, name+"="):
		case a == name:
			i++
		default:
			out = append(out, args[i])
		}
	}
	return append(out, "--"+name, value)
}

// do sends a request and returns the status and body; transport errors fail the test.
func (e *Emulator) do(tb testing.TB, method, path string, body io.Reader,
	header map[string]string) (int, []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.url+path, body)
	if err != nil {
		tb.Fatalf("emulatortest: build %s %s: %v", method, path, err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		tb.Fatalf("emulatortest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("emulatortest: read %s %s: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// PostForm posts a form to path and returns the status and body.
func (e *Emulator) PostForm(tb testing.TB, path string, form url.Values) (int, []byte) {
	tb.Helper()
	return e.do(tb, http.MethodPost, path, strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// API sends a /v1alpha1-style request with a bearer token (none when empty) and a
// body: nil for none, a []byte sent as is (for malformed JSON), anything else
// JSON-encoded. It returns the status and body.
func (e *Emulator) API(tb testing.TB, method, path, access string, body any) (int, []byte) {
	tb.Helper()
	var r io.Reader = http.NoBody
	if raw, ok := body.([]byte); ok {
		r = bytes.NewReader(raw)
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatalf("emulatortest: encode body: %v", err)
		}
		r = bytes.NewReader(b)
	}
	h := map[string]string{"Content-Type": "application/json"}
	if access != "" {
		h["Authorization"] = "Bearer " + access
	}
	return e.do(tb, method, path, r, h)
}

func (e *Emulator) mustOK(tb testing.TB, what string, status int, body []byte) {
	tb.Helper()
	if status != http.StatusOK {
		tb.Fatalf("emulatortest: %s: status %d: %s", what, status, body)
	}
}

// Approve approves the pending device login with userCode as user.
func (e *Emulator) Approve(tb testing.TB, userCode, user string) {
	tb.Helper()
	form := url.Values{"user_code": {userCode}, "user": {user}}
	st, body := e.PostForm(tb, "/emulator/approve", form)
	e.mustOK(tb, "approve", st, body)
}

// Deny denies the pending device login with userCode.
func (e *Emulator) Deny(tb testing.TB, userCode string) {
	tb.Helper()
	st, body := e.PostForm(tb, "/emulator/approve", url.Values{"user_code": {userCode}, "deny": {"1"}})
	e.mustOK(tb, "deny", st, body)
}

// Advance moves the emulator's clock forward by d.
func (e *Emulator) Advance(tb testing.TB, d time.Duration) {
	tb.Helper()
	st, body := e.PostForm(tb, "/emulator/clock", url.Values{"advance": {d.String()}})
	e.mustOK(tb, "advance clock", st, body)
}

// Stats are the emulator's counters since it started.
type Stats struct {
	Requests        int64       `json:"requests"`
	TokenGrants     TokenGrants `json:"token_grants"`
	RefreshFailures int64       `json:"refresh_failures"`
	// RefreshReuses counts refresh grants (included in TokenGrants) to a rotated
	// token let through by the reuse interval.
	RefreshReuses int64 `json:"refresh_reuses"`
	Revocations   int64 `json:"revocations"`
}

// TokenGrants counts successful grants by type.
type TokenGrants struct {
	DeviceCode   int64 `json:"device_code"`
	RefreshToken int64 `json:"refresh_token"`
}

// Stats reads the emulator's counters.
func (e *Emulator) Stats(tb testing.TB) Stats {
	tb.Helper()
	st, body := e.do(tb, http.MethodGet, "/emulator/stats", http.NoBody, nil)
	e.mustOK(tb, "stats", st, body)
	var s Stats
	if err := json.Unmarshal(body, &s); err != nil {
		tb.Fatalf("emulatortest: decode stats: %v", err)
	}
	return s
}

// Fault makes the next count requests to path (all of them until ClearFaults when
// count is 0) wait delay and then, unless status is 0, fail with status.
func (e *Emulator) Fault(tb testing.TB, path string, status int, delay time.Duration, count int) {
	tb.Helper()
	form := url.Values{"path": {path}, "delay": {delay.String()}, "count": {fmt.Sprint(count)}}
	if status != 0 {
		form.Set("status", fmt.Sprint(status))
	}
	st, body := e.PostForm(tb, "/emulator/fault", form)
	e.mustOK(tb, "add fault", st, body)
}

// ClearFaults removes every injected fault.
func (e *Emulator) ClearFaults(tb testing.TB) {
	tb.Helper()
	st, body := e.do(tb, http.MethodDelete, "/emulator/fault", http.NoBody, nil)
	e.mustOK(tb, "clear faults", st, body)
}

// DeviceAuth is the emulator's answer to a device authorization request.
type DeviceAuth struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// StartDevice requests a device code for ClientID with scope.
func (e *Emulator) StartDevice(tb testing.TB, scope string) DeviceAuth {
	tb.Helper()
	st, body := e.PostForm(tb, "/oauth/device/code",
		url.Values{"client_id": {ClientID}, "scope": {scope}, "audience": {Audience}})
	e.mustOK(tb, "device code", st, body)
	var d DeviceAuth
	if err := json.Unmarshal(body, &d); err != nil {
		tb.Fatalf("emulatortest: decode device code response: %v", err)
	}
	return d
}

// PollToken makes one device-code token request and returns the status and body.
func (e *Emulator) PollToken(tb testing.TB, deviceCode string) (int, []byte) {
	tb.Helper()
	return e.PostForm(tb, "/oauth/token", url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {deviceCode},
		"client_id":   {ClientID},
	})
}

// Login runs a whole device flow over HTTP as identity (device code, approval
// through the test API, one poll) and returns the tokens; refresh is empty unless
// scope holds offline_access. With --approve-as the emulator's own approval stands.
func (e *Emulator) Login(tb testing.TB, identity, scope string) (access, refresh string) {
	tb.Helper()
	d := e.StartDevice(tb, scope)
	st, body := e.PostForm(tb, "/emulator/approve",
		url.Values{"user_code": {d.UserCode}, "user": {identity}})
	if st != http.StatusOK && st != http.StatusConflict {
		tb.Fatalf("emulatortest: approve: status %d: %s", st, body)
	}

	st, body = e.PollToken(tb, d.DeviceCode)
	e.mustOK(tb, "device token", st, body)
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		tb.Fatalf("emulatortest: decode token response: %v", err)
	}
	return tok.AccessToken, tok.RefreshToken
}

// Register registers the caller of access as username, joining the inviting
// organization when secret is not empty.
func (e *Emulator) Register(tb testing.TB, access, username, secret string) {
	tb.Helper()
	body := map[string]string{
		"name": username, "given_name": "Test", "family_name": "User", "company": "emulatortest",
	}
	if secret != "" {
		body["secret"] = secret
	}
	st, out := e.API(tb, http.MethodPut, "/v1alpha1/user", access, body)
	e.mustOK(tb, "register "+username, st, out)
}
