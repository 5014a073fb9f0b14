package ipc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

// DefaultClientTimeout bounds one call, including a refresh the daemon may have to
// make at the login service before it can answer.
const DefaultClientTimeout = ipcwire.DefaultClientTimeout

// DefaultAutostartWait bounds how long a client waits for a daemon it started.
const DefaultAutostartWait = ipcwire.DefaultAutostartWait

// AutostartOptions say how a client starts the daemon when nothing answers (see
// ipcwire.AutostartOptions).
type AutostartOptions = ipcwire.AutostartOptions

// ClientOptions configure a Client (see ipcwire.ClientOptions).
type ClientOptions = ipcwire.ClientOptions

// Client talks to the daemon over its socket. It is safe for concurrent use and
// keeps connections open between calls. The socket path, the peer check and
// autostart are ipcwire's; this client adds net/http's connection reuse and every
// route.
type Client struct {
	opts ClientOptions
	wire *ipcwire.Client
	http *http.Client
}

// NewClient returns a client; it does not connect until the first call.
func NewClient(opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultClientTimeout
	}
	c := &Client{opts: opts, wire: ipcwire.NewClient(opts)}
	c.http = &http.Client{Transport: &http.Transport{
		DialContext:         c.dial,
		Proxy:               nil, // a proxy from the environment must never see this traffic
		DisableCompression:  true,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
	}}
	return c
}

// Path returns the socket path the client uses.
func (c *Client) Path() (string, error) { return c.wire.Path() }

// Close drops the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Token asks for an access token.
func (c *Client) Token(ctx context.Context, req TokenRequest) (TokenResponse, error) {
	var resp TokenResponse
	err := c.call(ctx, http.MethodPost, PathToken, req, &resp)
	return resp, err
}

// Accounts lists the daemon's accounts.
func (c *Client) Accounts(ctx context.Context) (AccountList, error) {
	var list AccountList
	err := c.call(ctx, http.MethodGet, PathAccounts, nil, &list)
	return list, err
}

// Store stores an account after a login, replacing any account of that name.
func (c *Client) Store(ctx context.Context, req StoreRequest) (Account, error) {
	var acct Account
	if !ValidAccountName(req.Name) {
		return acct, badAccountName(req.Name)
	}
	err := c.call(ctx, http.MethodPut, PathAccountPrefix+req.Name, req, &acct)
	return acct, err
}

// Update changes an account's user or organization name.
func (c *Client) Update(ctx context.Context, name string, upd AccountUpdate) (Account, error) {
	var acct Account
	if !ValidAccountName(name) {
		return acct, badAccountName(name)
	}
	err := c.call(ctx, http.MethodPatch, PathAccountPrefix+name, upd, &acct)
	return acct, err
}

// Forget removes an account, revoking its refresh token at the login service first
// when revoke is true.
func (c *Client) Forget(ctx context.Context, name string, revoke bool) (ForgetResponse, error) {
	var resp ForgetResponse
	if !ValidAccountName(name) {
		return resp, badAccountName(name)
	}
	path := PathAccountPrefix + name
	if revoke {
		path += "?revoke=true"
	}
	err := c.call(ctx, http.MethodDelete, path, nil, &resp)
	return resp, err
}

// DropCache drops the account's cached access token; the login stays.
func (c *Client) DropCache(ctx context.Context, name string) error {
	if !ValidAccountName(name) {
		return badAccountName(name)
	}
	return c.call(ctx, http.MethodDelete, PathAccountPrefix+name+PathCacheSuffix, nil, nil)
}

// Status returns the daemon's status and counters.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.call(ctx, http.MethodGet, PathStatus, nil, &st)
	return st, err
}

// KeyringCheck asks the daemon to prove its keyring is writable.
func (c *Client) KeyringCheck(ctx context.Context) (KeyringStatus, error) {
	var st KeyringStatus
	err := c.call(ctx, http.MethodPost, PathKeyringCheck, nil, &st)
	return st, err
}

// Unlock hands the daemon its keyring password.
func (c *Client) Unlock(ctx context.Context, req UnlockRequest) (KeyringStatus, error) {
	var st KeyringStatus
	err := c.call(ctx, http.MethodPost, PathKeyringUnlock, req, &st)
	return st, err
}

// call makes one request, and when the daemon is not running and autostart is on,
// starts it and makes the request once more.
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode %s %s request: %w", method, path, err)
		}
	}

	return c.wire.WithAutostart(ctx, func() error {
		return c.do(ctx, method, path, body, out)
	})
}

// do makes one request within the per-call timeout and decodes the answer.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	sock, err := c.Path()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()

	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The host is a placeholder: the transport dials the socket whatever it says.
	req, err := http.NewRequestWithContext(ctx, method, "http://dbos-credd"+path, rd)
	if err != nil {
		return fmt.Errorf("build %s %s request: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(ctx, method, path, sock, err)
	}
	defer resp.Body.Close()
	return decodeResponse(resp, out)
}

// transportError explains a request that got no HTTP answer.
func (c *Client) transportError(ctx context.Context, method, path, sock string, err error) error {
	var unavailable *ipcwire.UnavailableError
	if errors.As(err, &unavailable) {
		return unavailable
	}
	if errors.Is(err, ErrPeerRejected) {
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%s %s: dbos-credd at %s did not answer within %s: %w",
			method, path, sock, c.opts.Timeout, context.DeadlineExceeded)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s %s via %s: %w", method, path, sock, err)
}

// decodeResponse decodes a success body into out, or an ErrorBody into *Error.
func decodeResponse(resp *http.Response, out any) error {
	lr := io.LimitReader(resp.Body, ipcwire.MaxResponseBytes)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil || resp.StatusCode == http.StatusNoContent {
			_, _ = io.Copy(io.Discard, lr)
			return nil
		}
		if err := json.NewDecoder(lr).Decode(out); err != nil {
			return fmt.Errorf("decode dbos-credd response: %w", err)
		}
		return nil
	}

	data, _ := io.ReadAll(io.LimitReader(lr, DefaultMaxBodyBytes))
	return ipcwire.ErrorFromBody(resp.StatusCode, http.StatusText(resp.StatusCode), data)
}

// dial connects to the socket through ipcwire.Dial, which checks that the daemon
// runs as our own user before any request is written.
func (c *Client) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	sock, err := c.Path()
	if err != nil {
		return nil, err
	}
	return ipcwire.Dial(ctx, sock)
}
