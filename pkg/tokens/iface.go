package tokens

import (
	"context"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Store keeps records, one per account name. Implementations map "no such item" to
// ErrNotFound and a locked or unreachable keyring to ErrKeyringLocked or
// ErrKeyringUnavailable, and bound every call in time.
type Store interface {
	Load(ctx context.Context, name string) (Record, error)
	Save(ctx context.Context, name string, r Record) error
	// Delete removes a record; removing a missing one is not an error.
	Delete(ctx context.Context, name string) error
	// List returns the names of the stored items. It may include names that are not
	// records of this package; Load tells them apart.
	List(ctx context.Context) ([]string, error)
}

// Grant is the login service's answer to a refresh.
type Grant struct {
	AccessToken secret.Token
	// RefreshToken is zero unless the login service rotated the refresh token.
	RefreshToken secret.Token
	Expiry       time.Time
}

// Refresher talks to an account's login service. Refresh returns an error wrapping
// ErrLoginRequired when the grant is refused (invalid_grant); any other error is
// treated as transient and retried with backoff. Errors carry no secret.
type Refresher interface {
	Refresh(ctx context.Context, ep Endpoints, refreshToken secret.Token) (Grant, error)
	Revoke(ctx context.Context, ep Endpoints, refreshToken secret.Token) error
}
