package plugin

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

// buildCommand turns a validated description into an urfave/cli command whose help,
// flags and completion are urfave's own, like any built-in command. Leaf commands run
// the plugin; commands with subcommands only show help.
func (h *Host) buildCommand(plugin string, parent []string, c *pluginpb.Command) *cli.Command {
	path := append(append([]string(nil), parent...), c.GetName())
	cmd := &cli.Command{
		Name:         c.GetName(),
		Aliases:      c.GetAliases(),
		Usage:        c.GetUsage(),
		Description:  c.GetDescription(),
		ArgsUsage:    c.GetArgsUsage(),
		Flags:        buildFlags(c.GetFlags()),
		OnUsageError: h.OnUsageError,
	}
	for _, sub := range c.GetSubcommands() {
		cmd.Subcommands = append(cmd.Subcommands, h.buildCommand(plugin, path, sub))
	}
	if len(c.GetSubcommands()) > 0 {
		return cmd
	}

	cmd.Action = func(cc *cli.Context) error {
		if err := h.checkArgs(cc, path, c); err != nil {
			return err
		}
		return h.run(cc, plugin, path, c)
	}
	return cmd
}

func buildFlags(fs []*pluginpb.Flag) []cli.Flag {
	out := make([]cli.Flag, 0, len(fs))
	for _, f := range fs {
		name, aliases, usage, req := f.GetName(), f.GetAliases(), f.GetUsage(), f.GetRequired()
		def := f.GetDefaultValue()
		switch f.GetType() {
		case pluginpb.FlagType_FLAG_TYPE_BOOL:
			v, _ := strconv.ParseBool(def)
			out = append(out, &cli.BoolFlag{Name: name, Aliases: aliases, Usage: usage,
				Required: req, Value: v})
		case pluginpb.FlagType_FLAG_TYPE_INT:
			v, _ := strconv.Atoi(def)
			out = append(out, &cli.IntFlag{Name: name, Aliases: aliases, Usage: usage,
				Required: req, Value: v})
		case pluginpb.FlagType_FLAG_TYPE_DURATION:
			v, _ := time.ParseDuration(def)
			out = append(out, &cli.DurationFlag{Name: name, Aliases: aliases, Usage: usage,
				Required: req, Value: v})
		default:
			out = append(out, &cli.StringFlag{Name: name, Aliases: aliases, Usage: usage,
				Required: req, Value: def})
		}
	}
	return out
}

// flagValues reads every flag of the leaf back in text form for the plugin.
func flagValues(c *cli.Context, leaf *pluginpb.Command) map[string]string {
	out := make(map[string]string, len(leaf.GetFlags()))
	for _, f := range leaf.GetFlags() {
		n := f.GetName()
		switch f.GetType() {
		case pluginpb.FlagType_FLAG_TYPE_BOOL:
			out[n] = strconv.FormatBool(c.Bool(n))
		case pluginpb.FlagType_FLAG_TYPE_INT:
			out[n] = strconv.Itoa(c.Int(n))
		case pluginpb.FlagType_FLAG_TYPE_DURATION:
			out[n] = c.Duration(n).String()
		default:
			out[n] = c.String(n)
		}
	}
	return out
}

// checkArgs enforces the description's argument bounds, reporting a violation the way
// urfave/cli reports a bad flag.
func (h *Host) checkArgs(c *cli.Context, path []string, d *pluginpb.Command) error {
	n, lo, hi := c.NArg(), int(d.GetMinArgs()), int(d.GetMaxArgs())
	if n >= lo && (hi < 0 || n <= hi) {
		return nil
	}

	var want string
	switch {
	case lo == hi:
		want = fmt.Sprintf("exactly %d", lo)
	case hi < 0:
		want = fmt.Sprintf("at least %d", lo)
	case n < lo:
		want = fmt.Sprintf("at least %d", lo)
	default:
		want = fmt.Sprintf("at most %d", hi)
	}
	err := &UsageError{
		Command: strings.Join(path, " "),
		Msg:     fmt.Sprintf("want %s argument(s) (%s), got %d", want, d.GetArgsUsage(), n),
	}
	if h.OnUsageError != nil {
		return h.OnUsageError(c, err, true)
	}

	fmt.Fprintf(c.App.Writer, "Incorrect Usage: %s\n\n", err.Msg)
	if lin := c.Lineage(); len(lin) > 1 {
		_ = cli.ShowCommandHelp(lin[1], c.Command.Name)
	}
	return err
}
