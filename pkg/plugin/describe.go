package plugin

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"google.golang.org/protobuf/proto"

	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

// Limits on a description. A plugin is a separate program that may be broken or
// hostile; what it sends becomes part of the CLI's help and parsing, so it is bounded.
const (
	maxDescriptionBytes = 1 << 20
	maxCommands         = 256
	maxDepth            = 4
	maxFlags            = 32
	maxAliases          = 8
	maxArgs             = 64
	maxLineLen          = 200
	maxTextLen          = 4000
)

// ErrInvalidDescription is returned when a plugin's description breaks the rules.
var ErrInvalidDescription = errors.New("invalid plugin description")

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// reserved names are added by urfave/cli to every command.
var reserved = map[string]bool{"help": true, "h": true}

// DecodeDescription parses and validates a description in protobuf wire form.
func DecodeDescription(b []byte) (*pluginpb.Description, error) {
	if len(b) > maxDescriptionBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidDescription,
			len(b), maxDescriptionBytes)
	}
	d := &pluginpb.Description{}
	if err := proto.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDescription, err)
	}
	if err := ValidateDescription(d); err != nil {
		return nil, err
	}
	return d, nil
}

// ValidateDescription checks names, sizes, duplicates, flag types and defaults.
func ValidateDescription(d *pluginpb.Description) error {
	if err := checkLine("summary", d.GetSummary()); err != nil {
		return err
	}
	if len(d.GetCommands()) == 0 {
		return fmt.Errorf("%w: no commands", ErrInvalidDescription)
	}
	count := 0
	return checkCommands("", d.GetCommands(), 1, &count)
}

func checkCommands(parent string, cmds []*pluginpb.Command, depth int, count *int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: %q nests deeper than %d", ErrInvalidDescription,
			parent, maxDepth)
	}

	seen := map[string]bool{}
	for _, c := range cmds {
		*count++
		if *count > maxCommands {
			return fmt.Errorf("%w: more than %d commands", ErrInvalidDescription, maxCommands)
		}
		path := strings.TrimSpace(parent + " " + c.GetName())
		if err := checkNames("command", path, c.GetName(), c.GetAliases(), seen); err != nil {
			return err
		}
		if err := checkCommand(path, c); err != nil {
			return err
		}
		if err := checkCommands(path, c.GetSubcommands(), depth+1, count); err != nil {
			return err
		}
	}
	return nil
}

func checkCommand(path string, c *pluginpb.Command) error {
	if err := checkLine(path+" usage", c.GetUsage()); err != nil {
		return err
	}
	if err := checkLine(path+" args usage", c.GetArgsUsage()); err != nil {
		return err
	}
	if err := checkText(path+" description", c.GetDescription()); err != nil {
		return err
	}

	lo, hi := c.GetMinArgs(), c.GetMaxArgs()
	if lo < 0 || lo > maxArgs || hi > maxArgs || hi < -1 || (hi >= 0 && hi < lo) {
		return fmt.Errorf("%w: %q has argument bounds %d..%d", ErrInvalidDescription,
			path, lo, hi)
	}

	if len(c.GetFlags()) > maxFlags {
		return fmt.Errorf("%w: %q has more than %d flags", ErrInvalidDescription,
			path, maxFlags)
	}
	seen := map[string]bool{}
	for _, f := range c.GetFlags() {
		if err := checkFlag(path, f, seen); err != nil {
			return err
		}
	}
	return nil
}

func checkFlag(path string, f *pluginpb.Flag, seen map[string]bool) error {
	where := path + " --" + f.GetName()
	if err := checkNames("flag", where, f.GetName(), f.GetAliases(), seen); err != nil {
		return err
	}
	if err := checkLine(where+" usage", f.GetUsage()); err != nil {
		return err
	}
	if err := checkLine(where+" default", f.GetDefaultValue()); err != nil {
		return err
	}
	if err := checkDefault(f.GetType(), f.GetDefaultValue()); err != nil {
		return fmt.Errorf("%w: %q: %w", ErrInvalidDescription, where, err)
	}
	return nil
}

// checkDefault checks that a flag's type is known and its default parses as that type.
func checkDefault(t pluginpb.FlagType, v string) error {
	var err error
	switch t {
	case pluginpb.FlagType_FLAG_TYPE_STRING:
	case pluginpb.FlagType_FLAG_TYPE_BOOL:
		if v != "" {
			_, err = strconv.ParseBool(v)
		}
	case pluginpb.FlagType_FLAG_TYPE_INT:
		if v != "" {
			_, err = strconv.Atoi(v)
		}
	case pluginpb.FlagType_FLAG_TYPE_DURATION:
		if v != "" {
			_, err = time.ParseDuration(v)
		}
	default:
		return fmt.Errorf("unknown flag type %d", t)
	}
	if err != nil {
		return fmt.Errorf("default %q does not parse as its type: %w", v, err)
	}
	return nil
}

// checkNames checks a name and its aliases, and that none is taken among siblings.
func checkNames(kind, where, name string, aliases []string, seen map[string]bool) error {
	if len(aliases) > maxAliases {
		return fmt.Errorf("%w: %s %q has more than %d aliases", ErrInvalidDescription,
			kind, where, maxAliases)
	}
	for _, n := range append([]string{name}, aliases...) {
		if !nameRE.MatchString(n) {
			return fmt.Errorf("%w: %s %q: bad name %q (want lowercase letters, digits, "+
				"dashes, up to 32)", ErrInvalidDescription, kind, where, n)
		}
		if reserved[n] || seen[n] {
			return fmt.Errorf("%w: %s %q: name %q is taken", ErrInvalidDescription,
				kind, where, n)
		}
		seen[n] = true
	}
	return nil
}

// checkLine accepts one line of printable text.
func checkLine(what, s string) error {
	if len(s) > maxLineLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalidDescription,
			what, maxLineLen)
	}
	return checkPrintable(what, s, false)
}

// checkText accepts printable text with newlines.
func checkText(what, s string) error {
	if len(s) > maxTextLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalidDescription,
			what, maxTextLen)
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
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) && r != ' ' {
			return fmt.Errorf("%w: %s holds a control or invalid character %q",
				ErrInvalidDescription, what, r)
		}
	}
	return nil
}
