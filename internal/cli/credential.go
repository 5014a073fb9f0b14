package cli

import (
	"context"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/gitcred"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

type credentialOptions struct {
	Op string
}

// newCredentialCmd is git's credential helper inside dbos-cloud:
// `git config credential.helper '!dbos-cloud credential'`. git-credential-dbos
// speaks the same protocol from a smaller binary.
func newCredentialCmd(e *env, runF func(context.Context, *credentialOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runCredential
	}
	return &cli.Command{
		Name:      "credential",
		Usage:     "git credential helper: answer git with an access token (get, store, erase)",
		ArgsUsage: "get|store|erase",
		Description: "Configure git with: git config --global credential.helper '!dbos-cloud credential'\n" +
			"get answers for the API hosts of your accounts; other hosts get no answer.\n" +
			"store does nothing and erase drops only the daemon's cached access token:\n" +
			"neither logs you out.",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("credential takes one operation: get, store or erase")
			}
			return runF(c.Context, &credentialOptions{Op: c.Args().First()})
		},
	}
}

func (e *env) runCredential(ctx context.Context, o *credentialOptions) error {
	switch o.Op {
	case "get", "store", "erase":
	default:
		return usageErrorf("credential: unknown operation %q: git calls helpers with get, store or erase", o.Op)
	}
	return gitcred.Serve(ctx, o.Op, e.deps.Stdin, e.stdout, credentialBackend{e})
}

// credentialBackend answers git from the CLI's own token sources, in their order:
// DBOS_TOKEN, DBOS_REFRESH_TOKEN, then the daemon.
type credentialBackend struct{ e *env }

var _ gitcred.Backend = credentialBackend{}

// Accounts implements gitcred.Backend. With a token in the environment there is
// one account, the selected one, on the environment's (or its config's) API host.
func (b credentialBackend) Accounts(ctx context.Context) ([]gitcred.Account, error) {
	e := b.e
	if e.tokenSourceName() != SourceDaemon {
		sel, err := e.selection()
		if err != nil {
			return nil, err
		}
		t, err := e.envTarget()
		if e.getenv(EnvToken) == "" {
			t, err = e.target(sel.Name)
		}
		if err != nil {
			return nil, err
		}
		return []gitcred.Account{{Name: sel.Name, APIURL: t.APIURL, Default: true}}, nil
	}

	d, err := e.connect()
	if err != nil {
		return nil, err
	}
	list, err := d.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]gitcred.Account, 0, len(list.Accounts))
	for _, a := range list.Accounts {
		// An account whose login ended stays listed, so git hears why (exit 3)
		// instead of prompting for a password.
		if a.State == ipc.StateNotLoggedIn {
			continue
		}
		out = append(out, gitcred.Account{Name: a.Name, APIURL: a.APIURL, User: a.User,
			Default: a.Name == list.Default})
	}
	return out, nil
}

// Token implements gitcred.Backend.
func (b credentialBackend) Token(ctx context.Context, account string, minTTL time.Duration) (gitcred.Answer, error) {
	c, err := b.e.AccessToken(ctx, account, minTTL)
	if err != nil {
		return gitcred.Answer{}, err
	}
	return gitcred.Answer{Username: c.User, Password: c.AccessToken, Expiry: c.Expiry}, nil
}

// Forget implements gitcred.Backend: git erases a password it found rejected. Only
// the daemon's cached access token goes, so the next get fetches a fresh one; the
// login stays. A login without a refresh token (plain `login`) is left alone: its
// access token is all it has, and dropping it would log the user out. A token from
// the environment cannot be dropped from here.
func (b credentialBackend) Forget(ctx context.Context, account string) error {
	if b.e.tokenSourceName() != SourceDaemon {
		return nil
	}
	d, err := b.e.connect()
	if err != nil {
		return err
	}
	list, err := d.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range list.Accounts {
		if a.Name == account && a.Source == ipc.SourceMemory {
			return nil
		}
	}
	return accountError(account, d.DropCache(ctx, account))
}
