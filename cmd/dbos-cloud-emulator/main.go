// Command dbos-cloud-emulator runs a local stand-in for DBOS Cloud and its login
// service, for development, demos and tests. It is a development tool, not a
// service. See package internal/emulator for what it serves.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/dbos-go/dbos-cloud/internal/emulator"
)

func main() {
	cfg := emulator.DefaultConfig()
	fs := flag.NewFlagSet("dbos-cloud-emulator", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: dbos-cloud-emulator [flags]

A local stand-in for DBOS Cloud and its login service (OAuth device flow, the
/v1alpha1 account and organization API). It is a DEVELOPMENT TOOL, NOT A SERVICE:
it has no passwords, and anyone who reaches it can log in as anyone.

Flags (one or two dashes):
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "`host:port` to listen on (port 0 picks one)")
	fs.StringVar(&cfg.DataDir, "data", "",
		"`directory` for the SQLite database; omitted keeps state in memory")
	fs.DurationVar(&cfg.AccessTokenTTL, "access-token-ttl", cfg.AccessTokenTTL,
		"access token lifetime")
	fs.DurationVar(&cfg.RefreshLifetime, "refresh-token-lifetime", cfg.RefreshLifetime,
		"absolute refresh token lifetime")
	fs.DurationVar(&cfg.RefreshIdle, "refresh-token-idle", cfg.RefreshIdle,
		"refresh token lifetime when unused")
	fs.BoolVar(&cfg.RotateRefreshTokens, "rotate-refresh-tokens", false,
		"return a new refresh token on every refresh; reuse revokes the family")
	fs.DurationVar(&cfg.RefreshReuseInterval, "refresh-reuse-interval", 0,
		"with rotation: how long the previous refresh token may still be exchanged\n"+
			"(Auth0's reuse interval); 0 makes any reuse revoke the family")
	fs.DurationVar(&cfg.DeviceInterval, "device-interval", cfg.DeviceInterval,
		"device flow polling interval (whole seconds)")
	fs.DurationVar(&cfg.DeviceCodeTTL, "device-code-ttl", cfg.DeviceCodeTTL, "device code lifetime")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate `file`; with --tls-key, serve HTTPS")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key `file` for --tls-cert")
	fs.StringVar(&cfg.ApproveAs, "approve-as", "", "approve every device login as this `identity`")
	fs.StringVar(&cfg.TrustIssuer, "trust-issuer", "",
		"also accept access tokens of this OIDC issuer `URL` (via its discovery and JWKS)")
	fs.BoolVar(&cfg.TestAPI, "test-api", false, "serve the /emulator/ test endpoints")
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() > 0 {
		fs.Usage()
		os.Exit(2)
	}

	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg.Stdout = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := emulator.Run(ctx, cfg); err != nil {
		cfg.Logger.Error("dbos-cloud-emulator failed", "err", err)
		os.Exit(1)
	}
}
