package tokens

import (
	"context"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// BenchmarkTokenCached measures the hot path: a cached token read by many goroutines.
func BenchmarkTokenCached(b *testing.B) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, false, "rt")
	m, err := New(Options{Store: st, Refresher: idp})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(context.Background())
	if _, err := m.Store(context.Background(), Login{Name: "a", Endpoints: testEP,
		RefreshToken: secret.New("rt")}); err != nil {
		b.Fatal(err)
	}
	if _, err := m.Token(context.Background(), "a", 0); err != nil {
		b.Fatal(err)
	}

	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := m.Token(ctx, "a", time.Minute); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
