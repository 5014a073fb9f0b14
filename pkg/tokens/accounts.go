package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Login is a new login to store: a refresh token, or an access token alone.
type Login struct {
	Name         string
	Endpoints    Endpoints
	User         string
	Organization string
	RefreshToken secret.Token
	AccessToken  secret.Token
	// Expiry of AccessToken; required when AccessToken is set.
	Expiry time.Time
}

func (l Login) validate(now time.Time) error {
	switch {
	case !ValidName(l.Name):
		return fmt.Errorf("account name %q: %w: use 1-64 letters, digits, '.', '_' or '-'", l.Name, ErrInvalid)
	case l.RefreshToken.IsZero() && l.AccessToken.IsZero():
		return fmt.Errorf("login %s: %w: neither refresh nor access token", l.Name, ErrInvalid)
	case !l.AccessToken.IsZero() && !l.Expiry.After(now):
		return fmt.Errorf("login %s: %w: access token has no future expiry", l.Name, ErrInvalid)
	case !l.RefreshToken.IsZero() && (l.Endpoints.Issuer == "" || l.Endpoints.ClientID == ""):
		return fmt.Errorf("login %s: %w: issuer and client id are required", l.Name, ErrInvalid)
	case l.Endpoints.APIURL == "":
		return fmt.Errorf("login %s: %w: api url is required", l.Name, ErrInvalid)
	}
	return nil
}

// Store records a new login, replacing any earlier one of that name. A refresh token
// is written to the Store first; if that fails nothing changes. An access token alone
// is held in memory until it expires, and an older stored login of that name is
// removed, since the user replaced it.
func (m *Manager) Store(ctx context.Context, l Login) (Info, error) {
	now := m.now()
	if err := l.validate(now); err != nil {
		return Info{}, err
	}
	if old := m.lookup(l.Name); old != nil && old.source == SourceEnvironment {
		return Info{}, fmt.Errorf("account %s comes from DBOS_REFRESH_TOKEN: %w", l.Name, ErrInvalid)
	}

	rec := Record{RefreshToken: l.RefreshToken, Endpoints: l.Endpoints, User: l.User,
		Organization: l.Organization, LastUsed: now, Created: now}
	src := SourceMemory
	if !l.RefreshToken.IsZero() {
		src = SourceKeyring
		if err := m.store.Save(ctx, l.Name, rec); err != nil {
			return Info{}, fmt.Errorf("store login %s: %w", l.Name, err)
		}
	} else if err := m.store.Delete(ctx, l.Name); err != nil && !errors.Is(err, ErrNotFound) {
		return Info{}, fmt.Errorf("remove earlier login %s: %w", l.Name, err)
	}

	a := newAccount(l.Name, src, rec)
	a.lastUse.Store(now.UnixNano())
	if !l.AccessToken.IsZero() {
		a.mu.Lock()
		at := l.Expiry
		if src == SourceKeyring {
			at = m.refreshAt(now, l.Expiry)
		}
		a.publishLocked(l.AccessToken, now, l.Expiry, at)
		m.scheduleLocked(a, at.Sub(now))
		a.mu.Unlock()
	}
	if err := m.replace(l.Name, a); err != nil {
		return Info{}, err
	}
	m.log.Info("login stored", "account", l.Name, "source", string(src), "user", l.User)
	return m.info(l.Name, a), nil
}

// replace installs a as the account of that name, retiring the previous one.
func (m *Manager) replace(name string, a *account) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	old := m.accounts[name]
	if a == nil {
		delete(m.accounts, name)
	} else {
		m.accounts[name] = a
	}
	delete(m.unreadable, name) // a new login overwrote the item, or forget removed it
	m.mu.Unlock()

	if old != nil {
		old.mu.Lock()
		old.removed = true
		old.stopLocked()
		old.mu.Unlock()
	}
	return nil
}

// Forget removes an account. With revoke, its refresh token is first revoked at the
// login service; if that fails, nothing is removed. It reports whether a token was
// revoked. A damaged keyring item can only be forgotten without revoke: the token
// in it cannot be read.
func (m *Manager) Forget(ctx context.Context, name string, revoke bool) (bool, error) {
	a, err := m.find(ctx, name)
	if errors.Is(err, ErrRecordDamaged) && !revoke {
		return false, m.forgetDamaged(ctx, name)
	}
	if err != nil {
		return false, err
	}
	a.mu.Lock()
	rt, ep := a.rec.RefreshToken, a.rec.Endpoints
	a.mu.Unlock()

	revoked := false
	if revoke && !rt.IsZero() {
		if err := m.refresher.Revoke(ctx, ep, rt); err != nil {
			return false, fmt.Errorf("revoke %s: %w", name, err)
		}
		revoked = true
	}
	if a.source == SourceKeyring {
		if err := m.store.Delete(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
			return revoked, fmt.Errorf("forget %s: %w", name, err)
		}
	}
	if err := m.replace(name, nil); err != nil {
		return revoked, err
	}
	m.log.Info("account forgotten", "account", name, "revoked", revoked)
	return revoked, nil
}

// forgetDamaged removes an unreadable keyring item at the user's request.
func (m *Manager) forgetDamaged(ctx context.Context, name string) error {
	if err := m.store.Delete(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("forget %s: %w", name, err)
	}
	if err := m.replace(name, nil); err != nil {
		return err
	}
	m.log.Info("damaged keyring item removed", "account", name)
	return nil
}

// DropCache forgets the cached access token of an account; the login stays, and the
// next request refreshes.
func (m *Manager) DropCache(ctx context.Context, name string) error {
	a, err := m.find(ctx, name)
	if err != nil {
		return err
	}
	a.access.Store(nil)
	return nil
}

// Update changes the user or organization name of an account (nil keeps a field).
func (m *Manager) Update(ctx context.Context, name string, user, org *string) (Info, error) {
	a, err := m.find(ctx, name)
	if err != nil {
		return Info{}, err
	}

	a.mu.Lock()
	if user != nil {
		a.rec.User = *user
	}
	if org != nil {
		a.rec.Organization = *org
	}
	if c := a.access.Load(); c != nil {
		a.publishLocked(c.token, c.issued, c.expiry, c.refreshAt)
	}
	a.mu.Unlock()

	if a.source == SourceKeyring {
		if err := m.save(a); err != nil {
			return Info{}, fmt.Errorf("update %s: %w", name, err)
		}
	}
	return m.info(name, a), nil
}
