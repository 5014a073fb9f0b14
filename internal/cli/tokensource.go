package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/oauth"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Environment variables that override where tokens and hosts come from.
const (
	EnvToken        = "DBOS_TOKEN"
	EnvRefreshToken = "DBOS_REFRESH_TOKEN"
	EnvDomain       = "DBOS_DOMAIN"
	EnvAuthDomain   = "DBOS_AUTH_DOMAIN"
	EnvClientID     = "DBOS_CLIENT_ID"
	EnvAccount      = "DBOS_ACCOUNT"
	EnvConfig       = "DBOS_CONFIG"
)

// Sources of a Credential.
const (
	SourceEnvToken   = "env:" + EnvToken
	SourceEnvRefresh = "env:" + EnvRefreshToken
	SourceDaemon     = "dbos-credd"
)

// Credential is an access token and what a caller needs to use it.
type Credential struct {
	Account      string
	AccessToken  secret.Token
	Expiry       time.Time // zero if unknown
	User         string
	Organization string
	APIURL       string
	Source       string
}

// Services is what plugin commands get from the host: tokens for an account, and a
// way to record an account's new organization (after org join or rename). Account ""
// means the account the command line selects (--account, DBOS_ACCOUNT, config,
// "default"). It never hands out a refresh token.
type Services interface {
	Selected() (Selection, error)
	AccessToken(ctx context.Context, account string, minTTL time.Duration) (Credential, error)
	SetOrganization(ctx context.Context, account, org string) error
}

var _ Services = (*env)(nil)

// Selected implements Services.
func (e *env) Selected() (Selection, error) { return e.selection() }

// AccessToken implements Services: DBOS_TOKEN, then DBOS_REFRESH_TOKEN, then the
// daemon.
func (e *env) AccessToken(ctx context.Context, account string, minTTL time.Duration) (Credential, error) {
	if account == "" {
		sel, err := e.selection()
		if err != nil {
			return Credential{}, err
		}
		account = sel.Name
	}
	if e.getenv(EnvToken) != "" {
		return e.envAccessToken(account, minTTL)
	}
	if e.getenv(EnvRefreshToken) != "" {
		return e.envRefreshToken(ctx, account)
	}
	return e.daemonToken(ctx, account, minTTL)
}

// SetOrganization implements Services: the daemon records the new organization.
// With an environment token there is no stored account, so nothing is recorded.
func (e *env) SetOrganization(ctx context.Context, account, org string) error {
	if e.getenv(EnvToken) != "" || e.getenv(EnvRefreshToken) != "" {
		return nil
	}
	if account == "" {
		sel, err := e.selection()
		if err != nil {
			return err
		}
		account = sel.Name
	}
	d, err := e.connect()
	if err != nil {
		return err
	}
	if _, err := d.Update(ctx, account, ipc.AccountUpdate{Organization: &org}); err != nil {
		return fmt.Errorf("record organization of account %q: %w", account, err)
	}
	return nil
}

// envAccessToken uses DBOS_TOKEN as it is. Its expiry is read from the JWT without
// verification (the API checks it); an expired token is refused here so that the
// user learns why before a 401.
func (e *env) envAccessToken(account string, minTTL time.Duration) (Credential, error) {
	tok := secret.New(e.getenv(EnvToken))
	if err := checkTokenText(tok); err != nil {
		return Credential{}, badInputf("%s: %v", EnvToken, err)
	}
	t, err := e.envTarget()
	if err != nil {
		return Credential{}, err
	}

	cred := Credential{Account: account, AccessToken: tok, APIURL: t.APIURL, Source: SourceEnvToken}
	if c, err := oauth.ParseUnverified(tok); err == nil {
		cred.Expiry = c.ExpiresAt
	}
	if !cred.Expiry.IsZero() && cred.Expiry.Sub(e.deps.Now()) <= minTTL {
		return Credential{}, &Error{Code: ExitLoginRequired,
			Err: fmt.Errorf("%s expires at %s: %w", EnvToken,
				cred.Expiry.UTC().Format(time.RFC3339), ErrLoginRequired),
			Hint: "set a fresh token or unset " + EnvToken}
	}
	return cred, nil
}

// envRefreshToken exchanges DBOS_REFRESH_TOKEN for an access token, in memory only.
func (e *env) envRefreshToken(ctx context.Context, account string) (Credential, error) {
	if e.envCred != nil {
		return *e.envCred, nil
	}
	rt := secret.New(e.getenv(EnvRefreshToken))
	if err := checkTokenText(rt); err != nil {
		return Credential{}, badInputf("%s: %v", EnvRefreshToken, err)
	}
	t, err := e.target(account)
	if err != nil {
		return Credential{}, err
	}
	oc, err := e.oauthClient(ctx, t)
	if err != nil {
		return Credential{}, err
	}

	tok, err := oc.Refresh(ctx, rt)
	if err != nil {
		return Credential{}, envRefreshError(err)
	}
	if !tok.RefreshToken.IsZero() && !tok.RefreshToken.Equal(rt) {
		e.warn("the login service rotated %s: the value in the environment is now spent; "+
			"for repeated use, let dbos-credd hold it (it keeps rotated tokens)", EnvRefreshToken)
	}
	cred := Credential{Account: account, AccessToken: tok.AccessToken, Expiry: tok.Expiry,
		APIURL: t.APIURL, Source: SourceEnvRefresh}
	e.envCred = &cred
	return cred, nil
}

func envRefreshError(err error) error {
	if errors.Is(err, oauth.ErrInvalidGrant) {
		return &Error{Code: ExitLoginRequired, Err: fmt.Errorf("%s: %w", EnvRefreshToken, err),
			Hint: "get a new one with: dbos-cloud login --get-refresh-token"}
	}
	return fmt.Errorf("exchange %s: %w", EnvRefreshToken, err)
}

// daemonToken asks dbos-credd.
func (e *env) daemonToken(ctx context.Context, account string, minTTL time.Duration) (Credential, error) {
	d, err := e.connect()
	if err != nil {
		return Credential{}, err
	}
	req := ipc.TokenRequest{Account: account, MinTTLSeconds: int64(minTTL.Round(time.Second) / time.Second)}
	resp, err := d.Token(ctx, req)
	if err != nil {
		return Credential{}, accountError(account, err)
	}
	return Credential{
		Account:      resp.Account,
		AccessToken:  secret.New(resp.AccessToken),
		Expiry:       resp.ExpiresAt,
		User:         resp.User,
		Organization: resp.Organization,
		APIURL:       resp.APIURL,
		Source:       SourceDaemon,
	}, nil
}

// accountError turns the daemon's account errors into ones that name the fix.
func accountError(account string, err error) error {
	switch {
	case errors.Is(err, ipc.ErrLoginRequired):
		return loginRequired(account, err)
	case errors.Is(err, ipc.ErrAccountNotFound) && daemonSaysFix(err):
		return &Error{Code: ExitUnknownAccount, Err: err}
	case errors.Is(err, ipc.ErrAccountNotFound):
		return &Error{Code: ExitUnknownAccount, Err: fmt.Errorf("account %q: %w", account, ipc.ErrAccountNotFound),
			Hint: "log in with: " + loginCommand(account)}
	}
	return err
}

// envTarget resolves the hosts from DBOS_DOMAIN, DBOS_AUTH_DOMAIN and DBOS_CLIENT_ID.
func (e *env) envTarget() (cloud.Target, error) {
	t, err := cloud.ResolveTarget(e.getenv(EnvDomain), e.getenv(EnvAuthDomain), e.getenv(EnvClientID))
	if err != nil {
		return t, badInputf("%v", err)
	}
	return t, nil
}

// target resolves an account's hosts: its config entry if it has one, else the
// environment.
func (e *env) target(account string) (cloud.Target, error) {
	a, ok, err := e.configAccount(account)
	if err != nil {
		return cloud.Target{}, err
	}
	if !ok {
		return e.envTarget()
	}

	host := a.Domain
	if a.APIURL != "" {
		host = a.APIURL
	}
	t, err := cloud.ResolveTarget(host, a.Issuer, a.ClientID)
	if err != nil {
		return t, badInputf("account %q in config: %v", account, err)
	}
	if a.Audience != "" {
		t.Audience = a.Audience
	}
	return t, nil
}

// oauthClient discovers the login service of t.
func (e *env) oauthClient(ctx context.Context, t cloud.Target) (*oauth.Client, error) {
	ep, err := oauth.Discover(ctx, e.http, t.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover login service %s: %w", t.Issuer, err)
	}
	return &oauth.Client{HTTP: e.http, Endpoints: ep, ClientID: t.ClientID, Audience: t.Audience,
		UserAgent: e.userAgent()}, nil
}

// cloudClient calls the API at apiURL with tokens from tok.
func (e *env) cloudClient(apiURL string, tok func(context.Context) (secret.Token, error)) *cloud.Client {
	return &cloud.Client{HTTP: e.http, BaseURL: apiURL, UserAgent: e.userAgent(), Token: tok}
}

// fixedToken is a cloud.Client token func that always returns tok.
func fixedToken(tok secret.Token) func(context.Context) (secret.Token, error) {
	return func(context.Context) (secret.Token, error) { return tok, nil }
}
