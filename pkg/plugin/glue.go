package plugin

import (
	"context"
	"errors"
	"fmt"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

// grpcPlugin is the go-plugin glue: on the plugin side it serves a Provider, on the
// host side it hands out a commandsClient.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin

	provider Provider // nil on the host side
}

func (p *grpcPlugin) GRPCServer(b *goplugin.GRPCBroker, s *grpc.Server) error {
	pluginpb.RegisterCommandsServer(s, &commandsServer{provider: p.provider, broker: b})
	return nil
}

func (p *grpcPlugin) GRPCClient(
	_ context.Context, b *goplugin.GRPCBroker, c *grpc.ClientConn,
) (any, error) {
	return &commandsClient{rpc: pluginpb.NewCommandsClient(c), broker: b}, nil
}

// commandsClient is the host's handle on a started plugin.
type commandsClient struct {
	rpc    pluginpb.CommandsClient
	broker *goplugin.GRPCBroker
}

func (c *commandsClient) describe(ctx context.Context) (*pluginpb.Description, error) {
	return c.rpc.Describe(ctx, &pluginpb.DescribeRequest{})
}

// run lends srv through the broker for the duration of one Run call. The listener is
// opened while the request travels (the plugin's dial waits for it), and accepted here
// rather than with AcceptAndServe, which reports a plugin that died early through the
// global log package, onto the user's terminal.
func (c *commandsClient) run(
	ctx context.Context, req *pluginpb.RunRequest, srv *hostServer,
) (*pluginpb.RunResponse, error) {
	req.HostServices = c.broker.NextId()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	served := make(chan *grpc.Server, 1)
	go func() {
		l, err := c.broker.Accept(req.HostServices)
		if err != nil {
			served <- nil
			cancel(fmt.Errorf("lend host services: %w", err))
			return
		}
		gs := grpc.NewServer()
		pluginpb.RegisterHostServicesServer(gs, srv)
		served <- gs
		_ = gs.Serve(l)
	}()

	resp, err := c.rpc.Run(ctx, req)
	if gs := <-served; gs != nil {
		gs.Stop()
	}
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, ctx.Err()) {
		return nil, cause
	}
	return resp, err
}

// commandsServer runs on the plugin side.
type commandsServer struct {
	pluginpb.UnimplementedCommandsServer

	provider Provider
	broker   *goplugin.GRPCBroker
}

func (s *commandsServer) Describe(
	ctx context.Context, _ *pluginpb.DescribeRequest,
) (*pluginpb.Description, error) {
	return s.provider.Describe(ctx)
}

func (s *commandsServer) Run(
	ctx context.Context, req *pluginpb.RunRequest,
) (*pluginpb.RunResponse, error) {
	host := newHostClient(ctx, func() (*grpc.ClientConn, error) {
		return s.broker.Dial(req.GetHostServices())
	})
	defer host.close()
	inv := Invocation{
		Path:    req.GetCommandPath(),
		Args:    req.GetArgs(),
		Flags:   req.GetFlags(),
		Account: req.GetGlobals().GetAccount(),
		JSON:    req.GetGlobals().GetJson(),
	}
	if t := req.GetToken(); t != nil {
		host.seed(inv.Account, t)
	}
	return runResponse(s.provider.Run(ctx, inv, host)), nil
}

// runResponse turns a Provider's result into the wire form.
func runResponse(err error) *pluginpb.RunResponse {
	if err == nil {
		return &pluginpb.RunResponse{}
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		code := ee.Code
		if code == 0 {
			code = ExitFailure
		}
		return &pluginpb.RunResponse{ExitCode: int32(code), Message: ee.Message}
	}
	return &pluginpb.RunResponse{ExitCode: ExitFailure, Message: err.Error()}
}
