// Command dbos-cloud-host is dbos-cloud with plugin support: the dbos-cloud
// binary executes it, with the same arguments, for any command line whose first word
// is not a built-in command (the organization commands, help). Keeping go-plugin and
// gRPC out of dbos-cloud itself keeps `dbos-cloud token` fast. Install it next to
// dbos-cloud under this name.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/dbos-go/dbos-cloud/internal/cli"
	"github.com/dbos-go/dbos-cloud/internal/version"
)

func main() {
	// The handler is left in place: the process exits right after, and removing it
	// waits for the signal loop to go idle, which cost every command 0.08 ms here.
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args, cli.Deps{Version: version.String(), PluginCommands: pluginCommands})
	os.Exit(code)
}
