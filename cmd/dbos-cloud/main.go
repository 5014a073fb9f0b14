// Command dbos-cloud logs in to DBOS Cloud, registers users, prints tokens for
// scripts and manages several accounts. Its long-lived secrets are kept by
// dbos-credd; see package internal/cli for the commands and exit codes.
//
// Plugin commands (the organization commands) run in dbos-cloud-host, which this
// binary executes in its place to run one. Their help and completion come from the
// plugin manifest, read here; only a missing or stale manifest also needs the host.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/dbos-go/dbos-cloud/internal/cli"
	"github.com/dbos-go/dbos-cloud/internal/version"
	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// hostName is the plugin host binary, looked for next to this one, then on PATH.
const hostName = "dbos-cloud-host"

func main() {
	// The handler is left in place: the process exits right after, and removing it
	// waits for the signal loop to go idle, which cost every command 0.08 ms here.
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args, cli.Deps{Version: version.String(),
		PluginExec: execPluginHost, PluginManifest: pluginManifest})
	os.Exit(code)
}

// pluginManifest reads the plugin manifest, so that help and completion list plugin
// commands without starting the plugin host.
func pluginManifest() (*manifest.Manifest, bool) {
	return manifest.LoadFresh(manifest.DefaultDirs(), manifest.DefaultPath())
}

// execPluginHost replaces this process with the plugin host, same arguments and
// environment.
func execPluginHost(args []string) error {
	host := ""
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			p := filepath.Join(filepath.Dir(exe), hostName)
			if _, err := os.Stat(p); err == nil {
				host = p
			}
		}
	}
	if host == "" {
		p, err := exec.LookPath(hostName)
		if err != nil {
			return cli.ErrNoPluginHost
		}
		host = p
	}
	err := syscall.Exec(host, args, os.Environ())
	if errors.Is(err, os.ErrNotExist) {
		return cli.ErrNoPluginHost
	}
	return fmt.Errorf("exec %s: %w", host, err)
}
