package emulator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
)

func TestRegistrationRules(t *testing.T) {
	e := emulatortest.Start(t)
	access, _ := e.Login(t, "newbie", "sub")

	st, body := e.API(t, http.MethodGet, "/v1alpha1/user/profile", access, nil)
	if msg := wantAPIError(t, st, body, http.StatusNotFound); !strings.Contains(msg,
		"user not found in DBOS Cloud") {
		t.Fatalf("unregistered message %q", msg)
	}

	for _, name := range []string{"", "ab", "Alice", "al-ice", "al ice", strings.Repeat("a", 31), "élan"} {
		st, body := e.API(t, http.MethodPut, "/v1alpha1/user", access, map[string]string{"name": name})
		wantAPIError(t, st, body, http.StatusBadRequest)
	}
	for _, body := range []string{`{"name":`, `["x"]`, `{"name":"abc"} trailing`, `{"name":3}`} {
		st, out := e.API(t, http.MethodPut, "/v1alpha1/user", access, rawJSON(body))
		wantAPIError(t, st, out, http.StatusBadRequest)
	}

	// PY sends "secret": null; the boundary lengths 3 and 30 are valid.
	st, body = e.API(t, http.MethodPut, "/v1alpha1/user", access,
		map[string]any{"name": "abc", "secret": nil})
	if st != http.StatusOK {
		t.Fatalf("register abc: %d %s", st, body)
	}
	p := profile(t, e, access)
	if p["Name"] != "abc" || p["Organization"] != "abc" || p["Email"] != "newbie@emulator.invalid" ||
		p["SubscriptionPlan"] == "" {
		t.Fatalf("profile %v", p)
	}
	st, body = e.API(t, http.MethodPut, "/v1alpha1/user", access, map[string]string{"name": "abd"})
	wantAPIError(t, st, body, http.StatusConflict) // already registered

	other, _ := e.Login(t, "other", "sub")
	st, body = e.API(t, http.MethodPut, "/v1alpha1/user", other, map[string]string{"name": "abc"})
	wantAPIError(t, st, body, http.StatusConflict) // user name taken
	long := strings.Repeat("z", 30)
	e.Register(t, other, long, "")
}

// rawJSON is a body sent as is.
func rawJSON(s string) []byte { return []byte(s) }

func TestOrganizations(t *testing.T) {
	e := emulatortest.Start(t)
	alice := registered(t, e, "alice")

	st, body := e.API(t, http.MethodGet, "/v1alpha1/alice/secret", alice, nil)
	secret := decode[string](t, body)
	if st != http.StatusOK || len(secret) < 20 {
		t.Fatalf("invite: %d %s", st, body)
	}

	bob, _ := e.Login(t, "bob@example.com", "sub")
	e.Register(t, bob, "bob", secret)
	if p := profile(t, e, bob); p["Organization"] != "alice" || p["Email"] != "bob@example.com" {
		t.Fatalf("bob's profile %v", p)
	}
	carol, _ := e.Login(t, "carol", "sub")
	st, body = e.API(t, http.MethodPut, "/v1alpha1/user", carol,
		map[string]string{"name": "carol", "secret": secret})
	wantAPIError(t, st, body, http.StatusBadRequest) // single use
	st, body = e.API(t, http.MethodPut, "/v1alpha1/user", carol,
		map[string]string{"name": "carol", "secret": "made-up"})
	wantAPIError(t, st, body, http.StatusBadRequest)

	st, body = e.API(t, http.MethodGet, "/v1alpha1/alice/users", bob, nil)
	list := decode[struct {
		OrgName   string
		UserNames []string
	}](t, body)
	if st != 200 || list.OrgName != "alice" || strings.Join(list.UserNames, ",") != "alice,bob" {
		t.Fatalf("list: %d %s", st, body)
	}

	t.Run("admin only", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/v1alpha1/alice/secret"},
			{http.MethodPatch, "/v1alpha1/alice"},
			{http.MethodDelete, "/v1alpha1/alice/alice"},
		} {
			st, body := e.API(t, c.method, c.path, bob, map[string]string{"newName": "bobs"})
			wantAPIError(t, st, body, http.StatusForbidden)
		}
	})

	e.Register(t, carol, "carol", "")
	t.Run("non-member and unknown org", func(t *testing.T) {
		st, body := e.API(t, http.MethodGet, "/v1alpha1/alice/users", carol, nil)
		wantAPIError(t, st, body, http.StatusForbidden)
		for _, m := range []string{http.MethodGet + " /v1alpha1/nosuch/users",
			http.MethodGet + " /v1alpha1/nosuch/secret", http.MethodPatch + " /v1alpha1/nosuch",
			http.MethodDelete + " /v1alpha1/nosuch/bob", http.MethodPost + " /v1alpha1/nosuch/join"} {
			method, path, _ := strings.Cut(m, " ")
			st, body := e.API(t, method, path, carol,
				map[string]string{"newName": "newname", "secret": "x"})
			wantAPIError(t, st, body, http.StatusNotFound)
		}
	})

	t.Run("rename", func(t *testing.T) {
		for _, name := range []string{"", "A", "no-dash"} {
			st, body := e.API(t, http.MethodPatch, "/v1alpha1/alice", alice, map[string]string{"newName": name})
			wantAPIError(t, st, body, http.StatusBadRequest)
		}
		st, body := e.API(t, http.MethodPatch, "/v1alpha1/alice", alice, rawJSON(`{"newName":`))
		wantAPIError(t, st, body, http.StatusBadRequest)
		st, body = e.API(t, http.MethodPatch, "/v1alpha1/alice", alice, map[string]string{"newName": "carol"})
		wantAPIError(t, st, body, http.StatusConflict)
		st, body = e.API(t, http.MethodPatch, "/v1alpha1/alice", alice, map[string]string{"newName": "acme"})
		if st != http.StatusOK {
			t.Fatalf("rename: %d %s", st, body)
		}
		if p := profile(t, e, bob); p["Organization"] != "acme" {
			t.Fatalf("bob's org after rename: %v", p)
		}
		// A user named like the old organization cannot take a taken org name.
		dave, _ := e.Login(t, "dave", "sub")
		st, body = e.API(t, http.MethodPut, "/v1alpha1/user", dave, map[string]string{"name": "acme"})
		wantAPIError(t, st, body, http.StatusConflict)
	})

	t.Run("join and emptied org", func(t *testing.T) {
		_, body := e.API(t, http.MethodGet, "/v1alpha1/acme/secret", alice, nil)
		s := decode[string](t, body)
		st, body := e.API(t, http.MethodPost, "/v1alpha1/acme/join", carol, rawJSON(`{"secret"`))
		wantAPIError(t, st, body, http.StatusBadRequest)
		st, body = e.API(t, http.MethodPost, "/v1alpha1/carol/join", bob, map[string]string{"secret": s})
		wantAPIError(t, st, body, http.StatusBadRequest) // a secret of another org
		st, body = e.API(t, http.MethodPost, "/v1alpha1/acme/join", carol, map[string]string{"secret": s})
		if st != http.StatusOK {
			t.Fatalf("join: %d %s", st, body)
		}
		if p := profile(t, e, carol); p["Organization"] != "acme" {
			t.Fatalf("carol's org after join: %v", p)
		}
		// carol's personal org emptied and was deleted: its name is free again.
		st, body = e.API(t, http.MethodPatch, "/v1alpha1/acme", alice, map[string]string{"newName": "carol"})
		if st != http.StatusOK {
			t.Fatalf("rename to the freed name: %d %s", st, body)
		}
	})

	t.Run("expired secret", func(t *testing.T) {
		_, body := e.API(t, http.MethodGet, "/v1alpha1/carol/secret", alice, nil)
		s := decode[string](t, body)
		e.Advance(t, 24*time.Hour+time.Second)
		alice2, _ := e.Login(t, "alice@example.com", "sub") // the old token expired too
		erin, _ := e.Login(t, "erin", "sub")
		st, out := e.API(t, http.MethodPut, "/v1alpha1/user", erin,
			map[string]string{"name": "erin", "secret": s})
		wantAPIError(t, st, out, http.StatusBadRequest)
		alice = alice2
	})

	t.Run("remove", func(t *testing.T) {
		users, _ := e.Login(t, "users", "sub")
		_, body := e.API(t, http.MethodGet, "/v1alpha1/carol/secret", alice, nil)
		e.Register(t, users, "users", decode[string](t, body))

		st, out := e.API(t, http.MethodDelete, "/v1alpha1/carol/alice", alice, nil)
		wantAPIError(t, st, out, http.StatusBadRequest) // not yourself
		st, out = e.API(t, http.MethodDelete, "/v1alpha1/carol/nobody", alice, nil)
		wantAPIError(t, st, out, http.StatusNotFound)
		// "users" is a fixed sub-route for GET, but DELETE removes the user "users".
		st, out = e.API(t, http.MethodDelete, "/v1alpha1/carol/users", alice, nil)
		if st != http.StatusOK {
			t.Fatalf("remove users: %d %s", st, out)
		}
		st, out = e.API(t, http.MethodGet, "/v1alpha1/user/profile", users, nil)
		wantAPIError(t, st, out, http.StatusNotFound)
		e.Register(t, users, "users", "") // a removed user may register afresh
	})
}

func TestBearerTokens(t *testing.T) {
	e := emulatortest.Start(t, "--access-token-ttl", "1h")
	foreign := emulatortest.Start(t)
	access := registered(t, e, "tok")
	alien, _ := foreign.Login(t, "tok@example.com", "sub")

	cases := map[string]string{
		"missing":        "",
		"garbage":        "not-a-jwt",
		"foreign-signed": alien,
		"tampered":       access[:len(access)-4] + "AAAA",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			st, body := e.API(t, http.MethodGet, "/v1alpha1/user/profile", tok, nil)
			wantAPIError(t, st, body, http.StatusUnauthorized)
		})
	}
	t.Run("wrong scheme", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.URL()+"/v1alpha1/user/profile", nil)
		req.Header.Set("Authorization", "Basic "+access)
		resp, err := e.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Request-ID") == "" {
			t.Fatalf("status %d, request ID %q", resp.StatusCode, resp.Header.Get("X-Request-ID"))
		}
	})
	t.Run("expired", func(t *testing.T) {
		profile(t, e, access)
		e.Advance(t, time.Hour+time.Second)
		st, body := e.API(t, http.MethodGet, "/v1alpha1/user/profile", access, nil)
		if msg := wantAPIError(t, st, body, http.StatusUnauthorized); !strings.Contains(msg, "expired") {
			t.Fatalf("message %q", msg)
		}
	})
	st, body := e.API(t, http.MethodGet, "/v1alpha1/no/such/path/here", access, nil)
	wantAPIError(t, st, body, http.StatusNotFound)
}

func TestTrustIssuer(t *testing.T) {
	external := emulatortest.Start(t)
	e := emulatortest.Start(t, "--trust-issuer", external.URL())

	ext, _ := external.Login(t, "sso-user", "sub")
	e.Register(t, ext, "ssouser", "")
	if p := profile(t, e, ext); p["Name"] != "ssouser" {
		t.Fatalf("profile %v", p)
	}

	// A third issuer, not trusted, is still refused.
	stranger := emulatortest.Start(t)
	tok, _ := stranger.Login(t, "sso-user", "sub")
	st, body := e.API(t, http.MethodGet, "/v1alpha1/user/profile", tok, nil)
	wantAPIError(t, st, body, http.StatusUnauthorized)

	// External tokens expire on the emulator's clock.
	e.Advance(t, 25*time.Hour)
	st, body = e.API(t, http.MethodGet, "/v1alpha1/user/profile", ext, nil)
	wantAPIError(t, st, body, http.StatusUnauthorized)
}
