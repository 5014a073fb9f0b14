package ipcwire

import "time"

// The daemon's HTTP API, version 1. Every path is under /v1/ so that a later version
// can be served beside it. Bodies are JSON; errors are ErrorBody with a non-2xx status.
const (
	// PathStatus: GET -> Status.
	PathStatus = "/v1/status"
	// PathToken: POST TokenRequest -> TokenResponse.
	PathToken = "/v1/token"
	// PathAccounts: GET -> AccountList.
	PathAccounts = "/v1/accounts"
	// PathAccountPrefix + name:
	//   PUT StoreRequest -> Account (store after a login; replaces the account),
	//   PATCH AccountUpdate -> Account (new user or organization name),
	//   DELETE [?revoke=true] -> ForgetResponse (forget; optionally revoke first).
	PathAccountPrefix = "/v1/accounts/"
	// PathAccountPrefix + name + PathCacheSuffix: DELETE drops the cached access
	// token only (git's credential "erase"); the login stays.
	PathCacheSuffix = "/cache"
	// PathKeyringCheck: POST -> KeyringStatus. Proves the keyring can be written
	// (write, read back, delete a probe item) before a login asks for a fresh token.
	PathKeyringCheck = "/v1/keyring/check"
	// PathKeyringUnlock: POST UnlockRequest -> KeyringStatus. Hands the daemon the
	// password of a keyring backend that needs one (the encrypted file backend).
	PathKeyringUnlock = "/v1/keyring/unlock"
)

// Stable error codes carried by ErrorBody.Code. Clients branch on these, never on
// the message.
const (
	CodeAccountNotFound    = "account_not_found"
	CodeLoginRequired      = "login_required"
	CodeIDPUnavailable     = "idp_unavailable"
	CodeKeyringUnavailable = "keyring_unavailable"
	CodePeerRejected       = "peer_rejected"
	CodeBadRequest         = "bad_request"
	CodeInternal           = "internal"
)

// Account states reported in Account.State.
const (
	// StateOK: a refresh token is held (or an unexpired access token for a login
	// without one) and tokens can be served.
	StateOK = "ok"
	// StateLoginRequired: the login service refused the refresh token, or an
	// access-only login has expired. Only a new login helps.
	StateLoginRequired = "login_required"
	// StateUnsaved: a rotated refresh token could not be written to the keyring yet;
	// it is held in memory and the write is retried.
	StateUnsaved = "unsaved"
	// StateNotLoggedIn: the account is configured but holds no credential.
	StateNotLoggedIn = "not_logged_in"
	// StateUnreadable: the keyring holds an item under the name that cannot be read
	// (a damaged file). It is left alone; a new login or a forget replaces it.
	StateUnreadable = "unreadable"
)

// Sources of an account's credential, reported in Account.Source.
const (
	SourceKeyring     = "keyring"     // refresh token in the OS keyring
	SourceEnvironment = "environment" // DBOS_REFRESH_TOKEN given to the daemon; memory only
	SourceMemory      = "memory"      // access token from a login without refresh token
	SourceConfig      = "config"      // configured, no credential yet
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// TokenRequest asks for an access token.
type TokenRequest struct {
	// Account names the account; empty means the daemon's default account.
	Account string `json:"account,omitempty"`
	// MinTTLSeconds is the least remaining lifetime the caller needs. A cached token
	// with less left is refreshed first.
	MinTTLSeconds int64 `json:"min_ttl_seconds,omitempty"`

	// APIHost, when set, asks for the account that answers for Protocol://APIHost
	// instead of a named one (Account must then be empty): the one whose API URL
	// has that scheme and host (apihost.Match's rules), preferring the account
	// whose user is User, then the default account, then the first by name.
	// No such account gives 404 account_not_found. git-credential-dbos uses it to
	// get its answer in one call. A daemon older than these fields answers 400 to
	// them, and the caller falls back to listing the accounts itself.
	APIHost  string `json:"api_host,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	User     string `json:"user,omitempty"`
}

// TokenResponse carries an access token and the facts a caller needs to use it.
type TokenResponse struct {
	Account      string    `json:"account"`
	AccessToken  string    `json:"access_token"`
	ExpiresAt    time.Time `json:"expires_at"`
	User         string    `json:"user,omitempty"`
	Organization string    `json:"organization,omitempty"`
	APIURL       string    `json:"api_url"`
	Source       string    `json:"source"`
}

// Endpoints are the non-secret facts that locate an account's services.
type Endpoints struct {
	// APIURL is the DBOS Cloud API base, e.g. https://cloud.dbos.dev.
	APIURL string `json:"api_url"`
	// Issuer is the login service, e.g. https://login.dbos.dev/.
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	Audience string `json:"audience"`
}

// Account describes one account and its state. It never carries a secret.
type Account struct {
	Name string `json:"name"`
	Endpoints
	User         string `json:"user,omitempty"`
	Organization string `json:"organization,omitempty"`
	State        string `json:"state"`
	Source       string `json:"source"`
	Default      bool   `json:"default,omitempty"`
	// AccessExpiresAt is the expiry of the cached access token, if any.
	AccessExpiresAt *time.Time `json:"access_expires_at,omitempty"`
	// RefreshLastUsed is when the refresh token was last exchanged; the login
	// service ends a login after a month without use.
	RefreshLastUsed *time.Time `json:"refresh_last_used,omitempty"`
	LastRefresh     *time.Time `json:"last_refresh,omitempty"`
	LastError       string     `json:"last_error,omitempty"`
}

// AccountList is the body of GET /v1/accounts.
type AccountList struct {
	Default  string    `json:"default"`
	Accounts []Account `json:"accounts"`
}

// StoreRequest stores an account after a login. At least one of RefreshToken and
// AccessToken is set; an access token alone is kept in memory until it expires.
type StoreRequest struct {
	Name string `json:"name"`
	Endpoints
	User         string    `json:"user,omitempty"`
	Organization string    `json:"organization,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	AccessToken  string    `json:"access_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
}

// AccountUpdate changes an account's non-secret facts; nil fields are kept.
type AccountUpdate struct {
	User         *string `json:"user,omitempty"`
	Organization *string `json:"organization,omitempty"`
}

// ForgetResponse reports what DELETE /v1/accounts/NAME did.
type ForgetResponse struct {
	Account string `json:"account"`
	Revoked bool   `json:"revoked"`
}

// KeyringStatus reports the daemon's keyring.
type KeyringStatus struct {
	Backend  string `json:"backend"`
	Writable bool   `json:"writable"`
	// NeedsPassword is true when the backend is locked until a password is given
	// through PathKeyringUnlock.
	NeedsPassword bool   `json:"needs_password,omitempty"`
	Error         string `json:"error,omitempty"`
}

// UnlockRequest carries a keyring password from the CLI's terminal to the daemon.
type UnlockRequest struct {
	Password string `json:"password"`
}

// Counters are the daemon's running totals since start.
type Counters struct {
	Requests  uint64 `json:"requests"`
	CacheHits uint64 `json:"cache_hits"`
	Refreshes uint64 `json:"refreshes"`
	Failures  uint64 `json:"failures"`
}

// Status is the body of GET /v1/status.
type Status struct {
	Version        string    `json:"version"`
	PID            int       `json:"pid"`
	StartedAt      time.Time `json:"started_at"`
	UptimeSeconds  float64   `json:"uptime_seconds"`
	Socket         string    `json:"socket"`
	Config         string    `json:"config,omitempty"`
	KeyringBackend string    `json:"keyring_backend"`
	Counters       Counters  `json:"counters"`
	DefaultAccount string    `json:"default_account"`
	Accounts       []Account `json:"accounts"`
}

// Peer identifies the process on the other end of a connection, as the kernel
// reports it (SO_PEERCRED on Linux).
type Peer struct {
	UID int `json:"uid"`
	PID int `json:"pid"`
	// Exe is the peer's executable path when it can be read; informational only.
	Exe string `json:"exe,omitempty"`
}
