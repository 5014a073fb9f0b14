package emulator

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// jwksRefetchGap limits how often an unknown key ID makes the verifier fetch the
// external JWKS again, so a stream of forged tokens cannot hammer the issuer.
const jwksRefetchGap = 10 * time.Second

// trustedIssuer finds the RSA keys of an external OIDC issuer through its discovery
// document and JWKS. The emulator accepts that issuer's access tokens as the real
// service accepts Auth0's. Discovery is fetched lazily and retried on failure, so
// the issuer may start after the emulator.
type trustedIssuer struct {
	url    string // as configured, without a trailing slash
	client *http.Client

	mu        sync.Mutex
	issuer    string // from discovery
	jwksURI   string
	keys      map[string]*rsa.PublicKey
	lastFetch time.Time
}

func newTrustedIssuer(url string, client *http.Client) *trustedIssuer {
	return &trustedIssuer{url: strings.TrimSuffix(url, "/"), client: client}
}

// sameIssuer compares issuer identifiers ignoring one trailing slash, which Auth0
// writes and many configurations leave out.
func sameIssuer(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// matches reports whether iss names this issuer.
func (t *trustedIssuer) matches(iss string) bool { return sameIssuer(iss, t.url) }

// key returns the issuer's RSA public key with this key ID.
func (t *trustedIssuer) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	t.mu.Lock()
	defer t.mu.Unlock()

	if k, ok := t.keys[kid]; ok {
		return k, nil
	}
	if time.Since(t.lastFetch) < jwksRefetchGap {
		return nil, fmt.Errorf("external issuer has no key %q", kid)
	}
	t.lastFetch = time.Now()
	if err := t.refreshLocked(ctx); err != nil {
		return nil, err
	}
	if k, ok := t.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("external issuer has no key %q", kid)
}

func (t *trustedIssuer) refreshLocked(ctx context.Context) error {
	if t.jwksURI == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := t.getJSON(ctx, t.url+"/.well-known/openid-configuration", &doc); err != nil {
			return fmt.Errorf("external issuer discovery: %w", err)
		}
		if !sameIssuer(doc.Issuer, t.url) || doc.JWKSURI == "" {
			return fmt.Errorf("external issuer discovery: issuer %q does not match %q or no jwks_uri",
				doc.Issuer, t.url)
		}
		t.issuer, t.jwksURI = doc.Issuer, doc.JWKSURI
	}

	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := t.getJSON(ctx, t.jwksURI, &set); err != nil {
		return fmt.Errorf("external issuer JWKS: %w", err)
	}
	t.keys = map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if pub, err := rsaKey(k); err == nil {
			t.keys[k.Kid] = pub
		}
	}
	return nil
}

func (t *trustedIssuer) getJSON(ctx context.Context, url string, into any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", url, err)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(into); err != nil {
		return fmt.Errorf("decode %s: %w", url, err)
	}
	return nil
}

// rsaKey turns a JWK into an RSA public key, accepting only signing keys for RS256.
func rsaKey(k jwk) (*rsa.PublicKey, error) {
	if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
		return nil, errors.New("not an RS256 signing key")
	}
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, fmt.Errorf("decode modulus: %w", err)
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("bad exponent")
	}
	exp := int(new(big.Int).SetBytes(e).Int64())
	if exp < 3 || len(n) < 256 {
		return nil, errors.New("key too weak")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}, nil
}
