package ipcwire_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		status   int
		body     string
		close    bool
		bad      bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 200, "{}", false, false},
		{"lf only", "HTTP/1.1 200 OK\nContent-length: 2\n\n{}", 200, "{}", false, false},
		{"no content", "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", 204, "", false, false},
		{"close", "HTTP/1.1 403 Forbidden\r\nConnection: keep-alive, Close\r\nContent-Length: 1\r\n\r\nx",
			403, "x", true, false},
		{"to eof", "HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\n400 Bad Request", 400,
			"400 Bad Request", true, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\n{\"\r\n1 \r\n}\r\n0\r\n\r\n",
			200, "{\"}", false, false},
		{"trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: v\r\n\r\n", 0, "", false, true},
		{"chunk bare lf", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\n\r\n", 0, "", false, true},
		{"chunk end bare lf", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\n0\r\n\r\n", 0, "", false, true},
		{"chunk stray cr", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r;\r\n\r\n", 0, "", false, true},
		{"chunk leading blank", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 0\r\n\r\n", 0, "", false, true},
		{"chunk framing flood", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
			strings.Repeat("1;"+strings.Repeat("e", 4000)+"\r\nx\r\n", 5) + "0\r\n\r\n", 0, "", false, true},
		{"same length twice", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 200, "x", false, false},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", 0, "", false, true},
		{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx", 0, "", false, true},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nx", 0, "", false, true},
		{"too big", "HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n", 0, "", false, true},
		{"too big to eof", "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("x", 1025), 0, "", false, true},
		{"too big chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n", 0, "", false, true},
		{"gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, "", false, true},
		{"interim", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", 0, "", false, true},
		{"not http", "SSH-2.0-OpenSSH\r\n", 0, "", false, true},
		{"folded", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", 0, "", false, true},
		{"cut in headers", "HTTP/1.1 200 OK\r\nA: b", 0, "", false, true},
		{"empty", "", 0, "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := ipcwire.ReadResponse(bufio.NewReader(strings.NewReader(tc.in)), 1024)
			if tc.bad {
				if !errors.Is(err, ipcwire.ErrMalformedResponse) {
					t.Fatalf("err = %v, want ErrMalformedResponse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.status || string(resp.Body) != tc.body || resp.Close != tc.close {
				t.Errorf("got %d %q close=%v", resp.Status, resp.Body, resp.Close)
			}
		})
	}
}

// realResponses are raw answers of pkg/ipc's server: a token, a list past the size
// where the server sets Content-Length itself, each error kind, and a 204.
func realResponses(t testing.TB) [][]byte {
	svc := &fakeService{accounts: manyAccounts(40)}
	path := serve(t, svc)
	var out [][]byte
	for _, req := range []string{
		"POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 21\r\n\r\n{\"account\":\"default\"}",
		"POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 19\r\n\r\n{\"account\":\"other\"}",
		"POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{\"bogus\":1}",
		"GET /v1/accounts HTTP/1.1\r\nHost: x\r\n\r\n",
		"DELETE /v1/accounts/a/cache HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/token HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v2 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/status HTTP/1.1\r\nHost: x\r\nOrigin: null\r\n\r\n",
		"BAD\r\n\r\n",
	} {
		conn, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		req = strings.Replace(req, "Host: x\r\n", "Host: x\r\nConnection: close\r\n", 1)
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(conn)
		conn.Close()
		if err != nil || len(raw) == 0 {
			t.Fatalf("%q: read %d bytes, %v", req, len(raw), err)
		}
		out = append(out, raw)
	}
	return out
}

// The real server's answers read as net/http reads them.
func TestReadRealResponses(t *testing.T) {
	for _, raw := range realResponses(t) {
		if err := compareWithNetHTTP(raw); err != nil {
			t.Errorf("%v\n%q", err, raw)
		}
		if _, err := ipcwire.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), 1<<20); err != nil {
			t.Errorf("%v\n%q", err, raw)
		}
	}
}

// FuzzReadResponse: the parser never panics, stays within its bound, and whatever
// it accepts net/http reads with the same status, body and Connection: close.
func FuzzReadResponse(f *testing.F) {
	for _, raw := range realResponses(f) {
		f.Add(raw)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\n400 Bad Request"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := compareWithNetHTTP(raw); err != nil {
			t.Fatalf("%v\n%q", err, raw)
		}
	})
}

// compareWithNetHTTP reads raw with both parsers; when ReadResponse accepts it,
// net/http must agree on everything the client uses.
func compareWithNetHTTP(raw []byte) error {
	const limit = 4096
	got, err := ipcwire.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), limit)
	if err != nil {
		return nil
	}
	if len(got.Body) > limit {
		return errors.New("body beyond the limit")
	}
	want, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		return errors.New("net/http refuses what ReadResponse accepted: " + err.Error())
	}
	body, err := io.ReadAll(want.Body)
	if err != nil {
		return errors.New("net/http cannot read the body ReadResponse read: " + err.Error())
	}
	switch {
	case want.StatusCode != got.Status:
		return errors.New("status differs")
	case !bytes.Equal(body, got.Body):
		return errors.New("body differs: net/http read " + string(body))
	case want.Close != got.Close && !(want.ProtoMinor == 0 && !got.Close):
		return errors.New("Connection: close differs")
	}
	return nil
}
