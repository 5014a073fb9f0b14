package tokens

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Endpoints locate an account's services: the cloud API and the login service.
type Endpoints struct {
	APIURL   string `json:"api_url"`
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	Audience string `json:"audience,omitempty"`
}

// Record is what the Store keeps for one account: the refresh token and the
// non-secret facts that go with it.
type Record struct {
	RefreshToken secret.Token
	Endpoints    Endpoints
	User         string
	Organization string
	// LastUsed is when the refresh token was last exchanged (or issued); the login
	// service ends a login after a month without use.
	LastUsed time.Time
	Created  time.Time
}

// recordJSON is Record's stored form. The refresh token is a plain string here
// because secret.Token deliberately marshals as a placeholder.
type recordJSON struct {
	RefreshToken string    `json:"refresh_token"`
	Endpoints    Endpoints `json:"endpoints"`
	User         string    `json:"user,omitempty"`
	Organization string    `json:"organization,omitempty"`
	LastUsed     time.Time `json:"last_used,omitzero"`
	Created      time.Time `json:"created,omitzero"`
}

// maxRecordSize bounds what DecodeRecord accepts; a real record is a few hundred
// bytes, and the kernel keyring caps items near 32 KiB.
const maxRecordSize = 32 << 10

// EncodeRecord returns the JSON stored in the keyring item for r.
func EncodeRecord(r Record) ([]byte, error) {
	b, err := json.Marshal(recordJSON{
		RefreshToken: r.RefreshToken.Reveal(),
		Endpoints:    r.Endpoints,
		User:         r.User,
		Organization: r.Organization,
		LastUsed:     r.LastUsed,
		Created:      r.Created,
	})
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return b, nil
}

// DecodeRecord parses a stored record. It rejects records without a refresh token or
// an issuer, so a foreign or damaged item is never mistaken for a login. Errors never
// quote the input, which holds a secret.
func DecodeRecord(b []byte) (Record, error) {
	if len(b) > maxRecordSize {
		return Record{}, fmt.Errorf("decode record: %d bytes is too large", len(b))
	}
	var j recordJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return Record{}, fmt.Errorf("decode record: malformed JSON")
	}
	if j.RefreshToken == "" {
		return Record{}, fmt.Errorf("decode record: no refresh token")
	}
	if j.Endpoints.Issuer == "" || j.Endpoints.ClientID == "" {
		return Record{}, fmt.Errorf("decode record: no issuer or client id")
	}
	return Record{
		RefreshToken: secret.New(j.RefreshToken),
		Endpoints:    j.Endpoints,
		User:         j.User,
		Organization: j.Organization,
		LastUsed:     j.LastUsed,
		Created:      j.Created,
	}, nil
}

// ValidName reports whether name may be used as an account name. The rule is the
// daemon's wire contract's (ipcwire.ValidAccountName); it also keeps the name plain
// as a keyring key and, for the file backend, a file name.
func ValidName(name string) bool { return ipcwire.ValidAccountName(name) }
