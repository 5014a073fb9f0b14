package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

type envOptions struct {
	Account string
	MinTTL  time.Duration
	// Shell is bash, zsh or fish; "" means from $SHELL.
	Shell string
}

// shells whose syntax `env` and `completion` know.
var shells = []string{"bash", "zsh", "fish"}

func newEnvCmd(e *env, runF func(context.Context, *envOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runEnv
	}
	return &cli.Command{
		Name:  "env",
		Usage: "print shell lines that export DBOS_TOKEN, DBOS_DOMAIN and DBOS_ACCOUNT",
		Description: "Use it as: eval \"$(dbos-cloud env)\" (fish: dbos-cloud env | source).\n" +
			"The token stays valid only until it expires; `dbos-cloud exec` fetches a\n" +
			"fresh one for every command.",
		Flags: []cli.Flag{cmdAccountFlag(), minTTLFlag(),
			&cli.StringFlag{Name: "shell", Usage: "`SHELL` syntax: bash, zsh or fish (default: from $SHELL)"}},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("env takes no arguments")
			}
			o := &envOptions{Account: c.String("account"), MinTTL: c.Duration("min-ttl"),
				Shell: c.String("shell")}
			if o.Shell != "" && !isShell(o.Shell) {
				return usageErrorf("--shell %q: want bash, zsh or fish", o.Shell)
			}
			return runF(c.Context, o)
		},
	}
}

func isShell(s string) bool {
	for _, sh := range shells {
		if s == sh {
			return true
		}
	}
	return false
}

// shellFromEnv picks the syntax from $SHELL's base name; anything else gets the
// POSIX form, which bash and zsh share.
func shellFromEnv(shellVar string) string {
	if base := filepath.Base(shellVar); isShell(base) {
		return base
	}
	return "bash"
}

func (e *env) runEnv(ctx context.Context, o *envOptions) error {
	shell := o.Shell
	if shell == "" {
		shell = shellFromEnv(e.getenv("SHELL"))
	}
	vars, err := e.tokenEnv(ctx, o.Account, o.MinTTL)
	if err != nil {
		return err
	}

	var b strings.Builder
	for _, kv := range vars {
		b.WriteString(exportLine(shell, kv[0], kv[1]))
	}
	_, err = fmt.Fprint(e.stdout, b.String())
	return err
}

// exportLine sets name to value in shell's syntax, one line.
func exportLine(shell, name, value string) string {
	if shell == "fish" {
		return "set -gx " + name + " " + fishQuote(value) + "\n"
	}
	return "export " + name + "=" + posixQuote(value) + "\n"
}

// posixQuote single-quotes s for sh, bash and zsh: inside single quotes nothing is
// special, and a single quote itself is closed, escaped and reopened.
func posixQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote single-quotes s for fish, where a backslash and a single quote are
// the only characters special inside single quotes.
func fishQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}
