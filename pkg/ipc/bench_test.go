package ipc

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTokenFetch measures a token fetch through Client and Server over a real
// socket (fake Service, so this is the socket layer's cost alone), beside the same
// Client (same transport, same request, same decoding of the answer) fetching a
// static body of the same size from a bare http.Server. ns/op is wall time per
// request with N clients in flight, so the throughput ratio is the inverse of the
// ns/op ratio; lat-us is the mean latency of one call.
func BenchmarkTokenFetch(b *testing.B) {
	svc := &fakeService{}
	tok, _ := svc.Token(context.Background(), Peer{}, TokenRequest{Account: "default"})
	static, _ := json.Marshal(tok)
	static = append(static, '\n') // as the server's encoder writes it

	for _, clients := range []int{1, 16, 256} {
		name := "clients=" + strconv.Itoa(clients)
		b.Run("daemon/"+name, func(b *testing.B) {
			ts := startServerLevel(b, svc, ServerOptions{MaxConns: 1024}, slog.LevelInfo)
			runClients(b, clients, func() error {
				_, err := ts.client.Token(context.Background(), TokenRequest{Account: "default"})
				return err
			})
		})
		b.Run("static/"+name, func(b *testing.B) {
			c := staticServer(b, static)
			runClients(b, clients, func() error {
				_, err := c.Token(context.Background(), TokenRequest{Account: "default"})
				return err
			})
		})
	}
}

// staticServer serves body for every request on a fresh socket and returns a
// Client (same transport, same peer check) pointed at it.
func staticServer(b *testing.B, body []byte) *Client {
	path := filepath.Join(sockDir(b), "static.sock")
	ln, err := Listen(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	c := NewClient(ClientOptions{Path: path})
	b.Cleanup(func() {
		c.Close()
		_ = srv.Shutdown(context.Background())
	})
	return c
}

// runClients runs b.N calls spread over n goroutines.
func runClients(b *testing.B, n int, call func() error) {
	if err := call(); err != nil { // warm a connection, fail fast
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()

	var next, busy atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				start := time.Now()
				err := call()
				busy.Add(int64(time.Since(start)))
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(busy.Load())/float64(b.N)/1e3, "lat-us")
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
