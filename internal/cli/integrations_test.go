package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/gitcred"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// needProgram skips when prog is missing, except in CI, where it must be there.
func needProgram(t *testing.T, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", prog, err)
		}
		t.Skipf("%s not installed", prog)
	}
	return p
}

var quoteCases = []string{"", "plain", "it's", `back\slash`, "$HOME `id` $(id) ${x}", "new\nline",
	"'", "''", `\'`, "tab\there", "eyJhbGciOiJSUzI1NiJ9.e30.sig-_"}

// TestPosixQuoteInBash evaluates every export line in a real bash and reads the
// value back.
func TestPosixQuoteInBash(t *testing.T) {
	bash := needProgram(t, "bash")
	for _, v := range quoteCases {
		line := exportLine("bash", "X", v)
		out, err := exec.Command(bash, "-c", `eval "$1"; printf %s "$X"`, "_", line).Output()
		if err != nil {
			t.Fatalf("bash on %q: %v", line, err)
		}
		if string(out) != v {
			t.Errorf("bash read %q back as %q (line %q)", v, out, line)
		}
	}
}

// unquotePosix undoes posixQuote's form: single-quoted runs joined by \'.
func unquotePosix(s string) (string, bool) {
	var b strings.Builder
	for s != "" {
		switch {
		case strings.HasPrefix(s, `\'`):
			b.WriteByte('\'')
			s = s[2:]
		case s[0] == '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return "", false
			}
			b.WriteString(s[1 : 1+end])
			s = s[end+2:]
		default:
			return "", false
		}
	}
	return b.String(), true
}

func FuzzPosixQuote(f *testing.F) {
	for _, v := range quoteCases {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := unquotePosix(posixQuote(v))
		if !ok || got != v {
			t.Fatalf("posixQuote(%q) = %q does not read back", v, posixQuote(v))
		}
	})
}

func TestFishQuote(t *testing.T) {
	tests := map[string]string{
		"plain":     `'plain'`,
		"it's":      `'it\'s'`,
		`a\b`:       `'a\\b'`,
		"$HOME (x)": `'$HOME (x)'`,
		`\'`:        `'\\\''`,
	}
	for in, want := range tests {
		if got := fishQuote(in); got != want {
			t.Errorf("fishQuote(%q) = %s, want %s", in, got, want)
		}
	}
	if got := exportLine("fish", "DBOS_ACCOUNT", "work"); got != "set -gx DBOS_ACCOUNT 'work'\n" {
		t.Errorf("fish line %q", got)
	}
}

// TestFishQuoteInFish reads the values back in a real fish where there is one.
func TestFishQuoteInFish(t *testing.T) {
	fish := needProgram(t, "fish")
	for _, v := range quoteCases {
		line := exportLine("fish", "X", v)
		out, err := exec.Command(fish, "-c", line+"printf %s $X").Output()
		if err != nil {
			t.Fatalf("fish on %q: %v", line, err)
		}
		if string(out) != v {
			t.Errorf("fish read %q back as %q", v, out)
		}
	}
}

func TestShellFromEnv(t *testing.T) {
	tests := map[string]string{"/bin/bash": "bash", "/usr/bin/zsh": "zsh", "/opt/homebrew/bin/fish": "fish",
		"": "bash", "/bin/sh": "bash", "/bin/tcsh": "bash"}
	for in, want := range tests {
		if got := shellFromEnv(in); got != want {
			t.Errorf("shellFromEnv(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"PATH=/bin", "DBOS_REFRESH_TOKEN=r", "DBOS_TOKEN=old", "DBOS_TOKENX=keep"},
		[][2]string{{EnvToken, "new"}, {EnvAccount, "work"}})
	want := []string{"PATH=/bin", "DBOS_TOKENX=keep", "DBOS_TOKEN=new", "DBOS_ACCOUNT=work"}
	if !slices.Equal(got, want) {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}

func TestDomainOf(t *testing.T) {
	tests := map[string]string{
		"https://cloud.dbos.dev":      "cloud.dbos.dev",
		"https://cloud.dbos.dev:8443": "https://cloud.dbos.dev:8443",
		"http://127.0.0.1:8787":       "http://127.0.0.1:8787",
		"https://h.example/prefix":    "https://h.example/prefix",
	}
	for in, want := range tests {
		if got := domainOf(in); got != want {
			t.Errorf("domainOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExecExitStatus runs real children through Run: their status comes back and
// dbos-cloud prints nothing of its own.
func TestExecExitStatus(t *testing.T) {
	sh := needProgram(t, "sh")
	env := mapEnv(map[string]string{EnvToken: "a.b.c", EnvDomain: "http://127.0.0.1:1"})
	tests := []struct {
		script string
		code   int
	}{
		{"exit 0", 0}, {"exit 5", 5}, {"kill -TERM $$", 143}, {"kill -KILL $$", 137},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := Run(context.Background(), []string{"dbos-cloud", "exec", "--", sh, "-c", tt.script},
			Deps{Stdout: &out, Stderr: &errb, Getenv: env})
		if code != tt.code || errb.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q; want %d and nothing", tt.script, code, errb.String(), tt.code)
		}
	}
}

func TestSystemdQuote(t *testing.T) {
	tests := map[string]string{
		"/usr/bin/dbos-credd":    "/usr/bin/dbos-credd",
		"/opt/x%y/dbos-credd":    "/opt/x%%y/dbos-credd",
		"/opt/$HOME/dbos-credd":  "/opt/$$HOME/dbos-credd",
		"/opt/my tools/credd":    `"/opt/my tools/credd"`,
		`/opt/a"b\c/dbos-credd`:  `"/opt/a\"b\\c/dbos-credd"`,
		"/home/u/.local/bin/x'y": `"/home/u/.local/bin/x'y"`,
	}
	for in, want := range tests {
		if got := systemdQuote(in); got != want {
			t.Errorf("systemdQuote(%q) = %s, want %s", in, got, want)
		}
	}
	unit := "[Service]\nExecStart=%h/.local/bin/dbos-credd --foreground\nRestart=on-failure\n"
	want := "[Service]\nExecStart=/usr/bin/dbos-credd --foreground\nRestart=on-failure\n"
	if got := withExecStart(unit, "/usr/bin/dbos-credd"); got != want {
		t.Errorf("withExecStart = %q", got)
	}
}

func TestServiceFiles(t *testing.T) {
	home := t.TempDir()
	e := newEnv(Deps{Getenv: mapEnv(map[string]string{"HOME": home, "XDG_CONFIG_HOME": "relative/ignored"})})

	files, next, err := e.serviceFiles(managerSystemd, "/usr/bin/dbos-credd")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Path != filepath.Join(home, ".config/systemd/user/dbos-credd.socket") ||
		!strings.Contains(files[1].Data, "\nExecStart=/usr/bin/dbos-credd --foreground\n") ||
		!strings.Contains(next[0], "enable --now dbos-credd.socket") {
		t.Errorf("systemd files %+v, next %q", files, next)
	}

	files, next, err = e.serviceFiles(managerLaunchd, "/Apps/a&b/dbos-credd")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != filepath.Join(home, "Library/LaunchAgents/dev.dbos.credd.plist") ||
		!strings.Contains(files[0].Data, "<string>/Apps/a&amp;b/dbos-credd</string>") ||
		strings.Contains(files[0].Data, "@DBOS_") || !strings.HasPrefix(next[0], "launchctl bootstrap") {
		t.Errorf("launchd file %+v, next %q", files, next)
	}
}

// recordingDaemon is a Daemon with a fixed account list that records what it was
// asked.
type recordingDaemon struct {
	fakeDaemon
	list    ipc.AccountList
	tokens  []string
	dropped []string
}

func (r *recordingDaemon) Accounts(context.Context) (ipc.AccountList, error) { return r.list, nil }

func (r *recordingDaemon) Token(_ context.Context, req ipc.TokenRequest) (ipc.TokenResponse, error) {
	r.tokens = append(r.tokens, req.Account)
	return ipc.TokenResponse{Account: req.Account, AccessToken: "tok-" + req.Account, User: "u-" + req.Account,
		ExpiresAt: time.Unix(1900000000, 0)}, nil
}

func (r *recordingDaemon) DropCache(_ context.Context, name string) error {
	r.dropped = append(r.dropped, name)
	return nil
}

func TestCredentialBackend(t *testing.T) {
	rd := &recordingDaemon{list: ipc.AccountList{Default: "default", Accounts: []ipc.Account{
		{Name: "default", Endpoints: ipc.Endpoints{APIURL: "https://cloud.dbos.dev"}, State: ipc.StateOK,
			Source: ipc.SourceKeyring},
		{Name: "local", Endpoints: ipc.Endpoints{APIURL: "http://127.0.0.1:8787"}, State: ipc.StateOK,
			Source: ipc.SourceMemory},
		{Name: "idle", Endpoints: ipc.Endpoints{APIURL: "http://10.0.0.1"}, State: ipc.StateNotLoggedIn},
	}}}
	cfg := filepath.Join(t.TempDir(), "none.toml")
	serve := func(getenv map[string]string, op, in string) string {
		var out, errb bytes.Buffer
		code := Run(context.Background(), []string{"dbos-cloud", "--config", cfg, "credential", op}, Deps{
			Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errb, Getenv: mapEnv(getenv),
			Daemon: func(DaemonOptions) (Daemon, error) { return rd, nil },
		})
		if code != 0 {
			t.Fatalf("credential %s: exit %d: %s", op, code, errb.String())
		}
		return out.String()
	}

	got := serve(nil, "get", "protocol=https\nhost=cloud.dbos.dev\n\n")
	if got != "username=u-default\npassword=tok-default\npassword_expiry_utc=1900000000\n" {
		t.Errorf("get answered %q", got)
	}
	if got := serve(nil, "get", "protocol=http\nhost=10.0.0.1\n\n"); got != "" {
		t.Errorf("an account that is not logged in was answered for: %q", got)
	}
	serve(nil, "erase", "protocol=https\nhost=cloud.dbos.dev\npassword=x\n\n")
	serve(nil, "erase", "protocol=http\nhost=127.0.0.1:8787\npassword=x\n\n")
	serve(nil, "store", "protocol=https\nhost=cloud.dbos.dev\npassword=x\n\n")
	if !slices.Equal(rd.dropped, []string{"default"}) {
		t.Errorf("dropped %q; want only the account with a refresh token", rd.dropped)
	}

	// DBOS_TOKEN answers for DBOS_DOMAIN's host without the daemon.
	rd.tokens = nil
	env := map[string]string{EnvToken: "a.b.c", EnvDomain: "http://127.0.0.1:9"}
	if got := serve(env, "get", "url=http://127.0.0.1:9/x\n\n"); got != "username=default\npassword=a.b.c\n" {
		t.Errorf("env get answered %q", got)
	}
	serve(env, "erase", "url=http://127.0.0.1:9/x\n\n")
	if len(rd.tokens) != 0 || len(rd.dropped) != 1 {
		t.Errorf("the daemon was used with DBOS_TOKEN set: tokens %q dropped %q", rd.tokens, rd.dropped)
	}
	var _ gitcred.Backend = credentialBackend{}
}

func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	err := os.WriteFile(cfg, []byte(`[daemon]
socket = "`+filepath.Join(dir, "none.sock")+`"

[accounts.work]
api_url = "http://127.0.0.1:1"

[accounts.ci]
api_url = "http://127.0.0.1:2"
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args       []string
		want, deny []string
	}{
		{nil, []string{"account", "token", "exec", "doctor", "daemon"}, []string{"list", "--json"}},
		{[]string{"--account"}, []string{"ci", "work"}, []string{"account"}},
		{[]string{"-a"}, []string{"ci", "work"}, nil},
		{[]string{"-a", "work"}, []string{"token"}, []string{"work"}},
		{[]string{"--json"}, []string{"token"}, nil},
		{[]string{"--js"}, []string{"--json", "--account", "-a"}, []string{"token"}},
		{[]string{"account"}, []string{"list", "use"}, nil},
		{[]string{"account", "use"}, []string{"ci", "work"}, nil},
		{[]string{"daemon", "install", "--d"}, []string{"--dry-run", "--systemd"}, nil},
		{[]string{"token", "--min-ttl"}, nil, []string{"--json", "token"}},
		{[]string{"env", "--shell"}, []string{"bash", "zsh", "fish"}, nil},
		{[]string{"completion"}, []string{"bash", "fish"}, nil},
		{[]string{"credential"}, []string{"get", "erase"}, nil},
		{[]string{"exec", "--", "ls"}, nil, []string{"account", "token"}},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		args := slices.Concat([]string{"dbos-cloud"}, tt.args, []string{completionFlag})
		code := Run(context.Background(), args, Deps{Stdout: &out, Stderr: &errb,
			Getenv: mapEnv(map[string]string{EnvConfig: cfg})})
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if code != 0 || errb.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q", tt.args, code, errb.String())
		}
		for _, w := range tt.want {
			if !slices.Contains(lines, w) {
				t.Errorf("%q: %q missing from %q", tt.args, w, lines)
			}
		}
		for _, w := range tt.deny {
			if slices.Contains(lines, w) {
				t.Errorf("%q: %q offered in %q", tt.args, w, lines)
			}
		}
	}
}

func TestClockSkew(t *testing.T) {
	ahead := 2 * time.Minute
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("nodate") == "" {
			w.Header().Set("Date", time.Now().Add(ahead).UTC().Format(http.TimeFormat))
		}
	}))
	defer srv.Close()

	skew, err := clockSkew(context.Background(), srv.Client(), srv.URL+"/", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if skew < ahead-2*time.Second || skew > ahead+2*time.Second {
		t.Errorf("skew %s, want about %s", skew, ahead)
	}

	noDate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Date"] = nil
	}))
	defer noDate.Close()
	if _, err := clockSkew(context.Background(), noDate.Client(), noDate.URL, time.Now); err == nil {
		t.Error("no error without a Date header")
	}
}

func TestAccountHealth(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(Deps{Getenv: mapEnv(nil), Now: func() time.Time { return now }})
	ago := func(days int) *time.Time { t := now.Add(-time.Duration(days) * 24 * time.Hour); return &t }
	tests := []struct {
		name string
		a    ipc.Account
		want string
		has  string
	}{
		{"fresh", ipc.Account{Name: "a", State: ipc.StateOK, RefreshLastUsed: ago(1)}, checkOK, "1 days ago"},
		{"no-refresh", ipc.Account{Name: "a", State: ipc.StateOK, Source: ipc.SourceMemory}, checkOK, "memory"},
		{"idle-26", ipc.Account{Name: "a", State: ipc.StateOK, RefreshLastUsed: ago(26)}, checkWarn, "26 days"},
		{"idle-31", ipc.Account{Name: "w", State: ipc.StateOK, RefreshLastUsed: ago(31)}, checkFail,
			"dbos-cloud login --account w"},
		{"login-required", ipc.Account{Name: "default", State: ipc.StateLoginRequired}, checkFail,
			"run: dbos-cloud login"},
		{"not-logged-in", ipc.Account{Name: "x", State: ipc.StateNotLoggedIn}, checkWarn, "not logged in"},
		{"unsaved", ipc.Account{Name: "x", State: ipc.StateUnsaved, LastError: "keyring locked"}, checkWarn,
			"keyring locked"},
	}
	for _, tt := range tests {
		status, detail := e.accountHealth(tt.a)
		if status != tt.want || !strings.Contains(detail, tt.has) {
			t.Errorf("%s: %s %q, want %s with %q", tt.name, status, detail, tt.want, tt.has)
		}
	}
}

// TestDoctorColor: colour on stdout only on a terminal and never with NO_COLOR.
func TestDoctorColor(t *testing.T) {
	for _, tt := range []struct {
		tty     bool
		noColor string
		want    bool
	}{{true, "", true}, {true, "1", false}, {false, "", false}} {
		var out bytes.Buffer
		e := newEnv(Deps{Stdout: &out, Getenv: mapEnv(map[string]string{"NO_COLOR": tt.noColor}),
			IsTerminal: func(any) bool { return tt.tty }})
		if err := e.printChecks([]check{{"x", checkFail, "d"}}, false, false); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(out.String(), "\x1b["); got != tt.want {
			t.Errorf("tty=%v NO_COLOR=%q: colour %v, want %v", tt.tty, tt.noColor, got, tt.want)
		}
	}
}

// TestCompletionScriptsParse has each shell check the syntax of its script.
func TestCompletionScriptsParse(t *testing.T) {
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			prog := needProgram(t, sh)
			f := filepath.Join(t.TempDir(), "comp."+sh)
			if err := os.WriteFile(f, []byte(completionScript(sh)), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(prog, "-n", f).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", sh, err, out)
			}
		})
	}
}

// TestWaitLineShowsTimeLeft: on a terminal the device-flow wait line counts down
// the code's remaining life, dimmed unless NO_COLOR, and is cleared at the end.
func TestWaitLineShowsTimeLeft(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, noColor := range []string{"", "1"} {
		var errb bytes.Buffer
		e := newEnv(Deps{Stderr: &errb, Getenv: mapEnv(map[string]string{"NO_COLOR": noColor}),
			IsTerminal: func(any) bool { return true }, Now: func() time.Time { return now }})
		stop := make(chan struct{})
		close(stop)
		e.tickWaitLine(now.Add(4*time.Minute+30*time.Second), stop)

		got := errb.String()
		if !strings.Contains(got, "Waiting for login... 4m30s left (Ctrl-C to cancel)") ||
			!strings.HasSuffix(got, "\r\x1b[K") {
			t.Errorf("NO_COLOR=%q: wait line %q", noColor, got)
		}
		if dim := strings.Contains(got, "\x1b[2m"); dim != (noColor == "") {
			t.Errorf("NO_COLOR=%q: dimmed=%v", noColor, dim)
		}
	}
}
