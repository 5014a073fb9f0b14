package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Sentinels callers branch on, matched with errors.Is against the errors this package
// returns (an *Error maps its OAuth code onto them).
var (
	// ErrInvalidGrant: the refresh token or device code is no longer valid (expired,
	// revoked, or reused after rotation). Only a new login helps.
	ErrInvalidGrant = errors.New("invalid grant")
	// ErrAccessDenied: the user refused the device login.
	ErrAccessDenied = errors.New("access denied")
	// ErrExpiredToken: the device code expired before the user approved it.
	ErrExpiredToken = errors.New("device code expired")
	// ErrUnavailable: the login service could not be reached or failed on its side
	// (network error, timeout, 5xx, or 429 outside the device poll). Retrying later
	// may help; the credential itself is not known to be bad.
	ErrUnavailable = errors.New("login service unavailable")
	// ErrInvalidToken: a JWT failed verification or could not be decoded.
	ErrInvalidToken = errors.New("invalid token")
)

// Error is an OAuth 2.0 error response (RFC 6749 §5.2) or a failed reply without one.
// Code and Description come from the server and are scrubbed of the secrets sent in
// the request, so the error can be logged.
type Error struct {
	// Status is the HTTP status code of the reply.
	Status int
	// Code is the "error" member, such as "invalid_grant"; empty if the body had none.
	Code string
	// Description is the "error_description" member, shortened and scrubbed.
	Description string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oauth error")
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	fmt.Fprintf(&b, " (http %d)", e.Status)
	return b.String()
}

// Is maps the OAuth error code, and failures on the server's side, to the sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalidGrant:
		return e.Code == "invalid_grant"
	case ErrAccessDenied:
		return e.Code == "access_denied"
	case ErrExpiredToken:
		return e.Code == "expired_token"
	case ErrUnavailable:
		return e.Status >= 500 || e.Status == http.StatusTooManyRequests ||
			e.Code == "temporarily_unavailable" || e.Code == "server_error"
	}
	return false
}

// Limits on what the server's words may take in an error message.
const (
	maxCodeLen        = 64
	maxDescriptionLen = 300
)

// decodeError builds the *Error of a failed reply. The body is read only for the
// "error" and "error_description" members; anything else in it, which might echo a
// token, is dropped. sent lists the secrets of the request, scrubbed from both members.
func decodeError(status int, body []byte, sent ...secret.Token) *Error {
	e := &Error{Status: status}
	var wire struct {
		Code        any `json:"error"`
		Description any `json:"error_description"`
	}
	if json.Unmarshal(body, &wire) != nil {
		return e
	}

	// Servers are not always careful about types; only strings are taken.
	if s, ok := wire.Code.(string); ok {
		e.Code = secret.ServerText(s, maxCodeLen, sent...)
	}
	if s, ok := wire.Description.(string); ok {
		e.Description = secret.ServerText(s, maxDescriptionLen, sent...)
	}
	return e
}
