// Package daemon is dbos-credd: it wires the configuration, the keyring store, the
// token manager and the socket server together, and implements ipc.Service over the
// manager.
//
// It owns the daemon's behaviour at its edges: which account an empty request means,
// how token-manager errors become wire codes with messages that name the fix, the
// audit line per token grant, the status counters, configuration hot reload (file
// watch and SIGHUP, handed in as a channel) and the order of a graceful shutdown.
// Token logic lives in pkg/tokens, socket logic in pkg/ipc; cmd/dbos-credd only parses
// flags and signals.
package daemon
