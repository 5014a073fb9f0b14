package cli

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/config"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// DefaultAccountName is the account used when nothing selects another.
const DefaultAccountName = "default"

// Reasons an account was selected, as `status` prints them.
const (
	ReasonFlag    = "--account flag"
	ReasonEnv     = "DBOS_ACCOUNT"
	ReasonConfig  = "default_account in config"
	ReasonBuiltin = `built-in default "default"`
)

// Selection is the account a command uses, and why.
type Selection struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// selectAccount applies the order flag, DBOS_ACCOUNT, config default_account,
// "default". It does no I/O.
func selectAccount(g globalOptions, envAccount, cfgDefault string) Selection {
	switch {
	case g.AccountSet && g.Account != "":
		return Selection{g.Account, ReasonFlag}
	case envAccount != "":
		return Selection{envAccount, ReasonEnv}
	case cfgDefault != "" && cfgDefault != DefaultAccountName:
		return Selection{cfgDefault, ReasonConfig}
	}
	return Selection{DefaultAccountName, ReasonBuiltin}
}

// selection returns the selected account, loading the config only when the flag and
// the environment leave the choice to it. A malformed name is bad input.
func (e *env) selection() (Selection, error) {
	var cfgDefault string
	if !(e.globals.AccountSet && e.globals.Account != "") && e.getenv("DBOS_ACCOUNT") == "" {
		cfg, _, err := e.config()
		if err != nil {
			return Selection{}, err
		}
		if cfg != nil {
			cfgDefault = cfg.DefaultAccount
		}
	}

	sel := selectAccount(e.globals, e.getenv("DBOS_ACCOUNT"), cfgDefault)
	if !ipc.ValidAccountName(sel.Name) {
		return sel, badInputf("account name %q (from %s): use 1-64 of A-Z a-z 0-9 . _ -",
			sel.Name, sel.Reason)
	}
	return sel, nil
}

// configAccount returns the config entry for name, if any.
func (e *env) configAccount(name string) (config.Account, bool, error) {
	cfg, _, err := e.config()
	if err != nil {
		return config.Account{}, false, err
	}
	a, ok := cfg.Accounts[name]
	return a, ok, nil
}

type accountListOptions struct {
	JSON bool
}

type accountUseOptions struct {
	Name string
}

func newAccountCmd(e *env, listF func(context.Context, *accountListOptions) error,
	useF func(context.Context, *accountUseOptions) error) *cli.Command {
	if listF == nil {
		listF = e.runAccountList
	}
	if useF == nil {
		useF = e.runAccountUse
	}
	return &cli.Command{
		Name:  "account",
		Usage: "list accounts, choose the default one",
		Subcommands: []*cli.Command{
			{
				Name:  "list",
				Usage: "list every account with its user, organization and login state",
				Flags: []cli.Flag{jsonFlag()},
				Action: func(c *cli.Context) error {
					if c.Args().Present() {
						return usageErrorf("account list takes no arguments")
					}
					return listF(c.Context, &accountListOptions{JSON: wantJSON(c)})
				},
			},
			{
				Name:      "use",
				Usage:     "make NAME the default account (default_account in the config file)",
				ArgsUsage: "NAME",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageErrorf("account use takes one account NAME")
					}
					return useF(c.Context, &accountUseOptions{Name: c.Args().First()})
				},
			},
		},
		Action: subcommandRequired,
	}
}

// subcommandRequired is the Action of command groups.
func subcommandRequired(c *cli.Context) error {
	if c.Args().Present() {
		return usageErrorf("%s: unknown command %q", c.Command.Name, c.Args().First())
	}
	_ = cli.ShowSubcommandHelp(c)
	return usageErrorf("%s: a subcommand is required", c.Command.Name)
}

// jsonFlag is the per-command --json (the global one works too).
func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print compact JSON"}
}

// wantJSON is true when --json is given to the command or globally.
func wantJSON(c *cli.Context) bool {
	for _, ctx := range c.Lineage() {
		if ctx.Bool("json") {
			return true
		}
	}
	return false
}

// accountListJSON is the stable shape of `account list --json`.
type accountListJSON struct {
	Selected Selection     `json:"selected"`
	Default  string        `json:"default"`
	Accounts []ipc.Account `json:"accounts"`
}

func (e *env) runAccountList(ctx context.Context, o *accountListOptions) error {
	sel, err := e.selection()
	if err != nil {
		return err
	}
	d, err := e.connect()
	if err != nil {
		return err
	}
	list, err := d.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	slices.SortFunc(list.Accounts, func(a, b ipc.Account) int { return cmpString(a.Name, b.Name) })

	if o.JSON {
		return printJSON(e.stdout, accountListJSON{sel, list.Default, list.Accounts})
	}
	if len(list.Accounts) == 0 {
		e.info("No accounts. Log in with: dbos-cloud login")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tACCOUNT\tUSER\tORGANIZATION\tSTATE\tSOURCE\tTOKEN EXPIRES")
	for _, a := range list.Accounts {
		mark := ""
		if a.Name == sel.Name {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, a.Name, dash(a.User),
			dash(a.Organization), a.State, a.Source, e.expiry(a.AccessExpiresAt))
	}
	return tw.Flush()
}

func (e *env) runAccountUse(ctx context.Context, o *accountUseOptions) error {
	if !ipc.ValidAccountName(o.Name) {
		return badInputf("account name %q: use 1-64 of A-Z a-z 0-9 . _ -", o.Name)
	}
	cfg, path, err := e.config()
	if err != nil {
		return err
	}

	if err := e.accountKnown(ctx, cfg, o.Name); err != nil {
		return err
	}
	if err := config.SetDefaultAccount(path, o.Name); err != nil {
		return fmt.Errorf("set default account: %w", err)
	}

	e.success("Default account is now %q (%s).", o.Name, path)
	if env := e.getenv("DBOS_ACCOUNT"); env != "" && env != o.Name {
		e.warn("DBOS_ACCOUNT=%s is set and takes precedence over the default", env)
	}
	return nil
}

// accountKnown succeeds if name is in the config or known to the daemon.
func (e *env) accountKnown(ctx context.Context, cfg *config.Config, name string) error {
	if cfg != nil {
		if _, ok := cfg.Accounts[name]; ok {
			return nil
		}
	}
	d, err := e.connect()
	if err != nil {
		return err
	}
	list, err := d.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	if slices.ContainsFunc(list.Accounts, func(a ipc.Account) bool { return a.Name == name }) {
		return nil
	}
	return &Error{Code: ExitUnknownAccount, Err: fmt.Errorf("account %q: %w", name, ipc.ErrAccountNotFound),
		Hint: "log in first: " + loginCommand(name)}
}

// expiry formats an access token's expiry relative to now.
func (e *env) expiry(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	left := t.Sub(e.deps.Now()).Round(time.Second)
	if left <= 0 {
		return "expired"
	}
	return "in " + left.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
