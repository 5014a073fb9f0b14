package tokens

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// memStore is a Store in a map, with switchable failures.
type memStore struct {
	mu      sync.Mutex
	recs    map[string]Record
	failSet error // returned by Save while set
	failAll error // returned by every call while set
	saves   int
	deletes []string
}

func newMemStore() *memStore { return &memStore{recs: map[string]Record{}} }

func (s *memStore) setFail(save, all error) {
	s.mu.Lock()
	s.failSet, s.failAll = save, all
	s.mu.Unlock()
}

func (s *memStore) Load(_ context.Context, name string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAll != nil {
		return Record{}, s.failAll
	}
	r, ok := s.recs[name]
	if !ok {
		return Record{}, fmt.Errorf("get %s: %w", name, ErrNotFound)
	}
	return r, nil
}

func (s *memStore) Save(_ context.Context, name string, r Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAll != nil {
		return s.failAll
	}
	if s.failSet != nil {
		return s.failSet
	}
	s.saves++
	s.recs[name] = r
	return nil
}

func (s *memStore) Delete(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAll != nil {
		return s.failAll
	}
	if _, ok := s.recs[name]; !ok {
		return ErrNotFound
	}
	delete(s.recs, name)
	s.deletes = append(s.deletes, name)
	return nil
}

func (s *memStore) List(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAll != nil {
		return nil, s.failAll
	}
	return slices.Sorted(maps.Keys(s.recs)), nil
}

func (s *memStore) get(name string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[name]
	return r, ok
}

// fakeIDP is a Refresher that issues numbered tokens, optionally rotating the
// refresh token, and refuses any refresh token it rotated away.
type fakeIDP struct {
	mu       sync.Mutex
	ttl      time.Duration
	rotate   bool
	valid    map[string]bool // refresh tokens it accepts
	err      error           // returned while set
	gate     chan struct{}   // when set, Refresh waits on it
	calls    atomic.Int64
	revoked  []string
	n        int
	onAccept func(sent string) // called after accepting, before answering
}

func newFakeIDP(ttl time.Duration, rotate bool, valid ...string) *fakeIDP {
	f := &fakeIDP{ttl: ttl, rotate: rotate, valid: map[string]bool{}}
	for _, v := range valid {
		f.valid[v] = true
	}
	return f
}

func (f *fakeIDP) Refresh(ctx context.Context, _ Endpoints, rt secret.Token) (Grant, error) {
	f.calls.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Grant{}, f.err
	}
	if !f.valid[rt.Reveal()] {
		return Grant{}, fmt.Errorf("refresh: invalid_grant: %w", ErrLoginRequired)
	}
	f.n++
	g := Grant{AccessToken: secret.New(fmt.Sprintf("access-%d", f.n)), Expiry: time.Now().Add(f.ttl)}
	if f.rotate {
		delete(f.valid, rt.Reveal())
		next := fmt.Sprintf("refresh-%d", f.n)
		f.valid[next] = true
		g.RefreshToken = secret.New(next)
	}
	if f.onAccept != nil {
		f.onAccept(rt.Reveal())
	}
	return g, nil
}

func (f *fakeIDP) Revoke(_ context.Context, _ Endpoints, rt secret.Token) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	delete(f.valid, rt.Reveal())
	f.revoked = append(f.revoked, rt.Reveal())
	return nil
}

func (f *fakeIDP) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}
