package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

const bearer = "bearer-token-xyz"

// seen is one request as the fake API received it.
type seen struct {
	method, rawPath, body        string
	auth, contentType, userAgent string
}

// fakeAPI answers every request with one status and body and records requests.
type fakeAPI struct {
	mu     sync.Mutex
	reqs   []seen
	status int
	body   string
	ctype  string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, seen{r.Method, r.URL.EscapedPath(), string(b),
		r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.UserAgent()})
	status, body, ctype := f.status, f.body, f.ctype
	f.mu.Unlock()
	if ctype == "" {
		ctype = "application/json"
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (f *fakeAPI) last() seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

func newFake(t *testing.T, status int, body string) (*Client, *fakeAPI) {
	t.Helper()
	f := &fakeAPI{status: status, body: body}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := &Client{
		HTTP:      srv.Client(),
		BaseURL:   srv.URL + "/",
		UserAgent: "dbos-cloud/test",
		Token: func(context.Context) (secret.Token, error) {
			return secret.New(bearer), nil
		},
	}
	return c, f
}

func TestCalls(t *testing.T) {
	inv := secret.New("invite-secret-123")
	tests := []struct {
		name   string
		reply  string
		call   func(c *Client) error
		method string
		path   string
		body   string
	}{
		{"profile", `{"Name":"a"}`, func(c *Client) error { _, err := c.Profile(ctx()); return err },
			"GET", "/v1alpha1/user/profile", ""},
		{"register", ``, func(c *Client) error {
			return c.Register(ctx(), Registration{Name: "alice", GivenName: "A",
				FamilyName: "L", Company: "C", Secret: inv})
		}, "PUT", "/v1alpha1/user",
			`{"name":"alice","given_name":"A","family_name":"L","company":"C",` +
				`"secret":"invite-secret-123"}`},
		{"register without secret", ``, func(c *Client) error {
			return c.Register(ctx(), Registration{Name: "alice"})
		}, "PUT", "/v1alpha1/user",
			`{"name":"alice","given_name":"","family_name":"","company":""}`},
		{"invite", `"s"`, func(c *Client) error { _, err := c.InviteSecret(ctx(), "acme"); return err },
			"GET", "/v1alpha1/acme/secret", ""},
		{"list", `{"OrgName":"acme","UserNames":["a"]}`, func(c *Client) error {
			_, err := c.ListUsers(ctx(), "acme")
			return err
		}, "GET", "/v1alpha1/acme/users", ""},
		{"rename", ``, func(c *Client) error { return c.RenameOrg(ctx(), "acme", "acme2") },
			"PATCH", "/v1alpha1/acme", `{"newName":"acme2"}`},
		{"join", ``, func(c *Client) error { return c.JoinOrg(ctx(), "acme", inv) },
			"POST", "/v1alpha1/acme/join", `{"secret":"invite-secret-123"}`},
		{"remove", ``, func(c *Client) error { return c.RemoveUser(ctx(), "acme", "bob") },
			"DELETE", "/v1alpha1/acme/bob", ""},
		{"escaped segments", ``, func(c *Client) error {
			return c.RemoveUser(ctx(), "a/b c", "x?y#z%")
		}, "DELETE", "/v1alpha1/a%2Fb%20c/x%3Fy%23z%25", ""},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			c, f := newFake(t, 200, tt.reply)
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			got := f.last()
			if got.method != tt.method || got.rawPath != tt.path || got.body != tt.body {
				t.Errorf("got %s %s %s\nwant %s %s %s", got.method, got.rawPath, got.body,
					tt.method, tt.path, tt.body)
			}
			if got.auth != "Bearer "+bearer || got.contentType != "application/json" ||
				got.userAgent != "dbos-cloud/test" {
				t.Errorf("headers %+v", got)
			}
		})
	}
}

func ctx() context.Context { return context.Background() }

func TestBadSegments(t *testing.T) {
	c, f := newFake(t, 200, ``)
	for _, seg := range []string{"", ".", ".."} {
		if err := c.RemoveUser(ctx(), "acme", seg); err == nil {
			t.Errorf("segment %q accepted", seg)
		}
		if _, err := c.ListUsers(ctx(), seg); err == nil {
			t.Errorf("org %q accepted", seg)
		}
	}
	if len(f.reqs) != 0 {
		t.Errorf("%d requests sent", len(f.reqs))
	}
}

func TestProfileRaw(t *testing.T) {
	c, _ := newFake(t, 200, `{ "Name": "alice", "Email": "a@x", "Organization": "acme",
		"SubscriptionPlan": "pro", "Extra": {"n": 1} }`)
	p, err := c.Profile(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "alice" || p.Email != "a@x" || p.Organization != "acme" ||
		p.SubscriptionPlan != "pro" {
		t.Errorf("profile %+v", p)
	}
	want := `{"Name":"alice","Email":"a@x","Organization":"acme","SubscriptionPlan":"pro",` +
		`"Extra":{"n":1}}`
	if string(p.Raw) != want {
		t.Errorf("raw %s", p.Raw)
	}
}

func TestInviteSecretBodies(t *testing.T) {
	tests := []struct {
		name, body, ctype, want string
	}{
		{"json string", `"abc-123"`, "", "abc-123"},
		{"json string with newline", "\"abc-123\"\n", "", "abc-123"},
		{"text", "abc-123\n", "text/plain", "abc-123"},
		{"object", `{"secret":"abc"}`, "", ""},
		{"empty", ``, "", ""},
		{"empty string", `""`, "", ""},
		{"bad json", `"abc`, "", ""},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			c, f := newFake(t, 200, tt.body)
			f.ctype = tt.ctype
			s, err := c.InviteSecret(ctx(), "acme")
			if tt.want == "" {
				if err == nil {
					t.Fatalf("accepted: %q", s.Reveal())
				}
				assertNoLeak(t, err.Error(), "abc")
				return
			}
			if err != nil || s.Reveal() != tt.want {
				t.Fatalf("got %q, %v", s.Reveal(), err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		text   string
		is     []error
	}{
		{"not found", 404, `{"message":"user not found in DBOS Cloud","statusCode":404,
			"requestID":"r-1"}`, "[r-1] user not found in DBOS Cloud", []error{ErrUserNotFound}},
		{"unauthorized", 401, `{"message":"bad token","statusCode":401,"requestID":"r-2"}`,
			"[r-2] bad token", []error{ErrUnauthorized}},
		{"forbidden", 403, `{"message":"not admin","statusCode":403,"requestID":"r-3",
			"DetailedError":"d"}`, "[r-3] not admin", nil},
		{"server", 500, `oops`, "request failed with status 500", []error{ErrUnavailable}},
		{"unrecognised body", 400, `{"message":"m","statusCode":"400","requestID":"r"}`,
			"request failed with status 400", nil},
		{"echoed secrets", 400, `{"message":"bad secret invite-secret-123 for ` + bearer +
			`","statusCode":400,"requestID":"r-4"}`,
			"[r-4] bad secret [REDACTED] for [REDACTED]", nil},
		{"control chars", 400, "{\"message\":\"a\\nb\",\"statusCode\":400,\"requestID\":\"\"}",
			"a b", nil},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			c, _ := newFake(t, tt.status, tt.body)
			err := c.JoinOrg(ctx(), "acme", secret.New("invite-secret-123"))
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if ae.Error() != tt.text || ae.Status != tt.status {
				t.Errorf("error %q (status %d), want %q", ae.Error(), ae.Status, tt.text)
			}
			for _, s := range []error{ErrUserNotFound, ErrUnauthorized, ErrUnavailable} {
				want := false
				for _, w := range tt.is {
					want = want || w == s
				}
				if errors.Is(err, s) != want {
					t.Errorf("errors.Is(%v) = %v", s, !want)
				}
			}
			assertNoLeak(t, err.Error(), bearer, "invite-secret-123")
		})
	}
}

func TestTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := &Client{BaseURL: srv.URL, Token: func(context.Context) (secret.Token, error) {
		return secret.New(bearer), nil
	}}
	_, err := c.Profile(ctx())
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
	assertNoLeak(t, err.Error(), bearer)

	tokenErr := errors.New("login required")
	c.Token = func(context.Context) (secret.Token, error) { return secret.Token{}, tokenErr }
	if _, err := c.Profile(ctx()); !errors.Is(err, tokenErr) {
		t.Fatalf("error %v, want the token source's", err)
	}
}

func TestCancel(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := &Client{BaseURL: srv.URL, Token: func(context.Context) (secret.Token, error) {
		return secret.New(bearer), nil
	}}
	cx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.ListUsers(cx, "acme")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want deadline exceeded", err)
	}
}

func TestOversizedReply(t *testing.T) {
	c, _ := newFake(t, 200, `{"OrgName":"`+strings.Repeat("a", maxBody)+`"}`)
	if _, err := c.ListUsers(ctx(), "acme"); err == nil {
		t.Fatal("oversized reply accepted")
	}
}

func TestAPIErrorJSONShape(t *testing.T) {
	// The decoder must accept what the service and emulator send (CONTRACT §3.1).
	b, _ := json.Marshal(map[string]any{"message": "m", "statusCode": 409, "requestID": "q"})
	e := decodeAPIError(409, b)
	if e.Message != "m" || e.RequestID != "q" || e.Status != 409 {
		t.Errorf("got %+v", e)
	}
}

func assertNoLeak(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("text leaks %q: %s", s, text)
		}
	}
}
