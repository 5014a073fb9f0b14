// Package tokens is the daemon's token manager: it holds each account's refresh
// token, hands out access tokens from an in-memory cache, and refreshes them at the
// login service before they expire.
//
// The cache is read without locks on the hot path; a refresh happens at most once at
// a time per account (any number of waiting callers share it), in the background for
// accounts used recently, and on demand otherwise. A refresh token that the login
// service rotates is written to the Store before the new access token is handed out;
// if that write fails it is kept in memory, retried, and reported as unsaved.
//
// The package knows nothing of sockets, keyring libraries or OAuth wire formats: it
// talks to a Store (records kept by the OS keyring, see package keyringstore) and a
// Refresher (the login service) through small interfaces, so the daemon wires real
// ones and tests use narrow fakes. It never writes an access token anywhere.
package tokens
