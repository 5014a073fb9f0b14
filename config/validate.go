package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

// validName is the account-name rule of the daemon's wire contract, so that every
// account the file names can be asked for over the socket.
func validName(name string) bool { return ipcwire.ValidAccountName(name) }

const nameRule = "use 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit"

// validator collects validation errors with their positions.
type validator struct {
	src, path string
	errs      []*Error
}

func (v *validator) fail(key []string, format string, args ...any) {
	line, col := locate(v.src, key)
	v.errs = append(v.errs, &Error{Path: v.path, Line: line, Column: col,
		Key: toml.Key(key).String(), Msg: fmt.Sprintf(format, args...)})
}

// validate checks cfg's values, fills defaults that depend on what the file set,
// and normalises paths.
func validate(cfg *Config, md *toml.MetaData, src, path string) []*Error {
	v := &validator{src: src, path: path}

	if !validName(cfg.DefaultAccount) {
		v.fail([]string{"default_account"}, "invalid account name %q: %s", cfg.DefaultAccount, nameRule)
	}
	validateDaemon(v, &cfg.Daemon, md)

	names := make([]string, 0, len(cfg.Accounts))
	for name := range cfg.Accounts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		validateAccount(v, name, cfg.Accounts[name])
	}
	return v.errs
}

func validateDaemon(v *validator, d *Daemon, md *toml.MetaData) {
	key := func(k string) []string { return []string{"daemon", k} }

	if d.Socket != "" {
		p, err := expandHome(d.Socket)
		if err != nil || !filepath.IsAbs(p) {
			v.fail(key("socket"), "must be an absolute path (or start with ~/)")
		}
		d.Socket = p
	}
	if d.Autostart == nil {
		on := true
		d.Autostart = &on
	}
	if md.IsDefined("daemon", "refresh_at") && !(d.RefreshAt > 0 && d.RefreshAt < 1) {
		v.fail(key("refresh_at"), "must be a fraction between 0 and 1 (exclusive), e.g. 0.75 to refresh after three quarters of a token's lifetime")
	}
	if d.RefreshJitter.Duration < 0 {
		v.fail(key("refresh_jitter"), "must not be negative")
	}
	if d.ActiveWindow.Duration <= 0 {
		v.fail(key("active_window"), `must be positive, e.g. "1h"`)
	}

	seen := map[string]bool{}
	for _, b := range d.KeyringBackends {
		switch {
		case !slices.Contains(KeyringBackends, b):
			v.fail(key("keyring_backends"), "unknown backend %q; choose from %s", b, strings.Join(KeyringBackends, ", "))
		case seen[b]:
			v.fail(key("keyring_backends"), "backend %q is listed twice", b)
		}
		seen[b] = true
	}
	if d.KeyringFileDir != "" {
		p, err := expandHome(d.KeyringFileDir)
		if err != nil || !filepath.IsAbs(p) {
			v.fail(key("keyring_file_dir"), "must be an absolute path (or start with ~/)")
		}
		d.KeyringFileDir = p
	}

	if !slices.Contains([]string{"debug", "info", "warn", "error"}, d.LogLevel) {
		v.fail(key("log_level"), "unknown level %q; choose debug, info, warn or error", d.LogLevel)
	}
	if !slices.Contains([]string{"text", "json"}, d.LogFormat) {
		v.fail(key("log_format"), "unknown format %q; choose text or json", d.LogFormat)
	}
}

func validateAccount(v *validator, name string, a Account) {
	key := func(k string) []string { return []string{"accounts", name, k} }

	if !validName(name) {
		v.fail([]string{"accounts", name}, "invalid account name: %s", nameRule)
	}
	if a.APIURL != "" && a.Domain != "" {
		v.fail(key("domain"), "set api_url or domain, not both")
	}
	if a.APIURL != "" {
		if msg := checkURL(a.APIURL); msg != "" {
			v.fail(key("api_url"), "%s", msg)
		}
	}
	if a.Domain != "" {
		if msg := checkDomain(a.Domain); msg != "" {
			v.fail(key("domain"), "%s", msg)
		}
	}
	if a.Issuer != "" {
		if msg := checkURL(a.Issuer); msg != "" {
			v.fail(key("issuer"), "%s", msg)
		}
	}
	if strings.ContainsAny(a.ClientID, " \t\r\n") {
		v.fail(key("client_id"), "must not contain whitespace")
	}
}

// checkURL returns why s is not an absolute http(s) URL, or "".
func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "not a valid URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must start with https:// (or http:// for a local emulator)"
	case u.Host == "":
		return "has no host"
	case u.User != nil:
		return "must not hold a user name or password"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}

// checkDomain returns why s is not a host[:port] like DBOS_DOMAIN, or "".
func checkDomain(s string) string {
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@ ") {
		return `must be a host name such as "cloud.dbos.dev", without scheme or path (use api_url for a full URL)`
	}
	host := s
	if h, _, err := net.SplitHostPort(s); err == nil {
		host = h
	}
	if host == "" {
		return "has no host"
	}
	return ""
}

// expandHome replaces a leading ~/ with the home directory.
func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~")), nil
}
