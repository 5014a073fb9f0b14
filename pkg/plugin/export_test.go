package plugin

import "time"

// SetClock makes h read the time from now, so that tests can let a binary's stamp
// settle without waiting.
func SetClock(h *Host, now func() time.Time) { h.now = now }
