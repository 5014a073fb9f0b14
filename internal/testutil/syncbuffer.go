// Package testutil holds the small helpers several test harnesses share and no
// production code needs. It imports only the standard library, so any package's
// tests can use it without an import cycle.
//
// It leaves running processes to internal/credtest and internal/emulatortest and
// leak scanning to internal/leakscan.
package testutil

import (
	"bytes"
	"sync"
)

// SyncBuffer is a bytes.Buffer that a child process's (or a server's) writers and
// the test's readers may use at the same time. The zero value is ready to use.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
