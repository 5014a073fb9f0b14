// Command dbos-credd is the per-user daemon that keeps DBOS Cloud refresh tokens in
// the keyring and hands out short-lived access tokens over a Unix socket.
//
// It always runs in the foreground: it never forks or detaches. Detaching is the job
// of whoever starts it: the CLI's autostart starts it as a detached child, systemd
// (dist/systemd) supervises it and may hand it the socket, and a user can run it in a
// terminal. --foreground is accepted for clarity and scripts. This file holds flags,
// signals and wiring only; the daemon is internal/daemon.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/dbos-go/dbos-cloud/internal/daemon"
	"github.com/dbos-go/dbos-cloud/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dbos-credd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "config file (default $DBOS_CONFIG or $XDG_CONFIG_HOME/dbos-cloud/config.toml)")
	socket := fs.String("socket", "", "socket path (default $DBOS_CREDD_SOCKET or $XDG_RUNTIME_DIR/dbos-cloud/credd.sock)")
	_ = fs.Bool("foreground", true, "run in the foreground (the only mode; detaching is left to the caller)")
	level := fs.String("log-level", "", "log level: debug, info, warn or error (overrides the config)")
	format := fs.String("log-format", "text", "log format: text or json")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dbos-credd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "dbos-credd", version.String())
		return 0
	}

	lv := new(slog.LevelVar)
	hopts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch *format {
	case "text":
		h = slog.NewTextHandler(stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(stderr, hopts)
	default:
		fmt.Fprintf(stderr, "dbos-credd: --log-format %q: want text or json\n", *format)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)

	err := daemon.Run(ctx, daemon.Options{ConfigPath: *configPath, Socket: *socket, LogLevel: *level,
		Level: lv, Log: slog.New(h), Version: version.String(), Reload: hup})
	if err != nil {
		fmt.Fprintf(stderr, "dbos-credd: %v\n", err)
		return 1
	}
	return 0
}
