package cloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Sentinels callers branch on, matched with errors.Is.
var (
	// ErrUserNotFound: the login is valid but no DBOS Cloud user is registered for it.
	ErrUserNotFound = errors.New("user not found in DBOS Cloud")
	// ErrUnauthorized: the service refused the bearer token (HTTP 401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnavailable: the service could not be reached or failed on its side
	// (network error, timeout, 5xx).
	ErrUnavailable = errors.New("DBOS Cloud unavailable")
)

// notFoundMarker is the only signal of an unregistered user (CONTRACT.md §3.3).
const notFoundMarker = "user not found in DBOS Cloud"

// APIError is a non-2xx reply of the API. When the body is the service's error object
// ({"message","statusCode","requestID","DetailedError"?}) its members are kept,
// scrubbed of the request's secrets; otherwise Message says which status came back.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Message is the service's message, or "request failed with status N".
	Message string
	// RequestID identifies the request in the service's logs; empty if none.
	RequestID string
	// DetailedError is extra detail some calls send; empty if none.
	DetailedError string
}

// Error implements error: "[requestID] message", without a final period; callers add
// their own label.
func (e *APIError) Error() string {
	if e.RequestID == "" {
		return e.Message
	}
	return "[" + e.RequestID + "] " + e.Message
}

// Is maps the reply to ErrUserNotFound, ErrUnauthorized and ErrUnavailable.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUserNotFound:
		return strings.Contains(e.Message, notFoundMarker)
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrUnavailable:
		return e.Status >= 500
	}
	return false
}

// Limits on the server's words in an error.
const (
	maxMessageLen = 500
	maxIDLen      = 100
)

// decodeAPIError builds the *APIError of a failed reply. As the official CLI does, the
// body counts as the service's error object only if message, statusCode and requestID
// all have the right JSON types. sent lists secrets of the request to scrub.
func decodeAPIError(status int, body []byte, sent ...secret.Token) *APIError {
	e := &APIError{Status: status, Message: fmt.Sprintf("request failed with status %d", status)}
	var w struct {
		Message       *string  `json:"message"`
		StatusCode    *float64 `json:"statusCode"`
		RequestID     *string  `json:"requestID"`
		DetailedError any      `json:"DetailedError"`
	}
	if json.Unmarshal(body, &w) != nil || w.Message == nil || w.StatusCode == nil ||
		w.RequestID == nil {
		return e
	}

	if m := secret.ServerText(*w.Message, maxMessageLen, sent...); m != "" {
		e.Message = m
	}
	e.RequestID = secret.ServerText(*w.RequestID, maxIDLen, sent...)
	if d, ok := w.DetailedError.(string); ok {
		e.DetailedError = secret.ServerText(d, maxMessageLen, sent...)
	}
	return e
}
