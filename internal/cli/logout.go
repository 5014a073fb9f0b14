package cli

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"
)

type logoutOptions struct {
	Revoke bool
}

type revokeOptions struct {
	Token string // "-" reads stdin
}

func newLogoutCmd(e *env, runF func(context.Context, *logoutOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runLogout
	}
	return &cli.Command{
		Name:  "logout",
		Usage: "forget the account's login in dbos-credd",
		Description: "With --revoke, dbos-credd first revokes the refresh token at the login " +
			"service (the CLI never sees it), and forgets the account only if that worked.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "revoke", Usage: "revoke the refresh token at the login service too"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("logout takes no arguments")
			}
			return runF(c.Context, &logoutOptions{Revoke: c.Bool("revoke")})
		},
	}
}

func (e *env) runLogout(ctx context.Context, o *logoutOptions) error {
	sel, err := e.selection()
	if err != nil {
		return err
	}
	d, err := e.connect()
	if err != nil {
		return err
	}
	res, err := d.Forget(ctx, sel.Name, o.Revoke)
	if err != nil {
		return accountError(sel.Name, fmt.Errorf("log out of account %q: %w", sel.Name, err))
	}

	if res.Revoked {
		e.success("Logged out of account %q; its refresh token is revoked.", sel.Name)
	} else {
		e.success("Logged out of account %q.", sel.Name)
	}
	return nil
}

func newRevokeCmd(e *env, runF func(context.Context, *revokeOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runRevoke
	}
	return &cli.Command{
		Name:      "revoke",
		Usage:     "revoke a refresh token at the login service (RFC 7009)",
		ArgsUsage: "TOKEN|-",
		Description: "Give - to read the token from stdin. The login service of the selected " +
			"account (or DBOS_DOMAIN) is used. To revoke a login that dbos-credd holds, " +
			"whose token you never see, use: dbos-cloud logout --revoke",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 || c.Args().First() == "" {
				return usageErrorf("revoke takes one TOKEN, or - to read it from stdin")
			}
			return runF(c.Context, &revokeOptions{Token: c.Args().First()})
		},
	}
}

func (e *env) runRevoke(ctx context.Context, o *revokeOptions) error {
	tok, err := e.tokenArg(o.Token, "token")
	if err != nil {
		return err
	}
	sel, err := e.selection()
	if err != nil {
		return err
	}
	t, err := e.target(sel.Name)
	if err != nil {
		return err
	}
	oc, err := e.oauthClient(ctx, t)
	if err != nil {
		return err
	}

	if err := oc.Revoke(ctx, tok); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	e.success("Token revoked at %s.", t.Issuer)
	return nil
}
