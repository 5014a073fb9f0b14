package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// completionFlag, as the last argument, asks for the words that may come next
// (urfave/cli's convention, which the scripts below follow): the word being typed
// is left out, unless it starts with "-", so the shell filters by it.
const completionFlag = "--generate-bash-completion"

// completionTimeout bounds the daemon call for account names: a TAB must not hang.
const completionTimeout = 300 * time.Millisecond

type completionOptions struct {
	Shell string
}

func newCompletionCmd(e *env, runF func(context.Context, *completionOptions) error) *cli.Command {
	if runF == nil {
		runF = e.runCompletion
	}
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "bash: source <(dbos-cloud completion bash)   (in ~/.bashrc)\n" +
			"zsh:  source <(dbos-cloud completion zsh)    (in ~/.zshrc, after compinit)\n" +
			"fish: dbos-cloud completion fish > ~/.config/fish/completions/dbos-cloud.fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 || !isShell(c.Args().First()) {
				return usageErrorf("completion takes one shell: bash, zsh or fish")
			}
			return runF(c.Context, &completionOptions{Shell: c.Args().First()})
		},
	}
}

func (e *env) runCompletion(_ context.Context, o *completionOptions) error {
	_, err := fmt.Fprint(e.stdout, completionScript(o.Shell))
	return err
}

// isCompletion reports whether args ask for completions.
func isCompletion(args []string) bool {
	return len(args) > 1 && args[len(args)-1] == completionFlag
}

// complete prints the candidates for the word after args (program name first,
// completionFlag last), one a line. It walks app's command tree itself rather than
// urfave's default, which reads os.Args and prints flags for flag values.
func (e *env) complete(ctx context.Context, app *cli.App, args []string) int {
	words := args[1 : len(args)-1]
	var path []string // the command words so far
	subs, flags := app.Commands, app.Flags

	skip := false
	for i, w := range words {
		last := i == len(words)-1
		switch {
		case skip:
			skip = false
		case w == "--":
			return ExitOK // after --, words are arguments (exec's command)
		case strings.HasPrefix(w, "-") && last:
			e.completeFlag(ctx, w, len(path) == 0, subs, flags)
			return ExitOK
		case strings.HasPrefix(w, "-"):
			// A flag's separate value is not a command name.
			f := findFlag(w, flags, app.Flags)
			skip = f != nil && takesValue(f) && !strings.Contains(w, "=")
		default:
			if sub := findCommand(subs, w); sub != nil {
				path, subs, flags = append(path, sub.Name), sub.Subcommands, sub.Flags
			}
		}
	}
	e.completeArg(ctx, strings.Join(path, " "), subs)
	return ExitOK
}

// completeFlag handles a last word that is a flag: a complete value flag wants its
// value (account names for --account); a complete boolean flag is done, so the
// next word is a command; anything else is a flag being typed.
func (e *env) completeFlag(ctx context.Context, w string, top bool, subs []*cli.Command, flags []cli.Flag) {
	f := findFlag(w, flags, nil)
	if top && f == nil {
		f = findFlag(w, globalFlags(), nil)
	}
	switch {
	case f != nil && takesValue(f) && slices.Contains(f.Names(), "account"):
		e.printWords(e.accountNames(ctx))
	case f != nil && takesValue(f) && slices.Contains(f.Names(), "shell"):
		e.printWords(shells)
	case f != nil && takesValue(f):
	case f != nil:
		e.printWords(commandNames(subs))
	default:
		e.printWords(flagNames(flags))
	}
}

// completeArg prints what may follow the command at path: its subcommands, or the
// values some commands take as their argument.
func (e *env) completeArg(ctx context.Context, path string, subs []*cli.Command) {
	if len(subs) > 0 {
		e.printWords(commandNames(subs))
		return
	}
	switch path {
	case "account use":
		e.printWords(e.accountNames(ctx))
	case "completion":
		e.printWords(shells)
	case "credential":
		e.printWords([]string{"get", "store", "erase"})
	}
}

func (e *env) printWords(ws []string) {
	for _, w := range ws {
		fmt.Fprintln(e.stdout, w)
	}
}

// accountNames lists the accounts of the config file and of a running daemon.
// Completion never starts the daemon, waits at most completionTimeout, and says
// nothing on failure: a TAB must not print errors into the command line.
func (e *env) accountNames(ctx context.Context) []string {
	var names []string
	if cfg, _, err := e.config(); err == nil && cfg != nil {
		for name := range cfg.Accounts {
			names = append(names, name)
		}
	}
	if o, err := e.daemonOptions(); err == nil {
		ctx, cancel := context.WithTimeout(ctx, completionTimeout)
		defer cancel()
		c := ipc.NewClient(ipc.ClientOptions{Path: o.Socket, Timeout: completionTimeout})
		defer c.Close()
		if list, err := c.Accounts(ctx); err == nil {
			for _, a := range list.Accounts {
				names = append(names, a.Name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// findFlag finds the flag a word names ("--account", "-a", "--account=x") among
// flags, then among more.
func findFlag(word string, flags, more []cli.Flag) cli.Flag {
	name, _, _ := strings.Cut(strings.TrimLeft(word, "-"), "=")
	for _, f := range slices.Concat(flags, more) {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	df, ok := f.(cli.DocGenerationFlag)
	return ok && df.TakesValue()
}

func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Names()...)
		}
	}
	return out
}

func flagNames(flags []cli.Flag) []string {
	out := []string{"--help"}
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}

// completionScript returns the script for shell. The scripts ask dbos-cloud itself
// for the candidates at every TAB, so plugin commands and account names are always
// current. (A switch, not a map, so that loading the CLI builds nothing.)
func completionScript(shell string) string {
	switch shell {
	case "bash":
		return bashCompletion
	case "zsh":
		return zshCompletion
	case "fish":
		return fishCompletion
	}
	return ""
}

const bashCompletion = `# bash completion for dbos-cloud. Load it with:
#   source <(dbos-cloud completion bash)
_dbos_cloud_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local -a words=("${COMP_WORDS[@]:0:COMP_CWORD}")
    if [[ "$cur" == -* ]]; then
        words+=("$cur")
    fi
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$("${words[0]}" "${words[@]:1}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o default -F _dbos_cloud_complete dbos-cloud
`

const zshCompletion = `#compdef dbos-cloud
# zsh completion for dbos-cloud. Load it after compinit with:
#   source <(dbos-cloud completion zsh)
# or save it as _dbos-cloud in a directory of $fpath.
_dbos_cloud_complete() {
    local cur=${words[CURRENT]}
    local -a args candidates
    args=("${(@)words[2,CURRENT-1]}")
    [[ $cur == -* ]] && args+=("$cur")
    candidates=("${(@f)$(${words[1]} "${(@)args}" --generate-bash-completion 2>/dev/null)}")
    candidates=(${candidates:#})
    if (( ${#candidates} )); then
        compadd -a candidates
    else
        _files
    fi
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _dbos_cloud_complete "$@"
else
    compdef _dbos_cloud_complete dbos-cloud
fi
`

const fishCompletion = `# fish completion for dbos-cloud. Install it with:
#   dbos-cloud completion fish > ~/.config/fish/completions/dbos-cloud.fish
function __dbos_cloud_complete
    set -l args (commandline -opc)
    set -l prog $args[1]
    set -e args[1]
    set -l cur (commandline -ct)
    if string match -q -- '-*' $cur
        set -a args $cur
    end
    $prog $args --generate-bash-completion 2>/dev/null
end
complete -c dbos-cloud -f -a '(__dbos_cloud_complete)'
`
