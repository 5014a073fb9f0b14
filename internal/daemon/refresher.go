package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/dbos-go/dbos-cloud/pkg/oauth"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
)

// refresher is the tokens.Refresher over pkg/oauth. Discovered endpoints are cached
// per issuer for the daemon's life; a failed discovery is not cached.
type refresher struct {
	hc *http.Client
	ua string

	mu  sync.Mutex
	eps map[string]oauth.Endpoints
}

func newRefresher(hc *http.Client, userAgent string) *refresher {
	return &refresher{hc: hc, ua: userAgent, eps: map[string]oauth.Endpoints{}}
}

func (r *refresher) client(ctx context.Context, ep tokens.Endpoints) (*oauth.Client, error) {
	r.mu.Lock()
	found, ok := r.eps[ep.Issuer]
	r.mu.Unlock()
	if !ok {
		var err error
		if found, err = oauth.Discover(ctx, r.hc, ep.Issuer); err != nil {
			return nil, fmt.Errorf("discover %s: %w", ep.Issuer, err)
		}
		r.mu.Lock()
		r.eps[ep.Issuer] = found
		r.mu.Unlock()
	}
	return &oauth.Client{HTTP: r.hc, Endpoints: found, ClientID: ep.ClientID,
		Audience: ep.Audience, UserAgent: r.ua}, nil
}

// Refresh implements tokens.Refresher.
func (r *refresher) Refresh(ctx context.Context, ep tokens.Endpoints, rt secret.Token) (tokens.Grant, error) {
	c, err := r.client(ctx, ep)
	if err != nil {
		return tokens.Grant{}, err
	}
	t, err := c.Refresh(ctx, rt)
	if errors.Is(err, oauth.ErrInvalidGrant) {
		return tokens.Grant{}, fmt.Errorf("refresh at %s: %w: %w", ep.Issuer, tokens.ErrLoginRequired, err)
	}
	if err != nil {
		return tokens.Grant{}, fmt.Errorf("refresh at %s: %w", ep.Issuer, err)
	}

	g := tokens.Grant{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
	if g.Expiry.IsZero() {
		if cl, err := oauth.ParseUnverified(t.AccessToken); err == nil {
			g.Expiry = cl.ExpiresAt
		}
	}
	return g, nil
}

// Revoke implements tokens.Refresher.
func (r *refresher) Revoke(ctx context.Context, ep tokens.Endpoints, rt secret.Token) error {
	c, err := r.client(ctx, ep)
	if err != nil {
		return err
	}
	if err := c.Revoke(ctx, rt); err != nil {
		return fmt.Errorf("revoke at %s: %w: %w", ep.Issuer, tokens.ErrUnavailable, err)
	}
	return nil
}
