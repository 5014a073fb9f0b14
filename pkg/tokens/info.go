package tokens

import (
	"context"
	"time"
)

// Info describes an account for status output. It carries no secret.
type Info struct {
	Name         string
	Endpoints    Endpoints
	User         string
	Organization string
	State        State
	Source       Source
	// AccessExpiry is the expiry of the cached access token (zero if none).
	AccessExpiry time.Time
	// RefreshLastUsed is when the refresh token was last exchanged (zero if unknown).
	RefreshLastUsed time.Time
	LastRefresh     time.Time
	LastError       string
}

func (m *Manager) info(name string, a *account) Info {
	if a == nil {
		m.mu.RLock()
		ep := m.configured[name]
		damage, unreadable := m.unreadable[name]
		m.mu.RUnlock()
		if unreadable {
			return Info{Name: name, Endpoints: ep, State: StateUnreadable, Source: SourceKeyring,
				LastError: damage}
		}
		return Info{Name: name, Endpoints: ep, State: StateNotLoggedIn, Source: SourceConfig}
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	in := Info{
		Name:            name,
		Endpoints:       a.rec.Endpoints,
		User:            a.rec.User,
		Organization:    a.rec.Organization,
		State:           StateOK,
		Source:          a.source,
		RefreshLastUsed: a.rec.LastUsed,
		LastRefresh:     a.lastRefresh,
		LastError:       a.lastErr,
	}
	c := a.access.Load()
	if c != nil {
		in.AccessExpiry = c.expiry
	}
	switch {
	case a.loginRequired:
		in.State = StateLoginRequired
	case a.unsavedLocked():
		in.State = StateUnsaved
	case a.rec.RefreshToken.IsZero() && (c == nil || !c.expiry.After(m.now())):
		in.State = StateLoginRequired
	}
	if a.source != SourceKeyring && a.source != SourceEnvironment {
		in.RefreshLastUsed = time.Time{}
	}
	return in
}

// Accounts lists every account: logged in (loaded from the Store first) and
// configured. The list is sorted by name. A Store error is returned with the
// accounts known without it.
func (m *Manager) Accounts(ctx context.Context) ([]Info, error) {
	err := m.LoadAll(ctx)
	names := m.sortedNames()
	out := make([]Info, 0, len(names))
	for _, n := range names {
		out = append(out, m.info(n, m.lookup(n)))
	}
	return out, err
}

// Account describes one account, loading it from the Store if needed.
func (m *Manager) Account(ctx context.Context, name string) (Info, error) {
	a, err := m.find(ctx, name)
	if err != nil {
		return Info{}, err
	}
	return m.info(name, a), nil
}
