package tokens

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

var testEP = Endpoints{APIURL: "http://api.test", Issuer: "http://login.test/", ClientID: "cid"}

func newTestManager(t *testing.T, st Store, idp Refresher, opt ...func(*Options)) *Manager {
	t.Helper()
	o := Options{Store: st, Refresher: idp}
	for _, f := range opt {
		f(&o)
	}
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m
}

func login(t *testing.T, m *Manager, name, rt string) {
	t.Helper()
	_, err := m.Store(context.Background(), Login{Name: name, Endpoints: testEP, User: "u",
		RefreshToken: secret.New(rt)})
	if err != nil {
		t.Fatalf("store login: %v", err)
	}
}

// eventually polls cond; the deadline is generous and only guards against a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTokenCachedAfterRefresh(t *testing.T) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, false, "rt")
	m := newTestManager(t, st, idp)
	login(t, m, "a", "rt")
	ctx := context.Background()

	first, err := m.Token(ctx, "a", time.Minute)
	if err != nil || first.Cached {
		t.Fatalf("first token: %+v %v", first, err)
	}
	second, err := m.Token(ctx, "a", time.Minute)
	if err != nil || !second.Cached || !second.Token.Equal(first.Token) {
		t.Fatalf("second token not from cache: %+v %v", second, err)
	}
	if got := idp.calls.Load(); got != 1 {
		t.Fatalf("refreshes = %d, want 1", got)
	}
	if s := m.Stats(); s.CacheHits != 1 || s.Refreshes != 1 {
		t.Fatalf("stats = %+v", s)
	}
	if second.User != "u" || second.Endpoints != testEP || second.Source != SourceKeyring {
		t.Fatalf("facts = %+v", second)
	}
}

func TestSingleFlight(t *testing.T) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, true, "rt")
	idp.gate = make(chan struct{})
	m := newTestManager(t, st, idp)
	login(t, m, "a", "rt")

	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := m.Token(context.Background(), "a", time.Minute); err != nil {
				errs <- err
			}
		})
	}
	eventually(t, "first refresh started", func() bool { return idp.calls.Load() >= 1 })
	close(idp.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := idp.calls.Load(); got != 1 {
		t.Fatalf("refreshes = %d, want 1", got)
	}
}

func TestRotationSavedBeforeHandOut(t *testing.T) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, true, "rt")
	m := newTestManager(t, st, idp)
	login(t, m, "a", "rt")
	idp.onAccept = func(sent string) {
		// The grant is not out yet: the store still has the token just sent.
		if r, _ := st.get("a"); r.RefreshToken.Reveal() != sent {
			t.Errorf("store changed before the grant returned")
		}
	}

	if _, err := m.Token(context.Background(), "a", 0); err != nil {
		t.Fatal(err)
	}
	if r, _ := st.get("a"); r.RefreshToken.Reveal() != "refresh-1" {
		t.Fatalf("stored refresh token = %q, want refresh-1", r.RefreshToken.Reveal())
	}

	// The next refresh must send the rotated token (the fake refuses the old one).
	if err := m.DropCache(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Token(context.Background(), "a", 0); err != nil {
		t.Fatalf("second refresh: %v", err)
	}
	if r, _ := st.get("a"); r.RefreshToken.Reveal() != "refresh-2" || r.LastUsed.IsZero() {
		t.Fatalf("stored record = %q, last used %v", r.RefreshToken.Reveal(), r.LastUsed)
	}
}

func TestRotationWriteFailureRetried(t *testing.T) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, true, "rt")
	m := newTestManager(t, st, idp)
	login(t, m, "a", "rt")
	st.setFail(fmt.Errorf("set: %w", ErrKeyringUnavailable), nil)

	acc, err := m.Token(context.Background(), "a", 0)
	if err != nil || acc.Token.Reveal() != "access-1" {
		t.Fatalf("token despite failed write: %+v %v", acc, err)
	}
	in, _ := m.Account(context.Background(), "a")
	if in.State != StateUnsaved {
		t.Fatalf("state = %s, want unsaved", in.State)
	}

	// The held token keeps working for the next refresh while unsaved.
	_ = m.DropCache(context.Background(), "a")
	if _, err := m.Token(context.Background(), "a", 0); err != nil {
		t.Fatalf("refresh while unsaved: %v", err)
	}

	st.setFail(nil, nil)
	eventually(t, "retried write", func() bool {
		r, _ := st.get("a")
		return r.RefreshToken.Reveal() == "refresh-2"
	})
	in, _ = m.Account(context.Background(), "a")
	if in.State != StateOK {
		t.Fatalf("state after retry = %s", in.State)
	}
}

func TestErrorsByCause(t *testing.T) {
	tests := []struct {
		name      string
		idpErr    error
		wantErr   error
		wantState State
	}{
		{"invalid grant", fmt.Errorf("refresh: %w", ErrLoginRequired), ErrLoginRequired, StateLoginRequired},
		{"unavailable", errors.New("refresh: 503 service unavailable"), ErrUnavailable, StateOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, idp := newMemStore(), newFakeIDP(time.Hour, false, "rt")
			m := newTestManager(t, st, idp)
			login(t, m, "a", "rt")
			idp.setErr(tc.idpErr)

			_, err := m.Token(context.Background(), "a", 0)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			in, _ := m.Account(context.Background(), "a")
			if in.State != tc.wantState || in.LastError == "" {
				t.Fatalf("info = %+v", in)
			}
			if _, ok := st.get("a"); !ok {
				t.Fatal("stored login deleted")
			}

			// A second request within the backoff (or after refusal) does not
			// call the login service again.
			_, err = m.Token(context.Background(), "a", 0)
			if !errors.Is(err, tc.wantErr) || idp.calls.Load() != 1 {
				t.Fatalf("second: err %v, calls %d", err, idp.calls.Load())
			}
		})
	}
}

func TestCachedServedWhileUnavailable(t *testing.T) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, false, "rt")
	m := newTestManager(t, st, idp)
	login(t, m, "a", "rt")
	first, err := m.Token(context.Background(), "a", 0)
	if err != nil {
		t.Fatal(err)
	}

	idp.setErr(errors.New("connection refused"))
	got, err := m.Token(context.Background(), "a", 2*time.Hour) // more than is left
	if err != nil || !got.Token.Equal(first.Token) {
		t.Fatalf("cached token not served: %+v %v", got, err)
	}
}

func TestNewLoginClearsLoginRequired(t *testing.T) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, false, "new")
	m := newTestManager(t, st, idp)
	login(t, m, "a", "dead")
	if _, err := m.Token(context.Background(), "a", 0); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("err = %v", err)
	}
	login(t, m, "a", "new")
	if _, err := m.Token(context.Background(), "a", 0); err != nil {
		t.Fatalf("after new login: %v", err)
	}
}

func TestAccessOnlyLogin(t *testing.T) {
	now := time.Now()
	clock := &now
	var mu sync.Mutex
	st, idp := newMemStore(), newFakeIDP(time.Hour, false)
	m := newTestManager(t, st, idp, func(o *Options) {
		o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return *clock }
	})
	_, err := m.Store(context.Background(), Login{Name: "a", Endpoints: Endpoints{APIURL: "http://api"},
		AccessToken: secret.New("at"), Expiry: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.Token(context.Background(), "a", 0); err != nil || got.Source != SourceMemory {
		t.Fatalf("token = %+v, %v", got, err)
	}
	if st.saves != 0 {
		t.Fatal("access-only login written to the store")
	}

	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if _, err := m.Token(context.Background(), "a", 0); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("expired access-only login: %v", err)
	}
	if in, _ := m.Account(context.Background(), "a"); in.State != StateLoginRequired {
		t.Fatalf("state = %s", in.State)
	}
}

func TestEnvironmentSourceNeverStored(t *testing.T) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, true, "env-rt")
	m := newTestManager(t, st, idp, func(o *Options) {
		o.Env = &EnvSource{Account: "ci", RefreshToken: secret.New("env-rt"), Endpoints: testEP}
	})
	for range 2 {
		if _, err := m.Token(context.Background(), "ci", 0); err != nil {
			t.Fatal(err)
		}
		_ = m.DropCache(context.Background(), "ci")
	}
	if st.saves != 0 || len(st.recs) != 0 {
		t.Fatalf("environment token reached the store: %d saves", st.saves)
	}
	if in, _ := m.Account(context.Background(), "ci"); in.Source != SourceEnvironment || in.State != StateOK {
		t.Fatalf("info = %+v", in)
	}
}

func TestKeyringLockedIsRetryable(t *testing.T) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, false, "rt")
	m := newTestManager(t, st, idp)
	login(t, m, "a", "rt")
	m2 := newTestManager(t, st, idp) // a fresh daemon: nothing in memory
	st.setFail(nil, fmt.Errorf("get: %w", ErrKeyringLocked))

	if _, err := m2.Token(context.Background(), "a", 0); !errors.Is(err, ErrKeyringLocked) {
		t.Fatalf("err = %v", err)
	}
	if _, err := m2.Accounts(context.Background()); !errors.Is(err, ErrKeyringLocked) {
		t.Fatalf("accounts err = %v", err)
	}
	st.setFail(nil, nil)
	if _, err := m2.Token(context.Background(), "a", 0); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	if len(st.deletes) != 0 {
		t.Fatal("something was deleted")
	}
}

func TestForget(t *testing.T) {
	tests := []struct {
		name        string
		revoke      bool
		revokeErr   error
		wantRevoked bool
		wantGone    bool
	}{
		{"plain", false, nil, false, true},
		{"revoke", true, nil, true, true},
		{"revoke fails keeps login", true, errors.New("unreachable"), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, idp := newMemStore(), newFakeIDP(time.Hour, false, "rt")
			m := newTestManager(t, st, idp)
			login(t, m, "a", "rt")
			idp.setErr(tc.revokeErr)

			revoked, err := m.Forget(context.Background(), "a", tc.revoke)
			if revoked != tc.wantRevoked || (err == nil) != (tc.revokeErr == nil) {
				t.Fatalf("revoked %v err %v", revoked, err)
			}
			if _, ok := st.get("a"); ok == tc.wantGone {
				t.Fatalf("stored = %v, want gone %v", ok, tc.wantGone)
			}
			_, err = m.Token(context.Background(), "a", 0)
			if tc.wantGone && !errors.Is(err, ErrNotFound) {
				t.Fatalf("token after forget: %v", err)
			}
		})
	}
}

func TestUnknownAndConfigured(t *testing.T) {
	m := newTestManager(t, newMemStore(), newFakeIDP(time.Hour, false), func(o *Options) {
		o.Configured = map[string]Endpoints{"conf": testEP}
	})
	ctx := context.Background()
	if _, err := m.Token(ctx, "nope", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := m.Token(ctx, "conf", 0); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("configured: %v", err)
	}
	if _, err := m.Token(ctx, "../x", 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad name: %v", err)
	}
	list, err := m.Accounts(ctx)
	if err != nil || len(list) != 1 || list[0].State != StateNotLoggedIn {
		t.Fatalf("accounts = %+v %v", list, err)
	}
}

func TestBackgroundRefreshOnlyWhenActive(t *testing.T) {
	for _, active := range []bool{true, false} {
		t.Run(fmt.Sprint("active=", active), func(t *testing.T) {
			st, idp := newMemStore(), newFakeIDP(time.Hour, false, "rt")
			m := newTestManager(t, st, idp, func(o *Options) {
				o.Policy = Policy{ActiveWindow: time.Minute}
			})
			login(t, m, "a", "rt")
			if _, err := m.Token(context.Background(), "a", 0); err != nil {
				t.Fatal(err)
			}
			a := m.lookup("a")
			// Pretend the token is due and the last use is recent or long ago.
			c := *a.access.Load()
			c.refreshAt = time.Now().Add(-time.Second)
			a.access.Store(&c)
			if !active {
				a.lastUse.Store(time.Now().Add(-time.Hour).UnixNano())
			}

			m.backgroundStep(a)
			want := int64(1)
			if active {
				want = 2
			}
			if got := idp.calls.Load(); got != want {
				t.Fatalf("refreshes = %d, want %d", got, want)
			}
		})
	}
}

func TestRefreshAtPolicy(t *testing.T) {
	m := newTestManager(t, newMemStore(), newFakeIDP(time.Hour, false), func(o *Options) {
		o.Policy = Policy{RefreshAt: 0.5, Jitter: 10 * time.Second}
	})
	issued := time.Unix(1000, 0)
	for range 100 {
		at := m.refreshAt(issued, issued.Add(100*time.Second))
		if d := at.Sub(issued); d > 50*time.Second || d < 40*time.Second {
			t.Fatalf("refresh at +%s, want within [40s, 50s]", d)
		}
	}
}

func TestCloseFlushesUnsaved(t *testing.T) {
	st, idp := newMemStore(), newFakeIDP(time.Hour, true, "rt")
	m, err := New(Options{Store: st, Refresher: idp})
	if err != nil {
		t.Fatal(err)
	}
	login(t, m, "a", "rt")
	st.setFail(errors.New("disk full"), nil)
	if _, err := m.Token(context.Background(), "a", 0); err != nil {
		t.Fatal(err)
	}
	st.setFail(nil, nil)
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r, _ := st.get("a"); r.RefreshToken.Reveal() != "refresh-1" {
		t.Fatalf("unsaved token not flushed on close")
	}
}
