package ipc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

// FuzzServeRequest feeds raw HTTP requests through the server's handler as if they
// came from the daemon's own user. Whatever the bytes, the handler must not panic,
// must answer with a known status, and every error must be a JSON ErrorBody.
func FuzzServeRequest(f *testing.F) {
	seeds := []string{
		"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 36\r\n\r\n{\"account\":\"a\",\"min_ttl_seconds\":5}",
		"POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
		"PUT /v1/accounts/a HTTP/1.1\r\nHost: x\r\nContent-Length: 27\r\n\r\n{\"name\":\"a\",\"user\":\"alice\"}",
		"PATCH /v1/accounts/a HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\n\r\n{\"user\":\"bob\"}",
		"DELETE /v1/accounts/a?revoke=true HTTP/1.1\r\nHost: x\r\n\r\n",
		"DELETE /v1/accounts/a/cache HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /v1/keyring/unlock HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n{\"password\":\"p\"}",
		"POST /v1/keyring/check HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/accounts/%2e%2e HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /v1/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		"GET /v1/status HTTP/1.1\r\nHost: x\r\nOrigin: null\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	srv := NewServer(&fakeService{}, nil, ServerOptions{MaxBodyBytes: 4096})
	h := srv.handler()
	self := &peerInfo{peer: Peer{UID: os.Geteuid(), PID: os.Getpid()}}
	known := map[int]bool{200: true, 204: true, 400: true,
		403: true, 404: true, 405: true, 413: true}

	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // not HTTP: the server's own parser rejects it before any handler
		}
		req = req.WithContext(context.WithValue(context.Background(), peerKey{}, self))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if !known[rec.Code] {
			t.Fatalf("unexpected status %d for %q", rec.Code, raw)
		}
		if rec.Code < 400 {
			return
		}
		var eb ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Code == "" || eb.Message == "" {
			t.Fatalf("status %d with body %q is not an ErrorBody (%v)", rec.Code, rec.Body.Bytes(), err)
		}
		if !ipcwire.KnownCode(eb.Code) {
			t.Fatalf("unknown code %q", eb.Code)
		}
	})
}

// FuzzValidAccountName: the hand-written check is exactly the documented rule,
// written as a regexp here.
func FuzzValidAccountName(f *testing.F) {
	rule := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	for _, s := range []string{"default", "a", "A-1.b_c", ".x", "-x", "_x", "a/b", "", "ä",
		strings.Repeat("x", 64), strings.Repeat("x", 65), "a b", "x\n", "0."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := ValidAccountName(name), rule.MatchString(name); got != want {
			t.Fatalf("ValidAccountName(%q) = %v, the rule says %v", name, got, want)
		}
	})
}
