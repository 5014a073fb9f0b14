package daemon

import (
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/dbos-go/dbos-cloud/config"
	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
)

// settings is the part of the configuration the daemon acts on.
type settings struct {
	defaultAccount string
	accounts       map[string]tokens.Endpoints
	policy         tokens.Policy
	socket         string
	backends       []string
	fileDir        string
	logLevel       string
}

// settingsFrom reads a loaded config. Account endpoints left out are resolved as
// the CLI resolves them (cloud.ResolveTarget), so both agree on an account's hosts.
func settingsFrom(c *config.Config) (settings, error) {
	s := settings{
		defaultAccount: c.DefaultAccount,
		accounts:       map[string]tokens.Endpoints{},
		policy: tokens.Policy{RefreshAt: c.Daemon.RefreshAt, Jitter: c.Daemon.RefreshJitter.Duration,
			ActiveWindow: c.Daemon.ActiveWindow.Duration},
		socket:   c.Daemon.Socket,
		backends: c.Daemon.KeyringBackends,
		fileDir:  c.Daemon.KeyringFileDir,
		logLevel: c.Daemon.LogLevel,
	}
	for name, a := range c.Accounts {
		domain := a.Domain
		if a.APIURL != "" {
			domain = a.APIURL
		}
		ep, err := resolveEndpoints(domain, a.Issuer, a.ClientID)
		if err != nil {
			return settings{}, fmt.Errorf("account %s: %w", name, err)
		}
		if a.APIURL != "" {
			ep.APIURL = a.APIURL
		}
		if a.Audience != "" {
			ep.Audience = a.Audience
		}
		s.accounts[name] = ep
	}
	if s.defaultAccount == "" {
		s.defaultAccount = "default"
	}
	return s, nil
}

func resolveEndpoints(domain, authDomain, clientID string) (tokens.Endpoints, error) {
	t, err := cloud.ResolveTarget(domain, authDomain, clientID)
	if err != nil {
		return tokens.Endpoints{}, err
	}
	return tokens.Endpoints{APIURL: t.APIURL, Issuer: t.Issuer, ClientID: t.ClientID, Audience: t.Audience}, nil
}

// envSource reads DBOS_REFRESH_TOKEN and friends. The token is held in memory only;
// endpoints come from DBOS_DOMAIN, DBOS_AUTH_DOMAIN and DBOS_CLIENT_ID when any is
// set, else from the configured account of that name, else the defaults.
func envSource(getenv func(string) string, s settings) (*tokens.EnvSource, error) {
	rt := getenv("DBOS_REFRESH_TOKEN")
	if rt == "" {
		return nil, nil
	}
	name := getenv("DBOS_ACCOUNT")
	if name == "" {
		name = "ci"
	}
	ep, ok := s.accounts[name]
	domain, auth, cid := getenv("DBOS_DOMAIN"), getenv("DBOS_AUTH_DOMAIN"), getenv("DBOS_CLIENT_ID")
	if !ok || domain != "" || auth != "" || cid != "" {
		var err error
		if ep, err = resolveEndpoints(domain, auth, cid); err != nil {
			return nil, fmt.Errorf("environment account %s: %w", name, err)
		}
	}
	return &tokens.EnvSource{Account: name, RefreshToken: secretFromEnv(rt), Endpoints: ep}, nil
}

// keyringFileDir is where the file backend keeps its items by default.
func keyringFileDir(configured string) string {
	if configured != "" {
		return configured
	}
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "dbos-cloud", "keyring")
}

// parseLevel maps a config or flag level name to a slog level.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if s == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func cloneAccounts(m map[string]tokens.Endpoints) map[string]tokens.Endpoints { return maps.Clone(m) }
