// Package ipc is the daemon's local socket: where it lives, who may connect, what is
// said over it, and the Go client that says it.
//
// The protocol is HTTP/1.1 with JSON bodies over a Unix socket, so curl
// --unix-socket and any language can use it. Every connection's peer is checked
// against the daemon's own uid; there is no TCP listener. The package knows nothing of
// keyrings, tokens' refresh or configuration files: the daemon plugs its logic in
// through the Service interface.
package ipc
