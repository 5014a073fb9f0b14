package cli

import (
	"bytes"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
)

// Help is printed by hand, not through urfave/cli's text/template printer: parsing
// and executing its templates (reflection on every field, a tabwriter writing each
// cell straight to stdout) made `dbos-cloud --help` cost twice `--version`. The
// printer below renders urfave's three default templates (app, command, command with
// subcommands) with the same layout and text, byte for byte (help_test.go compares
// the two on every command); any other template goes to urfave's printer.
//
// cli.HelpPrinter is a urfave/cli package variable, so setting it here applies to the
// binaries that link this package (dbos-cloud and dbos-cloud-host), and to nothing
// else. It is set once, before any command runs, so concurrent runs never race on it.
func init() { cli.HelpPrinter = printHelp }

// helpWrapAt is the line length urfave's default printer wraps at.
const helpWrapAt = 10000

// printHelp is the cli.HelpPrinter: it renders templ for data (an *cli.App or
// *cli.Command) into a buffer, aligns the flag columns as urfave's tabwriter does, and
// writes the result with one call.
func printHelp(w io.Writer, templ string, data any) {
	var text strings.Builder
	if !renderHelp(&text, templ, data) {
		cli.HelpPrinterCustom(w, templ, data, nil)
		return
	}

	var out bytes.Buffer
	out.Grow(text.Len() + text.Len()/4)
	tw := tabwriter.NewWriter(&out, 1, 8, 2, ' ', 0)
	_, _ = io.WriteString(tw, text.String())
	_ = tw.Flush()
	_, _ = w.Write(out.Bytes())
}

// renderHelp writes the help text for one of urfave's default templates, with the
// tabs its tabwriter aligns still in place. It reports false for any other template,
// or for a command that was never set up (urfave's own printer fails on it part way,
// and is left to do so identically).
func renderHelp(b *strings.Builder, templ string, data any) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	switch d := data.(type) {
	case *cli.App:
		if templ != cli.AppHelpTemplate {
			return false
		}
		appHelp(b, d)
	case *cli.Command:
		switch templ {
		case cli.CommandHelpTemplate:
			commandHelp(b, d, false)
		case cli.SubcommandHelpTemplate:
			commandHelp(b, d, true)
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// appHelp renders cli.AppHelpTemplate.
func appHelp(b *strings.Builder, a *cli.App) {
	b.WriteString("NAME:\n   ")
	helpName(b, a.HelpName, a.Usage)
	b.WriteString("\n\nUSAGE:\n   ")
	if a.UsageText != "" {
		b.WriteString(wrapHelp(a.UsageText, 3))
	} else {
		b.WriteString(a.HelpName + " ")
		if len(a.VisibleFlags()) > 0 {
			b.WriteString("[global options]")
		}
		if len(a.Commands) > 0 {
			b.WriteString(" command [command options]")
		}
		argsUsage(b, a.ArgsUsage, a.Args)
	}
	if a.Version != "" && !a.HideVersion {
		b.WriteString("\n\nVERSION:\n   " + a.Version)
	}
	if a.Description != "" {
		b.WriteString("\n\nDESCRIPTION:\n   " + wrapHelp(a.Description, 3))
	}
	authors(b, a.Authors)
	if len(a.VisibleCommands()) > 0 {
		b.WriteString("\n\nCOMMANDS:")
		commandList(b, a.VisibleCategories())
	}
	flagList(b, "GLOBAL OPTIONS:", a.VisibleFlagCategories(), a.VisibleFlags())
	if a.Copyright != "" {
		b.WriteString("\n\nCOPYRIGHT:\n   " + wrapHelp(a.Copyright, 3))
	}
	b.WriteString("\n")
}

// commandHelp renders cli.CommandHelpTemplate, or with subs cli.SubcommandHelpTemplate
// (which adds the list of subcommands).
func commandHelp(b *strings.Builder, c *cli.Command, subs bool) {
	b.WriteString("NAME:\n   ")
	helpName(b, c.HelpName, c.Usage)
	b.WriteString("\n\nUSAGE:\n   ")
	if c.UsageText != "" {
		b.WriteString(wrapHelp(c.UsageText, 3))
	} else {
		b.WriteString(c.HelpName)
		if len(c.VisibleFlags()) > 0 {
			b.WriteString(" [command options]")
		}
		argsUsage(b, c.ArgsUsage, c.Args)
	}
	if c.Category != "" {
		b.WriteString("\n\nCATEGORY:\n   " + c.Category)
	}
	if c.Description != "" {
		b.WriteString("\n\nDESCRIPTION:\n   " + wrapHelp(c.Description, 3))
	}
	if subs && len(c.VisibleCommands()) > 0 {
		b.WriteString("\n\nCOMMANDS:")
		commandList(b, c.VisibleCategories())
	}
	flagList(b, "OPTIONS:", c.VisibleFlagCategories(), c.VisibleFlags())
	b.WriteString("\n")
}

// helpName is the NAME line: the full command name and its one-line usage, whose
// continuation lines (if any) are indented past the name.
func helpName(b *strings.Builder, name, usage string) {
	b.WriteString(wrapHelp(name, 3))
	if usage != "" {
		b.WriteString(" - " + wrapHelp(usage, len(name)+6))
	}
}

// argsUsage ends the USAGE line: the arguments' own text, or a generic placeholder
// when the command says it takes arguments but not which.
func argsUsage(b *strings.Builder, text string, takesArgs bool) {
	switch {
	case text != "":
		b.WriteString(" " + text)
	case takesArgs:
		b.WriteString(" [arguments...]")
	}
}

// authors is the AUTHOR (or AUTHORS) section.
func authors(b *strings.Builder, as []*cli.Author) {
	if len(as) == 0 {
		return
	}
	b.WriteString("\n\nAUTHOR")
	if len(as) != 1 {
		b.WriteString("S")
	}
	b.WriteString(":")
	for _, a := range as {
		b.WriteString("\n   ")
		if a == nil {
			b.WriteString("<no value>") // what text/template prints for a nil pointer
			continue
		}
		b.WriteString(a.String())
	}
}

// commandList lists commands. Uncategorised ones get a names column padded with
// spaces to the widest entry; a named category's entries are tab-separated, so the
// tabwriter aligns them.
func commandList(b *strings.Builder, cats []cli.CommandCategory) {
	for _, cat := range cats {
		if cat.Name() == "" {
			uncategorised(b, cat.VisibleCommands())
			continue
		}
		b.WriteString("\n   " + cat.Name() + ":")
		for _, c := range cat.VisibleCommands() {
			b.WriteString("\n     " + strings.Join(c.Names(), ", ") + "\t" + c.Usage)
		}
	}
}

func uncategorised(b *strings.Builder, cmds []*cli.Command) {
	width := 0
	for _, c := range cmds {
		width = max(width, len(strings.Join(c.Names(), ", ")))
	}
	col := width + 5 // where the usage column starts
	for _, c := range cmds {
		names := strings.Join(c.Names(), ", ")
		b.WriteString("\n   " + names)
		b.WriteString(strings.Repeat(" ", col-len(names)-3))
		b.WriteString(wrapHelp(c.Usage, col))
	}
}

// flagList is the OPTIONS (or GLOBAL OPTIONS) section: by category when any flag has
// one, else one flag a line. Each flag's String has a tab between its names and its
// usage, which the tabwriter aligns.
func flagList(b *strings.Builder, title string, cats []cli.VisibleFlagCategory, flags []cli.Flag) {
	switch {
	case len(cats) > 0:
		b.WriteString("\n\n" + title)
		for _, cat := range cats {
			b.WriteString("\n   ")
			if cat.Name() != "" {
				b.WriteString(cat.Name() + "\n\n   ")
			}
			fs := cat.Flags()
			for i, f := range fs {
				b.WriteString(f.String())
				if i == len(fs)-1 {
					b.WriteString("\n")
				} else {
					b.WriteString("\n   ")
				}
			}
		}
	case len(flags) > 0:
		b.WriteString("\n\n" + title)
		for _, f := range flags {
			b.WriteString("\n   " + wrapHelp(f.String(), 6))
		}
	}
}

// wrapHelp indents every non-empty line of s after the first by indent spaces, and
// breaks lines longer than helpWrapAt-indent bytes at spaces, as urfave's printer does.
func wrapHelp(s string, indent int) string {
	if !strings.Contains(s, "\n") && len(s) <= helpWrapAt-indent {
		return s // the usual case: one short line
	}
	pad := strings.Repeat(" ", indent)
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if line == "" {
			continue
		}
		line = breakLine(line, indent, pad)
		if i > 0 {
			line = pad + line
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

// breakLine fills words greedily into lines of helpWrapAt-indent bytes, each new line
// starting with pad. A word longer than a line stays whole.
func breakLine(line string, indent int, pad string) string {
	width := helpWrapAt - indent
	if width <= 0 || len(line) <= width {
		return line
	}
	words := strings.Fields(line)
	if len(words) == 0 {
		return line
	}

	var b strings.Builder
	b.WriteString(words[0])
	left := width - len(words[0])
	for _, w := range words[1:] {
		if len(w)+1 > left {
			b.WriteString("\n" + pad + w)
			left = width - len(w)
			continue
		}
		b.WriteString(" " + w)
		left -= len(w) + 1
	}
	return b.String()
}

// helpWord turns `dbos-cloud [global flags] help [COMMAND...]` into `dbos-cloud
// [global flags] [COMMAND...] --help`. The app hides urfave's help command (so that
// it is not listed), which also drops its `help COMMAND`; this restores it, for nested
// commands too, and lets Run skip plugin discovery when COMMAND is built in. Other
// command lines (and completion requests) are returned as they are.
func helpWord(args []string) []string {
	i := commandAt(args)
	if i < 0 || args[i] != "help" || args[i-1] == "--" || isCompletion(args) {
		return args
	}
	out := make([]string, 0, len(args))
	out = append(out, args[:i]...)
	out = append(out, args[i+1:]...)
	return append(out, "--help")
}
