package tokens

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// damagedStore is a memStore in which some items exist but cannot be read.
type damagedStore struct {
	*memStore
	damaged map[string]bool
}

func (s *damagedStore) Load(ctx context.Context, name string) (Record, error) {
	s.mu.Lock()
	bad := s.damaged[name]
	s.mu.Unlock()
	if bad {
		return Record{}, fmt.Errorf("keyring item %s (file /k/%s): %w: truncated", name, name, ErrRecordDamaged)
	}
	return s.memStore.Load(ctx, name)
}

func (s *damagedStore) Save(ctx context.Context, name string, r Record) error {
	err := s.memStore.Save(ctx, name, r)
	s.mu.Lock()
	delete(s.damaged, name)
	s.mu.Unlock()
	return err
}

func (s *damagedStore) Delete(ctx context.Context, name string) error {
	s.mu.Lock()
	delete(s.damaged, name)
	s.mu.Unlock()
	return s.memStore.Delete(ctx, name)
}

func (s *damagedStore) List(ctx context.Context) ([]string, error) {
	names, err := s.memStore.List(ctx)
	s.mu.Lock()
	for n := range s.damaged {
		names = append(names, n)
	}
	s.mu.Unlock()
	return names, err
}

func stateOf(t *testing.T, m *Manager, name string) Info {
	t.Helper()
	list, err := m.Accounts(context.Background())
	if err != nil {
		t.Fatalf("accounts: %v", err)
	}
	for _, in := range list {
		if in.Name == name {
			return in
		}
	}
	t.Fatalf("%s not listed in %+v", name, list)
	return Info{}
}

func TestDamagedItemReportedAndLeftAlone(t *testing.T) {
	ctx := context.Background()
	st := &damagedStore{memStore: newMemStore(), damaged: map[string]bool{"bad": true, "gone": true}}
	idp := newFakeIDP(time.Hour, false, "rt")
	m := newTestManager(t, st, idp)
	login(t, m, "good", "rt")
	m = newTestManager(t, st, idp) // a daemon starting on that keyring

	in := stateOf(t, m, "bad")
	if in.State != StateUnreadable || in.Source != SourceKeyring || in.LastError == "" {
		t.Fatalf("damaged item reported as %+v", in)
	}
	if _, err := m.Token(ctx, "bad", 0); !errors.Is(err, ErrRecordDamaged) {
		t.Fatalf("token of a damaged item: %v", err)
	}
	if _, err := m.Token(ctx, "good", 0); err != nil {
		t.Fatalf("a good account beside a damaged one: %v", err)
	}
	if _, err := m.Forget(ctx, "bad", true); !errors.Is(err, ErrRecordDamaged) {
		t.Fatalf("forget with revoke of an unreadable token: %v", err)
	}
	if len(st.deletes) != 0 || !st.damaged["bad"] {
		t.Fatal("a damaged item was deleted without being asked to")
	}

	login(t, m, "bad", "rt")
	if in := stateOf(t, m, "bad"); in.State != StateOK || in.LastError != "" {
		t.Fatalf("after a new login: %+v", in)
	}
	if _, err := m.Forget(ctx, "gone", false); err != nil {
		t.Fatalf("forget a damaged item: %v", err)
	}
	for _, in := range mustAccounts(t, m) {
		if in.Name == "gone" {
			t.Fatalf("forgotten damaged item still listed: %+v", in)
		}
	}
}

func mustAccounts(t *testing.T, m *Manager) []Info {
	t.Helper()
	list, err := m.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return list
}
