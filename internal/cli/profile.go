package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

type profileOptions struct {
	JSON bool
}

type tokenOptions struct {
	MinTTL time.Duration
	JSON   bool
}

func newProfileCmd(e *env, runF func(context.Context, *profileOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runProfile
	}
	return &cli.Command{
		Name:  "profile",
		Usage: "show the DBOS Cloud user of the account",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("profile takes no arguments")
			}
			return runF(c.Context, &profileOptions{JSON: wantJSON(c)})
		},
	}
}

func (e *env) runProfile(ctx context.Context, o *profileOptions) error {
	cred, err := e.AccessToken(ctx, "", 0)
	if err != nil {
		return err
	}
	p, err := e.cloudClient(cred.APIURL, fixedToken(cred.AccessToken)).Profile(ctx)
	if err != nil {
		return refused("Failed to retrieve info for user "+dash(cred.User), err)
	}
	e.syncAccount(ctx, cred, p)

	if o.JSON {
		_, err := fmt.Fprintf(e.stdout, "%s\n", p.Raw)
		return err
	}
	fmt.Fprintf(e.stdout, "Name: %s\nEmail: %s\nOrganization: %s\nSubscription Plan: %s\n",
		p.Name, p.Email, p.Organization, p.SubscriptionPlan)
	return nil
}

// syncAccount records a changed user or organization with the daemon, as the
// official CLI rewrites its credentials after every profile call. Best effort: the
// profile was shown either way.
func (e *env) syncAccount(ctx context.Context, cred Credential, p *cloud.Profile) {
	if cred.Source != SourceDaemon || (p.Name == cred.User && p.Organization == cred.Organization) {
		return
	}
	d, err := e.connect()
	if err != nil {
		return
	}
	upd := ipc.AccountUpdate{User: &p.Name, Organization: &p.Organization}
	if _, err := d.Update(ctx, cred.Account, upd); err != nil {
		e.log.Debug("update account", "account", cred.Account, "err", err)
	}
}

func newTokenCmd(e *env, runF func(context.Context, *tokenOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runToken
	}
	return &cli.Command{
		Name:  "token",
		Usage: "print an access token for scripts",
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "min-ttl", Usage: "least remaining lifetime `DURATION` (e.g. 10m)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("token takes no arguments")
			}
			o := &tokenOptions{MinTTL: c.Duration("min-ttl"), JSON: wantJSON(c)}
			if o.MinTTL < 0 {
				return usageErrorf("--min-ttl must not be negative")
			}
			return runF(c.Context, o)
		},
	}
}

// tokenJSON is the stable shape of `token --json`.
type tokenJSON struct {
	AccessToken  string     `json:"access_token"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	Account      string     `json:"account"`
	User         string     `json:"user,omitempty"`
	Organization string     `json:"organization,omitempty"`
	APIURL       string     `json:"api_url"`
	Source       string     `json:"source"`
}

func (e *env) runToken(ctx context.Context, o *tokenOptions) error {
	cred, err := e.AccessToken(ctx, "", o.MinTTL)
	if err != nil {
		return err
	}
	// An access-only login cannot be refreshed: say so rather than hand out a token
	// that dies too soon.
	if left := cred.Expiry.Sub(e.deps.Now()); o.MinTTL > 0 && !cred.Expiry.IsZero() && left < o.MinTTL {
		return loginRequired(cred.Account, fmt.Errorf("its token expires in %s, less than --min-ttl %s, "+
			"and cannot be refreshed: %w", left.Round(time.Second), o.MinTTL, ErrLoginRequired))
	}
	if !o.JSON {
		_, err := fmt.Fprintln(e.stdout, cred.AccessToken.Reveal())
		return err
	}
	out := tokenJSON{
		AccessToken: cred.AccessToken.Reveal(), Account: cred.Account, User: cred.User,
		Organization: cred.Organization, APIURL: cred.APIURL, Source: cred.Source,
	}
	if !cred.Expiry.IsZero() {
		exp := cred.Expiry.UTC()
		out.ExpiresAt = &exp
	}
	return printJSON(e.stdout, out)
}
