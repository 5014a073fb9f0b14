package manifest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Description is what a plugin says about itself: a summary and a command tree.
type Description struct {
	Summary  string     `json:"summary,omitempty"`
	Commands []*Command `json:"commands"`
}

// Command is one command of a plugin. A command with subcommands only shows help.
type Command struct {
	Name        string     `json:"name"`
	Aliases     []string   `json:"aliases,omitempty"`
	Usage       string     `json:"usage,omitempty"`       // one line, in command lists
	Description string     `json:"description,omitempty"` // longer text, in --help
	ArgsUsage   string     `json:"args_usage,omitempty"`  // e.g. "ORG SECRET"
	Flags       []*Flag    `json:"flags,omitempty"`
	Subcommands []*Command `json:"subcommands,omitempty"`
	MinArgs     int        `json:"min_args,omitempty"`
	MaxArgs     int        `json:"max_args,omitempty"` // < 0: no bound
}

// FlagType is the type of a flag's value.
type FlagType string

// The flag types a plugin may use.
const (
	FlagString   FlagType = "string"
	FlagBool     FlagType = "bool"
	FlagInt      FlagType = "int"
	FlagDuration FlagType = "duration"
)

// Flag is one flag of a leaf command.
type Flag struct {
	Name     string   `json:"name"`
	Aliases  []string `json:"aliases,omitempty"`
	Usage    string   `json:"usage,omitempty"`
	Type     FlagType `json:"type"`
	Default  string   `json:"default,omitempty"` // in the type's text form: "true", "1m30s"
	Required bool     `json:"required,omitempty"`
}

// Limits on a description. A plugin is a separate program that may be broken or
// hostile; what it sends becomes part of the CLI's help and parsing, so it is bounded.
const (
	MaxDescriptionBytes = 1 << 20 // of the wire form, checked by package plugin
	MaxCommands         = 256
	MaxDepth            = 4
	MaxFlags            = 32
	MaxAliases          = 8
	MaxArgs             = 64
	MaxLineLen          = 200
	MaxTextLen          = 4000
)

// ErrInvalid is returned when a description breaks the rules.
var ErrInvalid = errors.New("invalid plugin description")

// reserved names are added by urfave/cli to every command.
var reserved = map[string]bool{"help": true, "h": true}

// ValidName reports whether s may name a plugin, command or flag: a lowercase letter,
// then up to 31 lowercase letters, digits or dashes. (No regexp: its compilation at
// start-up would cost every dbos-cloud command, `token` included.)
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// Validate checks names, sizes, duplicates, flag types and defaults.
func (d *Description) Validate() error {
	if err := checkLine("summary", d.Summary); err != nil {
		return err
	}
	if len(d.Commands) == 0 {
		return fmt.Errorf("%w: no commands", ErrInvalid)
	}
	count := 0
	return checkCommands("", d.Commands, 1, &count)
}

func checkCommands(parent string, cmds []*Command, depth int, count *int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: %q nests deeper than %d", ErrInvalid, parent, MaxDepth)
	}

	seen := map[string]bool{}
	for _, c := range cmds {
		*count++
		if *count > MaxCommands {
			return fmt.Errorf("%w: more than %d commands", ErrInvalid, MaxCommands)
		}
		if c == nil {
			return fmt.Errorf("%w: empty command under %q", ErrInvalid, parent)
		}
		path := strings.TrimSpace(parent + " " + c.Name)
		if err := checkNames("command", path, c.Name, c.Aliases, seen); err != nil {
			return err
		}
		if err := checkCommand(path, c); err != nil {
			return err
		}
		if err := checkCommands(path, c.Subcommands, depth+1, count); err != nil {
			return err
		}
	}
	return nil
}

func checkCommand(path string, c *Command) error {
	if err := checkLine(path+" usage", c.Usage); err != nil {
		return err
	}
	if err := checkLine(path+" args usage", c.ArgsUsage); err != nil {
		return err
	}
	if err := checkText(path+" description", c.Description); err != nil {
		return err
	}

	lo, hi := c.MinArgs, c.MaxArgs
	if lo < 0 || lo > MaxArgs || hi > MaxArgs || hi < -1 || (hi >= 0 && hi < lo) {
		return fmt.Errorf("%w: %q has argument bounds %d..%d", ErrInvalid, path, lo, hi)
	}

	if len(c.Flags) > MaxFlags {
		return fmt.Errorf("%w: %q has more than %d flags", ErrInvalid, path, MaxFlags)
	}
	seen := map[string]bool{}
	for _, f := range c.Flags {
		if f == nil {
			return fmt.Errorf("%w: %q has an empty flag", ErrInvalid, path)
		}
		if err := checkFlag(path, f, seen); err != nil {
			return err
		}
	}
	return nil
}

func checkFlag(path string, f *Flag, seen map[string]bool) error {
	where := path + " --" + f.Name
	if err := checkNames("flag", where, f.Name, f.Aliases, seen); err != nil {
		return err
	}
	if err := checkLine(where+" usage", f.Usage); err != nil {
		return err
	}
	if err := checkLine(where+" default", f.Default); err != nil {
		return err
	}
	if err := checkDefault(f.Type, f.Default); err != nil {
		return fmt.Errorf("%w: %q: %w", ErrInvalid, where, err)
	}
	return nil
}

// checkDefault checks that a flag's type is known and its default parses as that type.
func checkDefault(t FlagType, v string) error {
	var err error
	switch t {
	case FlagString:
	case FlagBool:
		if v != "" {
			_, err = strconv.ParseBool(v)
		}
	case FlagInt:
		if v != "" {
			_, err = strconv.Atoi(v)
		}
	case FlagDuration:
		if v != "" {
			_, err = time.ParseDuration(v)
		}
	default:
		return fmt.Errorf("unknown flag type %q", t)
	}
	if err != nil {
		return fmt.Errorf("default %q does not parse as its type: %w", v, err)
	}
	return nil
}

// checkNames checks a name and its aliases, and that none is taken among siblings.
func checkNames(kind, where, name string, aliases []string, seen map[string]bool) error {
	if len(aliases) > MaxAliases {
		return fmt.Errorf("%w: %s %q has more than %d aliases", ErrInvalid, kind, where,
			MaxAliases)
	}
	for _, n := range append([]string{name}, aliases...) {
		if !ValidName(n) {
			return fmt.Errorf("%w: %s %q: bad name %q (want lowercase letters, digits, "+
				"dashes, up to 32)", ErrInvalid, kind, where, n)
		}
		if reserved[n] || seen[n] {
			return fmt.Errorf("%w: %s %q: name %q is taken", ErrInvalid, kind, where, n)
		}
		seen[n] = true
	}
	return nil
}

// checkLine accepts one line of printable text.
func checkLine(what, s string) error {
	if len(s) > MaxLineLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, what, MaxLineLen)
	}
	return checkPrintable(what, s, false)
}

// checkText accepts printable text with newlines.
func checkText(what, s string) error {
	if len(s) > MaxTextLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, what, MaxTextLen)
	}
	return checkPrintable(what, s, true)
}

// checkPrintable refuses control characters: a description ends up on the user's
// terminal, where escape sequences could rewrite what the user sees.
func checkPrintable(what, s string, newlines bool) error {
	for _, r := range s {
		if r == '\n' && newlines {
			continue
		}
		if !printable(r) {
			return fmt.Errorf("%w: %s holds a control or invalid character %q",
				ErrInvalid, what, r)
		}
	}
	return nil
}

// printable is the rule for every character the CLI shows from a plugin or from the
// manifest: no control, format or invalid characters (invalid UTF-8 reads as
// unicode.ReplacementChar), only the ASCII space for white space.
func printable(r rune) bool {
	return r != unicode.ReplacementChar && (unicode.IsPrint(r) || r == ' ')
}

// OneLine makes text from a plugin or from go-plugin safe to print as one line of an
// error: its first line, without the characters printable refuses, at most MaxLineLen
// bytes. What it returns passes the checks a description's one-line fields pass, so
// that it may be kept in the manifest (Entry.Failed).
func OneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	s = strings.Map(func(r rune) rune {
		if !printable(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) <= MaxLineLen {
		return s
	}

	const more = "..."
	cut := MaxLineLen - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut-- // not in the middle of a character
	}
	return s[:cut] + more
}

// printablePath returns a path for a message of one line: as it is when printable,
// quoted otherwise (a directory name may hold a newline).
func printablePath(p string) string {
	if checkPrintable("path", p, false) == nil {
		return p
	}
	return strconv.Quote(p)
}

// SameSyntax reports whether a command line parsed against c means the same to o:
// the same flags (names, aliases, types, defaults, required) and argument bounds.
// Help texts may differ.
func (c *Command) SameSyntax(o *Command) bool {
	if c.MinArgs != o.MinArgs || c.MaxArgs != o.MaxArgs || len(c.Flags) != len(o.Flags) {
		return false
	}
	for i, f := range c.Flags {
		g := o.Flags[i]
		if f.Name != g.Name || !slices.Equal(f.Aliases, g.Aliases) || f.Type != g.Type ||
			f.Default != g.Default || f.Required != g.Required {
			return false
		}
	}
	return true
}

// Find follows path (canonical names) down a command tree.
func Find(cmds []*Command, path []string) *Command {
	if len(path) == 0 {
		return nil
	}
	for _, c := range cmds {
		if c.Name != path[0] {
			continue
		}
		if len(path) == 1 {
			return c
		}
		return Find(c.Subcommands, path[1:])
	}
	return nil
}
