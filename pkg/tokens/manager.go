package tokens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Policy is the refresh timing, changeable while the manager runs.
type Policy struct {
	// RefreshAt is the fraction of an access token's lifetime after which it is
	// refreshed in the background (default 0.75).
	RefreshAt float64
	// Jitter is how much earlier, at most and at random, the refresh may come, so
	// that many accounts do not refresh together (default 30s; never more than half
	// the time until the refresh point).
	Jitter time.Duration
	// ActiveWindow: only accounts used within it are refreshed in the background
	// (default 1h); idle accounts are refreshed on their next use, so that the login
	// service's inactivity expiry keeps its meaning.
	ActiveWindow time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.RefreshAt <= 0 || p.RefreshAt >= 1 {
		p.RefreshAt = 0.75
	}
	if p.Jitter <= 0 {
		p.Jitter = 30 * time.Second
	}
	if p.ActiveWindow <= 0 {
		p.ActiveWindow = time.Hour
	}
	return p
}

// EnvSource is a refresh token given to the daemon at start (DBOS_REFRESH_TOKEN). It
// is held in memory only and never written to the Store.
type EnvSource struct {
	Account      string
	RefreshToken secret.Token
	Endpoints    Endpoints
}

// Options configure a Manager. Store and Refresher are required.
type Options struct {
	Store     Store
	Refresher Refresher
	Log       *slog.Logger
	Policy    Policy
	// Configured lists the accounts named in the config file, with their endpoints.
	Configured map[string]Endpoints
	Env        *EnvSource
	// RefreshTimeout bounds one call to the login service (default 30s).
	RefreshTimeout time.Duration
	// StoreTimeout bounds one Store call made in the background (default 10s).
	StoreTimeout time.Duration
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// Stats are running totals since the manager started.
type Stats struct {
	CacheHits uint64
	Refreshes uint64
	Failures  uint64
}

// Manager hands out access tokens for accounts. Its methods are safe for concurrent use.
type Manager struct {
	store     Store
	refresher Refresher
	log       *slog.Logger
	now       func() time.Time
	refreshTO time.Duration
	storeTO   time.Duration

	policy atomic.Pointer[Policy]

	mu         sync.RWMutex
	accounts   map[string]*account
	configured map[string]Endpoints
	unreadable map[string]string // damaged keyring items: name -> error text
	loaded     bool              // every stored record has been loaded once
	closed     bool

	loadMu sync.Mutex
	wg     sync.WaitGroup

	hits, refreshes, failures atomic.Uint64
}

// New returns a Manager. It does not touch the Store: records are loaded when first
// needed, or all at once by LoadAll.
func New(o Options) (*Manager, error) {
	if o.Store == nil || o.Refresher == nil {
		return nil, fmt.Errorf("new token manager: %w: store and refresher are required", ErrInvalid)
	}
	m := &Manager{
		store:      o.Store,
		refresher:  o.Refresher,
		log:        o.Log,
		now:        o.Now,
		refreshTO:  o.RefreshTimeout,
		storeTO:    o.StoreTimeout,
		accounts:   map[string]*account{},
		configured: maps.Clone(o.Configured),
		unreadable: map[string]string{},
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.refreshTO <= 0 {
		m.refreshTO = 30 * time.Second
	}
	if m.storeTO <= 0 {
		m.storeTO = 10 * time.Second
	}
	m.SetPolicy(o.Policy)

	if e := o.Env; e != nil && !e.RefreshToken.IsZero() {
		if !ValidName(e.Account) {
			return nil, fmt.Errorf("environment account %q: %w: bad name", e.Account, ErrInvalid)
		}
		rec := Record{RefreshToken: e.RefreshToken, Endpoints: e.Endpoints, Created: m.now()}
		m.accounts[e.Account] = newAccount(e.Account, SourceEnvironment, rec)
	}
	return m, nil
}

// SetPolicy replaces the refresh timing; it applies from the next refresh on.
func (m *Manager) SetPolicy(p Policy) {
	p = p.withDefaults()
	m.policy.Store(&p)
}

// SetConfigured replaces the set of configured accounts (after a config reload).
// Logged-in accounts are kept whether or not they are still configured.
func (m *Manager) SetConfigured(c map[string]Endpoints) {
	m.mu.Lock()
	m.configured = maps.Clone(c)
	m.mu.Unlock()
}

// Stats returns the running totals.
func (m *Manager) Stats() Stats {
	return Stats{CacheHits: m.hits.Load(), Refreshes: m.refreshes.Load(), Failures: m.failures.Load()}
}

func (m *Manager) lookup(name string) *account {
	m.mu.RLock()
	a := m.accounts[name]
	m.mu.RUnlock()
	return a
}

// LoadAll loads every record of the Store into memory, once. Records that do not
// parse are skipped with a warning and reported as unreadable, never deleted; a
// keyring error is returned and the load is tried again on the next call.
func (m *Manager) LoadAll(ctx context.Context) error {
	m.loadMu.Lock()
	defer m.loadMu.Unlock()
	m.mu.RLock()
	done := m.loaded
	m.mu.RUnlock()
	if done {
		return nil
	}

	names, err := m.store.List(ctx)
	if err != nil {
		return fmt.Errorf("list stored accounts: %w", err)
	}
	for _, name := range names {
		if !ValidName(name) || m.lookup(name) != nil {
			continue
		}
		if _, err := m.load(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
			if errors.Is(err, ErrKeyringLocked) {
				return err
			}
			// One unreadable item (foreign, damaged) must not hide the others; a
			// request for it reports its error, and status lists it.
			m.log.Warn("skipping keyring item; it is left in place", "account", name, "err", err)
		}
	}

	m.mu.Lock()
	m.loaded = true
	m.mu.Unlock()
	return nil
}

// load reads one record from the Store and adds it, unless a newer account of that
// name appeared meanwhile.
func (m *Manager) load(ctx context.Context, name string) (*account, error) {
	rec, err := m.store.Load(ctx, name)
	if err != nil {
		if errors.Is(err, ErrRecordDamaged) {
			m.mu.Lock()
			m.unreadable[name] = err.Error()
			m.mu.Unlock()
		}
		return nil, fmt.Errorf("load account %s: %w", name, err)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	delete(m.unreadable, name)
	if a, ok := m.accounts[name]; ok {
		return a, nil
	}
	a := newAccount(name, SourceKeyring, rec)
	m.accounts[name] = a
	return a, nil
}

// find returns the account of that name, loading it from the Store if needed.
func (m *Manager) find(ctx context.Context, name string) (*account, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("account %q: %w: bad name", name, ErrInvalid)
	}
	if a := m.lookup(name); a != nil {
		return a, nil
	}

	a, err := m.load(ctx, name)
	if errors.Is(err, ErrNotFound) {
		m.mu.RLock()
		_, configured := m.configured[name]
		m.mu.RUnlock()
		if configured {
			return nil, fmt.Errorf("account %s is not logged in: %w", name, ErrLoginRequired)
		}
	}
	return a, err
}

func (m *Manager) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d)))
}

// backoff returns the wait after n consecutive failures: exponential from 1s,
// capped at 5 minutes, with the upper half jittered.
func (m *Manager) backoff(n int) time.Duration {
	d := time.Second << min(n-1, 9)
	d = min(d, 5*time.Minute)
	return d/2 + m.jitter(d/2)
}

// sortedNames returns the names of accounts in memory, configured ones and
// unreadable keyring items.
func (m *Manager) sortedNames() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	names := slices.Collect(maps.Keys(m.accounts))
	for n := range m.configured {
		if _, ok := m.accounts[n]; !ok {
			names = append(names, n)
		}
	}
	for n := range m.unreadable {
		_, ok := m.accounts[n]
		if _, conf := m.configured[n]; !ok && !conf {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
