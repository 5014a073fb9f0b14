package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/config"
	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/oauth"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

func TestSelectAccount(t *testing.T) {
	tests := []struct {
		name     string
		g        globalOptions
		env, cfg string
		want     Selection
	}{
		{"nothing", globalOptions{}, "", "", Selection{"default", ReasonBuiltin}},
		{"config_default_is_builtin", globalOptions{}, "", "default", Selection{"default", ReasonBuiltin}},
		{"config", globalOptions{}, "", "work", Selection{"work", ReasonConfig}},
		{"env_beats_config", globalOptions{}, "ci", "work", Selection{"ci", ReasonEnv}},
		{"flag_beats_env", globalOptions{Account: "me", AccountSet: true}, "ci", "work", Selection{"me", ReasonFlag}},
		{"empty_flag_ignored", globalOptions{AccountSet: true}, "ci", "", Selection{"ci", ReasonEnv}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := selectAccount(tt.g, tt.env, tt.cfg); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSelectionReadsConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := config.SetDefaultAccount(path, "work"); err != nil {
		t.Fatal(err)
	}
	e := newEnv(Deps{Getenv: mapEnv(map[string]string{EnvConfig: path})})
	sel, err := e.selection()
	if err != nil || sel != (Selection{"work", ReasonConfig}) {
		t.Fatalf("selection = %+v, %v", sel, err)
	}

	e = newEnv(Deps{Getenv: mapEnv(map[string]string{EnvAccount: "../x"})})
	if _, err := e.selection(); ExitCode(err) != ExitBadInput {
		t.Errorf("bad DBOS_ACCOUNT: %v (exit %d), want exit %d", err, ExitCode(err), ExitBadInput)
	}
}

func TestSetDefaultAccountKeepsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	orig := "# my settings\n\n[daemon]\nautostart = false\n\n[accounts.work]\ndomain = \"example.com\"\n"
	if err := os.WriteFile(path, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"work", "other"} {
		if err := config.SetDefaultAccount(path, name); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path)
		if err != nil || cfg.DefaultAccount != name || cfg.Daemon.AutostartEnabled() {
			t.Fatalf("after setting %q: %+v, %v", name, cfg, err)
		}
	}
	data, _ := os.ReadFile(path)
	if strings.Count(string(data), "default_account") != 1 || !strings.Contains(string(data), "# my settings") {
		t.Errorf("file not edited in place:\n%s", data)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitFailure},
		{usageErrorf("x"), ExitUsage},
		{fmt.Errorf("wrap: %w", ipc.NewError(ipc.CodeLoginRequired, "m")), ExitLoginRequired},
		{fmt.Errorf("wrap: %w", oauth.ErrInvalidGrant), ExitLoginRequired},
		{&cloud.APIError{Status: 401, Message: "no"}, ExitLoginRequired},
		{ipc.NewError(ipc.CodeAccountNotFound, "m"), ExitUnknownAccount},
		{fmt.Errorf("dial: %w", ipc.ErrDaemonUnavailable), ExitDaemonUnavailable},
		{oauth.ErrUnavailable, ExitUnreachable},
		{ipc.NewError(ipc.CodeIDPUnavailable, "m"), ExitUnreachable},
		{&cloud.APIError{Status: 503, Message: "down"}, ExitUnreachable},
		{ipc.NewError(ipc.CodeKeyringUnavailable, "m"), ExitKeyring},
		{&cloud.APIError{Status: 409, Message: "taken", RequestID: "r1"}, ExitRefused},
		{fmt.Errorf("org: %w", ErrPlugin), ExitPlugin},
		{badInputf("x"), ExitBadInput},
		{fmt.Errorf("x: %w", cloud.ErrInvalidUsername), ExitBadInput},
		{context.Canceled, ExitInterrupted},
		{loginRequired("work", nil), ExitLoginRequired},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestRefusedMessage(t *testing.T) {
	err := refused("Failed to register user bob", fmt.Errorf("put user: %w",
		&cloud.APIError{Status: 409, Message: "username taken.", RequestID: "abc"}))
	if got, want := message(err), "[abc] Failed to register user bob: username taken"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if ExitCode(err) != ExitRefused {
		t.Errorf("exit %d", ExitCode(err))
	}
	if got := loginRequired("work", nil).Error(); !strings.Contains(got, "dbos-cloud login --account work") {
		t.Errorf("login hint missing: %q", got)
	}
}

func TestColorPolicy(t *testing.T) {
	tests := []struct {
		tty  bool
		env  map[string]string
		want bool
	}{
		{true, nil, true},
		{false, nil, false},
		{true, map[string]string{"NO_COLOR": "1"}, false},
		{true, map[string]string{"TERM": "dumb"}, false},
	}
	for _, tt := range tests {
		if got := colorAllowed(mapEnv(tt.env), tt.tty); got != tt.want {
			t.Errorf("tty %v env %v: %v, want %v", tt.tty, tt.env, got, tt.want)
		}
	}
	if s := (output{}).paint(colorRed, "x"); s != "x" {
		t.Errorf("paint without colour = %q", s)
	}
}

func TestTokenArg(t *testing.T) {
	tests := []struct {
		name, value, stdin string
		want               string
		code               int
		warn               bool
	}{
		{"stdin", "-", "v1.abc\n", "v1.abc", 0, false},
		{"stdin_crlf", "-", "  v1.abc\r\n", "v1.abc", 0, false},
		{"stdin_empty", "-", "", "", ExitBadInput, false},
		{"stdin_two_lines", "-", "a\nb\n", "", ExitBadInput, false},
		{"stdin_space", "-", "a b\n", "", ExitBadInput, false},
		{"stdin_binary", "-", "a\x00b", "", ExitBadInput, false},
		{"argv_warns", "v1.xyz", "", "v1.xyz", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errb strings.Builder
			e := newEnv(Deps{Stdin: strings.NewReader(tt.stdin), Stderr: &errb, Getenv: mapEnv(nil)})
			tok, err := e.tokenArg(tt.value, "refresh token")
			if ExitCode(err) != tt.code {
				t.Fatalf("err %v (exit %d), want exit %d", err, ExitCode(err), tt.code)
			}
			if tok.Reveal() != tt.want {
				t.Errorf("token %q, want %q", tok.Reveal(), tt.want)
			}
			if warned := strings.Contains(errb.String(), "process list"); warned != tt.warn {
				t.Errorf("warning %v, want %v: %q", warned, tt.warn, errb.String())
			}
			if err != nil && tt.stdin != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.stdin)) {
				t.Errorf("error quotes the input: %v", err)
			}
		})
	}
}

// fakeDaemon is a Daemon whose every call fails with err.
type fakeDaemon struct{ err error }

func (f fakeDaemon) Token(context.Context, ipc.TokenRequest) (ipc.TokenResponse, error) {
	return ipc.TokenResponse{}, f.err
}
func (f fakeDaemon) Accounts(context.Context) (ipc.AccountList, error) {
	return ipc.AccountList{}, f.err
}
func (f fakeDaemon) Store(context.Context, ipc.StoreRequest) (ipc.Account, error) {
	return ipc.Account{}, f.err
}
func (f fakeDaemon) Update(context.Context, string, ipc.AccountUpdate) (ipc.Account, error) {
	return ipc.Account{}, f.err
}
func (f fakeDaemon) Forget(context.Context, string, bool) (ipc.ForgetResponse, error) {
	return ipc.ForgetResponse{}, f.err
}
func (f fakeDaemon) Unlock(context.Context, ipc.UnlockRequest) (ipc.KeyringStatus, error) {
	return ipc.KeyringStatus{}, f.err
}
func (f fakeDaemon) DropCache(context.Context, string) error    { return f.err }
func (f fakeDaemon) Status(context.Context) (ipc.Status, error) { return ipc.Status{}, f.err }
func (f fakeDaemon) KeyringCheck(context.Context) (ipc.KeyringStatus, error) {
	return ipc.KeyringStatus{}, f.err
}

// TestRunErrors drives Run end to end with a daemon that refuses in each way and
// checks the exit code and the single line of output.
func TestRunErrors(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "none.toml")
	tests := []struct {
		name string
		err  error
		args []string
		code int
		want string
	}{
		{"login_required", ipc.NewError(ipc.CodeLoginRequired, "refused"), []string{"-a", "work", "token"},
			ExitLoginRequired, "dbos-cloud login --account work"},
		{"unknown", ipc.NewError(ipc.CodeAccountNotFound, "no"), []string{"token"}, ExitUnknownAccount, "dbos-cloud login"},
		{"down", fmt.Errorf("dial: %w", ipc.ErrDaemonUnavailable), []string{"profile"}, ExitDaemonUnavailable, "dbos-credd"},
		{"idp", ipc.NewError(ipc.CodeIDPUnavailable, "down"), []string{"token"}, ExitUnreachable, "down"},
		{"status_down", fmt.Errorf("dial: %w", ipc.ErrDaemonUnavailable), []string{"status"}, ExitDaemonUnavailable, "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb strings.Builder
			code := Run(context.Background(), append([]string{"dbos-cloud", "--config", cfg}, tt.args...), Deps{
				Stdout: &out, Stderr: &errb, Getenv: mapEnv(nil),
				Daemon: func(DaemonOptions) (Daemon, error) { return fakeDaemon{tt.err}, nil },
			})
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, errb.String())
			}
			if !strings.Contains(out.String()+errb.String(), tt.want) {
				t.Errorf("output lacks %q: %q %q", tt.want, out.String(), errb.String())
			}
			if n := strings.Count(errb.String(), "\n"); n != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", n, errb.String())
			}
		})
	}
}

func TestEnvTokenSource(t *testing.T) {
	env := map[string]string{EnvToken: "not-a-jwt", EnvDomain: "http://127.0.0.1:1"}
	e := newEnv(Deps{Getenv: mapEnv(env), Daemon: func(DaemonOptions) (Daemon, error) {
		t.Fatal("daemon used although DBOS_TOKEN is set")
		return nil, nil
	}})
	e.globals = globalOptions{Account: "ci", AccountSet: true}
	cred, err := e.AccessToken(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if cred.Source != SourceEnvToken || cred.APIURL != "http://127.0.0.1:1" || cred.Account != "ci" ||
		!cred.AccessToken.Equal(secret.New("not-a-jwt")) {
		t.Errorf("credential %+v", cred)
	}
	env[EnvToken] = "bad token"
	if _, err := e.AccessToken(context.Background(), "", 0); ExitCode(err) != ExitBadInput ||
		strings.Contains(err.Error(), "bad token") {
		t.Errorf("malformed DBOS_TOKEN: %v", err)
	}
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestPromptOnTerminal(t *testing.T) {
	var errb strings.Builder
	e := newEnv(Deps{Stdin: strings.NewReader("\n  Ada \nLovelace\n"), Stderr: &errb,
		Getenv: mapEnv(nil), IsTerminal: func(any) bool { return true }})
	reg, err := e.registration(&registerOptions{Username: "ada", Company: new(string)}, secret.Token{})
	if err != nil {
		t.Fatal(err)
	}
	if reg.GivenName != "Ada" || reg.FamilyName != "Lovelace" || reg.Company != "" {
		t.Errorf("registration %+v", reg)
	}
	// The empty first answer is asked again.
	if n := strings.Count(errb.String(), "Enter first/given name:"); n != 2 {
		t.Errorf("given-name prompt shown %d times: %q", n, errb.String())
	}

	e = newEnv(Deps{Stdin: strings.NewReader("Ada\n"), Stderr: &errb, Getenv: mapEnv(nil)})
	if _, err := e.registration(&registerOptions{Username: "ada"}, secret.Token{}); ExitCode(err) != ExitBadInput ||
		!strings.Contains(err.Error(), "--given-name") {
		t.Errorf("no terminal: %v", err)
	}
}

func TestHasDisplay(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("a display is assumed on this OS")
	}
	for _, tt := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"DISPLAY": ":0"}, true},
		{map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true},
	} {
		if got := newEnv(Deps{Getenv: mapEnv(tt.env)}).hasDisplay(); got != tt.want {
			t.Errorf("env %v: %v, want %v", tt.env, got, tt.want)
		}
	}
}
