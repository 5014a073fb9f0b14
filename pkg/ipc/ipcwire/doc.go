// Package ipcwire is the daemon's socket API without net/http: the routes and
// bodies, the error codes and their sentinels, where the socket lives, the peer
// check, starting the daemon, and a small client that speaks HTTP/1.1 by hand.
//
// It exists for git-credential-dbos, which git starts once per request: linking
// net/http and crypto/tls (which net/http pulls in) costs every start about half a
// millisecond of page faults and package initialisation. pkg/ipc, the daemon's
// server and full client, re-exports these names, so either package's values
// compare equal and match with errors.Is.
//
// The client checks, before writing anything, that the daemon runs as the
// caller's own user (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS). It opens one
// connection per call and uses it with blocking system calls, not the runtime's
// network poller; it reads responses with a body delimited by Content-Length,
// chunked coding, or the end of the connection, bounded by MaxResponseBytes. The
// token request and answer of the usual shape are encoded by hand (fastjson.go).
//
// Left out: the server, every route but the token fetch, the account list and the
// cache drop, connection reuse (a one-shot client makes one or two calls), and
// systems other than Unix.
package ipcwire
