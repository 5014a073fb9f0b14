package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

type statusOptions struct {
	JSON bool
}

// envOverrides are the variables status reports by name (never by value).
var envOverrides = []string{
	EnvToken, EnvRefreshToken, EnvAccount, EnvDomain, EnvAuthDomain, EnvClientID, EnvConfig,
	ipc.EnvSocket, "NO_COLOR",
}

func newStatusCmd(e *env, runF func(context.Context, *statusOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runStatus
	}
	return &cli.Command{
		Name:  "status",
		Usage: "show accounts, which one a command would use and why, and the daemon",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("status takes no arguments")
			}
			return runF(c.Context, &statusOptions{JSON: wantJSON(c)})
		},
	}
}

// statusJSON is the stable shape of `status --json`.
type statusJSON struct {
	Selected    Selection     `json:"selected"`
	TokenSource string        `json:"token_source"`
	Env         []string      `json:"env"`
	Config      string        `json:"config"`
	Daemon      *daemonJSON   `json:"daemon"`
	DaemonError string        `json:"daemon_error,omitempty"`
	Accounts    []ipc.Account `json:"accounts"`
}

type daemonJSON struct {
	Version        string       `json:"version"`
	PID            int          `json:"pid"`
	Socket         string       `json:"socket"`
	KeyringBackend string       `json:"keyring_backend"`
	Counters       ipc.Counters `json:"counters"`
}

func (e *env) runStatus(ctx context.Context, o *statusOptions) error {
	sel, err := e.selection()
	if err != nil {
		return err
	}
	_, cfgPath, _ := e.config()
	st := statusJSON{Selected: sel, TokenSource: e.tokenSourceName(), Config: cfgPath,
		Env: []string{}, Accounts: []ipc.Account{}}
	for _, name := range envOverrides {
		if e.getenv(name) != "" {
			st.Env = append(st.Env, name)
		}
	}

	// The daemon's absence is part of the report; it also sets the exit code.
	derr := e.daemonStatus(ctx, &st)
	if o.JSON {
		if err := printJSON(e.stdout, st); err != nil {
			return err
		}
	} else if err := e.printStatus(st); err != nil {
		return err
	}
	return derr
}

func (e *env) daemonStatus(ctx context.Context, st *statusJSON) error {
	d, err := e.connect()
	if err == nil {
		var s ipc.Status
		if s, err = d.Status(ctx); err == nil {
			st.Daemon = &daemonJSON{s.Version, s.PID, s.Socket, s.KeyringBackend, s.Counters}
			st.Accounts = s.Accounts
			slices.SortFunc(st.Accounts, func(a, b ipc.Account) int { return cmpString(a.Name, b.Name) })
			return nil
		}
	}
	st.DaemonError = message(err)
	return err
}

// tokenSourceName says where the next token would come from.
func (e *env) tokenSourceName() string {
	switch {
	case e.getenv(EnvToken) != "":
		return SourceEnvToken
	case e.getenv(EnvRefreshToken) != "":
		return SourceEnvRefresh
	}
	return SourceDaemon
}

func (e *env) printStatus(st statusJSON) error {
	w := e.stdout
	fmt.Fprintf(w, "Account:      %s (%s)\n", st.Selected.Name, st.Selected.Reason)
	fmt.Fprintf(w, "Token source: %s\n", st.TokenSource)
	fmt.Fprintf(w, "Config:       %s\n", st.Config)
	if len(st.Env) > 0 {
		fmt.Fprintf(w, "Environment:  %s\n", strings.Join(st.Env, ", "))
	}
	if st.Daemon == nil {
		fmt.Fprintf(w, "Daemon:       unavailable: %s\n", st.DaemonError)
		return nil
	}
	fmt.Fprintf(w, "Daemon:       dbos-credd %s, pid %d, %s, keyring %s\n",
		st.Daemon.Version, st.Daemon.PID, st.Daemon.Socket, st.Daemon.KeyringBackend)
	if len(st.Accounts) == 0 {
		fmt.Fprintln(w, "Accounts:     none; log in with: dbos-cloud login")
		return nil
	}

	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tACCOUNT\tUSER\tORGANIZATION\tSTATE\tSOURCE\tTOKEN EXPIRES\tAPI")
	for _, a := range st.Accounts {
		mark := ""
		if a.Name == st.Selected.Name {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, a.Name, dash(a.User),
			dash(a.Organization), a.State, a.Source, e.expiry(a.AccessExpiresAt), a.APIURL)
	}
	return tw.Flush()
}
