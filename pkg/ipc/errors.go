package ipc

import "github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"

// Sentinels that callers branch on with errors.Is; ipcwire documents each. They
// are the same values as ipcwire's, so either package's name matches.
var (
	ErrUnsafeDir          = ipcwire.ErrUnsafeDir
	ErrAlreadyRunning     = ipcwire.ErrAlreadyRunning
	ErrDaemonUnavailable  = ipcwire.ErrDaemonUnavailable
	ErrAccountNotFound    = ipcwire.ErrAccountNotFound
	ErrLoginRequired      = ipcwire.ErrLoginRequired
	ErrIDPUnavailable     = ipcwire.ErrIDPUnavailable
	ErrKeyringUnavailable = ipcwire.ErrKeyringUnavailable
	ErrPeerRejected       = ipcwire.ErrPeerRejected
	ErrBadRequest         = ipcwire.ErrBadRequest
	ErrInternal           = ipcwire.ErrInternal
)

// Error is an error with a stable wire code (see ipcwire.Error).
type Error = ipcwire.Error

// NewError returns an *Error with the code's usual HTTP status.
func NewError(code, msg string) *Error { return ipcwire.NewError(code, msg) }

// StatusForCode returns the HTTP status used for a wire code; unknown codes are 500.
func StatusForCode(code string) int { return ipcwire.StatusForCode(code) }
