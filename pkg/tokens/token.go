package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Access is an access token handed out by Token, with the facts a caller needs.
type Access struct {
	Account      string
	Token        secret.Token
	Expiry       time.Time
	User         string
	Organization string
	Endpoints    Endpoints
	Source       Source
	// Cached is true when the token came from the cache without a refresh.
	Cached bool
}

func (c *cached) access(name string, hit bool) Access {
	return Access{
		Account:      name,
		Token:        c.token,
		Expiry:       c.expiry,
		User:         c.user,
		Organization: c.org,
		Endpoints:    c.ep,
		Source:       c.source,
		Cached:       hit,
	}
}

// effectiveMin clamps a requested minimum lifetime to half of the token's lifetime:
// a fresh token always satisfies it, so an impossible request does not cause a
// refresh on every call.
func (c *cached) effectiveMin(minTTL time.Duration) time.Duration {
	return min(minTTL, c.expiry.Sub(c.issued)/2)
}

// Token returns an access token for the account with at least minTTL of lifetime
// left (clamped to half a token's lifetime), refreshing it first if needed.
//
// The cached path is a map read under a read lock and an atomic load: no Store call,
// no allocation beyond the returned value. When the login service is unreachable a
// cached token is served while it is still valid, even with less than minTTL left.
func (m *Manager) Token(ctx context.Context, name string, minTTL time.Duration) (Access, error) {
	now := m.now()
	if a := m.lookup(name); a != nil {
		a.lastUse.Store(now.UnixNano())
		if c := a.access.Load(); c != nil && c.expiry.Sub(now) > c.effectiveMin(minTTL) {
			m.hits.Add(1)
			if now.After(c.refreshAt) && now.UnixNano() > a.bgNotBefore.Load() {
				// Due for refresh but the timer skipped it (the account was idle).
				m.refreshInBackground(a)
			}
			return c.access(name, true), nil
		}
	}
	return m.slowToken(ctx, name, minTTL)
}

func (m *Manager) slowToken(ctx context.Context, name string, minTTL time.Duration) (Access, error) {
	a, err := m.find(ctx, name)
	if err != nil {
		return Access{}, err
	}
	a.lastUse.Store(m.now().UnixNano())

	ch := a.flight.DoChan("", func() (any, error) { return m.refreshOnce(a, minTTL, false) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return Access{}, r.Err
		}
		c := r.Val.(*cached)
		return c.access(name, false), nil
	case <-ctx.Done():
		return Access{}, fmt.Errorf("token for %s: %w", name, ctx.Err())
	}
}

// refreshOnce runs inside the account's single flight. It re-checks the cache (an
// earlier flight may have just filled it), then asks the login service. A background
// refresh (due) wants a token not yet past its refresh time; a caller wants minTTL.
// Its context is its own: a caller that gives up must not cancel the refresh others
// wait for.
func (m *Manager) refreshOnce(a *account, minTTL time.Duration, due bool) (*cached, error) {
	now := m.now()
	cur := a.access.Load()
	if cur != nil {
		fresh := cur.expiry.Sub(now) > cur.effectiveMin(minTTL)
		if due {
			fresh = now.Before(cur.refreshAt)
		}
		if fresh {
			return cur, nil
		}
	}
	valid := cur != nil && cur.expiry.After(now)

	a.mu.Lock()
	rt, ep, removed := a.rec.RefreshToken, a.rec.Endpoints, a.removed
	loginRequired, nextTry, lastErr := a.loginRequired, a.nextTry, a.lastErr
	a.mu.Unlock()

	switch {
	case removed:
		return nil, fmt.Errorf("account %s: %w", a.name, ErrNotFound)
	case valid && (loginRequired || rt.IsZero() || now.Before(nextTry)):
		// Nothing better can be had right now; the token is still good.
		return cur, nil
	case loginRequired:
		return nil, fmt.Errorf("account %s: %s: %w", a.name, lastErr, ErrLoginRequired)
	case rt.IsZero():
		m.markLoginRequired(a, "access-only login expired")
		return nil, fmt.Errorf("account %s: access-only login expired: %w", a.name, ErrLoginRequired)
	case now.Before(nextTry):
		return nil, fmt.Errorf("account %s: %s (retrying in %s): %w",
			a.name, lastErr, nextTry.Sub(now).Round(time.Second), ErrUnavailable)
	}
	return m.exchange(a, rt, ep, cur)
}

// exchange trades the refresh token for a new access token and records the outcome.
func (m *Manager) exchange(a *account, rt secret.Token, ep Endpoints, cur *cached) (*cached, error) {
	ctx, cancel := context.WithTimeout(context.Background(), m.refreshTO)
	defer cancel()
	g, err := m.refresher.Refresh(ctx, ep, rt)
	if err != nil {
		m.failures.Add(1)
		m.recordFailure(a, rt, err)
		if cur != nil && cur.expiry.After(m.now()) {
			return cur, nil
		}
		if errors.Is(err, ErrLoginRequired) {
			return nil, fmt.Errorf("account %s: %w", a.name, err)
		}
		return nil, fmt.Errorf("account %s: %w: %w", a.name, ErrUnavailable, err)
	}
	if g.AccessToken.IsZero() || !g.Expiry.After(m.now()) {
		m.failures.Add(1)
		err := fmt.Errorf("login service returned no usable access token")
		m.recordFailure(a, rt, err)
		return nil, fmt.Errorf("account %s: %w: %w", a.name, ErrUnavailable, err)
	}
	m.refreshes.Add(1)
	return m.recordSuccess(a, rt, g), nil
}

func (m *Manager) recordFailure(a *account, rt secret.Token, err error) {
	now := m.now()
	msg := secret.Scrub(err.Error(), rt)

	a.mu.Lock()
	defer a.mu.Unlock()
	a.lastErr = msg
	if !a.rec.RefreshToken.Equal(rt) {
		return // a new login replaced the token meanwhile; this failure is stale
	}
	if errors.Is(err, ErrLoginRequired) {
		a.loginRequired = true
		m.log.Warn("refresh refused; account needs a new login", "account", a.name, "err", msg)
		return
	}
	a.failures++
	a.nextTry = now.Add(m.backoff(a.failures))
	m.log.Warn("refresh failed", "account", a.name, "failures", a.failures,
		"retry_at", a.nextTry.Format(time.RFC3339), "err", msg)
	m.scheduleLocked(a, a.nextTry.Sub(now))
}

// recordSuccess stores a rotated refresh token before publishing the new access
// token, so no caller ever holds a token whose refresh token could be lost.
func (m *Manager) recordSuccess(a *account, rt secret.Token, g Grant) *cached {
	now := m.now()
	a.mu.Lock()
	stale := !a.rec.RefreshToken.Equal(rt)
	rotated := !g.RefreshToken.IsZero() && !g.RefreshToken.Equal(rt)
	if !stale {
		if rotated {
			a.rec.RefreshToken = g.RefreshToken
		}
		a.rec.LastUsed = now
		a.failures, a.nextTry, a.lastErr, a.lastRefresh = 0, time.Time{}, "", now
	}
	persist := !stale && a.source == SourceKeyring
	a.mu.Unlock()

	if persist {
		if err := m.save(a); err != nil {
			m.log.Warn("keyring write failed; holding refresh token in memory",
				"account", a.name, "rotated", rotated, "err", err)
			m.scheduleSave(a, 1)
		}
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if stale {
		// Replaced by a new login during the exchange: hand this token to the
		// callers that waited for it, but do not cache it over the new login's.
		return &cached{token: g.AccessToken, issued: now, expiry: g.Expiry, refreshAt: g.Expiry,
			user: a.rec.User, org: a.rec.Organization, ep: a.rec.Endpoints, source: a.source}
	}
	c := a.publishLocked(g.AccessToken, now, g.Expiry, m.refreshAt(now, g.Expiry))
	m.scheduleLocked(a, c.refreshAt.Sub(now))
	m.log.Debug("refreshed", "account", a.name, "expires_in", g.Expiry.Sub(now).Round(time.Second),
		"rotated", rotated)
	return c
}

func (m *Manager) markLoginRequired(a *account, why string) {
	a.mu.Lock()
	a.loginRequired, a.lastErr = true, why
	a.mu.Unlock()
}

// refreshAt picks the background refresh time: RefreshAt of the lifetime, minus a
// random part of Jitter (at most half the time until that point).
func (m *Manager) refreshAt(issued, expiry time.Time) time.Time {
	p := m.policy.Load()
	due := time.Duration(float64(expiry.Sub(issued)) * p.RefreshAt)
	return issued.Add(due - m.jitter(min(p.Jitter, due/2)))
}
