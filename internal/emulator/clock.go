package emulator

import (
	"sync"
	"time"
)

// Clock is the emulator's notion of the current time: real time plus an offset that
// only grows. Every expiry (device codes, access and refresh tokens, invite secrets)
// is decided against it, so tests can cross day- and year-long limits in an instant.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the emulator's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d; a negative d is ignored, so time never runs
// backwards for the stored state.
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// Offset returns how far the clock has been moved ahead of real time.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}
