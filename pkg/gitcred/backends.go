package gitcred

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Daemon answers from dbos-credd over its socket, through ipcwire's client so that
// the helper links no net/http.
type Daemon struct {
	Client *ipcwire.Client
}

// Accounts implements Backend: every account the daemon knows, logged in or not, so
// that a user whose login expired hears why instead of being asked for a password.
func (d Daemon) Accounts(ctx context.Context) ([]Account, error) {
	list, err := d.Client.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, 0, len(list.Accounts))
	for _, a := range list.Accounts {
		if a.State == ipcwire.StateNotLoggedIn {
			continue
		}
		out = append(out, Account{Name: a.Name, APIURL: a.APIURL, User: a.User,
			Default: a.Name == list.Default})
	}
	return out, nil
}

// Token implements Backend.
func (d Daemon) Token(ctx context.Context, account string, minTTL time.Duration) (Answer, error) {
	tr, err := d.Client.Token(ctx, ipcwire.TokenRequest{Account: account,
		MinTTLSeconds: int64(minTTL / time.Second)})
	if err != nil {
		return Answer{}, err
	}
	return Answer{Username: tr.User, Password: secret.New(tr.AccessToken), Expiry: tr.ExpiresAt}, nil
}

// TokenForHost implements HostBackend: the daemon picks the account and answers
// in one request. An older daemon answers 400 to the host fields; that, and only
// that, gives errors.ErrUnsupported, so Serve falls back to the listing.
func (d Daemon) TokenForHost(ctx context.Context, protocol, host, user string,
	minTTL time.Duration) (Answer, string, bool, error) {
	tr, err := d.Client.Token(ctx, ipcwire.TokenRequest{Protocol: protocol, APIHost: host,
		User: user, MinTTLSeconds: int64(minTTL / time.Second)})
	var we *ipcwire.Error
	switch {
	case errors.Is(err, ipcwire.ErrAccountNotFound):
		return Answer{}, "", false, nil
	case errors.As(err, &we) && we.Code == ipcwire.CodeBadRequest && we.HTTPStatus() == 400:
		return Answer{}, "", false, fmt.Errorf("dbos-credd does not pick accounts by host: %w",
			errors.ErrUnsupported)
	case err != nil:
		return Answer{}, "", false, err
	}
	return Answer{Username: tr.User, Password: secret.New(tr.AccessToken), Expiry: tr.ExpiresAt},
		tr.Account, true, nil
}

// Forget implements Backend: only the cached access token goes; the login stays.
func (d Daemon) Forget(ctx context.Context, account string) error {
	return d.Client.DropCache(ctx, account)
}

// Static answers with one access token given by the environment (DBOS_TOKEN in CI)
// for one API host.
type Static struct {
	Account string
	APIURL  string
	Access  secret.Token
}

// Accounts implements Backend.
func (s Static) Accounts(context.Context) ([]Account, error) {
	return []Account{{Name: s.Account, APIURL: s.APIURL, Default: true}}, nil
}

// Token implements Backend. The expiry is read from the JWT without verification:
// the API verifies it; here it only tells git when to stop caching it.
func (s Static) Token(_ context.Context, _ string, minTTL time.Duration) (Answer, error) {
	ans := Answer{Password: s.Access}
	if exp, ok := jwtExpiry(s.Access.Reveal()); ok {
		ans.Expiry = exp
		if time.Until(exp) < minTTL {
			return Answer{}, fmt.Errorf("the access token in the environment expires at %s: "+
				"set a fresh one", exp.UTC().Format(time.RFC3339))
		}
	}
	return ans, nil
}

// jwtExpiry reads the exp claim of a JWT, to the second, without verifying
// anything; ok is false for a token that is not a JWT or has no numeric exp. It is
// written here rather than taken from pkg/oauth so that git-credential-dbos, run
// once per git request, does not link a JWT library: leaving it out saved about
// 0.3 ms of every run. It is laxer than oauth.ParseUnverified about the other
// claims, which it does not read.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	header, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	payload, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil || !json.Valid(header) {
		return time.Time{}, false
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	sec := math.Floor(*claims.Exp) // as the JWT library truncates to the second
	if math.IsNaN(sec) || sec < math.MinInt64/2 || sec > math.MaxInt64/2 {
		return time.Time{}, false
	}
	return time.Unix(int64(sec), 0), true
}

// Forget implements Backend; an environment token cannot be forgotten from here.
func (s Static) Forget(context.Context, string) error { return nil }
