package ipcwire

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// DefaultClientTimeout bounds one call, including a refresh the daemon may have to
// make at the login service before it can answer.
const DefaultClientTimeout = 30 * time.Second

// ClientOptions configure a Client (and pkg/ipc's Client, which shares them).
type ClientOptions struct {
	// Path is the socket; empty means DefaultSocketPath, resolved at the first call.
	Path string
	// Timeout bounds each call; zero means DefaultClientTimeout.
	Timeout time.Duration
	// Autostart, when set, starts the daemon if nothing answers on the socket.
	Autostart *AutostartOptions
	// AutostartFunc, used when Autostart is nil, is called the first time nothing
	// answers (at most once) and says how to start the daemon; nil options mean do
	// not start it. It lets a one-shot client skip reading its configuration while
	// the daemon runs. Its error is returned by the call that needed it.
	AutostartFunc func() (*AutostartOptions, error)
}

// Client speaks to the daemon over its socket with a hand-written HTTP/1.1
// exchange and blocking system calls: one connection per call, closed after the
// answer. It offers only the
// calls a one-shot client needs; pkg/ipc's Client has them all. It is safe for
// concurrent use.
type Client struct {
	opts ClientOptions

	pathOnce sync.Once
	path     string
	pathErr  error

	startMu sync.Mutex // one autostart at a time

	autoOnce sync.Once
	auto     *AutostartOptions // resolved from Autostart or AutostartFunc
	autoErr  error
}

// NewClient returns a client; it does not connect until the first call.
func NewClient(opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultClientTimeout
	}
	return &Client{opts: opts}
}

// Path returns the socket path the client uses.
func (c *Client) Path() (string, error) {
	c.pathOnce.Do(func() {
		c.path = c.opts.Path
		if c.path == "" {
			c.path, c.pathErr = DefaultSocketPath()
		}
	})
	return c.path, c.pathErr
}

// Token asks for an access token. The request and the answer of the usual shape
// are encoded by hand (fastjson.go), the rest with encoding/json.
func (c *Client) Token(ctx context.Context, req TokenRequest) (TokenResponse, error) {
	var resp TokenResponse
	body, ok := AppendTokenRequest(nil, &req)
	if !ok {
		var err error
		if body, err = json.Marshal(req); err != nil {
			return resp, fmt.Errorf("encode token request: %w", err)
		}
	}
	err := c.call(ctx, "POST", PathToken, body, func(data []byte) error {
		if resp, ok = ParseTokenResponse(data); ok {
			return nil
		}
		return json.Unmarshal(data, &resp)
	})
	return resp, err
}

// Accounts lists the daemon's accounts.
func (c *Client) Accounts(ctx context.Context) (AccountList, error) {
	var list AccountList
	err := c.call(ctx, "GET", PathAccounts, nil, func(data []byte) error {
		return json.Unmarshal(data, &list)
	})
	return list, err
}

// DropCache drops the account's cached access token; the login stays.
func (c *Client) DropCache(ctx context.Context, name string) error {
	if !ValidAccountName(name) {
		return NewError(CodeBadRequest, "invalid account name "+strconv.Quote(name))
	}
	return c.call(ctx, "DELETE", PathAccountPrefix+name+PathCacheSuffix, nil, nil)
}

// call makes one request, starting the daemon first if it is down and the options
// say so, and hands a success body to decode (nil: discard it).
func (c *Client) call(ctx context.Context, method, path string, body []byte,
	decode func([]byte) error) error {
	return c.WithAutostart(ctx, func() error {
		resp, err := c.roundTrip(ctx, method, path, body)
		if err != nil {
			return err
		}
		if resp.Status < 200 || resp.Status > 299 {
			return ErrorFromBody(resp.Status, resp.Reason, resp.Body)
		}
		if decode == nil || resp.Status == 204 {
			return nil
		}
		if err := decode(resp.Body); err != nil {
			return fmt.Errorf("decode dbos-credd answer to %s %s: %w", method, path, err)
		}
		return nil
	})
}

// roundTrip writes one request on a new connection and reads the answer, within
// the per-call timeout and ctx.
func (c *Client) roundTrip(ctx context.Context, method, path string, body []byte) (*Response, error) {
	sock, err := c.Path()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	conn, err := dialSock(sock, time.Until(deadline))
	if err != nil {
		return nil, c.wrap(ctx, method, path, sock, err)
	}
	defer conn.Close()
	// A cancelled ctx interrupts a blocked read at once, without a goroutine per call.
	stop := context.AfterFunc(ctx, conn.Shutdown)
	defer stop()

	if _, err := conn.Write(appendRequest(nil, method, path, body)); err != nil {
		return nil, c.wrap(ctx, method, path, sock, err)
	}
	resp, err := ReadResponse(bufio.NewReaderSize(conn, 4096), MaxResponseBytes)
	if err != nil {
		return nil, c.wrap(ctx, method, path, sock, err)
	}
	return resp, nil
}

// appendRequest appends an HTTP/1.1 request. The host is a placeholder: the daemon
// accepts any. Connection: close, because this client makes one call per
// connection and the daemon should not hold it open.
func appendRequest(b []byte, method, path string, body []byte) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: dbos-credd\r\nConnection: close\r\n"...)
	if body != nil || method == "POST" || method == "PUT" || method == "PATCH" {
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

// wrap explains a call that got no answer. Errors that already say what went wrong
// (daemon down, wrong user) pass unchanged.
func (c *Client) wrap(ctx context.Context, method, path, sock string, err error) error {
	if errors.Is(err, ErrDaemonUnavailable) || errors.Is(err, ErrPeerRejected) {
		return err
	}
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("%s %s via %s: %w", method, path, sock, ctx.Err())
	case ctx.Err() != nil, errors.As(err, &ne) && ne.Timeout():
		// The only deadline on the connection is ctx's; it may fire just before
		// ctx itself says so.
		return fmt.Errorf("%s %s: dbos-credd at %s did not answer within %s: %w",
			method, path, sock, c.opts.Timeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("%s %s via %s: %w", method, path, sock, err)
}
