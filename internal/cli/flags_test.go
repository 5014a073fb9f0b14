package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"
)

// runCmd runs cmd (built with a capture hook) under an app with the global flags,
// and returns the exit code Run would give.
func runCmd(t *testing.T, cmd *cli.Command, args ...string) int {
	t.Helper()
	var out, errb bytes.Buffer
	e := newEnv(Deps{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	setUsageHandlers(cmd)
	app := &cli.App{Name: "dbos-cloud", Flags: globalFlags(), Commands: []*cli.Command{cmd},
		Writer: &out, ErrWriter: &errb, ExitErrHandler: func(*cli.Context, error) {}, Before: e.before}
	err := app.RunContext(context.Background(), append([]string{"dbos-cloud"}, args...))
	return ExitCode(err)
}

func TestLoginFlags(t *testing.T) {
	tests := []struct {
		args []string
		want loginOptions
		code int
	}{
		{[]string{"login"}, loginOptions{}, 0},
		{[]string{"login", "--get-refresh-token", "--no-browser"}, loginOptions{GetRefreshToken: true, NoBrowser: true}, 0},
		{[]string{"login", "--with-refresh-token", "-"}, loginOptions{WithRefreshToken: "-"}, 0},
		{[]string{"login", "--with-refresh-token", ""}, loginOptions{}, ExitUsage},
		{[]string{"login", "--with-refresh-token"}, loginOptions{}, ExitUsage},
		{[]string{"login", "extra"}, loginOptions{}, ExitUsage},
		{[]string{"login", "--nope"}, loginOptions{}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			var got loginOptions
			cmd := newLoginCmd(nil, func(_ context.Context, o *loginOptions) error { got = *o; return nil })
			if code := runCmd(t, cmd, tt.args...); code != tt.code {
				t.Fatalf("exit code %d, want %d", code, tt.code)
			}
			if diff := cmp.Diff(tt.want, got); tt.code == 0 && diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegisterFlags(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name string
		args []string
		want registerOptions
		code int
	}{
		{"short", []string{"register", "-u", "alice"}, registerOptions{Username: "alice"}, 0},
		{"secret_stdin", []string{"register", "-u", "bob", "-s", "-", "--company", ""},
			registerOptions{Username: "bob", Secret: "-", Company: s("")}, 0},
		{"names", []string{"register", "--username", "c_1", "--given-name", "C", "--family-name", "D"},
			registerOptions{Username: "c_1", GivenName: s("C"), FamilyName: s("D")}, 0},
		{"no_username", []string{"register"}, registerOptions{}, ExitUsage},
		{"empty_secret", []string{"register", "-u", "x", "-s", ""}, registerOptions{}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got registerOptions
			cmd := newRegisterCmd(nil, func(_ context.Context, o *registerOptions) error { got = *o; return nil })
			if code := runCmd(t, cmd, tt.args...); code != tt.code {
				t.Fatalf("exit code %d, want %d", code, tt.code)
			}
			if diff := cmp.Diff(tt.want, got); tt.code == 0 && diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenAndProfileFlags(t *testing.T) {
	var tok tokenOptions
	tokenCmd := func() *cli.Command {
		return newTokenCmd(nil, func(_ context.Context, o *tokenOptions) error { tok = *o; return nil })
	}
	if code := runCmd(t, tokenCmd(), "token", "--min-ttl", "10m", "--json"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if want := (tokenOptions{MinTTL: 10 * time.Minute, JSON: true}); tok != want {
		t.Errorf("got %+v, want %+v", tok, want)
	}
	// The global --json counts too.
	tok = tokenOptions{}
	if code := runCmd(t, tokenCmd(), "--json", "token"); code != 0 || !tok.JSON {
		t.Errorf("global --json: exit %d, options %+v", code, tok)
	}
	for _, bad := range [][]string{{"token", "--min-ttl", "-1s"}, {"token", "--min-ttl", "soon"}, {"token", "x"}} {
		if code := runCmd(t, tokenCmd(), bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitUsage)
		}
	}

	var prof profileOptions
	cmd := newProfileCmd(nil, func(_ context.Context, o *profileOptions) error { prof = *o; return nil })
	if code := runCmd(t, cmd, "profile", "--json"); code != 0 || !prof.JSON {
		t.Errorf("profile --json: exit %d, options %+v", code, prof)
	}
}

func TestGroupFlags(t *testing.T) {
	var use accountUseOptions
	var imp credImportOptions
	var exp credExportOptions
	acct := func() *cli.Command {
		return newAccountCmd(nil, func(context.Context, *accountListOptions) error { return nil },
			func(_ context.Context, o *accountUseOptions) error { use = *o; return nil })
	}
	creds := func() *cli.Command {
		return newCredentialsCmd(nil, func(_ context.Context, o *credImportOptions) error { imp = *o; return nil },
			func(_ context.Context, o *credExportOptions) error { exp = *o; return nil })
	}
	revoke := func() *cli.Command {
		return newRevokeCmd(nil, func(context.Context, *revokeOptions) error { return nil })
	}

	tests := []struct {
		cmd  func() *cli.Command
		args []string
		code int
	}{
		{acct, []string{"account", "use", "work"}, 0},
		{acct, []string{"account", "use"}, ExitUsage},
		{acct, []string{"account"}, ExitUsage},
		{acct, []string{"account", "frob"}, ExitUsage},
		{creds, []string{"credentials", "import"}, 0},
		{creds, []string{"credentials", "export", "out"}, 0},
		{creds, []string{"credentials", "export", "a", "b"}, ExitUsage},
		{revoke, []string{"revoke", "-"}, 0},
		{revoke, []string{"revoke"}, ExitUsage},
		{revoke, []string{"revoke", "a", "b"}, ExitUsage},
	}
	for _, tt := range tests {
		if code := runCmd(t, tt.cmd(), tt.args...); code != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.args, code, tt.code)
		}
	}
	if use.Name != "work" || imp.Path != CredentialsPath || exp.Dir != "out" {
		t.Errorf("options: use %+v import %+v export %+v", use, imp, exp)
	}
}

func TestFirstCommand(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"dbos-cloud"}, ""},
		{[]string{"dbos-cloud", "token"}, "token"},
		{[]string{"dbos-cloud", "-a", "work", "org", "list"}, "org"},
		{[]string{"dbos-cloud", "--account=work", "--json", "profile"}, "profile"},
		{[]string{"dbos-cloud", "--config", "x.toml", "--debug", "status"}, "status"},
		{[]string{"dbos-cloud", "--", "org"}, "org"},
		{[]string{"dbos-cloud", "--json"}, ""},
	}
	for _, tt := range tests {
		if got := firstCommand(tt.args); got != tt.want {
			t.Errorf("firstCommand(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestPluginSeam checks that plugin discovery never runs for a built-in command and
// does run for an unknown word, whose command then runs with the host's Services.
func TestPluginSeam(t *testing.T) {
	calls := 0
	var ran bool
	deps := func(out *bytes.Buffer) Deps {
		return Deps{Stdout: out, Stderr: out, Getenv: func(string) string { return "" },
			PluginCommands: func(_ context.Context, svc Services) ([]*cli.Command, error) {
				calls++
				return []*cli.Command{{Name: "org", Action: func(c *cli.Context) error {
					sel, err := svc.Selected()
					ran = err == nil && sel.Name == "work"
					return nil
				}}}, nil
			}}
	}

	var out bytes.Buffer
	Run(context.Background(), []string{"dbos-cloud", "revoke"}, deps(&out))
	if calls != 0 {
		t.Fatalf("plugin discovery ran for a built-in command")
	}
	if code := Run(context.Background(), []string{"dbos-cloud", "-a", "work", "org"}, deps(&out)); code != 0 || !ran {
		t.Fatalf("plugin command: exit %d, ran %v, output %q", code, ran, out.String())
	}
	if calls != 1 {
		t.Errorf("plugin discovery ran %d times, want 1", calls)
	}
}

func TestPluginFailureExitCode(t *testing.T) {
	var out bytes.Buffer
	deps := Deps{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" },
		PluginCommands: func(context.Context, Services) ([]*cli.Command, error) {
			return nil, fmt.Errorf("describe org: %w", errors.New("handshake failed"))
		}}
	if code := Run(context.Background(), []string{"dbos-cloud", "org", "list"}, deps); code != ExitPlugin {
		t.Errorf("exit %d, want %d: %s", code, ExitPlugin, out.String())
	}
	out.Reset()
	if code := Run(context.Background(), []string{"dbos-cloud", "--help"}, deps); code != 0 ||
		!strings.Contains(out.String(), "plugin commands are missing") {
		t.Errorf("help: exit %d: %s", code, out.String())
	}
}

func TestPluginExec(t *testing.T) {
	var execs [][]string
	deps := func(out *bytes.Buffer, err error) Deps {
		return Deps{Stdout: out, Stderr: out, Getenv: func(string) string { return "" },
			PluginExec: func(args []string) error { execs = append(execs, args); return err }}
	}
	var out bytes.Buffer
	Run(context.Background(), []string{"dbos-cloud", "revoke"}, deps(&out, ErrNoPluginHost))
	Run(context.Background(), []string{"dbos-cloud", "--version"}, deps(&out, ErrNoPluginHost))
	if len(execs) != 0 {
		t.Fatalf("plugin host started for a built-in command: %v", execs)
	}

	// No host installed: the command line is handled here (an unknown command).
	if code := Run(context.Background(), []string{"dbos-cloud", "-a", "w", "org", "list"},
		deps(&out, ErrNoPluginHost)); code != ExitUsage {
		t.Errorf("no host: exit %d, want %d", code, ExitUsage)
	}
	if len(execs) != 1 || strings.Join(execs[0], " ") != "dbos-cloud -a w org list" {
		t.Errorf("exec args %v", execs)
	}
	// A host that cannot be started is a plugin failure.
	if code := Run(context.Background(), []string{"dbos-cloud", "org"},
		deps(&out, errors.New("permission denied"))); code != ExitPlugin {
		t.Errorf("broken host: exit %d, want %d", code, ExitPlugin)
	}
}
