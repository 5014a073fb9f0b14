package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Device-code states. A code is pending until approved or denied; an approved code
// becomes consumed when its tokens are issued; a code past its expiry is reported
// once as expired_token and is then "expired".
const (
	devicePending  = "pending"
	deviceApproved = "approved"
	deviceDenied   = "denied"
	deviceConsumed = "consumed"
	deviceExpired  = "expired"
)

// Device is a stored device authorization request.
type Device struct {
	CodeHash  string
	UserCode  string // normalised: eight letters, no dash
	ClientID  string
	Scope     string
	ExpiresAt time.Time
	State     string
	Identity  string // set on approval
}

// InsertDevice stores a new device authorization request.
func (s *Store) InsertDevice(ctx context.Context, d Device) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO device_codes(code_hash, user_code, client_id, scope, expires_at, state, identity)
		 VALUES(?, ?, ?, ?, ?, ?, ?)`,
		d.CodeHash, d.UserCode, d.ClientID, d.Scope, millis(d.ExpiresAt), d.State, d.Identity)
	if err != nil {
		return fmt.Errorf("store device code: %w", err)
	}
	return nil
}

const deviceColumns = `code_hash, user_code, client_id, scope, expires_at, state, identity`

func scanDevice(row *sql.Row) (Device, error) {
	var d Device
	var exp int64
	err := row.Scan(&d.CodeHash, &d.UserCode, &d.ClientID, &d.Scope, &exp, &d.State, &d.Identity)
	if errors.Is(err, sql.ErrNoRows) {
		return Device{}, ErrNotFound
	}
	if err != nil {
		return Device{}, fmt.Errorf("read device code: %w", err)
	}
	d.ExpiresAt = fromMillis(exp)
	return d, nil
}

// DeviceByCodeHash finds a device request by the hash of its device_code.
func (s *Store) DeviceByCodeHash(ctx context.Context, hash string) (Device, error) {
	return scanDevice(s.db.QueryRowContext(ctx,
		`SELECT `+deviceColumns+` FROM device_codes WHERE code_hash = ?`, hash))
}

// DeviceByUserCode finds a device request by its normalised user code.
func (s *Store) DeviceByUserCode(ctx context.Context, userCode string) (Device, error) {
	return scanDevice(s.db.QueryRowContext(ctx,
		`SELECT `+deviceColumns+` FROM device_codes WHERE user_code = ?`, userCode))
}

// MoveDevice changes a request's state from one state to another, setting identity
// when it is not empty. It reports false when the request was no longer in state
// from, so two racing pollers cannot both receive tokens.
func (s *Store) MoveDevice(ctx context.Context, hash, from, to, identity string) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE device_codes SET state = ?, identity = CASE WHEN ? = '' THEN identity ELSE ? END
		 WHERE code_hash = ? AND state = ?`, to, identity, identity, hash, from)
	if err != nil {
		return false, fmt.Errorf("update device code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update device code: %w", err)
	}
	return n == 1, nil
}

// Refresh-token states.
const (
	refreshActive  = "active"
	refreshRotated = "rotated"
	refreshRevoked = "revoked"
)

// RefreshToken is a stored refresh token (its hash and what it grants).
type RefreshToken struct {
	Hash          string
	Family        string // every token rotated from one login shares the family
	Parent        string // hash of the token this one was rotated from; "" for a login's first
	Sub           string
	ClientID      string
	Scope         string
	FamilyCreated time.Time // the absolute lifetime counts from here
	LastUsed      time.Time // the idle lifetime counts from here
	RotatedAt     time.Time // when it was first exchanged under rotation; zero while active
	State         string
}

// InsertRefresh stores a new refresh token.
func (s *Store) InsertRefresh(ctx context.Context, t RefreshToken) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return insertRefresh(ctx, tx, t) })
}

func insertRefresh(ctx context.Context, tx *sql.Tx, t RefreshToken) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO refresh_tokens(token_hash, family, parent, sub, client_id, scope,
		 family_created, last_used, rotated_at, state) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Hash, t.Family, t.Parent, t.Sub, t.ClientID, t.Scope,
		millis(t.FamilyCreated), millis(t.LastUsed), optMillis(t.RotatedAt), t.State)
	if err != nil {
		return fmt.Errorf("store refresh token: %w", err)
	}
	return nil
}

func refreshByHash(ctx context.Context, tx *sql.Tx, hash string) (RefreshToken, error) {
	var t RefreshToken
	var created, used, rotated int64
	err := tx.QueryRowContext(ctx,
		`SELECT token_hash, family, parent, sub, client_id, scope, family_created, last_used,
		 rotated_at, state FROM refresh_tokens WHERE token_hash = ?`, hash).
		Scan(&t.Hash, &t.Family, &t.Parent, &t.Sub, &t.ClientID, &t.Scope, &created, &used,
			&rotated, &t.State)
	if errors.Is(err, sql.ErrNoRows) {
		return RefreshToken{}, ErrNotFound
	}
	if err != nil {
		return RefreshToken{}, fmt.Errorf("read refresh token: %w", err)
	}
	t.FamilyCreated, t.LastUsed = fromMillis(created), fromMillis(used)
	if rotated != 0 {
		t.RotatedAt = fromMillis(rotated)
	}
	return t, nil
}

// RefreshPolicy holds the refresh-token rules in force.
type RefreshPolicy struct {
	Lifetime time.Duration // absolute, from the family's first token
	Idle     time.Duration // since the token's family was last used
	Rotate   bool
	// ReuseInterval is Auth0's reuse interval (rotation overlap period): for this
	// long after a token was rotated, it may be exchanged again without counting as
	// reuse, as long as it is the previous token (no token issued from it has been
	// rotated in turn). Zero is strict: any reuse revokes the family.
	ReuseInterval time.Duration
}

// Refresh-grant failures, all answered as invalid_grant.
var (
	ErrRefreshUnknown = errors.New("unknown refresh token")
	ErrRefreshRevoked = errors.New("refresh token revoked")
	ErrRefreshReused  = errors.New("rotated refresh token reused; family revoked")
	ErrRefreshExpired = errors.New("refresh token expired")
	ErrRefreshClient  = errors.New("refresh token issued to another client")
)

// RedeemRefresh checks a refresh token and records its use, all in one transaction.
// With rotation it marks the token rotated and stores next (already hashed) in the
// same family; reuse of a rotated token revokes the whole family, unless the reuse
// interval lets it through (see RefreshPolicy).
func (s *Store) RedeemRefresh(ctx context.Context, hash, clientID string, now time.Time,
	p RefreshPolicy, next string) (RefreshToken, error) {
	var got RefreshToken
	var reused bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t, err := refreshByHash(ctx, tx, hash)
		if errors.Is(err, ErrNotFound) {
			return ErrRefreshUnknown
		}
		if err != nil {
			return err
		}
		err = checkRefresh(t, clientID, now, p)
		if errors.Is(err, ErrRefreshReused) {
			err = checkReuse(ctx, tx, t, clientID, now, p)
		}
		if err != nil {
			if errors.Is(err, ErrRefreshReused) {
				reused = true
				return nil
			}
			return err
		}
		got = t
		return useRefresh(ctx, tx, t, now, p, next)
	})
	if err != nil {
		return RefreshToken{}, err
	}
	if reused {
		// Revoked in its own transaction: the failed grant must not roll it back.
		if err := s.RevokeFamily(ctx, hash); err != nil {
			return RefreshToken{}, err
		}
		return RefreshToken{}, ErrRefreshReused
	}
	return got, nil
}

func checkRefresh(t RefreshToken, clientID string, now time.Time, p RefreshPolicy) error {
	switch {
	case t.State == refreshRevoked:
		return ErrRefreshRevoked
	case t.State == refreshRotated:
		return ErrRefreshReused
	case clientID != "" && clientID != t.ClientID:
		return ErrRefreshClient
	case !now.Before(t.FamilyCreated.Add(p.Lifetime)):
		return ErrRefreshExpired
	case !now.Before(t.LastUsed.Add(p.Idle)):
		return ErrRefreshExpired
	}
	return nil
}

// checkReuse decides a rotated token presented again: within the reuse interval
// after its rotation, and while it is still the previous token of its family, it is
// checked as if it were active; otherwise it is reuse (ErrRefreshReused).
func checkReuse(ctx context.Context, tx *sql.Tx, t RefreshToken, clientID string,
	now time.Time, p RefreshPolicy) error {
	if !p.Rotate || p.ReuseInterval <= 0 || t.RotatedAt.IsZero() ||
		!now.Before(t.RotatedAt.Add(p.ReuseInterval)) {
		return ErrRefreshReused
	}

	// A successor that was itself exchanged makes t the second-to-last token, whose
	// reuse Auth0 treats as a breach whatever the interval.
	var n int
	err := tx.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM refresh_tokens WHERE parent = ? AND state != ?`,
		t.Hash, refreshActive).Scan(&n)
	if err != nil {
		return fmt.Errorf("read refresh token successors: %w", err)
	}
	if n > 0 {
		return ErrRefreshReused
	}

	t.State = refreshActive
	return checkRefresh(t, clientID, now, p)
}

// useRefresh records an accepted exchange of t. Under rotation an active t becomes
// rotated; a rotated t let through by the reuse interval keeps its rotation time,
// so that the interval does not slide. Either way next joins the family as t's
// successor, and the successors issued earlier stay valid.
func useRefresh(ctx context.Context, tx *sql.Tx, t RefreshToken, now time.Time,
	p RefreshPolicy, next string) error {
	if !p.Rotate || t.State == refreshRotated {
		_, err := tx.ExecContext(ctx,
			`UPDATE refresh_tokens SET last_used = ? WHERE token_hash = ?`, millis(now), t.Hash)
		if err != nil {
			return fmt.Errorf("record refresh token use: %w", err)
		}
	} else {
		_, err := tx.ExecContext(ctx,
			`UPDATE refresh_tokens SET state = ?, last_used = ?, rotated_at = ? WHERE token_hash = ?`,
			refreshRotated, millis(now), millis(now), t.Hash)
		if err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
	}
	if !p.Rotate {
		return nil
	}

	n := t
	n.Hash, n.Parent, n.LastUsed, n.RotatedAt, n.State = next, t.Hash, now, time.Time{}, refreshActive
	return insertRefresh(ctx, tx, n)
}

// RevokeFamily revokes the refresh token with this hash and every token of its
// family. An unknown hash is not an error (RFC 7009 answers 200 for it).
func (s *Store) RevokeFamily(ctx context.Context, hash string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE refresh_tokens SET state = ?
		 WHERE family = (SELECT family FROM refresh_tokens WHERE token_hash = ?)`,
		refreshRevoked, hash)
	if err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}
