package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// BenchmarkTokenFetch compares a cached token fetched through the daemon's Service
// and socket server with the Go client against the same client (same transport,
// same request, same decoding) talking to a bare http.Server that answers a static
// body of the same size, at 1, 16 and 256 concurrent clients. The daemon logs at
// info level to io.Discard, as a daemon whose log nobody reads does, so the audit
// line per grant is paid for. Targets: the daemon within 1.3x the static latency
// and at least 0.75x its throughput. ns/op is wall time per request with N clients
// in flight (its inverse is the throughput); lat-us is the mean latency of a call.
func BenchmarkTokenFetch(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := inProcessBench(b, log)
	ctx := context.Background()
	tok, err := c.Token(ctx, ipc.TokenRequest{Account: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(tok)
	static := staticServer(b, append(body, '\n')) // the server's encoder ends with a newline

	for _, par := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("daemon/clients=%d", par), func(b *testing.B) {
			runClients(b, par, func() error {
				_, err := c.Token(ctx, ipc.TokenRequest{Account: "bench"})
				return err
			})
		})
		b.Run(fmt.Sprintf("static/clients=%d", par), func(b *testing.B) {
			runClients(b, par, func() error {
				_, err := static.Token(ctx, ipc.TokenRequest{Account: "bench"})
				return err
			})
		})
	}
}

// runClients runs b.N calls spread over exactly n goroutines.
func runClients(b *testing.B, n int, call func() error) {
	if err := call(); err != nil { // warm a connection, fail fast
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()

	var next, busy atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				start := time.Now()
				err := call()
				busy.Add(int64(time.Since(start)))
				if err != nil && failed.CompareAndSwap(false, true) {
					b.Error(err)
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(busy.Load())/float64(b.N)/1e3, "lat-us")
}

// inProcessBench serves the daemon with log and stores a cached 900-byte access
// token under the account "bench".
func inProcessBench(b *testing.B, log *slog.Logger) *ipc.Client {
	c, _ := inProcessLog(b, log)
	if _, err := c.Store(context.Background(), ipc.StoreRequest{Name: "bench",
		Endpoints:   ipc.Endpoints{APIURL: "http://127.0.0.1:1", Issuer: "http://127.0.0.1:1/", ClientID: "c"},
		AccessToken: strings.Repeat("a", 900), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	return c
}

// staticServer serves body for every request on a Unix socket and returns an
// ipc.Client for it, so that both sides of the comparison use the same client.
func staticServer(b *testing.B, body []byte) *ipc.Client {
	dir, err := os.MkdirTemp("", "s")
	if err != nil {
		b.Fatal(err)
	}
	ln, err := ipc.Listen(filepath.Join(dir, "static.sock"), nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	c := ipc.NewClient(ipc.ClientOptions{Path: ln.Path()})
	b.Cleanup(func() { c.Close(); _ = srv.Close(); _ = os.RemoveAll(dir) })
	return c
}
