// Package load is the system-level load test: many concurrent clients of the real
// dbos-credd, over several accounts whose access tokens expire every few seconds at
// the real emulator (rotation on), for a minute. It checks for zero errors, bounded
// memory, and about one refresh per account per token lifetime, and prints the
// figures. It skips unless DBOS_LOAD=1 (make test-load).
package load
