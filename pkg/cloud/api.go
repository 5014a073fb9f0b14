package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Profile is the signed-in user as GET /v1alpha1/user/profile describes it.
type Profile struct {
	Name             string `json:"Name"`
	Email            string `json:"Email"`
	Organization     string `json:"Organization"`
	SubscriptionPlan string `json:"SubscriptionPlan"`
	// Raw is the whole reply, compacted, so that `profile --json` passes unknown
	// fields through as the official CLI does.
	Raw json.RawMessage `json:"-"`
}

// Profile returns the signed-in user. An unregistered user gives an error matching
// ErrUserNotFound.
func (c *Client) Profile(ctx context.Context) (*Profile, error) {
	body, err := c.do(ctx, call{method: http.MethodGet, segs: []string{"user", "profile"}})
	if err != nil {
		return nil, fmt.Errorf("get user profile: %w", err)
	}
	var p Profile
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, errors.New("get user profile: reply is not a profile object")
	}
	var raw bytes.Buffer
	if err := json.Compact(&raw, body); err != nil {
		return nil, errors.New("get user profile: reply is not valid JSON")
	}
	p.Raw = raw.Bytes()
	return &p, nil
}

// Registration is the body of PUT /v1alpha1/user.
type Registration struct {
	Name       string // the username; see ValidUsername
	GivenName  string
	FamilyName string
	Company    string
	Secret     secret.Token // an invite secret, to join its organization; may be zero
}

// Register registers the signed-in login as a DBOS Cloud user.
func (c *Client) Register(ctx context.Context, r Registration) error {
	wire := struct {
		Name       string `json:"name"`
		GivenName  string `json:"given_name"`
		FamilyName string `json:"family_name"`
		Company    string `json:"company"`
		Secret     string `json:"secret,omitempty"`
	}{r.Name, r.GivenName, r.FamilyName, r.Company, r.Secret.Reveal()}

	_, err := c.do(ctx, call{method: http.MethodPut, segs: []string{"user"}, body: wire,
		secrets: []secret.Token{r.Secret}})
	if err != nil {
		return fmt.Errorf("register user %s: %w", r.Name, err)
	}
	return nil
}

// InviteSecret creates a single-use invite secret for org (admin only). The reply is
// a JSON string; a plain-text body is accepted too.
func (c *Client) InviteSecret(ctx context.Context, org string) (secret.Token, error) {
	body, err := c.do(ctx, call{method: http.MethodGet, segs: []string{org, "secret"}})
	if err != nil {
		return secret.Token{}, fmt.Errorf("get invite secret of organization %s: %w", org, err)
	}
	s, err := decodeSecret(body)
	if err != nil {
		return secret.Token{}, fmt.Errorf("get invite secret of organization %s: %w", org, err)
	}
	return secret.New(s), nil
}

// decodeSecret reads the invite reply: a JSON string or plain text. Errors never
// quote the body, which may hold the secret.
func decodeSecret(body []byte) (string, error) {
	trimmed := bytes.TrimSpace(body)
	var s string
	switch {
	case len(trimmed) > 0 && trimmed[0] == '"':
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return "", errors.New("reply is a malformed JSON string")
		}
	case len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['):
		return "", errors.New("reply is a JSON value, not a secret string")
	default:
		s = string(trimmed)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("reply holds no secret")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", errors.New("reply holds control characters")
	}
	return s, nil
}

// OrgUsers is the reply of GET /v1alpha1/<org>/users.
type OrgUsers struct {
	OrgName   string   `json:"OrgName"`
	UserNames []string `json:"UserNames"`
}

// ListUsers returns the members of org.
func (c *Client) ListUsers(ctx context.Context, org string) (*OrgUsers, error) {
	body, err := c.do(ctx, call{method: http.MethodGet, segs: []string{org, "users"}})
	if err != nil {
		return nil, fmt.Errorf("list users of organization %s: %w", org, err)
	}
	var u OrgUsers
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, fmt.Errorf("list users of organization %s: reply is not a user list", org)
	}
	return &u, nil
}

// RenameOrg renames org to newName (admin only).
func (c *Client) RenameOrg(ctx context.Context, org, newName string) error {
	body := struct {
		NewName string `json:"newName"`
	}{newName}
	_, err := c.do(ctx, call{method: http.MethodPatch, segs: []string{org}, body: body})
	if err != nil {
		return fmt.Errorf("rename organization %s to %s: %w", org, newName, err)
	}
	return nil
}

// JoinOrg joins the signed-in user to org with an invite secret.
func (c *Client) JoinOrg(ctx context.Context, org string, invite secret.Token) error {
	body := struct {
		Secret string `json:"secret"`
	}{invite.Reveal()}
	_, err := c.do(ctx, call{method: http.MethodPost, segs: []string{org, "join"}, body: body,
		secrets: []secret.Token{invite}})
	if err != nil {
		return fmt.Errorf("join organization %s: %w", org, err)
	}
	return nil
}

// RemoveUser removes user from org (admin only).
func (c *Client) RemoveUser(ctx context.Context, org, user string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, segs: []string{org, user}})
	if err != nil {
		return fmt.Errorf("remove user %s from organization %s: %w", user, org, err)
	}
	return nil
}
