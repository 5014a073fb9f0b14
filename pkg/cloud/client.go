package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// DefaultUserAgent is sent when Client.UserAgent is empty.
const DefaultUserAgent = "dbos-cloud-go"

// maxBody bounds every response body read from the API.
const maxBody = 1 << 20

// defaultHTTP is used when a Client has no HTTP client: the standard transport with an
// overall timeout, so a silent server cannot hang a command.
var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// Client calls the /v1alpha1 API of one DBOS Cloud host. BaseURL and Token are
// required.
type Client struct {
	// HTTP sends the requests; its Timeout applies. Nil: a client with a 30 s timeout.
	HTTP *http.Client
	// BaseURL is Target.APIURL: scheme and host, without /v1alpha1.
	BaseURL string
	// UserAgent names this tool and version; DefaultUserAgent when empty.
	UserAgent string
	// Token returns the bearer token for a request; it is called once per request.
	Token func(ctx context.Context) (secret.Token, error)
}

// call is one request to the API.
type call struct {
	method  string
	segs    []string       // path segments after /v1alpha1, escaped here
	body    any            // JSON-encoded when non-nil
	secrets []secret.Token // secrets in the body, scrubbed from errors
}

// do sends c and returns the bounded body of a 2xx reply. Any other reply is an
// *APIError; a transport failure matches ErrUnavailable, or is ctx's error once ctx
// has ended.
func (cl *Client) do(ctx context.Context, c call) ([]byte, error) {
	req, bearer, err := cl.newRequest(ctx, c)
	if err != nil {
		return nil, err
	}
	sent := append([]secret.Token{bearer}, c.secrets...)

	hc := cl.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, secret.Scrub(err.Error(), sent...))
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, fmt.Errorf("%w: reading reply: %s", ErrUnavailable,
			secret.Scrub(err.Error(), sent...))
	case len(body) > maxBody:
		return nil, fmt.Errorf("reply exceeds %d bytes", maxBody)
	case resp.StatusCode/100 != 2:
		return nil, decodeAPIError(resp.StatusCode, body, sent...)
	}
	return body, nil
}

// newRequest builds the request of c with its headers, and returns the bearer token
// put in it.
func (cl *Client) newRequest(ctx context.Context, c call) (*http.Request, secret.Token, error) {
	var none secret.Token
	u, err := cl.endpoint(c.segs)
	if err != nil {
		return nil, none, err
	}
	var body io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return nil, none, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	if cl.Token == nil {
		return nil, none, errors.New("no access token source configured")
	}
	bearer, err := cl.Token(ctx)
	if err != nil {
		return nil, none, fmt.Errorf("get access token: %w", err)
	}

	req, err := http.NewRequestWithContext(ctx, c.method, u, body)
	if err != nil {
		return nil, none, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer.Reveal())
	// The official CLI sends this on every request, bodiless ones included.
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	ua := cl.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("User-Agent", ua)
	return req, bearer, nil
}

// endpoint returns BaseURL/v1alpha1/<segs...>, each segment escaped. Empty, "." and
// ".." segments are refused: a server would clean them into another route.
func (cl *Client) endpoint(segs []string) (string, error) {
	if cl.BaseURL == "" {
		return "", errors.New("no API URL configured")
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(cl.BaseURL, "/"))
	b.WriteString("/v1alpha1")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("bad path segment %q", s)
		}
		b.WriteString("/" + url.PathEscape(s))
	}
	return b.String(), nil
}
