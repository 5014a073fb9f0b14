package plugin_test

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/urfave/cli/v2"
	"google.golang.org/grpc"

	"github.com/dbos-go/dbos-cloud/internal/plugintest"
	"github.com/dbos-go/dbos-cloud/pkg/plugin"
)

type rawGRPC struct {
	goplugin.NetRPCUnsupportedPlugin
}

func (rawGRPC) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error { return nil }
func (rawGRPC) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return c, nil
}

// BenchmarkBareLaunch is the floor: go-plugin starts the echo plugin, one RPC (the
// health ping), kill. No checksum, no broker.
func BenchmarkBareLaunch(b *testing.B) {
	dir := b.TempDir()
	path := plugintest.Install(b, dir, "echo")
	for b.Loop() {
		c := goplugin.NewClient(&goplugin.ClientConfig{
			HandshakeConfig: plugin.Handshake, Cmd: exec.Command(path),
			Plugins:          goplugin.PluginSet{"commands": rawGRPC{}},
			AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
			Logger:           hclog.NewNullLogger(),
		})
		rpc, err := c.Client()
		if err != nil {
			b.Fatal(err)
		}
		if err := rpc.Ping(); err != nil {
			b.Fatal(err)
		}
		c.Kill()
	}
}

// BenchmarkDescribedRun is a plugin command through the Host with a warm manifest:
// checksum, launch in a private socket dir, broker, one Run with one Output call.
func BenchmarkDescribedRun(b *testing.B) {
	dir := b.TempDir()
	plugintest.Install(b, dir, "echo")
	h := &plugin.Host{Dirs: []string{dir}, ManifestPath: filepath.Join(b.TempDir(), "m.json"),
		Services: &fakeServices{}, Stdout: io.Discard, Stderr: io.Discard}
	cmds, err := h.Commands(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	app := newBenchApp(cmds)
	for b.Loop() {
		if err := app.Run([]string{"dbos-cloud", "echo", "say", "x"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommandsWarm is what every CLI start pays: discovery plus the manifest.
func BenchmarkCommandsWarm(b *testing.B) {
	dir := b.TempDir()
	plugintest.Install(b, dir, "echo")
	h := &plugin.Host{Dirs: []string{dir}, ManifestPath: filepath.Join(b.TempDir(), "m.json")}
	if _, err := h.Commands(context.Background()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := h.Commands(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func newBenchApp(cmds []*cli.Command) *cli.App {
	return &cli.App{Name: "dbos-cloud", Commands: cmds, Writer: io.Discard,
		ErrWriter: io.Discard, ExitErrHandler: func(*cli.Context, error) {}}
}
