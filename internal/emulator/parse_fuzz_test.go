package emulator

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzReadParams feeds form and JSON bodies to the login side's parser: it must never
// panic, and whatever it accepts must be readable as plain string parameters.
func FuzzReadParams(f *testing.F) {
	seeds := []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=v1.abc"},
		{"application/x-www-form-urlencoded", "a=%zz&b"},
		{"application/json", `{"client_id":"c","token":"t"}`},
		{"application/json; charset=utf-8", `{"token":null}`},
		{"application/json", `{"token":1}`},
		{"application/json", `[]`},
		{"application/json", `null`},
		{"", "x=1;y=2"},
		{"text/plain", "\x00\xff"},
	}
	for _, s := range seeds {
		f.Add(s.ct, s.body)
	}
	f.Fuzz(func(t *testing.T, ct, body string) {
		r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		vals, err := readParams(r)
		if err == nil && vals == nil {
			t.Fatal("no error and no values")
		}
	})
}

// FuzzDecodeJSON feeds API bodies to decodeJSON: no panic, and an error never quotes
// the body (it may hold an invite secret).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"alice","secret":null}`, `{"name":`, `{"newName":"acme"} x`, `""`, ``, `{"secret":5}`,
		`{"secret":"supersecretvalue123"`, "\"supersecretvalue123",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("PUT", "/v1alpha1/user", strings.NewReader(body))
		var req registerRequest
		err := decodeJSON(r, &req)
		if err != nil && len(body) >= 8 && strings.Contains(err.Error(), body) {
			t.Fatalf("error %q quotes the body", err)
		}
	})
}

// FuzzBearer checks the Authorization header parser: an accepted token is non-empty,
// has no blanks, and occurs in the header as sent.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc.def.ghi", "bearer  x ", "Basic Zm9v", "Bearer", "Bearer a b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := bearer(h)
		if !ok {
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t") || !strings.Contains(h, tok) {
			t.Fatalf("bearer(%q) = %q", h, tok)
		}
	})
}

// FuzzNames checks the path-segment rules: valid names are safe in a URL path and a
// host name label, and user codes normalise to the code alphabet's letters.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"alice", "users", "a_b_c", "../etc", "Acme", "bcdf-ghjk", "é", "%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validName(s) && (strings.ContainsAny(s, "/.%-?#") || len(s) > 30 || len(s) < 3) {
			t.Fatalf("validName accepted %q", s)
		}
		n := normalizeUserCode(s)
		if bytes.IndexFunc([]byte(n), func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			t.Fatalf("normalizeUserCode(%q) = %q", s, n)
		}
		if validIdentity(s) && (strings.TrimSpace(s) != s || strings.ContainsAny(s, "\n\r\x00")) {
			t.Fatalf("validIdentity accepted %q", s)
		}
	})
}

func TestGrantedScope(t *testing.T) {
	cases := map[string]string{
		"":                              "",
		"sub":                           "",
		"offline_access":                "offline_access",
		"sub offline_access openid foo": "openid offline_access",
		"  email\tprofile ":             "profile email",
	}
	for in, want := range cases {
		if got := grantedScope(in); got != want {
			t.Errorf("grantedScope(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUserCodes(t *testing.T) {
	for range 100 {
		c := newUserCode()
		if len(c) != 8 || strings.Trim(c, userCodeAlphabet) != "" {
			t.Fatalf("user code %q", c)
		}
		if normalizeUserCode(strings.ToLower(displayUserCode(c))) != c {
			t.Fatalf("code %q does not survive display and retyping", c)
		}
	}
}
