package oauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

var (
	keysOnce sync.Once
	testKeys [2]*rsa.PrivateKey
)

// rsaKeys returns two 2048-bit keys, generated once per test process.
func rsaKeys(t testing.TB) [2]*rsa.PrivateKey {
	keysOnce.Do(func() {
		for i := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[i] = k
		}
	})
	return testKeys
}

// jwksServer publishes a mutable set of keys and counts fetches.
type jwksServer struct {
	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetches atomic.Int32
	srv     *httptest.Server
}

func newJWKSServer(t *testing.T, keys map[string]*rsa.PublicKey) *jwksServer {
	j := &jwksServer{keys: keys}
	j.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.fetches.Add(1)
		j.mu.Lock()
		defer j.mu.Unlock()
		var set struct {
			Keys []map[string]string `json:"keys"`
		}
		for kid, k := range j.keys {
			set.Keys = append(set.Keys, map[string]string{
				"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
				"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
			})
		}
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(j.srv.Close)
	return j
}

func (j *jwksServer) set(kid string, k *rsa.PublicKey) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.keys[kid] = k
}

const testIssuer = "https://login.example/"

func sign(t testing.TB, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsignedJWT builds a token with the given claims and a junk signature.
func unsignedJWT(t testing.TB, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "k"})
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(p) + "." + enc([]byte("sig"))
}

func goodClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": testIssuer, "sub": "auth0|alice", "aud": []string{"dbos-cloud-api", "other"},
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "scope": "offline_access",
		"azp": "client-1",
	}
}

func newTestVerifier(t *testing.T, now time.Time) (*Verifier, *jwksServer) {
	keys := rsaKeys(t)
	j := newJWKSServer(t, map[string]*rsa.PublicKey{"k1": &keys[0].PublicKey})
	ep := Endpoints{Issuer: strings.TrimSuffix(testIssuer, "/"), JWKS: j.srv.URL}
	v := NewVerifier(j.srv.Client(), ep, "dbos-cloud-api")
	v.now = func() time.Time { return now }
	return v, j
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	keys := rsaKeys(t)
	with := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := goodClaims(now)
		mod(c)
		return c
	}
	hsToken := func() string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, goodClaims(now)).SignedString(
			[]byte("k1"))
		return s
	}
	noneToken := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, goodClaims(now))
		tok.Header["kid"] = "k1"
		s, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		return s
	}

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"good", sign(t, keys[0], "k1", goodClaims(now)), true},
		{"string audience", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			c["aud"] = "dbos-cloud-api"
		})), true},
		{"exp within leeway", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			c["exp"] = now.Add(-59 * time.Second).Unix()
		})), true},
		{"iat within leeway", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			c["iat"] = now.Add(59 * time.Second).Unix()
		})), true},
		{"wrong audience", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			c["aud"] = "someone-else"
		})), false},
		{"no audience", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			delete(c, "aud")
		})), false},
		{"wrong issuer", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			c["iss"] = "https://evil.example/"
		})), false},
		{"expired", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			c["exp"] = now.Add(-61 * time.Second).Unix()
		})), false},
		{"no exp", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			delete(c, "exp")
		})), false},
		{"not yet valid", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			c["nbf"] = now.Add(2 * time.Minute).Unix()
		})), false},
		{"issued in future", sign(t, keys[0], "k1", with(func(c jwt.MapClaims) {
			c["iat"] = now.Add(2 * time.Minute).Unix()
		})), false},
		{"no kid", sign(t, keys[0], "", goodClaims(now)), false},
		{"unknown kid", sign(t, keys[0], "k9", goodClaims(now)), false},
		{"signed by another key", sign(t, keys[1], "k1", goodClaims(now)), false},
		{"HS256 keyed with kid", hsToken(), false},
		{"alg none", noneToken(), false},
		{"garbage", "garbageXYZ.a.b", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := newTestVerifier(t, now)
			cl, err := v.Verify(context.Background(), secret.New(tt.token))
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if cl.Subject != "auth0|alice" || cl.AuthorizedParty != "client-1" ||
					cl.Scope != "offline_access" || cl.ExpiresAt.IsZero() {
					t.Errorf("claims %+v", cl)
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v, want ErrInvalidToken", err)
			}
			if tt.token != "" {
				assertNoLeak(t, err.Error(), tt.token, strings.Split(tt.token, ".")[0])
			}
		})
	}
}

func TestVerifyUnknownKidRefetch(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	keys := rsaKeys(t)
	v, j := newTestVerifier(t, now)
	ctx := context.Background()

	if _, err := v.Verify(ctx, secret.New(sign(t, keys[0], "k1", goodClaims(now)))); err != nil {
		t.Fatal(err)
	}
	// The issuer rotates in a new key: the first token with its kid triggers one
	// fetch, and the cache serves it afterwards.
	j.set("k2", &keys[1].PublicKey)
	clock := now.Add(minRefetch)
	v.now = func() time.Time { return clock }
	tok2 := secret.New(sign(t, keys[1], "k2", goodClaims(clock)))
	for range 3 {
		if _, err := v.Verify(ctx, tok2); err != nil {
			t.Fatal(err)
		}
	}
	if n := j.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}

	// Unknown kids cause at most one fetch per minRefetch.
	bogus := secret.New(sign(t, keys[1], "k-bogus", goodClaims(clock)))
	for i := range 6 {
		if i == 3 {
			clock = clock.Add(minRefetch)
		}
		if _, err := v.Verify(ctx, bogus); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("error %v", err)
		}
	}
	if n := j.fetches.Load(); n != 3 {
		t.Errorf("%d fetches after bogus kids, want 3", n)
	}
}

func TestVerifyJWKSUnavailable(t *testing.T) {
	now := time.Now()
	keys := rsaKeys(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	v := NewVerifier(srv.Client(), Endpoints{Issuer: testIssuer, JWKS: srv.URL}, "")
	_, err := v.Verify(context.Background(), secret.New(sign(t, keys[0], "k1", goodClaims(now))))
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalidToken) {
		t.Fatalf("error %v, want ErrUnavailable only", err)
	}
}

func TestParseJWKS(t *testing.T) {
	keys := rsaKeys(t)
	n := base64.RawURLEncoding.EncodeToString(keys[0].N.Bytes())
	short, _ := rsa.GenerateKey(rand.Reader, 1024)
	nShort := base64.RawURLEncoding.EncodeToString(short.N.Bytes())
	tests := []struct {
		name string
		body string
		kids []string
	}{
		{"one", `{"keys":[{"kty":"RSA","kid":"a","n":"` + n + `","e":"AQAB"}]}`, []string{"a"}},
		{"skips others", `{"keys":[{"kty":"EC","kid":"ec"},{"kty":"RSA","n":"` + n +
			`","e":"AQAB"},{"kty":"RSA","kid":"enc","use":"enc","n":"` + n +
			`","e":"AQAB"},{"kty":"RSA","kid":"ps","alg":"PS256","n":"` + n +
			`","e":"AQAB"},{"kty":"RSA","kid":"ok","n":"` + n + `","e":"AQAB"}]}`,
			[]string{"ok"}},
		{"short key", `{"keys":[{"kty":"RSA","kid":"s","n":"` + nShort + `","e":"AQAB"}]}`, nil},
		{"even exponent", `{"keys":[{"kty":"RSA","kid":"a","n":"` + n + `","e":"AAI"}]}`, nil},
		{"empty", `{"keys":[]}`, nil},
		{"not json", `nope`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJWKS([]byte(tt.body))
			if len(tt.kids) == 0 {
				if err == nil {
					t.Fatalf("accepted: %v", got)
				}
				return
			}
			if err != nil || len(got) != len(tt.kids) {
				t.Fatalf("got %v, %v", got, err)
			}
			for _, k := range tt.kids {
				if got[k] == nil {
					t.Errorf("key %q missing", k)
				}
			}
		})
	}
}

func TestParseUnverified(t *testing.T) {
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := unsignedJWT(t, map[string]any{"iss": "i", "sub": "s", "aud": "a",
		"exp": exp.Unix(), "scope": []string{"x", "y"}})
	cl, err := ParseUnverified(secret.New(tok))
	if err != nil {
		t.Fatal(err)
	}
	if cl.Issuer != "i" || cl.Subject != "s" || len(cl.Audience) != 1 ||
		!cl.ExpiresAt.Equal(exp) || cl.Scope != "x y" || !cl.IssuedAt.IsZero() {
		t.Errorf("claims %+v", cl)
	}
	for _, bad := range []string{"", "a.b", "a.b.c", "x.y.z.w"} {
		if _, err := ParseUnverified(secret.New(bad)); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

// BenchmarkVerify measures a verification with the key cached (the common case).
func BenchmarkVerify(b *testing.B) {
	now := time.Now()
	keys := rsaKeys(b)
	v := NewVerifier(nil, Endpoints{Issuer: testIssuer}, "dbos-cloud-api")
	v.keys = map[string]*rsa.PublicKey{"k1": &keys[0].PublicKey}
	v.loaded, v.fetched = now, now
	tok := secret.New(sign(b, keys[0], "k1", goodClaims(now)))
	ctx := context.Background()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
