package gitcred

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/oauth"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

func jwtWith(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + ".sig"
}

func TestJWTExpiry(t *testing.T) {
	const h = `{"alg":"RS256","typ":"JWT"}`
	for _, tc := range []struct {
		tok  string
		want int64 // unix seconds; 0 means no expiry
	}{
		{jwtWith(h, `{"sub":"a","exp":1893553445}`), 1893553445},
		{jwtWith(h, `{"exp":1893553445.9}`), 1893553445},
		{jwtWith(h, `{"exp":-1.5}`), -2},
		{jwtWith(h, `{"sub":"a"}`), 0},
		{jwtWith(h, `{"exp":"1893553445"}`), 0},
		{jwtWith(h, `not json`), 0},
		{jwtWith(`nope`, `{"exp":5}`), 0},
		{"opaque-token", 0},
		{"a.b", 0},
		{"a.b.c.d", 0},
	} {
		got, ok := jwtExpiry(tc.tok)
		if ok != (tc.want != 0) || ok && got.Unix() != tc.want {
			t.Errorf("jwtExpiry(%q) = %v, %v; want %d", tc.tok, got, ok, tc.want)
		}
	}
}

// FuzzJWTExpiry: whenever pkg/oauth reads a plausible expiry (years 1970-9999)
// from a token, jwtExpiry reads the same one. Beyond that the library's arithmetic
// overflows, and jwtExpiry reports no expiry instead.
func FuzzJWTExpiry(f *testing.F) {
	f.Add(`{"alg":"none"}`, `{"exp":1893553445}`)
	f.Add(`{"alg":"none"}`, `{"exp":1.5e9,"nbf":3}`)
	f.Add(`{}`, `{"exp":-7.25}`)
	f.Fuzz(func(t *testing.T, header, payload string) {
		tok := jwtWith(header, payload)
		c, err := oauth.ParseUnverified(secret.New(tok))
		if err != nil || c.ExpiresAt.Unix() < 0 || c.ExpiresAt.Year() > 9999 {
			return
		}
		got, ok := jwtExpiry(tok)
		if !ok || !got.Equal(c.ExpiresAt.Truncate(time.Second)) {
			t.Fatalf("%s: jwtExpiry = %v, %v; pkg/oauth = %v", tok, got, ok, c.ExpiresAt)
		}
	})
}
