package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// reply is one scripted answer of a fake endpoint.
type reply struct {
	status int
	body   string
}

// script serves its replies in order, repeating the last, and records each form.
type script struct {
	t       *testing.T
	mu      sync.Mutex
	replies []reply
	forms   []url.Values
	types   []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.t.Errorf("parse form: %v", err)
	}
	s.mu.Lock()
	s.forms = append(s.forms, r.PostForm)
	s.types = append(s.types, r.Header.Get("Content-Type"))
	i := min(len(s.forms)-1, len(s.replies)-1)
	rep := s.replies[i]
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = w.Write([]byte(rep.body))
}

func (s *script) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.forms)
}

// serve starts a login service whose token, device and revoke endpoints each follow a
// script, and returns a client for it.
func serve(t *testing.T, token, device, revoke []reply) (*Client, *script, *script, *script) {
	t.Helper()
	ts, ds, rs := &script{t: t, replies: token}, &script{t: t, replies: device},
		&script{t: t, replies: revoke}
	mux := http.NewServeMux()
	mux.Handle("POST /oauth/token", ts)
	mux.Handle("POST /oauth/device/code", ds)
	mux.Handle("POST /oauth/revoke", rs)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	c := &Client{
		HTTP:      srv.Client(),
		Endpoints: Auth0Endpoints(srv.URL + "/"),
		ClientID:  "client-1",
		Audience:  "dbos-cloud-api",
		UserAgent: "test-agent/1",
	}
	return c, ts, ds, rs
}

// fakeClock is a clock whose sleeps advance time at once.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
	// onSleep, if set, runs at each sleep (for example to cancel a context).
	onSleep func(n int)
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	n := len(f.waits)
	f.t = f.t.Add(d)
	hook := f.onSleep
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

func (f *fakeClock) install(c *Client) {
	c.now, c.sleep = f.now, f.sleep
}

// assertNoLeak fails if text holds any of the secrets.
func assertNoLeak(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("text leaks a secret %q: %s", s[:min(4, len(s))]+"…", text)
		}
	}
}
