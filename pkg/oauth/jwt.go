package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Claims are the claims of an access token that this program looks at.
type Claims struct {
	Issuer          string
	Subject         string
	Audience        []string
	IssuedAt        time.Time // zero if absent
	ExpiresAt       time.Time // zero if absent
	Scope           string    // space-separated, as in RFC 8693 §4.2
	AuthorizedParty string    // "azp": the client the token was issued to
}

// wireClaims decodes a JWT payload.
type wireClaims struct {
	jwt.RegisteredClaims
	Scope scopeClaim `json:"scope"`
	Azp   string     `json:"azp"`
}

// scopeClaim accepts the scope as a space-separated string (RFC 8693) or, as some
// servers send it, a list of strings.
type scopeClaim string

// UnmarshalJSON implements json.Unmarshaler.
func (s *scopeClaim) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = scopeClaim(one)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("scope claim is neither a string nor a list of strings")
	}
	*s = scopeClaim(strings.Join(list, " "))
	return nil
}

func (w *wireClaims) claims() Claims {
	c := Claims{
		Issuer:          w.Issuer,
		Subject:         w.Subject,
		Audience:        []string(w.Audience),
		Scope:           string(w.Scope),
		AuthorizedParty: w.Azp,
	}
	if w.IssuedAt != nil {
		c.IssuedAt = w.IssuedAt.Time
	}
	if w.ExpiresAt != nil {
		c.ExpiresAt = w.ExpiresAt.Time
	}
	return c
}

// ParseUnverified decodes a JWT's claims without checking its signature or any claim.
// Use it only to show or schedule by the expiry of a token obtained from a trusted
// source; never to decide whom a token belongs to. Errors match ErrInvalidToken.
func ParseUnverified(token secret.Token) (Claims, error) {
	var w wireClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token.Reveal(), &w); err != nil {
		return Claims{}, fmt.Errorf("decode token: %w: %v", ErrInvalidToken, err)
	}
	return w.claims(), nil
}
