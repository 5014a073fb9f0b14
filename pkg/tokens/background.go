package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// scheduleLocked (re)arms the account's background refresh to run after d.
func (m *Manager) scheduleLocked(a *account, d time.Duration) {
	if a.removed || a.rec.RefreshToken.IsZero() {
		return
	}
	if a.timer != nil {
		a.timer.Stop()
	}
	a.timer = time.AfterFunc(max(d, 0), func() { m.refreshInBackground(a) })
}

// refreshInBackground refreshes an account that is due, if it was used within the
// active window. At most one runs per account at a time.
func (m *Manager) refreshInBackground(a *account) {
	if !a.refreshing.CompareAndSwap(false, true) {
		return
	}
	m.mu.RLock()
	closed := m.closed
	if !closed {
		m.wg.Add(1)
	}
	m.mu.RUnlock()
	if closed {
		a.refreshing.Store(false)
		return
	}

	go func() {
		defer m.wg.Done()
		defer a.refreshing.Store(false)
		m.backgroundStep(a)
	}()
}

func (m *Manager) backgroundStep(a *account) {
	now := m.now()
	idle := now.Sub(time.Unix(0, a.lastUse.Load()))
	if window := m.policy.Load().ActiveWindow; idle > window {
		// Left alone on purpose; the next request refreshes on demand.
		m.log.Debug("not refreshing idle account", "account", a.name, "idle", idle.Round(time.Second))
		a.bgNotBefore.Store(0)
		return
	}

	if cur := a.access.Load(); cur != nil && now.Before(cur.refreshAt) {
		return
	}
	_, err, _ := a.flight.Do("", func() (any, error) { return m.refreshOnce(a, 0, true) })

	a.mu.Lock()
	switch {
	case a.loginRequired:
		a.bgNotBefore.Store(1<<63 - 1)
	case !a.nextTry.IsZero():
		a.bgNotBefore.Store(a.nextTry.UnixNano())
	default:
		a.bgNotBefore.Store(0)
	}
	a.mu.Unlock()
	if err != nil {
		m.log.Debug("background refresh failed", "account", a.name, "err", err)
	}
}

// save writes the account's current record to the Store. Writes are serialised per
// account and always write the newest record, so an older one never lands last.
func (m *Manager) save(a *account) error {
	a.saveMu.Lock()
	defer a.saveMu.Unlock()

	a.mu.Lock()
	rec, removed := a.rec, a.removed
	a.mu.Unlock()
	if removed {
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), m.storeTO)
	defer cancel()
	if err := m.store.Save(ctx, a.name, rec); err != nil {
		return fmt.Errorf("save account %s: %w", a.name, err)
	}

	// A newer token that arrived during the write keeps the account unsaved; whoever
	// set it also starts a write.
	a.mu.Lock()
	a.savedRT = rec.RefreshToken
	a.mu.Unlock()
	return nil
}

// scheduleSave retries a failed write with backoff until it succeeds, the account is
// removed, or the manager closes.
func (m *Manager) scheduleSave(a *account, attempt int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.removed {
		return
	}
	if a.saveTimer != nil {
		a.saveTimer.Stop()
	}
	a.saveTimer = time.AfterFunc(m.backoff(attempt), func() {
		m.mu.RLock()
		closed := m.closed
		m.mu.RUnlock()
		if closed {
			return // Close flushes what is left
		}
		if err := m.save(a); err != nil {
			m.log.Warn("keyring write retry failed", "account", a.name, "attempt", attempt, "err", err)
			m.scheduleSave(a, attempt+1)
			return
		}
		m.log.Info("keyring write succeeded after retry", "account", a.name, "attempt", attempt)
	})
}

// Close stops background work, waits for running refreshes, and makes a last attempt
// to write every unsaved refresh token, within ctx.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	accounts := make([]*account, 0, len(m.accounts))
	for _, a := range m.accounts {
		accounts = append(accounts, a)
	}
	m.mu.Unlock()

	for _, a := range accounts {
		a.mu.Lock()
		a.stopLocked()
		a.mu.Unlock()
	}

	// Running refreshes may still rotate a token; let them finish before the flush.
	var errs []error
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("close token manager: %w", ctx.Err()))
	}

	for _, a := range accounts {
		a.mu.Lock()
		unsaved := a.unsavedLocked()
		a.mu.Unlock()
		if unsaved {
			if err := m.save(a); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
