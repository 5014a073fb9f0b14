package emulator_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
)

// BenchmarkRefreshGrant measures refresh-token grants per second against the real
// emulator binary over loopback HTTP (in-memory store, no rotation), one client at a
// time and with parallel clients.
func BenchmarkRefreshGrant(b *testing.B) {
	e := emulatortest.Start(b)
	_, rt := e.Login(b, "bench", "offline_access")
	form := url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {emulatortest.ClientID},
	}.Encode()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	grant := func(b *testing.B) {
		resp, err := client.Post(e.URL()+"/oauth/token", "application/x-www-form-urlencoded",
			strings.NewReader(form))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}

	b.Run("serial", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			grant(b)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "grants/s")
	})
	b.Run("parallel", func(b *testing.B) {
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				grant(b)
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "grants/s")
	})
}
