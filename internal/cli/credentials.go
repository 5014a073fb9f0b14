package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/oauth"
)

type credImportOptions struct {
	Path string
}

type credExportOptions struct {
	Dir string
}

func newCredentialsCmd(e *env, importF func(context.Context, *credImportOptions) error,
	exportF func(context.Context, *credExportOptions) error) *cli.Command {
	if importF == nil {
		importF = e.runCredentialsImport
	}
	if exportF == nil {
		exportF = e.runCredentialsExport
	}
	return &cli.Command{
		Name:  "credentials",
		Usage: "move a login from or to the official CLI's .dbos/credentials file",
		Subcommands: []*cli.Command{
			{
				Name:      "import",
				Usage:     "store the login of a .dbos/credentials file in dbos-credd",
				ArgsUsage: "[PATH]",
				Description: "PATH defaults to ./.dbos/credentials. Its refresh token (or, without " +
					"one, its unexpired access token) is checked and handed to dbos-credd; the " +
					"file is left as it is: delete it yourself once the import worked.",
				Action: func(c *cli.Context) error {
					if c.NArg() > 1 {
						return usageErrorf("credentials import takes at most one PATH")
					}
					o := &credImportOptions{Path: c.Args().First()}
					if o.Path == "" {
						o.Path = CredentialsPath
					}
					return importF(c.Context, o)
				},
			},
			{
				Name:      "export",
				Usage:     "write DIR/.dbos/credentials (access token only) for the official tools",
				ArgsUsage: "[DIR]",
				Action: func(c *cli.Context) error {
					if c.NArg() > 1 {
						return usageErrorf("credentials export takes at most one DIR")
					}
					o := &credExportOptions{Dir: c.Args().First()}
					if o.Dir == "" {
						o.Dir = "."
					}
					return exportF(c.Context, o)
				},
			},
		},
		Action: subcommandRequired,
	}
}

func (e *env) runCredentialsImport(ctx context.Context, o *credImportOptions) error {
	cf, err := readCredentialsFile(o.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return badInputf("%s does not exist", o.Path)
	case err != nil:
		return badInputf("read %s: %v", o.Path, err)
	}
	sel, err := e.selection()
	if err != nil {
		return err
	}

	var lg *login
	if !cf.RefreshToken.IsZero() {
		if lg, err = e.obtainLogin(ctx, sel.Name, cf.RefreshToken, true, true); err != nil {
			return err
		}
	} else if lg, err = e.accessOnlyLogin(ctx, sel.Name, cf); err != nil {
		return err
	}

	p, err := e.storeLogin(ctx, lg)
	if err != nil {
		return err
	}
	e.success("Imported %s as account %q: user %s, organization %s.", o.Path, sel.Name, p.Name, p.Organization)
	if !lg.refresh.IsZero() {
		e.info("The refresh token is now in the keyring; you can delete %s.", o.Path)
	}
	return nil
}

// accessOnlyLogin imports a file without a refresh token: its access token is
// usable until it expires, and the daemon keeps it in memory only.
func (e *env) accessOnlyLogin(ctx context.Context, account string, cf officialCredentials) (*login, error) {
	claims, err := oauth.ParseUnverified(cf.Token)
	if err != nil {
		return nil, badInputf("the file's access token: %v", err)
	}
	if claims.ExpiresAt.IsZero() {
		return nil, badInputf("the file's access token has no expiry and no refresh token goes with it")
	}
	if !claims.ExpiresAt.After(e.deps.Now()) {
		exp := claims.ExpiresAt.UTC().Format(time.RFC3339)
		return nil, loginRequired(account, fmt.Errorf(
			"the file's access token expired at %s and it holds no refresh token: %w", exp, ErrLoginRequired))
	}
	t, err := e.target(account)
	if err != nil {
		return nil, err
	}
	if err := e.checkDaemon(ctx, false); err != nil {
		return nil, err
	}
	return &login{account: account, target: t,
		token: &oauth.Token{AccessToken: cf.Token, Expiry: claims.ExpiresAt}}, nil
}

func (e *env) runCredentialsExport(ctx context.Context, o *credExportOptions) error {
	cred, err := e.AccessToken(ctx, "", 0)
	if err != nil {
		return err
	}
	if cred.User == "" || cred.Organization == "" {
		p, err := e.cloudClient(cred.APIURL, fixedToken(cred.AccessToken)).Profile(ctx)
		if err != nil {
			return refused("Failed to retrieve the profile", err)
		}
		cred.User, cred.Organization = p.Name, p.Organization
	}

	path, err := writeCredentialsFile(o.Dir, exportedCredentials{
		Token: cred.AccessToken.Reveal(), UserName: cred.User, Organization: cred.Organization,
	})
	if err != nil {
		return err
	}
	until := "until it expires"
	if !cred.Expiry.IsZero() {
		until = "until " + cred.Expiry.UTC().Format(time.RFC3339)
	}
	e.success("Wrote %s (mode 0600): an access token for %s, valid %s.", path, cred.User, until)
	e.info("It holds no refresh token. Keep .dbos out of version control.")
	return nil
}
