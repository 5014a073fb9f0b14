package plugin

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Provider is what a plugin implements.
type Provider interface {
	// Describe returns the command tree. It must not depend on the account or on the
	// network: the host caches the answer until the binary changes.
	Describe(ctx context.Context) (*pluginpb.Description, error)

	// Run runs the leaf command inv.Path. A nil error means exit code 0; an
	// *ExitError chooses the exit code and the one-line message; any other error
	// exits 1 with its text.
	Run(ctx context.Context, inv Invocation, host *HostClient) error
}

// Invocation is one command line, as parsed by the host.
type Invocation struct {
	Path    []string          // canonical command names, top-level first
	Args    []string          // positional arguments
	Flags   map[string]string // every flag of the leaf command, in text form
	Account string            // the selected account; empty means the default one
	JSON    bool              // --json was given
}

// String returns the value of a string flag.
func (inv Invocation) String(name string) string { return inv.Flags[name] }

// Bool returns the value of a bool flag; anything unparsable is false.
func (inv Invocation) Bool(name string) bool {
	v, _ := strconv.ParseBool(inv.Flags[name])
	return v
}

// Int returns the value of an int flag; anything unparsable is 0.
func (inv Invocation) Int(name string) int {
	v, _ := strconv.Atoi(inv.Flags[name])
	return v
}

// Duration returns the value of a duration flag; anything unparsable is 0.
func (inv Invocation) Duration(name string) time.Duration {
	v, _ := time.ParseDuration(inv.Flags[name])
	return v
}

// ExitError is a failed run with a chosen exit code and a one-line message that the
// host prints as its own error.
type ExitError struct {
	Code    int
	Message string
}

func (e *ExitError) Error() string { return e.Message }

// TokenInfo is a short-lived access token with the account facts that go with it.
type TokenInfo struct {
	Account      string
	AccessToken  secret.Token
	ExpiresAt    time.Time
	User         string
	Organization string
	APIURL       string // e.g. https://cloud.dbos.dev
}

// HostClient is the plugin's view of the services the host lends it for one run.
type HostClient struct {
	ctx context.Context // the run's context, for the writers

	// The connection to the host's services is made in the background from the start
	// of the run, so that a command whose token came with the request does its own
	// work meanwhile; a call waits for it.
	dialed  chan struct{}
	conn    *grpc.ClientConn
	rpc     pluginpb.HostServicesClient
	dialErr error

	// last is the host's last token answer, handed out again while it stays valid
	// for what a caller asks: a command that reads the account's facts and then makes
	// an API call needs one round trip through the host and dbos-credd, not two.
	mu      sync.Mutex
	last    TokenInfo
	lastFor string // the account asked for; "" (the default) resolves to a name
}

// newHostClient starts dialing the host's services with dial.
func newHostClient(ctx context.Context, dial func() (*grpc.ClientConn, error)) *HostClient {
	h := &HostClient{ctx: ctx, dialed: make(chan struct{})}
	go func() {
		defer close(h.dialed)
		h.conn, h.dialErr = dial()
		if h.dialErr == nil {
			h.rpc = pluginpb.NewHostServicesClient(h.conn)
		}
	}()
	return h
}

// services waits for the connection to the host.
func (h *HostClient) services(ctx context.Context) (pluginpb.HostServicesClient, error) {
	select {
	case <-h.dialed:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if h.dialErr != nil {
		return nil, fmt.Errorf("dial host services: %w", h.dialErr)
	}
	return h.rpc, nil
}

// close ends the connection once the run is over.
func (h *HostClient) close() {
	<-h.dialed
	if h.conn != nil {
		_ = h.conn.Close()
	}
}

// seed takes the token the host sent with the request as its answer for account.
func (h *HostClient) seed(account string, t *pluginpb.TokenResponse) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last, h.lastFor = tokenInfo(t), account
}

// Token asks the host for an access token of account that stays valid for minTTL.
func (h *HostClient) Token(
	ctx context.Context, account string, minTTL time.Duration,
) (TokenInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lastFor == account && time.Until(h.last.ExpiresAt) >= minTTL {
		return h.last, nil
	}

	rpc, err := h.services(ctx)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("get token from host: %w", err)
	}
	resp, err := rpc.Token(ctx, &pluginpb.TokenRequest{
		Account: account, MinTtlMs: minTTL.Milliseconds(),
	})
	if err != nil {
		return TokenInfo{}, fmt.Errorf("get token from host: %w", err)
	}
	h.last, h.lastFor = tokenInfo(resp), account
	return h.last, nil
}

func tokenInfo(t *pluginpb.TokenResponse) TokenInfo {
	return TokenInfo{
		Account:      t.GetAccount(),
		AccessToken:  secret.New(t.GetAccessToken()),
		ExpiresAt:    time.UnixMilli(t.GetExpiresAtUnixMs()),
		User:         t.GetUser(),
		Organization: t.GetOrganization(),
		APIURL:       t.GetApiUrl(),
	}
}

// tokenResponse is the wire form of t.
func tokenResponse(t TokenInfo) *pluginpb.TokenResponse {
	return &pluginpb.TokenResponse{
		AccessToken:     t.AccessToken.Reveal(),
		ExpiresAtUnixMs: t.ExpiresAt.UnixMilli(),
		Account:         t.Account,
		User:            t.User,
		Organization:    t.Organization,
		ApiUrl:          t.APIURL,
	}
}

// SetOrganization tells the host that account now belongs to org, so that the next
// command needs no new login.
func (h *HostClient) SetOrganization(ctx context.Context, account, org string) error {
	rpc, err := h.services(ctx)
	if err == nil {
		_, err = rpc.SetOrganization(ctx, &pluginpb.SetOrganizationRequest{
			Account: account, Organization: org,
		})
	}
	if err != nil {
		return fmt.Errorf("set organization on host: %w", err)
	}

	h.mu.Lock()
	h.last = TokenInfo{} // its organization is stale now
	h.mu.Unlock()
	return nil
}

// Stdout writes to the host's standard output. Use it, not os.Stdout, which belongs
// to go-plugin.
func (h *HostClient) Stdout() io.Writer {
	return &hostWriter{h: h, stream: pluginpb.Stream_STREAM_STDOUT}
}

// Stderr writes to the host's standard error.
func (h *HostClient) Stderr() io.Writer {
	return &hostWriter{h: h, stream: pluginpb.Stream_STREAM_STDERR}
}

type hostWriter struct {
	h      *HostClient
	stream pluginpb.Stream
}

func (w *hostWriter) Write(p []byte) (int, error) {
	rpc, err := w.h.services(w.h.ctx)
	if err != nil {
		return 0, fmt.Errorf("write to host: %w", err)
	}
	for off := 0; off < len(p); off += maxOutputChunk {
		end := min(off+maxOutputChunk, len(p))
		_, err := rpc.Output(w.h.ctx, &pluginpb.OutputRequest{
			Stream: w.stream, Data: p[off:end],
		})
		if err != nil {
			return off, fmt.Errorf("write to host: %w", err)
		}
	}
	return len(p), nil
}

// maxOutputChunk bounds one Output call; the host refuses larger ones.
const maxOutputChunk = 256 << 10

// Serve runs the plugin: it answers the host's handshake and serves p until the host
// closes the connection. Logs go to stderr as JSON, where the host picks them up.
// Call it from main; it does not return when started by a host.
func Serve(p Provider) {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         goplugin.PluginSet{pluginKey: &grpcPlugin{provider: p}},
		GRPCServer:      goplugin.DefaultGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "plugin",
			Output:     os.Stderr,
			Level:      hclog.Debug,
			JSONFormat: true,
		}),
	})
}
