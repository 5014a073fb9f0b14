package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// ErrInvalid is wrapped by every error about the file's content.
var ErrInvalid = errors.New("invalid config")

// Error is one problem in a config file, with its position when known.
type Error struct {
	Path   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown
	Key    string
	Msg    string
}

// Error formats as path:line:column: key: message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes every Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Load reads and validates the file at path. A missing file yields the defaults
// and no error; any other read failure is returned as is (not ErrInvalid).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		cfg := Default()
		cfg.Path = path
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return Parse(data, path)
}

// Parse decodes and validates data, which came from path (used in messages). When
// several settings are wrong, all are reported, first to last in the file.
func Parse(data []byte, path string) (*Config, error) {
	cfg := Default()
	cfg.Path = path
	src := string(data)

	md, err := toml.Decode(src, cfg)
	if err != nil {
		return nil, decodeError(err, src, path)
	}

	var errs []*Error
	errs = append(errs, unknownKeys(md, src, path)...)
	errs = append(errs, validate(cfg, &md, src, path)...)
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	if cfg.Accounts == nil {
		cfg.Accounts = map[string]Account{}
	}
	return cfg, nil
}

// joinErrors orders errs by position and joins them; a single error stays itself so
// that errors.As finds it first.
func joinErrors(errs []*Error) error {
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Column < errs[j].Column
	})
	if len(errs) == 1 {
		return errs[0]
	}
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return errors.Join(list...)
}

// typeErrRE matches the position prefix of BurntSushi/toml's errors that are not
// ParseErrors (type mismatches): "toml: line 3 (last key "a.b"): ...". It is
// compiled at its first use, an invalid file, not at init: every process that
// links this package pays for its init.
var typeErrRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)
})

// decodeError turns the TOML library's error into an *Error with line and column.
func decodeError(err error, src, path string) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line, col := pe.Position.Line, columnAt(src, pe.Position.Start)
		msg := pe.Message
		if pe.LastKey != "" && strings.Contains(pe.Error(), "time: ") {
			msg += `; write durations as strings such as "30s", "5m" or "1h"`
		}
		return &Error{Path: path, Line: line, Column: col, Key: pe.LastKey, Msg: msg}
	}

	if m := typeErrRE().FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		e := &Error{Path: path, Line: line, Key: m[2], Msg: typeMessage(m[3])}
		if l, c := locate(src, splitKey(m[2])); l == line {
			e.Column = c
		}
		return e
	}
	return &Error{Path: path, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// typeMessage rewords the library's type mismatch in TOML terms.
func typeMessage(msg string) string {
	if strings.HasPrefix(msg, "incompatible types:") {
		return "wrong type of value:" + strings.TrimPrefix(msg, "incompatible types:")
	}
	return msg
}

// columnAt returns the 1-based column of byte offset off in src.
func columnAt(src string, off int) int {
	if off < 0 || off > len(src) {
		return 0
	}
	return off - strings.LastIndexByte(src[:off], '\n')
}

// schema lists the keys each table accepts, with exact case: the TOML library
// matches struct fields case-insensitively, but TOML keys are case-sensitive and a
// key that only works by accident should not be accepted.
var schema = map[string][]string{
	"":         {"default_account", "daemon", "accounts"},
	"daemon":   {"socket", "autostart", "refresh_at", "refresh_jitter", "active_window", "keyring_backends", "keyring_file_dir", "log_level", "log_format"},
	"accounts": {"api_url", "domain", "issuer", "client_id", "audience"},
}

// unknownKeys reports keys the schema does not have, and keys that differ from a
// known one only in case. A whole unknown table is one error, not one per key.
func unknownKeys(md toml.MetaData, src, path string) []*Error {
	var errs []*Error
	bad := map[string]bool{}
	for _, k := range md.Keys() {
		if len(k) > 1 && bad[k[:len(k)-1].String()] {
			bad[k.String()] = true
			continue // inside a table already reported
		}
		table, name, ok := schemaSlot(k)
		if ok && slices.Contains(schema[table], name) {
			continue
		}
		bad[k.String()] = true

		msg := "unknown key"
		if md.Type(k...) == "Hash" {
			msg = "unknown table"
		}
		for _, known := range schema[table] {
			if ok && strings.EqualFold(known, name) {
				msg = fmt.Sprintf("keys are case-sensitive; write %q", known)
			}
		}
		if ok {
			msg += "; known keys here: " + strings.Join(schema[table], ", ")
		}
		line, col := locate(src, k)
		errs = append(errs, &Error{Path: path, Line: line, Column: col, Key: k.String(), Msg: msg})
	}
	return errs
}

// schemaSlot returns the schema table a key belongs to and its name there; ok is
// false for keys nested deeper than the schema goes.
func schemaSlot(k toml.Key) (table, name string, ok bool) {
	switch {
	case len(k) == 1:
		return "", k[0], true
	case len(k) == 2 && k[0] == "daemon":
		return "daemon", k[1], true
	case len(k) == 2 && k[0] == "accounts":
		return "", "accounts", true // the [accounts.NAME] table itself
	case len(k) == 3 && k[0] == "accounts":
		return "accounts", k[2], true
	}
	return "", "", false
}
