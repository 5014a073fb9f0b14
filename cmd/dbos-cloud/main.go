// Command dbos-cloud logs in to DBOS Cloud, registers users, prints tokens for
// scripts and manages several accounts. Its long-lived secrets are kept by
// dbos-credd; see package internal/cli for the commands and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/dbos-go/dbos-cloud/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args, cli.Deps{Version: version})
	stop()
	os.Exit(code)
}
