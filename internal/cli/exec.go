package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
)

type execOptions struct {
	// Account is the --account given to exec itself ("" when not given).
	Account string
	MinTTL  time.Duration
	Argv    []string
}

// forwardedSignals reach the child as they reach dbos-cloud.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP,
	syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// childExit carries a child's exit status through Run, which returns it as the
// exit code without printing anything.
type childExit struct{ code int }

func (c *childExit) Error() string { return fmt.Sprintf("command exited with status %d", c.code) }

func newExecCmd(e *env, runF func(context.Context, *execOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runExec
	}
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a command with DBOS_TOKEN, DBOS_DOMAIN and DBOS_ACCOUNT set",
		ArgsUsage: "-- COMMAND [ARGS...]",
		Description: "The token is passed in the environment, never on the command line, and\n" +
			"DBOS_REFRESH_TOKEN is removed from it. Signals are forwarded to the command,\n" +
			"and its exit status is returned (128+N when signal N killed it).",
		Flags: []cli.Flag{cmdAccountFlag(), minTTLFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageErrorf("exec needs a command: dbos-cloud exec -- COMMAND [ARGS...]")
			}
			o := &execOptions{Account: c.String("account"), MinTTL: c.Duration("min-ttl"),
				Argv: c.Args().Slice()}
			if o.MinTTL < 0 {
				return usageErrorf("--min-ttl must not be negative")
			}
			return runF(c.Context, o)
		},
	}
}

// accountFlag is a command's own --account, the same as the global one.
func cmdAccountFlag() cli.Flag {
	return &cli.StringFlag{Name: "account", Aliases: []string{"a"}, Usage: "account `NAME` to use"}
}

func minTTLFlag() cli.Flag {
	return &cli.DurationFlag{Name: "min-ttl", Usage: "least remaining lifetime of the token `DURATION` (e.g. 10m)"}
}

// useAccount makes a command's own --account act as the global flag.
func (e *env) useAccount(name string) {
	if name != "" {
		e.globals.Account, e.globals.AccountSet = name, true
	}
}

// tokenEnv fetches a token and returns the variables a child process gets.
func (e *env) tokenEnv(ctx context.Context, account string, minTTL time.Duration) ([][2]string, error) {
	e.useAccount(account)
	c, err := e.AccessToken(ctx, "", minTTL)
	if err != nil {
		return nil, err
	}
	return [][2]string{
		{EnvToken, c.AccessToken.Reveal()},
		{EnvDomain, domainOf(c.APIURL)},
		{EnvAccount, c.Account},
	}, nil
}

// domainOf turns an API URL back into a DBOS_DOMAIN value: a bare host for
// https on the default port, as the official tools expect, else the URL as is
// (which this CLI accepts too).
func domainOf(apiURL string) string {
	if host, ok := strings.CutPrefix(apiURL, "https://"); ok && !strings.ContainsAny(host, "/:") {
		return host
	}
	return apiURL
}

func (e *env) runExec(ctx context.Context, o *execOptions) error {
	vars, err := e.tokenEnv(ctx, o.Account, o.MinTTL)
	if err != nil {
		return err
	}
	path, err := exec.LookPath(o.Argv[0])
	if err != nil {
		return &Error{Code: ExitUsage, Err: fmt.Errorf("exec %s: %w", o.Argv[0], err)}
	}

	cmd := exec.Command(path, o.Argv[1:]...)
	cmd.Args[0] = o.Argv[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.deps.Stdin, e.stdout, e.stderr
	cmd.Env = childEnv(os.Environ(), vars)

	// Listen before the start, so that no signal falls between the two.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", o.Argv[0], err)
	}
	e.log.Debug("exec", "pid", cmd.Process.Pid, "account", vars[2][1])

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			return exitOf(o.Argv[0], cmd, err)
		}
	}
}

// childEnv is env without the variables exec sets or removes, plus vars.
func childEnv(env []string, vars [][2]string) []string {
	drop := map[string]bool{EnvRefreshToken: true}
	for _, kv := range vars {
		drop[kv[0]] = true
	}
	out := make([]string, 0, len(env)+len(vars))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			out = append(out, kv)
		}
	}
	for _, kv := range vars {
		out = append(out, kv[0]+"="+kv[1])
	}
	return out
}

// exitOf maps how the child ended to dbos-cloud's exit: its status, or 128+N when
// signal N ended it, as shells report it.
func exitOf(name string, cmd *exec.Cmd, err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("wait for %s: %w", name, err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &childExit{code: 128 + int(ws.Signal())}
	}
	return &childExit{code: cmd.ProcessState.ExitCode()}
}
