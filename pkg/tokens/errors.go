package tokens

import "errors"

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrNotFound: no account or stored record of that name.
	ErrNotFound = errors.New("account not found")
	// ErrLoginRequired: the account holds no usable credential (never logged in,
	// refresh token refused with invalid_grant, or an access-only login expired).
	// Refresher implementations return an error wrapping it for invalid_grant.
	ErrLoginRequired = errors.New("login required")
	// ErrUnavailable: the login service could not be reached or failed (network
	// errors, 5xx); retried with backoff.
	ErrUnavailable = errors.New("login service unavailable")
	// ErrKeyringLocked: the keyring needs a password (or an unlock) first. Retryable.
	ErrKeyringLocked = errors.New("keyring locked")
	// ErrKeyringUnavailable: the keyring could not be opened or did not answer in
	// time. Retryable; nothing is ever deleted because of it.
	ErrKeyringUnavailable = errors.New("keyring unavailable")
	// ErrRecordDamaged: a stored item exists but holds no readable record (cut short
	// by a crash, or not written by this module). It is reported and left in place;
	// a new login replaces it, and forgetting the account removes it.
	ErrRecordDamaged = errors.New("keyring item damaged")
	// ErrInvalid: a request is malformed (bad account name, missing endpoints).
	ErrInvalid = errors.New("invalid request")
	// ErrClosed: the manager is shutting down.
	ErrClosed = errors.New("token manager closed")
)
