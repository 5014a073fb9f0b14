package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// Deps is what the commands need from outside: streams, environment, clients. Run
// fills zero fields with the real ones, so tests set only what they replace.
type Deps struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
	// IsTerminal reports whether a stream (an *os.File, or anything) is an
	// interactive terminal. Decides colour, the updating wait line and prompts.
	IsTerminal func(stream any) bool
	// HTTP sends every request to the login service and the API.
	HTTP *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Version is printed by --version and sent in the User-Agent.
	Version string
	// Executable is this program's path; dbos-credd is looked for next to it.
	Executable string
	// Daemon connects to dbos-credd; ConnectDaemon when nil.
	Daemon func(opts DaemonOptions) (Daemon, error)
	// OpenBrowser opens a URL in the user's browser; failures are ignored.
	OpenBrowser func(url string) error
	// PluginCommands returns the commands of installed plugins (the organization
	// commands). It is called only when the first command word is not a built-in
	// command, or for help, so that `dbos-cloud token` never discovers plugins.
	// The Services it is given serve tokens for the account the command line selects
	// (resolved when a plugin asks, after the global flags are parsed). An error
	// fails the run with ExitPlugin, except for help, which lists the rest.
	PluginCommands func(ctx context.Context, svc Services) ([]*cli.Command, error)
	// PluginExec, used when PluginCommands is nil, hands the whole command line to
	// the plugin host binary (dbos-cloud-host) in place of this process, so
	// that the dbos-cloud binary itself does not link go-plugin and gRPC and starts
	// fast. It returns only on failure; ErrNoPluginHost means plugins are not
	// installed, and the command line is then handled here.
	PluginExec func(args []string) error
	// PluginManifest, used with PluginExec, returns the plugin manifest and whether
	// it describes exactly the installed plugins. When it does, help, completion and
	// usage errors of plugin commands are answered here, and only running one starts
	// the plugin host.
	PluginManifest func() (m *manifest.Manifest, fresh bool)
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	Account    string
	AccountSet bool
	JSON       bool
	ConfigPath string
	ConfigSet  bool
	Debug      bool
}

// Run runs the command line args (args[0] is the program name) and returns the exit
// code. Errors are printed to deps.Stderr as one line.
func Run(ctx context.Context, args []string, deps Deps) int {
	args = helpWord(args)
	e := newEnv(deps)
	app := e.newApp()

	if code, done := e.addPlugins(ctx, app, args); done {
		return code
	}

	if isCompletion(args) {
		return e.complete(ctx, app, args)
	}
	err := app.RunContext(ctx, args)
	if e.pluginWarning != nil {
		e.warn("some plugin commands are missing: %v", e.pluginWarning)
	}
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%w: %w", context.Canceled, err)
	}
	return e.report(err)
}

// report prints err as one line (plus a usage pointer for usage errors) and
// returns its exit code.
func (e *env) report(err error) int {
	// A child's exit status (exec) is passed on without a word of ours.
	if ce, ok := errors.AsType[*childExit](err); ok {
		return ce.code
	}
	code := ExitCode(err)
	msg := message(err)
	if code == ExitInterrupted {
		msg = "interrupted"
	}
	fmt.Fprintf(e.stderr, "%s %s\n", e.out.paint(colorRed, "dbos-cloud:"), msg)
	if code == ExitUsage {
		fmt.Fprintln(e.stderr, "Run 'dbos-cloud --help' for usage.")
	}
	return code
}

// newApp builds the command tree.
func (e *env) newApp() *cli.App {
	app := &cli.App{
		Name:      "dbos-cloud",
		Usage:     "log in to DBOS Cloud and manage accounts",
		Version:   e.deps.Version,
		Reader:    e.deps.Stdin,
		Writer:    e.deps.Stdout,
		ErrWriter: e.deps.Stderr,
		Flags:     globalFlags(),
		Before:    e.before,
		Commands: []*cli.Command{
			newLoginCmd(e, nil), newLogoutCmd(e, nil), newRevokeCmd(e, nil),
			newRegisterCmd(e, nil), newProfileCmd(e, nil), newTokenCmd(e, nil),
			newAccountCmd(e, nil, nil), newStatusCmd(e, nil),
			newCredentialsCmd(e, nil, nil), newKeyringCmd(e, nil, nil),
			newCredentialCmd(e, nil), newExecCmd(e, nil), newEnvCmd(e, nil), newCompletionCmd(e, nil),
			newDoctorCmd(e, nil), newDaemonCmd(e),
		},
		HideHelpCommand: true,
		Suggest:         true,
		// Errors are printed and mapped to exit codes by Run, never by urfave's
		// os.Exit.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageErrorf("%v", err)
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("unknown command %q", c.Args().First())
			}
			_ = cli.ShowAppHelp(c)
			return usageErrorf("no command given")
		},
	}
	for _, cmd := range app.Commands {
		setUsageHandlers(cmd)
	}
	return app
}

// pluginError makes err exit with ExitPlugin unless it already carries a code.
func pluginError(err error) error {
	if _, ok := errors.AsType[cli.ExitCoder](err); ok {
		return err
	}
	return &Error{Code: ExitPlugin, Err: err}
}

// setUsageHandlers makes flag errors of cmd and its subcommands usage errors.
func setUsageHandlers(cmd *cli.Command) {
	cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return usageErrorf("%s: %v", cmd.Name, err)
	}
	for _, sub := range cmd.Subcommands {
		setUsageHandlers(sub)
	}
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "account", Aliases: []string{"a"},
			Usage: "account `NAME` to use (default: $DBOS_ACCOUNT, the config's default_account, or \"default\")"},
		&cli.BoolFlag{Name: "json", Usage: "print data as compact JSON"},
		&cli.StringFlag{Name: "config", Usage: "config file `PATH` (default: $DBOS_CONFIG or the user config dir)"},
		&cli.BoolFlag{Name: "debug", Usage: "log what happens to stderr (never a token)"},
	}
}

// before records the global flags; it does no I/O, so that `token` stays fast.
func (e *env) before(c *cli.Context) error {
	e.globals = globalOptions{
		Account:    c.String("account"),
		AccountSet: c.IsSet("account"),
		JSON:       c.Bool("json"),
		ConfigPath: c.String("config"),
		ConfigSet:  c.IsSet("config"),
		Debug:      c.Bool("debug"),
	}
	if e.globals.Debug {
		e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		e.http = debugHTTP(e.http, e.log)
	}
	return nil
}

// firstCommand returns the first word of args (after the program name) that is not
// a global flag or a global flag's value; "" if there is none.
func firstCommand(args []string) string {
	if i := commandAt(args); i > 0 {
		return args[i]
	}
	return ""
}

// commandAt returns the index in args of the word firstCommand returns; -1 if none.
func commandAt(args []string) int {
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return i + 1
			}
			return -1
		case a == "-a" || a == "--account" || a == "-account" || a == "--config" || a == "-config":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return i
		}
	}
	return -1
}

// isBuiltin reports whether name is one of app's own commands ("" and "help" are
// not: help lists plugin commands too).
func isBuiltin(app *cli.App, name string) bool {
	if name == "" || name == "help" {
		return false
	}
	return slices.ContainsFunc(app.Commands, func(c *cli.Command) bool { return c.HasName(name) })
}

// isTerminal is the default Deps.IsTerminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
