package config

import (
	"os"
	"path/filepath"
	"time"
)

// EnvConfig names the config file, overriding the XDG location.
const EnvConfig = "DBOS_CONFIG"

// Defaults applied to settings the file leaves out.
const (
	DefaultAccountName   = "default"
	DefaultRefreshAt     = 0.75
	DefaultRefreshJitter = 30 * time.Second
	DefaultActiveWindow  = time.Hour
	DefaultLogLevel      = "info"
	DefaultLogFormat     = "text"
)

// KeyringBackends are the names accepted in daemon.keyring_backends, as 99designs/
// keyring spells them.
var KeyringBackends = []string{"secret-service", "keychain", "kwallet", "wincred", "pass", "keyctl", "file"}

// Config is the whole file.
type Config struct {
	// DefaultAccount is the account used when a command names none.
	DefaultAccount string             `toml:"default_account"`
	Daemon         Daemon             `toml:"daemon"`
	Accounts       map[string]Account `toml:"accounts"`

	// Path is the file the config was loaded from (it may not exist).
	Path string `toml:"-"`
}

// Daemon holds dbos-credd's settings.
type Daemon struct {
	// Socket overrides the socket path; empty means the default location.
	Socket string `toml:"socket"`
	// Autostart lets the CLI start the daemon when none answers; nil in the file
	// means true, and Load always fills it in.
	Autostart *bool `toml:"autostart"`
	// RefreshAt is the fraction of an access token's lifetime after which it is
	// refreshed, in (0, 1).
	RefreshAt float64 `toml:"refresh_at"`
	// RefreshJitter spreads refreshes of many accounts by up to this much.
	RefreshJitter Duration `toml:"refresh_jitter"`
	// ActiveWindow: only accounts used within it are refreshed in the background.
	ActiveWindow Duration `toml:"active_window"`
	// KeyringBackends lists the keyring backends to try, in order; empty means the
	// daemon's platform default.
	KeyringBackends []string `toml:"keyring_backends"`
	// KeyringFileDir is where the encrypted file backend keeps its items.
	KeyringFileDir string `toml:"keyring_file_dir"`
	LogLevel       string `toml:"log_level"`  // debug, info, warn or error
	LogFormat      string `toml:"log_format"` // text or json
}

// AutostartEnabled reports the autostart setting, true when unset.
func (d Daemon) AutostartEnabled() bool { return d.Autostart == nil || *d.Autostart }

// Account holds the non-secret settings of one account. Empty fields mean the
// official DBOS Cloud defaults, which the caller applies.
type Account struct {
	// APIURL is the cloud API base URL, e.g. https://cloud.dbos.dev.
	APIURL string `toml:"api_url"`
	// Domain is the API host alone, like the DBOS_DOMAIN variable; an alternative
	// to APIURL (https is implied).
	Domain   string `toml:"domain"`
	Issuer   string `toml:"issuer"`
	ClientID string `toml:"client_id"`
	Audience string `toml:"audience"`
}

// BaseURL returns APIURL, or https://Domain when only the domain is set, or "".
func (a Account) BaseURL() string {
	if a.APIURL != "" {
		return a.APIURL
	}
	if a.Domain != "" {
		return "https://" + a.Domain
	}
	return ""
}

// Duration is a time.Duration written in TOML as a string such as "90s" or "1h".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration in Go's notation.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Default returns the configuration used when there is no file.
func Default() *Config {
	on := true
	return &Config{
		DefaultAccount: DefaultAccountName,
		Daemon: Daemon{
			Autostart:     &on,
			RefreshAt:     DefaultRefreshAt,
			RefreshJitter: Duration{DefaultRefreshJitter},
			ActiveWindow:  Duration{DefaultActiveWindow},
			LogLevel:      DefaultLogLevel,
			LogFormat:     DefaultLogFormat,
		},
		Accounts: map[string]Account{},
	}
}

// DefaultPath returns $DBOS_CONFIG, else $XDG_CONFIG_HOME/dbos-cloud/config.toml,
// else ~/.config/dbos-cloud/config.toml. A relative XDG_CONFIG_HOME is ignored, as
// the XDG spec requires.
func DefaultPath() string {
	if p := os.Getenv(EnvConfig); p != "" {
		return p
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "dbos-cloud", "config.toml")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		// No home: a relative path still lets the caller report something sensible.
		return filepath.Join(".config", "dbos-cloud", "config.toml")
	}
	return filepath.Join(home, ".config", "dbos-cloud", "config.toml")
}
