package emulator

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"

	"github.com/golang-jwt/jwt/v5"
)

const signingKeyMeta = "signing_key"

// signer holds the RSA key that signs access tokens, and its key ID.
type signer struct {
	key *rsa.PrivateKey
	kid string
}

// loadSigner reads the signing key from the store, creating and storing one on first
// start, so that tokens stay valid across restarts of a persistent emulator.
func loadSigner(ctx context.Context, st *Store) (*signer, error) {
	stored, ok, err := st.Meta(ctx, signingKeyMeta)
	if err != nil {
		return nil, err
	}
	if ok {
		return parseSigner(stored)
	}

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	block := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := st.SetMeta(ctx, signingKeyMeta, string(block)); err != nil {
		return nil, err
	}
	return newSigner(key)
}

func parseSigner(stored string) (*signer, error) {
	block, _ := pem.Decode([]byte(stored))
	if block == nil {
		return nil, fmt.Errorf("decode stored signing key: no PEM block")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("decode stored signing key: %w", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("decode stored signing key: not an RSA key")
	}
	return newSigner(key)
}

// newSigner derives the key ID from the public key (an RFC 7638-style thumbprint),
// so it is stable for a stored key and differs between emulator instances.
func newSigner(key *rsa.PrivateKey) (*signer, error) {
	thumb := fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`,
		b64(big.NewInt(int64(key.E)).Bytes()), b64(key.N.Bytes()))
	sum := sha256.Sum256([]byte(thumb))
	return &signer{key: key, kid: b64(sum[:])}, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// sign returns a compact RS256 JWT of claims with the key ID in its header.
func (s *signer) sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.kid
	out, err := tok.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return out, nil
}

// jwk is one RSA public key in JWK form (RFC 7517).
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// jwks returns the JSON Web Key Set that publishes the signing key.
func (s *signer) jwks() []byte {
	pub := s.key.PublicKey
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{{
		Kty: "RSA", Use: "sig", Alg: "RS256", Kid: s.kid,
		N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	out, _ := json.Marshal(set) // a struct of strings always marshals
	return out
}
