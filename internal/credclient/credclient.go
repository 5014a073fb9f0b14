// Package credclient connects a client program (the CLI, git-credential-dbos) to this
// user's dbos-credd as the configuration says: which socket, and whether and with
// which binary to start the daemon when nothing answers.
//
// It opens no keyring and reads no token; it only locates the daemon. It links no
// net/http (its client is ipcwire's), so git-credential-dbos can use it; a
// program that wants pkg/ipc's full client passes ClientOptions to ipc.NewClient.
package credclient

import (
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/dbos-go/dbos-cloud/config"
	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

// DaemonName is the daemon's executable name.
const DaemonName = "dbos-credd"

// AutostartWait bounds the wait for a daemon this client started.
const AutostartWait = 5 * time.Second

// Options say where the daemon listens and how to start it.
type Options struct {
	Socket string
	// Command is the daemon binary to start when nothing answers; empty disables
	// autostart.
	Command string
	// Timeout bounds each request.
	Timeout time.Duration
}

// Resolve reads the socket and autostart settings: DBOS_CREDD_SOCKET, else the
// config's daemon.socket, else the default path; autostart unless the config turns
// it off, with the dbos-credd found next to exe (the running binary) or on PATH.
// cfg may be nil (no config file).
func Resolve(cfg *config.Config, exe string) (Options, error) {
	o := Options{Timeout: ipcwire.DefaultClientTimeout}

	var err error
	if cfg != nil && cfg.Daemon.Socket != "" && os.Getenv(ipcwire.EnvSocket) == "" {
		o.Socket = cfg.Daemon.Socket
	} else if o.Socket, err = ipcwire.DefaultSocketPath(); err != nil {
		return o, err
	}

	if cfg == nil || cfg.Daemon.AutostartEnabled() {
		o.Command = FindDaemon(exe)
	}
	return o, nil
}

// FindDaemon looks for dbos-credd next to exe, then on PATH; "" if absent. Looking
// next to the client first keeps a CLI and its daemon from two different installs
// from being paired by accident.
func FindDaemon(exe string) string {
	if exe == "" {
		exe, _ = os.Executable()
	}
	if exe != "" {
		p := filepath.Join(filepath.Dir(exe), DaemonName)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	p, err := exec.LookPath(DaemonName)
	if err != nil {
		return ""
	}
	return p
}

// ClientOptions returns the options of a client for the daemon o describes.
func (o Options) ClientOptions() ipcwire.ClientOptions {
	opts := ipcwire.ClientOptions{Path: o.Socket, Timeout: o.Timeout}
	if o.Command != "" {
		opts.Autostart = &ipcwire.AutostartOptions{Command: o.Command, Wait: AutostartWait}
	}
	return opts
}

// New returns ipcwire's client for the daemon; it connects at its first call.
func New(o Options) *ipcwire.Client {
	return ipcwire.NewClient(o.ClientOptions())
}
