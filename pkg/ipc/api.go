package ipc

import (
	"context"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

// The daemon's API lives in ipcwire, which links no net/http, so that a one-shot
// client (git-credential-dbos) can speak it cheaply. These names keep every caller
// of this package working; ipcwire documents each of them.

// Routes of the daemon's HTTP API.
const (
	PathStatus        = ipcwire.PathStatus
	PathToken         = ipcwire.PathToken
	PathAccounts      = ipcwire.PathAccounts
	PathAccountPrefix = ipcwire.PathAccountPrefix
	PathCacheSuffix   = ipcwire.PathCacheSuffix
	PathKeyringCheck  = ipcwire.PathKeyringCheck
	PathKeyringUnlock = ipcwire.PathKeyringUnlock
)

// Stable error codes carried by ErrorBody.Code.
const (
	CodeAccountNotFound    = ipcwire.CodeAccountNotFound
	CodeLoginRequired      = ipcwire.CodeLoginRequired
	CodeIDPUnavailable     = ipcwire.CodeIDPUnavailable
	CodeKeyringUnavailable = ipcwire.CodeKeyringUnavailable
	CodePeerRejected       = ipcwire.CodePeerRejected
	CodeBadRequest         = ipcwire.CodeBadRequest
	CodeInternal           = ipcwire.CodeInternal
)

// Account states reported in Account.State.
const (
	StateOK            = ipcwire.StateOK
	StateLoginRequired = ipcwire.StateLoginRequired
	StateUnsaved       = ipcwire.StateUnsaved
	StateNotLoggedIn   = ipcwire.StateNotLoggedIn
	StateUnreadable    = ipcwire.StateUnreadable
)

// Sources of an account's credential, reported in Account.Source.
const (
	SourceKeyring     = ipcwire.SourceKeyring
	SourceEnvironment = ipcwire.SourceEnvironment
	SourceMemory      = ipcwire.SourceMemory
	SourceConfig      = ipcwire.SourceConfig
)

// Bodies of the API.
type (
	ErrorBody      = ipcwire.ErrorBody
	TokenRequest   = ipcwire.TokenRequest
	TokenResponse  = ipcwire.TokenResponse
	Endpoints      = ipcwire.Endpoints
	Account        = ipcwire.Account
	AccountList    = ipcwire.AccountList
	StoreRequest   = ipcwire.StoreRequest
	AccountUpdate  = ipcwire.AccountUpdate
	ForgetResponse = ipcwire.ForgetResponse
	KeyringStatus  = ipcwire.KeyringStatus
	UnlockRequest  = ipcwire.UnlockRequest
	Counters       = ipcwire.Counters
	Status         = ipcwire.Status
	Peer           = ipcwire.Peer
)

// Service is what the daemon implements and the socket server exposes. Methods
// return *Error (or an error wrapping one) to choose the code; any other error is
// reported as CodeInternal with a generic message.
type Service interface {
	Token(ctx context.Context, peer Peer, req TokenRequest) (TokenResponse, error)
	Accounts(ctx context.Context) (AccountList, error)
	Store(ctx context.Context, req StoreRequest) (Account, error)
	Update(ctx context.Context, name string, upd AccountUpdate) (Account, error)
	Forget(ctx context.Context, name string, revoke bool) (ForgetResponse, error)
	DropCache(ctx context.Context, name string) error
	Status(ctx context.Context) (Status, error)
	KeyringCheck(ctx context.Context) (KeyringStatus, error)
	Unlock(ctx context.Context, req UnlockRequest) (KeyringStatus, error)
}
