package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/oauth"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

type loginOptions struct {
	GetRefreshToken  bool
	WithRefreshToken string // "-" reads stdin; "" when the flag is absent
	NoBrowser        bool
}

func newLoginCmd(e *env, runF func(context.Context, *loginOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runLogin
	}
	return &cli.Command{
		Name:  "login",
		Usage: "log in to DBOS Cloud (browser device login, or a refresh token)",
		Description: "The login is handed to dbos-credd: a refresh token goes to the keyring, " +
			"an access token stays in the daemon's memory until it expires.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "get-refresh-token", Usage: "also get a refresh token (kept in the keyring)"},
			&cli.StringFlag{Name: "with-refresh-token", Usage: "log in with a refresh `TOKEN`; - reads it from stdin"},
			&cli.BoolFlag{Name: "no-browser", Usage: "do not open a browser; print the URL and code only"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("login takes no arguments")
			}
			o := &loginOptions{
				GetRefreshToken:  c.Bool("get-refresh-token"),
				WithRefreshToken: c.String("with-refresh-token"),
				NoBrowser:        c.Bool("no-browser"),
			}
			if c.IsSet("with-refresh-token") && o.WithRefreshToken == "" {
				return usageErrorf("--with-refresh-token needs a TOKEN or -")
			}
			return runF(c.Context, o)
		},
	}
}

// login is a finished login service exchange, ready to store.
type login struct {
	account string
	target  cloud.Target
	token   *oauth.Token
	refresh secret.Token // zero for an access-only login
	// source is where a reused login came from (a Credential source); empty for a
	// new one.
	source string
}

func (e *env) runLogin(ctx context.Context, o *loginOptions) error {
	sel, err := e.selection()
	if err != nil {
		return err
	}
	var rt secret.Token
	if o.WithRefreshToken != "" {
		// Read stdin before any network call: bad input fails fast.
		if rt, err = e.tokenArg(o.WithRefreshToken, "refresh token"); err != nil {
			return err
		}
		if o.GetRefreshToken {
			e.info("--with-refresh-token given: --get-refresh-token has no effect")
		}
	}

	lg, err := e.obtainLogin(ctx, sel.Name, rt, o.GetRefreshToken, o.NoBrowser)
	if err != nil {
		return err
	}
	p, err := e.storeLogin(ctx, lg)
	if err != nil {
		return err
	}
	e.success("Successfully logged in as %s (organization %s), account %q.", p.Name, p.Organization, sel.Name)
	if !lg.refresh.IsZero() {
		e.info("The refresh token is kept by dbos-credd in the keyring; it is not shown.")
	}
	return nil
}

// obtainLogin gets tokens for account: a refresh grant when rt is set, a device
// login otherwise. Before anything that yields a refresh token it checks that the
// daemon can write its keyring, so that a fresh token is never lost.
func (e *env) obtainLogin(ctx context.Context, account string, rt secret.Token,
	wantRefresh, noBrowser bool) (*login, error) {
	t, err := e.target(account)
	if err != nil {
		return nil, err
	}
	if err := e.checkDaemon(ctx, wantRefresh || !rt.IsZero()); err != nil {
		return nil, err
	}
	oc, err := e.oauthClient(ctx, t)
	if err != nil {
		return nil, err
	}

	lg := &login{account: account, target: t}
	if !rt.IsZero() {
		lg.token, err = oc.Refresh(ctx, rt)
		if errors.Is(err, oauth.ErrInvalidGrant) {
			return nil, &Error{Code: ExitLoginRequired, Err: fmt.Errorf("refresh token refused: %w", err),
				Hint: "it is expired or revoked; log in with: " + loginCommand(account) + " --get-refresh-token"}
		}
		if err != nil {
			return nil, fmt.Errorf("log in with refresh token: %w", err)
		}
		lg.refresh = rt
		if !lg.token.RefreshToken.IsZero() {
			lg.refresh = lg.token.RefreshToken // rotated: the old one is spent
		}
	} else {
		scope := scopeAccess
		if wantRefresh {
			scope = scopeRefresh
		}
		if lg.token, err = e.deviceLogin(ctx, oc, scope, noBrowser); err != nil {
			return nil, err
		}
		lg.refresh = lg.token.RefreshToken
	}

	v := oauth.NewVerifier(e.http, oc.Endpoints, t.Audience)
	if _, err := v.Verify(ctx, lg.token.AccessToken); err != nil {
		return nil, fmt.Errorf("access token from %s failed verification: %w", t.Issuer, err)
	}
	return lg, nil
}

// checkDaemon makes sure the daemon answers (starting it if need be) and, when a
// refresh token is coming, that its keyring is writable.
func (e *env) checkDaemon(ctx context.Context, keyring bool) error {
	d, err := e.connect()
	if err != nil {
		return err
	}
	if !keyring {
		_, err := d.Accounts(ctx)
		return err
	}
	ks, err := d.KeyringCheck(ctx)
	if err != nil {
		return fmt.Errorf("check keyring: %w", err)
	}
	if !ks.Writable {
		hint := "unlock or configure the keyring, then log in again"
		if ks.NeedsPassword {
			hint = "the keyring needs a password; set it up for dbos-credd, then log in again"
		}
		return &Error{Code: ExitKeyring, Err: fmt.Errorf("keyring %s is not writable: %s: %w",
			ks.Backend, ks.Error, ipc.ErrKeyringUnavailable), Hint: hint}
	}
	return nil
}

// storeLogin reads the profile and hands the login to the daemon. The login is
// stored even when the user is not registered yet, so that `register` needs no
// second browser login; that case still fails, pointing at register.
func (e *env) storeLogin(ctx context.Context, lg *login) (*cloud.Profile, error) {
	cc := e.cloudClient(lg.target.APIURL, fixedToken(lg.token.AccessToken))
	p, perr := cc.Profile(ctx)
	// A refusal means the token is no good: store nothing. An unreachable API does
	// not: the login is stored (the next profile call fills in the user), so that a
	// fresh refresh token is not lost.
	unavailable := errors.Is(perr, cloud.ErrUnavailable)
	if perr != nil && !errors.Is(perr, cloud.ErrUserNotFound) && !unavailable {
		return nil, refused("Failed to login", perr)
	}

	req := ipc.StoreRequest{
		Name: lg.account,
		Endpoints: ipc.Endpoints{APIURL: lg.target.APIURL, Issuer: lg.target.Issuer,
			ClientID: lg.target.ClientID, Audience: lg.target.Audience},
		RefreshToken: lg.refresh.Reveal(),
		AccessToken:  lg.token.AccessToken.Reveal(),
		ExpiresAt:    lg.token.Expiry,
	}
	if p != nil {
		req.User, req.Organization = p.Name, p.Organization
	}
	d, err := e.connect()
	if err != nil {
		return nil, err
	}
	if _, err := d.Store(ctx, req); err != nil {
		return nil, fmt.Errorf("store account %q in dbos-credd: %w", lg.account, err)
	}

	if unavailable {
		return nil, &Error{Code: ExitUnreachable, Err: perr,
			Msg: fmt.Sprintf("logged in (account %q stored), but the profile could not be read: %v",
				lg.account, perr),
			Hint: "try: dbos-cloud profile" + accountFlag(lg.account)}
	}
	if perr != nil {
		return nil, &Error{Code: ExitRefused, Err: perr,
			Msg:  "logged in, but this login is not registered with DBOS Cloud",
			Hint: "register with: dbos-cloud register -u USERNAME" + accountFlag(lg.account)}
	}
	return p, nil
}

// accountFlag is " --account NAME" unless name is the default account.
func accountFlag(name string) string {
	if name == DefaultAccountName {
		return ""
	}
	return " --account " + name
}
