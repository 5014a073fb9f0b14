package testutil

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestSyncBufferConcurrent writes from many goroutines while reading; -race checks
// the locking, and the final text must hold every write whole.
func TestSyncBufferConcurrent(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				fmt.Fprintf(&b, "w%d-%d\n", i, j)
				_ = b.String()
			}
		}()
	}
	wg.Wait()

	got := b.String()
	if n := strings.Count(got, "\n"); n != 400 {
		t.Fatalf("%d lines, want 400", n)
	}
	for i := range 8 {
		if !strings.Contains(got, fmt.Sprintf("w%d-49\n", i)) {
			t.Errorf("write of goroutine %d missing", i)
		}
	}
}
