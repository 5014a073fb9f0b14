// Command barehost launches one go-plugin plugin (path in argv[1]) over gRPC with the
// project's handshake, pings it once and kills it: the floor under any plugin
// command, for the benchmark report. No checksum, no broker, no manifest.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/dbos-go/dbos-cloud/pkg/plugin"
)

// conn hands back the raw gRPC connection; the ping is all this program needs.
type conn struct {
	goplugin.NetRPCUnsupportedPlugin
}

func (conn) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error { return nil }
func (conn) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return c, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: barehost PLUGIN-BINARY")
		os.Exit(2)
	}
	c := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake,
		Cmd:              exec.Command(os.Args[1]),
		Plugins:          goplugin.PluginSet{"commands": conn{}},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.NewNullLogger(),
	})
	defer c.Kill()
	rpc, err := c.Client()
	if err == nil {
		err = rpc.Ping()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "barehost:", err)
		c.Kill()
		os.Exit(1)
	}
}
