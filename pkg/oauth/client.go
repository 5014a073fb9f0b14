package oauth

import (
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

// maxBody bounds every response body read from the login service.
const maxBody = 1 << 20

// defaultHTTP is used when a Client or Verifier has no HTTP client: the standard
// transport with an overall timeout, so a silent server cannot hang a command.
var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// Client talks to one login service as one public client. The zero value is not
// usable: Endpoints and ClientID are required.
type Client struct {
	// HTTP sends the requests; its Timeout and Transport apply. Nil means a client
	// with a 30 s timeout.
	HTTP *http.Client
	// Endpoints of the login service, from Discover or Auth0Endpoints.
	Endpoints Endpoints
	// ClientID identifies this public client; no secret goes with it.
	ClientID string
	// Audience is the API the access tokens are for; sent with the device request.
	Audience string
	// UserAgent names this tool and version; DefaultUserAgent when empty.
	UserAgent string

	// now and sleep are the clock of the device poll; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// Token is a successful reply of the token endpoint.
type Token struct {
	// AccessToken is the bearer token for the API.
	AccessToken secret.Token
	// RefreshToken is set by a login with offline_access, and by Refresh only when
	// the server rotated the token (the new one replaces the one sent).
	RefreshToken secret.Token
	// TokenType is normally "Bearer".
	TokenType string
	// Scope is the granted scope, if the server said.
	Scope string
	// ExpiresIn is the lifetime the server gave; zero if it gave none.
	ExpiresIn time.Duration
	// Expiry is when the access token expires: the reply's time plus ExpiresIn, or
	// the token's own exp claim when the server gave no lifetime; zero if neither.
	Expiry time.Time
}

// Refresh exchanges a refresh token for a new access token (RFC 6749 §6). A refused
// token gives an error matching ErrInvalidGrant; an unreachable or failing service
// (network, 5xx, 429) one matching ErrUnavailable.
func (c *Client) Refresh(ctx context.Context, refresh secret.Token) (*Token, error) {
	if refresh.IsZero() {
		return nil, fmt.Errorf("refresh access token: %w: empty refresh token", ErrInvalidGrant)
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {c.ClientID},
		"refresh_token": {refresh.Reveal()},
	}
	status, body, err := c.postForm(ctx, c.Endpoints.Token, form, refresh)
	if err != nil {
		return nil, fmt.Errorf("refresh access token: %w", err)
	}
	if status/100 != 2 {
		return nil, fmt.Errorf("refresh access token: %w", decodeError(status, body, refresh))
	}

	tok, err := c.decodeToken(body)
	if err != nil {
		return nil, fmt.Errorf("refresh access token: %w", err)
	}
	// A server that echoes the same refresh token has not rotated it.
	if tok.RefreshToken.Equal(refresh) {
		tok.RefreshToken = secret.Token{}
	}
	return tok, nil
}

// Revoke asks the login service to revoke a token (RFC 7009), form-encoded with the
// client id and no secret. Servers answer 200 for a token they do not know, so a nil
// error does not prove the token was valid.
func (c *Client) Revoke(ctx context.Context, token secret.Token) error {
	if token.IsZero() {
		return errors.New("revoke token: empty token")
	}
	if c.Endpoints.Revocation == "" {
		return errors.New("revoke token: the login service has no revocation endpoint")
	}
	form := url.Values{"token": {token.Reveal()}, "client_id": {c.ClientID}}
	status, body, err := c.postForm(ctx, c.Endpoints.Revocation, form, token)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if status/100 != 2 {
		return fmt.Errorf("revoke token: %w", decodeError(status, body, token))
	}
	return nil
}

// tokenWire is the token endpoint's JSON reply (RFC 6749 §5.1).
type tokenWire struct {
	AccessToken  string      `json:"access_token"`
	RefreshToken string      `json:"refresh_token"`
	TokenType    string      `json:"token_type"`
	Scope        string      `json:"scope"`
	ExpiresIn    json.Number `json:"expires_in"`
}

// decodeToken reads a successful token reply. Decoding errors never quote the body.
func (c *Client) decodeToken(body []byte) (*Token, error) {
	var w tokenWire
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, errors.New("token reply is not a JSON object")
	}
	if w.AccessToken == "" {
		return nil, errors.New("token reply has no access_token")
	}

	tok := &Token{
		AccessToken:  secret.New(w.AccessToken),
		RefreshToken: secret.New(w.RefreshToken),
		TokenType:    w.TokenType,
		Scope:        w.Scope,
		ExpiresIn:    seconds(w.ExpiresIn),
	}
	if tok.ExpiresIn > 0 {
		tok.Expiry = c.clock().Add(tok.ExpiresIn)
	} else if cl, err := ParseUnverified(tok.AccessToken); err == nil {
		tok.Expiry = cl.ExpiresAt
	}
	return tok, nil
}

// seconds reads a JSON number of seconds (some servers send a string or a fraction);
// anything unusable or negative is zero.
func seconds(n json.Number) time.Duration {
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 1e9 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// postForm sends a form-encoded POST and returns the status and the bounded body.
// Transport failures match ErrUnavailable, or are the context's error when it ended.
// sent lists secrets in the form, kept out of any error text.
func (c *Client) postForm(ctx context.Context, endpoint string, form url.Values,
	sent ...secret.Token) (int, []byte, error) {
	if endpoint == "" {
		return 0, nil, errors.New("no endpoint configured")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint,
		strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, fmt.Errorf("bad endpoint URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent(c.UserAgent))

	return do(ctx, httpClient(c.HTTP), req, sent...)
}

// do sends req and reads at most maxBody bytes of the reply.
func do(ctx context.Context, hc *http.Client, req *http.Request,
	sent ...secret.Token) (int, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		// A *url.Error names the method and URL, never the form; scrub anyway in
		// case a token was put in a URL by a caller.
		return 0, nil, fmt.Errorf("%w: %s", ErrUnavailable, secret.Scrub(err.Error(), sent...))
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, fmt.Errorf("%w: reading reply: %s", ErrUnavailable,
			secret.Scrub(err.Error(), sent...))
	}
	if len(body) > maxBody {
		return 0, nil, fmt.Errorf("reply from %s exceeds %d bytes", req.URL.Redacted(), maxBody)
	}
	return resp.StatusCode, body, nil
}

func httpClient(hc *http.Client) *http.Client {
	if hc == nil {
		return defaultHTTP
	}
	return hc
}

func userAgent(ua string) string {
	if ua == "" {
		return DefaultUserAgent
	}
	return ua
}

func (c *Client) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}
