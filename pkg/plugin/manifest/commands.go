package manifest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// ExitUsage is the exit code of a UsageError.
const ExitUsage = 2

// UsageError is a command line that does not fit a plugin command's description.
type UsageError struct {
	Command string // the full command, e.g. "organization join"
	Msg     string
}

func (e *UsageError) Error() string { return e.Command + ": " + e.Msg }

// ExitCode implements cli.ExitCoder.
func (e *UsageError) ExitCode() int { return ExitUsage }

// RunFunc runs the leaf command at path (canonical names) of plugin, once its
// arguments fit the description.
type RunFunc func(c *cli.Context, plugin string, path []string, leaf *Command) error

// Commands builds the urfave/cli commands of every plugin in m, whose help, flags and
// completion are urfave's own, like any built-in command's. A leaf command checks its
// argument count, then calls run; a command with subcommands only shows help.
// onUsage, if set, handles usage errors (see cli.OnUsageErrorFunc). A command whose
// name or alias another plugin already took is left out, and reported in the error.
// A broken plugin has no commands; Failures reports it.
func (m *Manifest) Commands(run RunFunc, onUsage cli.OnUsageErrorFunc) ([]*cli.Command, error) {
	b := builder{run: run, onUsage: onUsage}
	var cmds []*cli.Command
	var errs []error
	owner := map[string]string{} // command name or alias -> plugin
	for _, name := range m.Names() {
		d := m.Plugins[name].Description
		if d == nil {
			continue // broken
		}
		for _, c := range d.Commands {
			if clash := claim(owner, name, c); clash != "" {
				errs = append(errs, fmt.Errorf("plugin %q: command %q is already provided "+
					"by plugin %q", name, c.Name, clash))
				continue
			}
			cmds = append(cmds, b.command(name, nil, c))
		}
	}
	return cmds, errors.Join(errs...)
}

// claim records c's names as owned by plugin, unless one is taken already.
func claim(owner map[string]string, plugin string, c *Command) string {
	names := append([]string{c.Name}, c.Aliases...)
	for _, n := range names {
		if p, ok := owner[n]; ok {
			return p
		}
	}
	for _, n := range names {
		owner[n] = plugin
	}
	return ""
}

type builder struct {
	run     RunFunc
	onUsage cli.OnUsageErrorFunc
}

func (b builder) command(plugin string, parent []string, c *Command) *cli.Command {
	path := append(append([]string(nil), parent...), c.Name)
	cmd := &cli.Command{
		Name:         c.Name,
		Aliases:      c.Aliases,
		Usage:        c.Usage,
		Description:  c.Description,
		ArgsUsage:    c.ArgsUsage,
		Flags:        flags(c.Flags),
		OnUsageError: b.onUsage,
	}
	for _, sub := range c.Subcommands {
		cmd.Subcommands = append(cmd.Subcommands, b.command(plugin, path, sub))
	}
	if len(c.Subcommands) > 0 {
		return cmd
	}

	cmd.Action = func(cc *cli.Context) error {
		if err := b.checkArgs(cc, path, c); err != nil {
			return err
		}
		return b.run(cc, plugin, path, c)
	}
	return cmd
}

func flags(fs []*Flag) []cli.Flag {
	out := make([]cli.Flag, 0, len(fs))
	for _, f := range fs {
		switch f.Type {
		case FlagBool:
			v, _ := strconv.ParseBool(f.Default)
			out = append(out, &cli.BoolFlag{Name: f.Name, Aliases: f.Aliases, Usage: f.Usage,
				Required: f.Required, Value: v})
		case FlagInt:
			v, _ := strconv.Atoi(f.Default)
			out = append(out, &cli.IntFlag{Name: f.Name, Aliases: f.Aliases, Usage: f.Usage,
				Required: f.Required, Value: v})
		case FlagDuration:
			v, _ := time.ParseDuration(f.Default)
			out = append(out, &cli.DurationFlag{Name: f.Name, Aliases: f.Aliases,
				Usage: f.Usage, Required: f.Required, Value: v})
		default:
			out = append(out, &cli.StringFlag{Name: f.Name, Aliases: f.Aliases,
				Usage: f.Usage, Required: f.Required, Value: f.Default})
		}
	}
	return out
}

// FlagValues reads every flag of the leaf back in text form, for the plugin.
func FlagValues(c *cli.Context, leaf *Command) map[string]string {
	out := make(map[string]string, len(leaf.Flags))
	for _, f := range leaf.Flags {
		switch f.Type {
		case FlagBool:
			out[f.Name] = strconv.FormatBool(c.Bool(f.Name))
		case FlagInt:
			out[f.Name] = strconv.Itoa(c.Int(f.Name))
		case FlagDuration:
			out[f.Name] = c.Duration(f.Name).String()
		default:
			out[f.Name] = c.String(f.Name)
		}
	}
	return out
}

// checkArgs enforces the description's argument bounds, reporting a violation the way
// urfave/cli reports a bad flag.
func (b builder) checkArgs(c *cli.Context, path []string, d *Command) error {
	n, lo, hi := c.NArg(), d.MinArgs, d.MaxArgs
	if n >= lo && (hi < 0 || n <= hi) {
		return nil
	}

	var want string
	switch {
	case lo == hi:
		want = fmt.Sprintf("exactly %d", lo)
	case hi < 0, n < lo:
		want = fmt.Sprintf("at least %d", lo)
	default:
		want = fmt.Sprintf("at most %d", hi)
	}
	err := &UsageError{
		Command: strings.Join(path, " "),
		Msg:     fmt.Sprintf("want %s argument(s) (%s), got %d", want, d.ArgsUsage, n),
	}
	if b.onUsage != nil {
		return b.onUsage(c, err, true)
	}

	fmt.Fprintf(c.App.Writer, "Incorrect Usage: %s\n\n", err.Msg)
	if lin := c.Lineage(); len(lin) > 1 {
		_ = cli.ShowCommandHelp(lin[1], c.Command.Name)
	}
	return err
}

// Management describes `plugin list` and `plugin verify`, which the plugin host
// implements; the lean CLI builds the same command for help and hands it over.
func Management() *Command {
	return &Command{
		Name:  "plugin",
		Usage: "list and verify dbos-cloud plugins",
		Subcommands: []*Command{
			{
				Name:  "list",
				Usage: "list installed plugins and the commands they add",
				Flags: []*Flag{{Name: "json", Usage: "print JSON", Type: FlagBool}},
			},
			{
				Name: "verify",
				Usage: "re-hash every plugin binary and compare it with the manifest; " +
					"re-describe binaries that were upgraded",
				Flags: []*Flag{{Name: "accept", Type: FlagBool,
					Usage: "trust binaries whose content changed without a new size or mtime"}},
			},
		},
	}
}

// Build builds one command tree c of plugin, as Commands does.
func Build(plugin string, c *Command, run RunFunc, onUsage cli.OnUsageErrorFunc) *cli.Command {
	return builder{run: run, onUsage: onUsage}.command(plugin, nil, c)
}

// LoadFresh loads the manifest at path and reports whether it describes exactly the
// plugin binaries now in dirs (see Fresh).
func LoadFresh(dirs []string, path string) (*Manifest, bool) {
	m := Load(path)
	return m, m.Fresh(Discover(dirs))
}
