package oauth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Verification policy.
const (
	// leeway absorbs clock skew between this machine and the issuer on exp, nbf, iat.
	leeway = 60 * time.Second
	// minRefetch is the shortest time between two JWKS fetches, so that tokens with
	// made-up key ids cannot make this client hammer the issuer.
	minRefetch = 30 * time.Second
	// maxKeyAge is how long fetched keys are trusted before a refetch, so that a key
	// the issuer withdrew stops being accepted.
	maxKeyAge = time.Hour
	// minRSABits refuses keys too short to be trusted.
	minRSABits = 2048
)

// Verifier checks access tokens against an issuer's published keys (JWKS). It is
// safe for concurrent use. Keys are cached by key id; a token with an unknown key id
// triggers a refetch, at most once every 30 s.
type Verifier struct {
	hc       *http.Client
	ep       Endpoints
	audience string

	now func() time.Time // tests replace it

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time // time of the last fetch attempt, successful or not
	loaded  time.Time // time keys were last replaced
}

// NewVerifier returns a Verifier for tokens of ep.Issuer, fetched from ep.JWKS with
// hc (nil: a client with a 30 s timeout), that must name audience ("" skips the
// audience check).
func NewVerifier(hc *http.Client, ep Endpoints, audience string) *Verifier {
	return &Verifier{hc: hc, ep: ep, audience: audience, now: time.Now}
}

// Verify checks a JWT access token: RS256 signature by a key of the issuer's JWKS,
// named by a required "kid" header; "iss" equal to the issuer (a trailing slash
// aside); "aud" containing the audience; "exp" present and, with "nbf" and "iat",
// within 60 s of the local clock. It returns the token's claims. A rejected token
// matches ErrInvalidToken; a JWKS that cannot be fetched, ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, token secret.Token) (Claims, error) {
	if v.ep.Issuer == "" {
		return Claims{}, fmt.Errorf("verify token: %w: no issuer configured", ErrInvalidToken)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithLeeway(leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(v.now),
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}

	var w wireClaims
	keyFor := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no key id (kid)")
		}
		return v.key(ctx, kid)
	}
	_, err := jwt.NewParser(opts...).ParseWithClaims(token.Reveal(), &w, keyFor)
	switch {
	case errors.Is(err, ErrUnavailable):
		return Claims{}, fmt.Errorf("verify token: %w", err)
	case err != nil:
		return Claims{}, fmt.Errorf("verify token: %w: %v", ErrInvalidToken, err)
	}

	if !SameIssuer(w.Issuer, v.ep.Issuer) {
		return Claims{}, fmt.Errorf("verify token: %w: issuer %q, want %q",
			ErrInvalidToken, secret.ServerText(w.Issuer, 200), v.ep.Issuer)
	}
	return w.claims(), nil
}

// key returns the public key with the given id, fetching the JWKS when the id is
// unknown (rate limited) or the cached keys are old.
func (v *Verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()

	now := v.now()
	k, ok := v.keys[kid]
	fresh := now.Sub(v.loaded) < maxKeyAge
	if ok && fresh {
		return k, nil
	}
	if now.Sub(v.fetched) < minRefetch && !v.fetched.IsZero() {
		if ok {
			return k, nil
		}
		return nil, fmt.Errorf("unknown key id %q", secret.ServerText(kid, 64))
	}

	v.fetched = now
	keys, err := fetchJWKS(ctx, v.hc, v.ep.JWKS)
	if err != nil {
		// An old key stays usable while the issuer cannot be reached.
		if ok {
			return k, nil
		}
		return nil, err
	}
	v.keys, v.loaded = keys, now

	if k, ok = keys[kid]; !ok {
		return nil, fmt.Errorf("unknown key id %q", secret.ServerText(kid, 64))
	}
	return k, nil
}

// fetchJWKS GETs a JWK set and keeps its RSA signing keys that have a key id.
func fetchJWKS(ctx context.Context, hc *http.Client, jwksURL string) (map[string]*rsa.PublicKey,
	error) {
	if jwksURL == "" {
		return nil, errors.New("no JWKS endpoint configured")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", DefaultUserAgent)

	status, body, err := do(ctx, httpClient(hc), req)
	switch {
	case err != nil:
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	case status >= 500 || status == http.StatusTooManyRequests:
		return nil, fmt.Errorf("fetch JWKS: %w: http %d", ErrUnavailable, status)
	case status/100 != 2:
		return nil, fmt.Errorf("fetch JWKS from %s: http %d", jwksURL, status)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS from %s: %w", jwksURL, err)
	}
	return keys, nil
}

// jwk is one key of a JWK set (RFC 7517 §4, RFC 7518 §6.3).
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// parseJWKS decodes a JWK set. Keys that are not RSA signing keys for RS256, have no
// key id or are malformed are skipped; a set with no usable key is an error.
func parseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, errors.New("JWKS is not a JSON key set")
	}
	keys := make(map[string]*rsa.PublicKey)
	for _, raw := range set.Keys {
		var k jwk
		if json.Unmarshal(raw, &k) != nil || k.Kty != "RSA" || k.Kid == "" {
			continue
		}
		if (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		if pub, err := rsaKey(k.N, k.E); err == nil {
			keys[k.Kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS holds no usable RS256 key")
	}
	return keys, nil
}

// rsaKey builds a public key from the base64url modulus and exponent.
func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(n64, "="))
	if err != nil {
		return nil, err
	}
	eb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(e64, "="))
	if err != nil {
		return nil, err
	}
	n := new(big.Int).SetBytes(nb)
	e := new(big.Int).SetBytes(eb)
	if n.BitLen() < minRSABits {
		return nil, errors.New("RSA modulus too short")
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("bad RSA exponent")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}
