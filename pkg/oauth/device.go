package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// deviceGrantType is the grant_type of a device-code poll (RFC 8628 §3.4).
const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Device-flow timing of RFC 8628: the default poll interval and what slow_down adds.
const (
	defaultInterval = 5 * time.Second
	slowDownStep    = 5 * time.Second
)

// DeviceAuth is a started device login: what the user must see and what the poll
// needs.
type DeviceAuth struct {
	// DeviceCode identifies the login to the token endpoint; a secret.
	DeviceCode secret.Token
	// UserCode is what the user types (or checks) on the verification page.
	UserCode string
	// VerificationURI is the page where the user enters UserCode.
	VerificationURI string
	// VerificationURIComplete carries the code in the URL; empty if not offered.
	VerificationURIComplete string
	// ExpiresIn is the device code's lifetime as the server gave it.
	ExpiresIn time.Duration
	// Interval is the wait between polls: the server's value or 5 s.
	Interval time.Duration
	// Expiry is when the device code expires, by the local clock.
	Expiry time.Time
}

// PollObserver is told, before each wait of the device poll, how long the device code
// has left and how long the wait is, so a caller can show progress.
type PollObserver func(remaining time.Duration, interval time.Duration)

// StartDevice asks the login service for a device code (RFC 8628 §3.1) with the
// client id, the audience and scope (such as "sub" or "offline_access").
func (c *Client) StartDevice(ctx context.Context, scope string) (*DeviceAuth, error) {
	form := url.Values{"client_id": {c.ClientID}}
	if c.Audience != "" {
		form.Set("audience", c.Audience)
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	status, body, err := c.postForm(ctx, c.Endpoints.DeviceAuthorization, form)
	if err != nil {
		return nil, fmt.Errorf("start device login: %w", err)
	}
	if status/100 != 2 {
		return nil, fmt.Errorf("start device login: %w", decodeError(status, body))
	}

	da, err := c.decodeDeviceAuth(body)
	if err != nil {
		return nil, fmt.Errorf("start device login: %w", err)
	}
	return da, nil
}

// decodeDeviceAuth reads the device authorization reply (RFC 8628 §3.2).
func (c *Client) decodeDeviceAuth(body []byte) (*DeviceAuth, error) {
	var w struct {
		DeviceCode              string      `json:"device_code"`
		UserCode                string      `json:"user_code"`
		VerificationURI         string      `json:"verification_uri"`
		VerificationURIComplete string      `json:"verification_uri_complete"`
		ExpiresIn               json.Number `json:"expires_in"`
		Interval                json.Number `json:"interval"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, errors.New("device authorization reply is not a JSON object")
	}
	switch {
	case w.DeviceCode == "":
		return nil, errors.New("device authorization reply has no device_code")
	case w.UserCode == "":
		return nil, errors.New("device authorization reply has no user_code")
	case w.VerificationURI == "" && w.VerificationURIComplete == "":
		return nil, errors.New("device authorization reply has no verification_uri")
	}

	da := &DeviceAuth{
		DeviceCode:              secret.New(w.DeviceCode),
		UserCode:                secret.ServerText(w.UserCode, 64),
		VerificationURI:         w.VerificationURI,
		VerificationURIComplete: w.VerificationURIComplete,
		ExpiresIn:               seconds(w.ExpiresIn),
		Interval:                seconds(w.Interval),
	}
	if da.ExpiresIn <= 0 {
		return nil, errors.New("device authorization reply has no usable expires_in")
	}
	if da.Interval <= 0 {
		da.Interval = defaultInterval
	}
	da.Expiry = c.clock().Add(da.ExpiresIn)
	return da, nil
}

// PollDevice polls the token endpoint until the user approves or refuses the login,
// the device code expires, or ctx ends (RFC 8628 §3.4-3.5). The OAuth error code of
// every failed poll is read, whatever the HTTP status: authorization_pending keeps
// polling, slow_down (or a bare 429) adds 5 s to the interval, access_denied gives
// ErrAccessDenied, expired_token or the local deadline ErrExpiredToken. A poll that
// fails on the network or with a 5xx is retried until the deadline. obs may be nil.
func (c *Client) PollDevice(ctx context.Context, da *DeviceAuth, obs PollObserver) (*Token,
	error) {
	interval := da.Interval
	if interval <= 0 {
		interval = defaultInterval
	}
	form := url.Values{
		"grant_type":  {deviceGrantType},
		"device_code": {da.DeviceCode.Reveal()},
		"client_id":   {c.ClientID},
	}

	for {
		remaining := da.Expiry.Sub(c.clock())
		if remaining <= 0 {
			return nil, fmt.Errorf("device login: %w", ErrExpiredToken)
		}
		wait := min(interval, remaining)
		if obs != nil {
			obs(remaining, wait)
		}
		if err := c.wait(ctx, wait); err != nil {
			return nil, err
		}

		tok, slower, err := c.pollOnce(ctx, form, da.DeviceCode)
		if tok != nil || err != nil {
			return tok, err
		}
		if slower {
			interval += slowDownStep
		}
	}
}

// pollOnce makes one poll. It returns a token, or slower when the server asked for a
// longer interval, or a final error; all zero means "poll again".
func (c *Client) pollOnce(ctx context.Context, form url.Values, code secret.Token) (*Token,
	bool, error) {
	status, body, err := c.postForm(ctx, c.Endpoints.Token, form, code)
	switch {
	case ctx.Err() != nil:
		return nil, false, ctx.Err()
	case errors.Is(err, ErrUnavailable):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("device login: %w", err)
	}

	if status/100 == 2 {
		tok, err := c.decodeToken(body)
		if err != nil {
			return nil, false, fmt.Errorf("device login: %w", err)
		}
		return tok, false, nil
	}

	oerr := decodeError(status, body, code)
	switch {
	case oerr.Code == "authorization_pending":
		return nil, false, nil
	case oerr.Code == "slow_down", oerr.Code == "" && status == http.StatusTooManyRequests:
		return nil, true, nil
	case errors.Is(oerr, ErrUnavailable):
		// server_error, temporarily_unavailable or a bare 5xx: the code may still
		// be approved, so the deadline decides.
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("device login: %w", oerr)
}

// wait sleeps for d or until ctx ends.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
