// Package faults is the system-level fault and hostile-input suite: it runs the real
// dbos-credd and dbos-cloud-emulator binaries (through internal/credtest and
// internal/emulatortest), breaks things around them (login service down, slow or
// failing, daemon killed mid-refresh, keyring locked, second daemon, bad config
// edits, revoked or expired logins, connection floods, malformed bytes on the
// socket), and checks that the daemon says so clearly, recovers, loses no refresh
// token and leaks none.
//
// The tests skip unless DBOS_FAULTS=1 (make test-faults); the Secret Service test
// also needs DBOS_IT_SECRET_SERVICE=1 with a running gnome-keyring (see .ci/run).
// Unit-level behaviour (one refresh for a thousand waiters, oversized bodies in
// process, other-uid refusal, plugin crash and hang) is tested next to the code and
// is not repeated here.
package faults
