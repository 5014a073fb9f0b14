package oauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

func FuzzParseUnverified(f *testing.F) {
	f.Add("")
	f.Add("a.b.c")
	f.Add(unsignedJWT(f, map[string]any{"exp": 1, "aud": []string{"x"}, "scope": "s"}))
	f.Add(unsignedJWT(f, map[string]any{"exp": "soon", "aud": 3, "scope": 4}))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ParseUnverified(secret.New(s))
		if err != nil && !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("error %v does not match ErrInvalidToken", err)
		}
	})
}

func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	keys := rsaKeys(f)
	f.Add(sign(f, keys[0], "k1", goodClaims(now)))
	f.Add(sign(f, keys[0], "", goodClaims(now)))
	f.Add("x.y.z")
	// Verification needs no network once the key is cached; a JWKS server would be
	// per-test, so the key set is seeded directly.
	f.Fuzz(func(t *testing.T, s string) {
		v := NewVerifier(nil, Endpoints{Issuer: testIssuer, JWKS: "http://127.0.0.1:1/"},
			"dbos-cloud-api")
		v.now = func() time.Time { return now }
		v.keys = map[string]*rsa.PublicKey{"k1": &keys[0].PublicKey}
		v.loaded, v.fetched = now, now
		cl, err := v.Verify(context.Background(), secret.New(s))
		if err == nil {
			if cl.Subject != "auth0|alice" {
				t.Fatalf("accepted a token that is not the seed: %+v", cl)
			}
			return
		}
		if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("error %v does not match ErrInvalidToken", err)
		}
		if len(s) > 8 && strings.Contains(err.Error(), s) {
			t.Fatalf("error quotes the token: %v", err)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	f.Add(400, `{"error":"invalid_grant","error_description":"x"}`)
	f.Add(503, `<html>`)
	f.Add(403, `{"error":"\u001b[2J","error_description":"tok-secret-1"}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		e := decodeError(status, []byte(body), secret.New("tok-secret-1"))
		if strings.Contains(e.Error(), "tok-secret-1") {
			t.Fatalf("error leaks the secret: %q", e.Error())
		}
		if strings.ContainsAny(e.Code+e.Description, "\n\r\x1b") {
			t.Fatalf("control characters kept: %q", e.Error())
		}
		if len([]rune(e.Description)) > maxDescriptionLen+1 {
			t.Fatal("description not shortened")
		}
	})
}
