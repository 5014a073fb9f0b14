package cli

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

type keyringUnlockOptions struct {
	Password string // "-" reads stdin; "" asks on the terminal
}

// newKeyringCmd is the keyring group: the daemon's keyring can be checked, and a
// backend that needs a password (the encrypted file backend) unlocked from this
// terminal, since the daemon has none to prompt on.
func newKeyringCmd(e *env, checkF func(context.Context) error,
	unlockF func(context.Context, *keyringUnlockOptions) error) *cli.Command {
	if checkF == nil {
		checkF = e.runKeyringCheck
	}
	if unlockF == nil {
		unlockF = e.runKeyringUnlock
	}
	return &cli.Command{
		Name:  "keyring",
		Usage: "check or unlock dbos-credd's keyring",
		Subcommands: []*cli.Command{
			{
				Name:  "check",
				Usage: "check that dbos-credd can write to its keyring",
				Action: func(c *cli.Context) error {
					if c.Args().Present() {
						return usageErrorf("keyring check takes no arguments")
					}
					return checkF(c.Context)
				},
			},
			{
				Name:      "unlock",
				Usage:     "give dbos-credd the keyring password (asked without echo; - reads stdin)",
				ArgsUsage: "[-]",
				Action: func(c *cli.Context) error {
					if c.NArg() > 1 || (c.NArg() == 1 && c.Args().First() != "-") {
						return usageErrorf("keyring unlock takes no password on the command line; give - to read stdin")
					}
					return unlockF(c.Context, &keyringUnlockOptions{Password: c.Args().First()})
				},
			},
		},
		Action: subcommandRequired,
	}
}

func (e *env) runKeyringCheck(ctx context.Context) error {
	d, err := e.connect()
	if err != nil {
		return err
	}
	ks, err := d.KeyringCheck(ctx)
	if err != nil {
		return fmt.Errorf("check keyring: %w", err)
	}
	return e.reportKeyring(ks)
}

func (e *env) runKeyringUnlock(ctx context.Context, o *keyringUnlockOptions) error {
	if o.Password == "" && !e.canPrompt() {
		return badInputf("a keyring password is needed but there is %v; give - and pipe it on stdin", errNoTerminal)
	}
	pw, err := e.readSecretLine("keyring password")
	if err != nil {
		return err
	}
	if pw.IsZero() {
		return badInputf("empty keyring password")
	}
	d, err := e.connect()
	if err != nil {
		return err
	}
	ks, err := d.Unlock(ctx, ipc.UnlockRequest{Password: pw.Reveal()})
	if err != nil {
		return fmt.Errorf("unlock keyring: %w", err)
	}
	return e.reportKeyring(ks)
}

// reportKeyring prints the keyring state, and fails with ExitKeyring when it cannot
// be written.
func (e *env) reportKeyring(ks ipc.KeyringStatus) error {
	if e.globals.JSON {
		if err := printJSON(e.stdout, ks); err != nil {
			return err
		}
	}
	if !ks.Writable {
		return &Error{Code: ExitKeyring, Err: fmt.Errorf("keyring %s is not writable: %s: %w",
			ks.Backend, dash(ks.Error), ipc.ErrKeyringUnavailable)}
	}
	e.success("Keyring %s is writable.", ks.Backend)
	return nil
}
