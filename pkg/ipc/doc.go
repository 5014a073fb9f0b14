// Package ipc is the daemon's local socket: where it lives, who may connect, what is
// said over it, and the Go client that says it.
//
// The protocol is HTTP/1.1 with JSON bodies over a Unix socket, so curl
// --unix-socket and any language can use it. The routes and bodies are in api.go.
// There is no TCP listener: Serve refuses anything but a Unix socket.
//
// Who may connect: the socket's directory is 0700 and the socket 0600 (Listen), and
// every connection's peer is read from the kernel (SO_PEERCRED on Linux,
// LOCAL_PEERCRED on macOS; other systems refuse every peer until someone ports
// peer_other.go). Only the daemon's own uid is served; anyone else gets 403
// peer_rejected and a warning in the log. The client checks the other way round too:
// it writes nothing to a daemon that runs as another user. Requests with an Origin
// or Referer header come from a web page and get 403 with code bad_request (the peer
// is the right user; the request is the wrong kind). Any Host header is accepted.
//
// Bounds: request bodies (413 beyond ServerOptions.MaxBodyBytes), header, read,
// write and idle timeouts, and a connection count beyond which new connections are
// closed at once rather than queued.
//
// Errors: a Service returns *Error (NewError) to choose the code; anything else is
// answered as 500 internal with a generic message and logged, so internal error text
// never crosses the socket. The client turns every error body back into *Error,
// which matches the sentinels with errors.Is.
//
// The API's types, codes and sentinels, the socket path, the peer check and
// autostart live in the subpackage ipcwire, which links no net/http, with a
// minimal client for git-credential-dbos; this package re-exports them.
//
// The package knows nothing of keyrings, token refresh or configuration files: the
// daemon plugs its logic in through the Service interface, and writes the audit line
// for each token grant itself.
package ipc
