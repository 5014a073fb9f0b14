package ipc

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Small bodies rely on net/http adding the Content-Length; check that it does, at
// and around the size where writeBody starts setting it itself.
func TestWriteBodyContentLength(t *testing.T) {
	path := filepath.Join(sockDir(t), "cl.sock")
	ln, err := Listen(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		writeBody(w, http.StatusOK, []byte(strings.Repeat("x", n)))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	for _, n := range []int{0, 1, 1100, autoLengthMax - 1, autoLengthMax, autoLengthMax + 1, 70000} {
		resp, body := rawRequest(t, path, "GET /?n="+itoa(n)+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.ContentLength != int64(n) || len(body) != n || len(resp.TransferEncoding) != 0 {
			t.Errorf("body of %d bytes: Content-Length %d, read %d, transfer encoding %v",
				n, resp.ContentLength, len(body), resp.TransferEncoding)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("body of %d bytes: Cache-Control %q", n, resp.Header.Get("Cache-Control"))
		}
	}
}
