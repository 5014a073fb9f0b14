package ipc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServerRefusesBrowserRequests(t *testing.T) {
	ts := startServer(t, &fakeService{}, ServerOptions{})
	for _, hdr := range []string{"Origin: http://evil.example", "Referer: http://evil.example/page"} {
		t.Run(strings.SplitN(hdr, ":", 2)[0], func(t *testing.T) {
			resp, body := rawRequest(t, ts.path, "GET /v1/status HTTP/1.1\r\nHost: x\r\n"+hdr+"\r\n\r\n")
			checkError(t, resp, body, http.StatusForbidden, CodeBadRequest)
		})
	}
}

func TestServerAcceptsAnyHost(t *testing.T) {
	ts := startServer(t, &fakeService{}, ServerOptions{})
	for _, host := range []string{"localhost", "evil.example:80", "dbos-credd"} {
		resp, _ := rawRequest(t, ts.path, "GET /v1/status HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Host %s: status %d", host, resp.StatusCode)
		}
	}
}

func TestServerRequestErrors(t *testing.T) {
	ts := startServer(t, &fakeService{}, ServerOptions{MaxBodyBytes: 1024})
	big := `{"account":"` + strings.Repeat("a", 2000) + `"}`

	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"oversized_body", "POST", PathToken, big, 413, CodeBadRequest},
		{"malformed_json", "POST", PathToken, `{"account":`, 400, CodeBadRequest},
		{"not_json", "POST", PathToken, `account=x`, 400, CodeBadRequest},
		{"unknown_field", "POST", PathToken, `{"acount":"x"}`, 400, CodeBadRequest},
		{"wrong_type", "POST", PathToken, `{"min_ttl_seconds":"60"}`, 400, CodeBadRequest},
		{"trailing_data", "POST", PathToken, `{} {}`, 400, CodeBadRequest},
		{"negative_ttl", "POST", PathToken, `{"min_ttl_seconds":-1}`, 400, CodeBadRequest},
		{"bad_account_in_body", "POST", PathToken, `{"account":"../etc"}`, 400, CodeBadRequest},
		{"host_and_account", "POST", PathToken, `{"account":"a","protocol":"https","api_host":"h"}`, 400, CodeBadRequest},
		{"host_without_protocol", "POST", PathToken, `{"api_host":"h"}`, 400, CodeBadRequest},
		{"user_without_host", "POST", PathToken, `{"user":"alice"}`, 400, CodeBadRequest},
		{"bad_account_in_path", "PUT", PathAccountPrefix + "a%2Fb", `{}`, 400, CodeBadRequest},
		{"dot_account_in_path", "DELETE", PathAccountPrefix + ".x", ``, 400, CodeBadRequest},
		{"name_mismatch", "PUT", PathAccountPrefix + "a", `{"name":"b"}`, 400, CodeBadRequest},
		{"store_without_body", "PUT", PathAccountPrefix + "a", ``, 400, CodeBadRequest},
		{"bad_revoke", "DELETE", PathAccountPrefix + "a?revoke=maybe", ``, 400, CodeBadRequest},
		{"wrong_method", "GET", PathToken, ``, 405, CodeBadRequest},
		{"unknown_path", "GET", "/v2/token", ``, 404, CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.method + " " + tc.path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			if tc.body != "" {
				req += "Content-Length: " + itoa(len(tc.body)) + "\r\n"
			}
			resp, body := rawRequest(t, ts.path, req+"\r\n"+tc.body)
			checkError(t, resp, body, tc.status, tc.code)
		})
	}
}

// A body with no Content-Length (chunked) is bounded too.
func TestServerBoundsChunkedBody(t *testing.T) {
	ts := startServer(t, &fakeService{}, ServerOptions{MaxBodyBytes: 100})
	chunk := `{"account":"` + strings.Repeat("a", 200) + `"}`
	req := "POST /v1/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strings.ToLower(itoaHex(len(chunk))) + "\r\n" + chunk + "\r\n0\r\n\r\n"
	resp, body := rawRequest(t, ts.path, req)
	checkError(t, resp, body, http.StatusRequestEntityTooLarge, CodeBadRequest)
}

func TestServerEmptyTokenBodyMeansDefault(t *testing.T) {
	ts := startServer(t, &fakeService{}, ServerOptions{})
	resp, body := rawRequest(t, ts.path, "POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("token response is cacheable")
	}
	var tr TokenResponse
	if err := json.Unmarshal([]byte(body), &tr); err != nil || tr.Account != "default" {
		t.Fatalf("body %q: %v", body, err)
	}
}

func TestServerPassesPeerToToken(t *testing.T) {
	svc := &fakeService{}
	ts := startServer(t, svc, ServerOptions{})
	if _, err := ts.client.Token(context.Background(), TokenRequest{Account: "x"}); err != nil {
		t.Fatal(err)
	}
	svc.mu.Lock()
	p := svc.lastPeer
	svc.mu.Unlock()
	exe, _ := os.Executable()
	if p.UID != os.Geteuid() || p.PID != os.Getpid() || p.Exe != exe {
		t.Errorf("peer = %+v, want uid %d pid %d exe %s", p, os.Geteuid(), os.Getpid(), exe)
	}
}

// Unknown errors from the service become a generic 500: their text stays in the log.
func TestServerHidesInternalErrors(t *testing.T) {
	svc := &fakeService{err: errors.New("db at /secret/path failed: tok-abc123")}
	ts := startServer(t, svc, ServerOptions{})
	resp, body := rawRequest(t, ts.path, "GET /v1/accounts HTTP/1.1\r\nHost: x\r\n\r\n")
	checkError(t, resp, body, 500, CodeInternal)
	if strings.Contains(body, "tok-abc123") || strings.Contains(body, "/secret/path") {
		t.Errorf("internal error text leaked to the client: %s", body)
	}
	if !strings.Contains(ts.log.String(), "request failed") {
		t.Errorf("internal error not logged: %s", ts.log.String())
	}
}

// The request log has one debug line per request and never a body.
func TestServerLogsRequestsWithoutBodies(t *testing.T) {
	ts := startServer(t, &fakeService{}, ServerOptions{})
	ctx := context.Background()
	if _, err := ts.client.Store(ctx, StoreRequest{Name: "a", RefreshToken: "rt-SECRET-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.client.Unlock(ctx, UnlockRequest{Password: "pw-SECRET-2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.client.Token(ctx, TokenRequest{}); err != nil {
		t.Fatal(err)
	}

	logs := ts.log.String()
	for _, secret := range []string{"SECRET", "fake-access-token"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds %q:\n%s", secret, logs)
		}
	}
	if n := strings.Count(logs, "msg=request "); n != 3 {
		t.Errorf("%d request lines, want 3:\n%s", n, logs)
	}
	if !strings.Contains(logs, "path=/v1/token status=200") || !strings.Contains(logs, "peer_uid=") {
		t.Errorf("request line lacks path, status or peer:\n%s", logs)
	}
}

func TestServerConnectionLimit(t *testing.T) {
	ts := startServer(t, &fakeService{}, ServerOptions{MaxConns: 2})

	// Two connections that each completed a request hold both slots.
	held := make([]net.Conn, 2)
	for i := range held {
		conn, err := net.Dial("unix", ts.path)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		roundTrip(t, conn)
		held[i] = conn
	}

	// The third is closed without an answer, promptly (the deadline only keeps a
	// broken server from hanging the test).
	extra, err := net.Dial("unix", ts.path)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_ = extra.SetDeadline(time.Now().Add(20 * time.Second))
	_, _ = extra.Write([]byte("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n"))
	n, err := extra.Read(make([]byte, 1))
	if n != 0 || (err != io.EOF && !errors.Is(err, syscall.ECONNRESET)) {
		t.Fatalf("over-limit connection: read %d bytes, err %v; want it closed", n, err)
	}

	// Freeing a slot lets a new client in. The server notices the close
	// asynchronously, so retry a few times.
	held[0].Close()
	var lastErr error
	for range 100 {
		if _, lastErr = ts.client.Status(context.Background()); lastErr == nil {
			return
		}
		ts.client.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no request served after a slot was freed: %v", lastErr)
}

// A peer running as another uid is refused with 403 peer_rejected and logged; the
// client run as that uid also refuses a daemon of another uid on its own. CI runs as
// root, so the test binary is copied where nobody can run it and started as nobody.
func TestServerRejectsOtherUID(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs root in CI to run a client as nobody")
		}
		t.Skip("needs root to run a client as another uid")
	}

	dir := sockDir(t)
	chmod(t, dir, 0o711) // nobody may traverse, not list
	path := filepath.Join(dir, "credd.sock")
	logBuf := &syncBuffer{}
	log := newTestLogger(logBuf)
	// The real listener refuses these modes; the test needs them so that the
	// kernel, not the file mode, lets nobody reach the peer check.
	ln, err := listen(path, log, listenOptions{dirMode: 0o711, socketMode: 0o666})
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, ln, path, &fakeService{}, logBuf, log, ServerOptions{})

	bin := copyTestBinary(t, dir)
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), envHelper+"=rawclient", EnvSocket+"="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper as nobody: %v\n%s", err, out)
	}

	if !strings.Contains(string(out), `raw 403 {"code":"peer_rejected"`) {
		t.Errorf("raw request as nobody not refused with 403 peer_rejected:\n%s", out)
	}
	if !strings.Contains(string(out), "client peer_rejected=true") {
		t.Errorf("client as nobody accepted a root daemon:\n%s", out)
	}
	logs := logBuf.String()
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "peer_uid=65534") ||
		!strings.Contains(logs, "peer_pid=") {
		t.Errorf("refusal not logged at WARN with peer uid and pid:\n%s", logs)
	}
}

func TestServeRefusesTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := NewServer(&fakeService{}, nil, ServerOptions{}).Serve(ln); err == nil {
		t.Fatal("Serve accepted a TCP listener")
	}
}

func TestShutdownLetsInFlightRequestFinish(t *testing.T) {
	svc := &blockingService{fakeService: &fakeService{}, entered: make(chan struct{}), release: make(chan struct{})}
	path := filepath.Join(sockDir(t), "credd.sock")
	ln, err := Listen(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(svc, nil, ServerOptions{})
	go func() { _ = srv.Serve(ln) }()

	client := NewClient(ClientOptions{Path: path})
	got := make(chan error, 1)
	go func() {
		_, err := client.Status(context.Background())
		got <- err
	}()
	<-svc.entered

	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	close(svc.release)
	if err := <-got; err != nil {
		t.Fatalf("in-flight request failed during shutdown: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); err == nil {
		t.Error("socket left after shutdown")
	}
}

type blockingService struct {
	*fakeService
	entered, release chan struct{}
}

func (b *blockingService) Status(ctx context.Context) (Status, error) {
	close(b.entered)
	<-b.release
	return b.fakeService.Status(ctx)
}

func checkError(t *testing.T, resp *http.Response, body string, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	var eb ErrorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if eb.Code != code || eb.Message == "" {
		t.Errorf("error body %+v, want code %s and a message", eb, code)
	}
}

func roundTrip(t *testing.T, conn net.Conn) {
	t.Helper()
	if _, err := conn.Write([]byte("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(newReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func copyTestBinary(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "helper")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}
