package tokens

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Source says where an account's credential came from.
type Source string

// Sources of a credential.
const (
	SourceKeyring     Source = "keyring"     // refresh token in the Store
	SourceEnvironment Source = "environment" // refresh token given at start; memory only
	SourceMemory      Source = "memory"      // access token only, until it expires
	SourceConfig      Source = "config"      // configured, no credential
)

// State is an account's condition as reported by status.
type State string

// Account states.
const (
	StateOK            State = "ok"
	StateLoginRequired State = "login_required"
	StateUnsaved       State = "unsaved"
	StateNotLoggedIn   State = "not_logged_in"
	// StateUnreadable: a keyring item exists under the name but holds no readable
	// record (ErrRecordDamaged); it is left in place until a login or forget.
	StateUnreadable State = "unreadable"
)

// cached is one access token with the facts handed out beside it. It is never
// modified once published, so readers need no lock.
type cached struct {
	token     secret.Token
	issued    time.Time
	expiry    time.Time
	refreshAt time.Time // when the background refresh is due
	user      string
	org       string
	ep        Endpoints
	source    Source
}

// account is one login held by the manager.
type account struct {
	name   string
	source Source

	access     atomic.Pointer[cached]
	lastUse    atomic.Int64 // unix nanoseconds of the last Token call
	refreshing atomic.Bool  // a background refresh is running
	// bgNotBefore (unix nanoseconds) keeps the hot path from starting background
	// refreshes that cannot help yet (backoff, login required).
	bgNotBefore atomic.Int64
	flight      singleflight.Group

	saveMu sync.Mutex // serialises Store writes, so the newest record lands last

	mu            sync.Mutex // guards the fields below
	rec           Record
	savedRT       secret.Token // refresh token known to be in the Store
	loginRequired bool
	removed       bool
	failures      int
	nextTry       time.Time
	lastErr       string
	lastRefresh   time.Time
	timer         *time.Timer
	saveTimer     *time.Timer
}

func newAccount(name string, src Source, rec Record) *account {
	a := &account{name: name, source: src, rec: rec}
	if src == SourceKeyring {
		a.savedRT = rec.RefreshToken
	}
	return a
}

// unsavedLocked reports whether the refresh token in memory has not reached the Store.
func (a *account) unsavedLocked() bool {
	return a.source == SourceKeyring && !a.rec.RefreshToken.Equal(a.savedRT)
}

// stopLocked cancels the account's timers.
func (a *account) stopLocked() {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	if a.saveTimer != nil {
		a.saveTimer.Stop()
		a.saveTimer = nil
	}
}

// publish makes c the cached access token, carrying the account's current facts.
func (a *account) publishLocked(tok secret.Token, issued, expiry, refreshAt time.Time) *cached {
	c := &cached{
		token:     tok,
		issued:    issued,
		expiry:    expiry,
		refreshAt: refreshAt,
		user:      a.rec.User,
		org:       a.rec.Organization,
		ep:        a.rec.Endpoints,
		source:    a.source,
	}
	a.access.Store(c)
	return c
}
