package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/oauth"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

type registerOptions struct {
	Username string
	Secret   string // "-" reads stdin; "" when absent
	// Names given by flags; a nil pointer means "not given" (an empty string given
	// on purpose is kept).
	GivenName, FamilyName, Company *string
	NoBrowser                      bool
}

func newRegisterCmd(e *env, runF func(context.Context, *registerOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runRegister
	}
	return &cli.Command{
		Name:  "register",
		Usage: "register a DBOS Cloud user (logging in first if needed)",
		Description: "Without --given-name, --family-name or --company the missing names are " +
			"asked on the terminal; with no terminal the command fails. With -s the user " +
			"joins the organization that issued the invite secret.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "username", Aliases: []string{"u"}, Usage: "`USERNAME` (3-30 of a-z 0-9 _)"},
			&cli.StringFlag{Name: "secret", Aliases: []string{"s"},
				Usage: "organization invite `SECRET`; - reads it from stdin"},
			&cli.StringFlag{Name: "given-name", Usage: "given (first) `NAME`"},
			&cli.StringFlag{Name: "family-name", Usage: "family (last) `NAME`"},
			&cli.StringFlag{Name: "company", Usage: "company `NAME`"},
			&cli.BoolFlag{Name: "no-browser", Usage: "do not open a browser if a login is needed"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("register takes no arguments")
			}
			if !c.IsSet("username") {
				return usageErrorf("register: -u/--username is required")
			}
			o := &registerOptions{Username: c.String("username"), Secret: c.String("secret"),
				NoBrowser: c.Bool("no-browser")}
			if c.IsSet("secret") && o.Secret == "" {
				return usageErrorf("--secret needs a SECRET or -")
			}
			o.GivenName = optional(c, "given-name")
			o.FamilyName = optional(c, "family-name")
			o.Company = optional(c, "company")
			return runF(c.Context, o)
		},
	}
}

func optional(c *cli.Context, flag string) *string {
	if !c.IsSet(flag) {
		return nil
	}
	v := c.String(flag)
	return &v
}

func (e *env) runRegister(ctx context.Context, o *registerOptions) error {
	// Every local check comes before any browser step.
	if err := cloud.ValidUsername(o.Username); err != nil {
		return badInputf("invalid username %q: %v", o.Username, err)
	}
	var inv secret.Token
	if o.Secret != "" {
		var err error
		if inv, err = e.tokenArg(o.Secret, "invite secret"); err != nil {
			return err
		}
	}
	sel, err := e.selection()
	if err != nil {
		return err
	}

	// A new user needs three names; without a terminal to ask for them, fail before
	// a browser login rather than after it.
	namesMissing := o.GivenName == nil || o.FamilyName == nil || o.Company == nil
	cred, fresh, err := e.registerLogin(ctx, sel.Name, o.NoBrowser, namesMissing && !e.canPrompt())
	if err != nil {
		return err
	}
	cc := e.cloudClient(cred.target.APIURL, fixedToken(cred.token.AccessToken))
	p, err := cc.Profile(ctx)
	switch {
	case err == nil:
		return e.alreadyRegistered(ctx, sel.Name, o, inv, p, fresh, cred)
	case !errors.Is(err, cloud.ErrUserNotFound):
		return refused("Failed to login", err)
	}

	reg, err := e.registration(o, inv)
	if err != nil {
		return err
	}
	e.info("User not registered in DBOS Cloud. Registering %s...", o.Username)
	if err := cc.Register(ctx, reg); err != nil {
		return refused("Failed to register user "+o.Username, err)
	}
	if p, err = e.recordRegistration(ctx, cred, fresh); err != nil {
		return err
	}
	e.success("Successfully registered and logged in as %s (organization %s), account %q.",
		p.Name, p.Organization, sel.Name)
	return nil
}

// recordRegistration reads the new profile. A fresh login is stored with it; a
// login the daemon already holds only gets its user and organization updated (a
// Store would replace it and drop its refresh token); an environment token is
// never stored.
func (e *env) recordRegistration(ctx context.Context, lg *login, fresh bool) (*cloud.Profile, error) {
	if fresh {
		return e.storeLogin(ctx, lg)
	}
	p, err := e.cloudClient(lg.target.APIURL, fixedToken(lg.token.AccessToken)).Profile(ctx)
	if err != nil {
		return nil, refused("Failed to login", err)
	}
	e.syncAccount(ctx, Credential{Account: lg.account, Source: lg.source}, p)
	return p, nil
}

// registerLogin reuses the account's login if it has one, or runs a device login
// (scope sub, as the official CLI). fresh reports a new login not yet stored.
func (e *env) registerLogin(ctx context.Context, account string, noBrowser, cannotAsk bool) (*login, bool, error) {
	cred, err := e.AccessToken(ctx, account, 0)
	if err == nil {
		t, terr := e.target(account)
		if terr != nil {
			return nil, false, terr
		}
		t.APIURL = cred.APIURL
		return &login{account: account, target: t, source: cred.Source,
			token: &oauth.Token{AccessToken: cred.AccessToken, Expiry: cred.Expiry}}, false, nil
	}
	if ExitCode(err) != ExitLoginRequired && ExitCode(err) != ExitUnknownAccount {
		return nil, false, err
	}

	if cannotAsk {
		return nil, false, badInputf("registering needs --given-name, --family-name and --company: %v",
			errNoTerminal)
	}
	e.info("No login for account %q yet; logging in first.", account)
	lg, err := e.obtainLogin(ctx, account, secret.Token{}, false, noBrowser)
	if err != nil {
		return nil, false, err
	}
	return lg, true, nil
}

// alreadyRegistered handles register for a login that already has a user.
func (e *env) alreadyRegistered(ctx context.Context, account string, o *registerOptions,
	inv secret.Token, p *cloud.Profile, fresh bool, lg *login) error {
	if p.Name != o.Username {
		return &Error{Code: ExitFailure,
			Err: fmt.Errorf("this login is already registered as %s, not %s", p.Name, o.Username),
			Hint: "to register a new user, run: dbos-cloud logout" + accountFlag(account) +
				", then register again"}
	}
	if fresh {
		if _, err := e.storeLogin(ctx, lg); err != nil {
			return err
		}
	}
	if !inv.IsZero() {
		e.warn("%s is already registered; the invite secret was not used (see the org join command)", p.Name)
	}
	e.success("Already registered as %s (organization %s), account %q.", p.Name, p.Organization, account)
	return nil
}

// registration builds the PUT body, asking for missing names on the terminal.
func (e *env) registration(o *registerOptions, inv secret.Token) (cloud.Registration, error) {
	reg := cloud.Registration{Name: o.Username, Secret: inv}
	fields := []struct {
		dst   *string
		given *string
		label string
		what  string
		flag  string
	}{
		{&reg.GivenName, o.GivenName, "Enter first/given name", "a given name", "given-name"},
		{&reg.FamilyName, o.FamilyName, "Enter last/family name", "a family name", "family-name"},
		{&reg.Company, o.Company, "Enter company name", "a company name", "company"},
	}
	for _, f := range fields {
		if f.given != nil {
			*f.dst = *f.given
			continue
		}
		v, err := e.prompt(f.label, f.what, f.flag)
		if err != nil {
			return reg, err
		}
		*f.dst = v
	}
	return reg, nil
}
