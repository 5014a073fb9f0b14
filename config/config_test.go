package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const fullConfig = `# every setting
default_account = "prod"

[daemon]
socket = "/run/user/1000/credd.sock"
autostart = false
refresh_at = 0.5
refresh_jitter = "10s"
active_window = "2h"
keyring_backends = ["secret-service", "file"]
keyring_file_dir = "/home/u/.local/share/dbos-cloud/keyring"
log_level = "debug"
log_format = "json"

[accounts.prod]
api_url = "https://cloud.dbos.dev"
issuer = "https://login.dbos.dev/"
client_id = "6p7Sjxf13cyLMkdwn14MxlH7JdhILled"
audience = "dbos-cloud-api"

[accounts.staging]
domain = "staging.dev.dbos.dev"
`

func TestParseFull(t *testing.T) {
	cfg, err := Parse([]byte(fullConfig), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	off := false
	want := &Config{
		DefaultAccount: "prod",
		Daemon: Daemon{
			Socket: "/run/user/1000/credd.sock", Autostart: &off, RefreshAt: 0.5,
			RefreshJitter: Duration{10 * time.Second}, ActiveWindow: Duration{2 * time.Hour},
			KeyringBackends: []string{"secret-service", "file"},
			KeyringFileDir:  "/home/u/.local/share/dbos-cloud/keyring",
			LogLevel:        "debug", LogFormat: "json",
		},
		Accounts: map[string]Account{
			"prod": {APIURL: "https://cloud.dbos.dev", Issuer: "https://login.dbos.dev/",
				ClientID: "6p7Sjxf13cyLMkdwn14MxlH7JdhILled", Audience: "dbos-cloud-api"},
			"staging": {Domain: "staging.dev.dbos.dev"},
		},
		Path: "c.toml",
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
	if got := cfg.Accounts["staging"].BaseURL(); got != "https://staging.dev.dbos.dev" {
		t.Errorf("BaseURL = %q", got)
	}
}

func TestLoadMissingFileGivesDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.toml")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Path = path
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("defaults mismatch (-want +got):\n%s", diff)
	}
	if !cfg.Daemon.AutostartEnabled() || cfg.Daemon.RefreshAt != 0.75 ||
		cfg.Daemon.ActiveWindow.Duration != time.Hour || cfg.Daemon.RefreshJitter.Duration != 30*time.Second {
		t.Errorf("unexpected defaults: %+v", cfg.Daemon)
	}
}

func TestParseEmptyAndPartialKeepDefaults(t *testing.T) {
	cfg, err := Parse([]byte("[daemon]\nlog_level = \"warn\"\n"), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Daemon.LogLevel != "warn" || cfg.Daemon.RefreshAt != DefaultRefreshAt ||
		cfg.DefaultAccount != "default" || cfg.Accounts == nil || !cfg.Daemon.AutostartEnabled() {
		t.Errorf("got %+v", cfg)
	}
}

// Every error names the file, line, column and key, and wraps ErrInvalid.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // substring of the error, which starts with its position
	}{
		{"unknown_top_key", "default_acount = \"x\"\n", "c.toml:1:1: default_acount: unknown key"},
		{"unknown_daemon_key", "[daemon]\nlog_level = \"info\"\n  refresh_margin = 0.5\n", "c.toml:3:3: daemon.refresh_margin: unknown key; known keys here: socket"},
		{"unknown_account_key", "[accounts.a]\napi_url = \"https://x\"\nsecret = \"s\"\n", "c.toml:3:1: accounts.a.secret: unknown key; known keys here: api_url"},
		{"unknown_table", "[deamon]\nsocket = \"/x\"\n", "c.toml:1:1: deamon: unknown table"},
		{"case_of_table", "[Daemon]\nlog_level = \"info\"\n", "c.toml:1:1: Daemon: keys are case-sensitive; write \"daemon\""},
		{"case_of_key", "[daemon]\nLog_Level = \"info\"\n", "c.toml:2:1: daemon.Log_Level: keys are case-sensitive; write \"log_level\""},
		{"too_deep", "[accounts.a.b]\nx = 1\n", "accounts.a.b: unknown table"},
		{"syntax", "[daemon]\nlog_level = \n", "c.toml:2:"},
		{"unterminated_string", "default_account = \"abc\n", "c.toml:1:"},
		{"wrong_type", "[daemon]\nrefresh_at = \"0.5\"\n", "c.toml:2:1: daemon.refresh_at: wrong type of value"},
		{"bad_duration", "[daemon]\nactive_window = \"soon\"\n", "c.toml:2:"},
		{"number_duration", "[daemon]\nrefresh_jitter = 30\n", "durations as strings"},
		{"refresh_at_zero", "[daemon]\nrefresh_at = 0\n", "c.toml:2:1: daemon.refresh_at: must be a fraction between 0 and 1"},
		{"refresh_at_one", "[daemon]\nrefresh_at = 1.0\n", "daemon.refresh_at: must be a fraction"},
		{"negative_jitter", "[daemon]\nrefresh_jitter = \"-1s\"\n", "c.toml:2:1: daemon.refresh_jitter: must not be negative"},
		{"zero_window", "[daemon]\nactive_window = \"0s\"\n", "daemon.active_window: must be positive"},
		{"bad_backend", "[daemon]\nkeyring_backends = [\"gnome\"]\n", "c.toml:2:1: daemon.keyring_backends: unknown backend \"gnome\"; choose from secret-service"},
		{"dup_backend", "[daemon]\nkeyring_backends = [\"file\", \"file\"]\n", "listed twice"},
		{"bad_level", "[daemon]\nlog_level = \"verbose\"\n", "daemon.log_level: unknown level \"verbose\"; choose debug, info, warn or error"},
		{"bad_format", "[daemon]\nlog_format = \"xml\"\n", "daemon.log_format: unknown format"},
		{"relative_socket", "[daemon]\nsocket = \"run/credd.sock\"\n", "daemon.socket: must be an absolute path"},
		{"relative_file_dir", "[daemon]\nkeyring_file_dir = \"kr\"\n", "daemon.keyring_file_dir: must be an absolute path"},
		{"bad_default_account", "default_account = \"a/b\"\n", "c.toml:1:1: default_account: invalid account name"},
		{"bad_account_name", "[accounts.\"a b\"]\ndomain = \"x\"\n", "c.toml:1:1: accounts.\"a b\": invalid account name"},
		{"url_and_domain", "[accounts.a]\napi_url = \"https://x\"\ndomain = \"x\"\n", "c.toml:3:1: accounts.a.domain: set api_url or domain, not both"},
		{"url_scheme", "[accounts.a]\napi_url = \"ftp://x\"\n", "accounts.a.api_url: must start with https://"},
		{"url_no_host", "[accounts.a]\nissuer = \"https://\"\n", "accounts.a.issuer: has no host"},
		{"url_userinfo", "[accounts.a]\napi_url = \"https://u:p@x\"\n", "must not hold a user name or password"},
		{"domain_with_scheme", "[accounts.a]\ndomain = \"https://x\"\n", "accounts.a.domain: must be a host name"},
		{"client_id_space", "[accounts.a]\nclient_id = \"a b\"\n", "accounts.a.client_id: must not contain whitespace"},
		{"dotted_key", "daemon.log_level = \"loud\"\n", "c.toml:1:1: daemon.log_level: unknown level"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.src), "c.toml")
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Line == 0 && !strings.Contains(tc.want, "durations") {
				t.Errorf("error has no position: %#v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\n does not contain %q", err, tc.want)
			}
		})
	}
}

func TestParseReportsAllErrorsInOrder(t *testing.T) {
	src := "[daemon]\nlog_level = \"x\"\nlog_format = \"y\"\nbogus = 1\n"
	_, err := Parse([]byte(src), "c.toml")
	msg := err.Error()
	i, j, k := strings.Index(msg, ":2:"), strings.Index(msg, ":3:"), strings.Index(msg, ":4:")
	if i < 0 || j < i || k < j {
		t.Fatalf("errors missing or out of order:\n%s", msg)
	}
}

func TestLoadReadError(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir) // a directory cannot be read as a file
	if err == nil || errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want a read error that is not ErrInvalid", err)
	}
}

func TestExpandHome(t *testing.T) {
	t.Setenv("HOME", "/home/tester")
	cfg, err := Parse([]byte("[daemon]\nsocket = \"~/run/credd.sock\"\n"), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Daemon.Socket != "/home/tester/run/credd.sock" {
		t.Errorf("socket = %q", cfg.Daemon.Socket)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("HOME", "/home/tester")
	t.Setenv(EnvConfig, "")
	t.Setenv("XDG_CONFIG_HOME", "")
	if got := DefaultPath(); got != "/home/tester/.config/dbos-cloud/config.toml" {
		t.Errorf("home fallback = %q", got)
	}
	t.Setenv("XDG_CONFIG_HOME", "relative")
	if got := DefaultPath(); got != "/home/tester/.config/dbos-cloud/config.toml" {
		t.Errorf("relative XDG_CONFIG_HOME not ignored: %q", got)
	}
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	if got := DefaultPath(); got != "/xdg/dbos-cloud/config.toml" {
		t.Errorf("XDG = %q", got)
	}
	t.Setenv(EnvConfig, "/etc/my.toml")
	if got := DefaultPath(); got != "/etc/my.toml" {
		t.Errorf("DBOS_CONFIG = %q", got)
	}
}

func TestLocate(t *testing.T) {
	src := "a = 1\n[t]\n  b.c = 2\n[\"q.x\" . y]\nz = 3\n# d = 4\n"
	tests := []struct {
		key       []string
		line, col int
	}{
		{[]string{"a"}, 1, 1},
		{[]string{"t"}, 2, 1},
		{[]string{"t", "b", "c"}, 3, 3},
		{[]string{"q.x", "y", "z"}, 5, 1},
		{[]string{"d"}, 0, 0},
	}
	for _, tc := range tests {
		if l, c := locate(src, tc.key); l != tc.line || c != tc.col {
			t.Errorf("locate(%q) = %d:%d, want %d:%d", tc.key, l, c, tc.line, tc.col)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(fullConfig))
	f.Add([]byte("[daemon]\nrefresh_at = 2\n"))
	f.Add([]byte("[accounts.x]\nfoo = 1\n[[accounts]]\n"))
	f.Add([]byte("a = \"\"\"\nmulti\n\"\"\"\n"))
	f.Add([]byte("daemon = { log_level = \"info\", bogus = 1 }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "f.toml")
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "f.toml") {
				t.Fatalf("error does not start with the file name: %v", err)
			}
			return
		}
		// A config that parses is valid: the invariants validation promises hold.
		d := cfg.Daemon
		if d.Autostart == nil || !(d.RefreshAt > 0 && d.RefreshAt < 1) || d.ActiveWindow.Duration <= 0 ||
			d.RefreshJitter.Duration < 0 || !validName(cfg.DefaultAccount) {
			t.Fatalf("invalid config accepted: %+v", cfg)
		}
		for name := range cfg.Accounts {
			if !validName(name) {
				t.Fatalf("invalid account name %q accepted", name)
			}
		}
	})
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
