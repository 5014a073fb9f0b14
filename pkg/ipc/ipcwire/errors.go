package ipcwire

import "errors"

// Sentinels that callers branch on with errors.Is. The first group is returned by the
// listener and the client on this side of the socket; the second group is carried over
// the socket as ErrorBody codes and comes back as *Error, which matches them.
var (
	// ErrUnsafeDir: the socket's directory is writable or readable by others, is owned
	// by another user, or is not a plain directory.
	ErrUnsafeDir = errors.New("unsafe socket directory")
	// ErrAlreadyRunning: another daemon holds the lock or answers on the socket.
	ErrAlreadyRunning = errors.New("dbos-credd is already running")
	// ErrDaemonUnavailable: nothing answers on the socket (not started, or crashed).
	ErrDaemonUnavailable = errors.New("dbos-credd is not running")

	ErrAccountNotFound    = errors.New("account not found")
	ErrLoginRequired      = errors.New("login required")
	ErrIDPUnavailable     = errors.New("login service unavailable")
	ErrKeyringUnavailable = errors.New("keyring unavailable")
	// ErrPeerRejected: the other end of the socket runs as another user. The server
	// sends it as CodePeerRejected; the client also returns it when the daemon it
	// reached is not running as the caller's own user.
	ErrPeerRejected = errors.New("peer rejected")
	ErrBadRequest   = errors.New("bad request")
	// ErrInternal: the daemon failed in a way it does not explain over the socket;
	// its log has the cause.
	ErrInternal = errors.New("internal daemon error")
)

// codeInfo ties a wire code to its HTTP status and sentinel. One table, so that the
// server's statuses and the client's mapping cannot drift apart.
var codeInfo = map[string]struct {
	status   int
	sentinel error
}{
	CodeAccountNotFound:    {404, ErrAccountNotFound},
	CodeLoginRequired:      {401, ErrLoginRequired},
	CodeIDPUnavailable:     {503, ErrIDPUnavailable},
	CodeKeyringUnavailable: {503, ErrKeyringUnavailable},
	CodePeerRejected:       {403, ErrPeerRejected},
	CodeBadRequest:         {400, ErrBadRequest},
	CodeInternal:           {500, ErrInternal},
}

// Error is an error with a stable wire code. The daemon returns it from Service
// methods to choose the response; the client returns it for every error response.
// errors.Is(err, ErrLoginRequired) and friends work on it through Is.
type Error struct {
	// Code is one of the Code constants.
	Code string
	// Message is shown to the user: it names the fix and never holds a secret.
	Message string
	// Status is the HTTP status; zero means the code's usual status.
	Status int
}

// NewError returns an *Error with the code's usual HTTP status.
func NewError(code, msg string) *Error {
	return &Error{Code: code, Message: msg, Status: StatusForCode(code)}
}

// Error returns the message, or the code when there is no message.
func (e *Error) Error() string {
	if e.Message == "" {
		return "daemon error: " + e.Code
	}
	return e.Message
}

// Is reports whether target is the sentinel for e's code.
func (e *Error) Is(target error) bool {
	info, ok := codeInfo[e.Code]
	return ok && info.sentinel == target
}

// HTTPStatus returns e.Status, or the code's usual status when it is zero.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return StatusForCode(e.Code)
}

// StatusForCode returns the HTTP status used for a wire code; unknown codes are 500.
func StatusForCode(code string) int {
	if info, ok := codeInfo[code]; ok {
		return info.status
	}
	return 500
}

// KnownCode reports whether code is one of the Code constants.
func KnownCode(code string) bool {
	_, ok := codeInfo[code]
	return ok
}
