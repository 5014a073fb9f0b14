package faults

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/test/internal/suite"
)

// TestConnectionFlood opens far more connections than the daemon's limit and holds
// them. The daemon closes the ones over the limit at once, its file descriptors stay
// bounded by the limit and its memory by a few MiB per hundred connections; once the
// flood ends it serves again and gives its descriptors back.
func TestConnectionFlood(t *testing.T) {
	f := start(t, "")
	c := f.d.Client()
	suite.StoreLogin(t, f.em, c, f.leaks, "acct", "ivan")
	if _, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	pid := f.d.PID()
	fd0, rss0 := suite.MustFDs(t, pid), suite.MustRSS(t, pid)

	const flood = 3 * ipc.DefaultMaxConns
	conns := make([]net.Conn, 0, flood)
	dialErrs := 0
	for range flood {
		conn, err := net.DialTimeout("unix", f.d.Socket(), 2*time.Second)
		if err != nil {
			dialErrs++ // a full backlog refuses too
			continue
		}
		conns = append(conns, conn)
	}
	defer func() {
		for _, conn := range conns {
			_ = conn.Close()
		}
	}()

	// A connection the daemon refused reads EOF at once; a held one times out.
	held, refused := 0, 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Go(func() {
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			_, err := conn.Read(make([]byte, 1))
			mu.Lock()
			defer mu.Unlock()
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				held++
			} else {
				refused++
			}
		})
	}
	wg.Wait()
	fd1, rss1 := suite.MustFDs(t, pid), suite.MustRSS(t, pid)
	t.Logf("flood of %d: %d held, %d closed by the daemon, %d dials failed; "+
		"daemon fds %d -> %d, RSS %d -> %d KiB", flood, held, refused, dialErrs, fd0, fd1, rss0, rss1)

	if held > ipc.DefaultMaxConns {
		t.Errorf("%d connections held, limit %d", held, ipc.DefaultMaxConns)
	}
	if refused+dialErrs < flood-ipc.DefaultMaxConns {
		t.Errorf("only %d of %d connections over the limit refused", refused+dialErrs, flood)
	}
	if fd1 > fd0+ipc.DefaultMaxConns+16 {
		t.Errorf("daemon fds %d during the flood, %d before: not bounded by the limit", fd1, fd0)
	}
	if rss1 > rss0+48*1024 {
		t.Errorf("daemon RSS grew %d KiB during the flood", rss1-rss0)
	}

	for _, conn := range conns {
		_ = conn.Close()
	}
	conns = nil
	suite.Eventually(t, "the daemon serves after the flood", 30*time.Second, func() bool {
		_, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"})
		return err == nil
	})
	suite.Eventually(t, "descriptors given back", 30*time.Second, func() bool {
		return suite.MustFDs(t, pid) <= fd0+8
	})
}

// TestMalformedBytesOnSocket writes raw, hostile HTTP to the real daemon's socket.
// Each gets a 4xx answer (or, for bytes that are not HTTP at all, a closed
// connection) and the daemon stays up, serving the same process.
func TestMalformedBytesOnSocket(t *testing.T) {
	f := start(t, "")
	c := f.d.Client()
	suite.StoreLogin(t, f.em, c, f.leaks, "acct", "judy")
	pid := f.d.PID()

	big := strings.Repeat("A", 1<<20)
	tests := []struct {
		name string
		raw  string
		want int // 0: a 4xx or the connection closed without an answer
	}{
		{"oversized body", "POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
			"Content-Length: " + strconv.Itoa(len(big)+12) + "\r\n\r\n{\"account\":\"" + big + "\"}", 413},
		{"oversized header", "GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 64<<10) +
			"\r\n\r\n", 431},
		{"bad JSON", "POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{\"account", 400},
		{"JSON of the wrong type", "POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n" +
			"{\"account\":123}", 400},
		{"trailing garbage", "POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n{} {}x", 400},
		{"bad account name", "PUT /v1/accounts/..%2Fetc HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 0},
		{"unknown path", "GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"wrong method", "DELETE /v1/status HTTP/1.1\r\nHost: x\r\n\r\n", 405},
		{"browser origin", "GET /v1/status HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n", 403},
		{"bad chunk size", "POST /v1/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
		{"content length lies", "POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400},
		{"NUL in request line", "GET /v1/sta\x00tus HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0},
		{"not HTTP", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, answer := rawRequest(t, f.d.Socket(), tc.raw)
			switch {
			case tc.want != 0 && got != tc.want:
				t.Errorf("status %d, want %d: %q", got, tc.want, firstLine(answer))
			case tc.want == 0 && got != 0 && (got < 400 || got > 499):
				t.Errorf("status %d, want a 4xx or no answer: %q", got, firstLine(answer))
			}
			f.leaks.Check(t, "answer to "+tc.name, answer, false)
		})
	}

	if f.d.PID() != pid {
		t.Fatal("the daemon was restarted")
	}
	if _, err := c.Token(ctx(t), ipc.TokenRequest{Account: "acct"}); err != nil {
		t.Fatalf("the daemon after hostile input: %v", err)
	}
}

// rawRequest writes raw to the socket and returns the answer's status (0 when the
// daemon closed the connection without one) and the answer.
func rawRequest(t *testing.T, socket, raw string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))

	// The daemon may answer and close before reading everything (e.g. 413); a
	// failed write is then expected, and the answer is still there to read.
	go func() { _, _ = conn.Write([]byte(raw)) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, "" // closed (or timed out) without an answer
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Status + "\r\n" + string(body)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}
