package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/internal/plugintest"
	"github.com/dbos-go/dbos-cloud/pkg/plugin"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// fakeServices is the CLI's side of the token service, for tests.
type fakeServices struct {
	mu       sync.Mutex
	tokenErr error
	org      string
	apiURL   string
	access   map[string]string // account -> access token
	calls    int               // Token calls
}

func (f *fakeServices) Token(_ context.Context, account string, _ time.Duration) (plugin.TokenInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.tokenErr != nil {
		return plugin.TokenInfo{}, f.tokenErr
	}
	name := account
	if name == "" {
		name = "default" // as the CLI resolves the default account
	}
	return plugin.TokenInfo{
		Account: name, AccessToken: secret.New(f.access[account]),
		ExpiresAt: time.Now().Add(time.Hour), User: "u-" + account,
		Organization: f.org, APIURL: f.apiURL,
	}, nil
}

func (f *fakeServices) SetOrganization(_ context.Context, _, org string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.org = org
	return nil
}

type env struct {
	dir, marker string
	host        *plugin.Host
	stdout      *syncBuffer
	stderr      *syncBuffer
	svc         *fakeServices
}

type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
	once  sync.Once
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{wrote: make(chan struct{})} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.once.Do(func() { close(s.wrote) })
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv installs the named plugins into a fresh directory and returns a host over it.
func newEnv(t *testing.T, plugins ...string) *env {
	t.Helper()
	dir := t.TempDir()
	for _, p := range plugins {
		plugintest.Install(t, dir, p)
	}
	e := &env{dir: dir, marker: filepath.Join(t.TempDir(), "launches"),
		stdout: newSyncBuffer(), stderr: newSyncBuffer(),
		svc: &fakeServices{org: "acme", apiURL: "https://cloud.example.test",
			access: map[string]string{"": "tok-default", "alice": "tok-alice"}}}
	t.Setenv(plugintest.MarkerEnv, e.marker)
	e.host = &plugin.Host{
		Dirs: []string{dir}, ManifestPath: filepath.Join(t.TempDir(), "plugins.json"),
		Services: e.svc, Stdout: e.stdout, Stderr: e.stderr,
		StartTimeout: 5 * time.Second, CallTimeout: 5 * time.Second,
	}
	t.Cleanup(func() { assertNoProcess(t, dir) })
	return e
}

func (e *env) launches() int {
	b, _ := os.ReadFile(e.marker)
	return strings.Count(string(b), "\n")
}

// app builds a CLI like dbos-cloud's from the host's commands.
func (e *env) app(t *testing.T) (*cli.App, error) {
	t.Helper()
	cmds, err := e.host.Commands(context.Background())
	app := &cli.App{
		Name: "dbos-cloud", Writer: e.stdout, ErrWriter: e.stderr,
		Flags:          []cli.Flag{&cli.StringFlag{Name: "account"}},
		Commands:       append(cmds, e.host.ManagementCommand()),
		ExitErrHandler: func(*cli.Context, error) {},
	}
	return app, err
}

func (e *env) run(t *testing.T, args ...string) error {
	t.Helper()
	app, err := e.app(t)
	if err != nil {
		t.Fatalf("Commands: %v", err)
	}
	return app.RunContext(context.Background(), append([]string{"dbos-cloud"}, args...))
}

// assertNoProcess fails if any process still runs a binary from dir.
func assertNoProcess(t *testing.T, dir string) {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, p := range procs {
		if exe, err := os.Readlink(p); err == nil && strings.HasPrefix(exe, dir+"/") {
			t.Errorf("plugin process left behind: %s runs %s", p, exe)
		}
	}
}

func exitCode(err error) int {
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return -1
}

func TestCommandsCachedInManifest(t *testing.T) {
	e := newEnv(t, "echo")
	if _, err := e.app(t); err != nil {
		t.Fatal(err)
	}
	if n := e.launches(); n != 1 {
		t.Fatalf("first Commands launched %d times, want 1", n)
	}

	// A second CLI process (a new Host) and --help start nothing.
	e.host = &plugin.Host{Dirs: e.host.Dirs, ManifestPath: e.host.ManifestPath,
		Services: e.svc, Stdout: e.stdout, Stderr: e.stderr}
	if err := e.run(t, "--help"); err != nil {
		t.Fatal(err)
	}
	if err := e.run(t, "echo", "say", "--help"); err != nil {
		t.Fatal(err)
	}
	if n := e.launches(); n != 1 {
		t.Fatalf("cached Commands and help launched the plugin: %d launches", n)
	}
	out := e.stdout.String()
	for _, want := range []string{"echo, ec", "echo for tests", "--count value, -n value",
		"(default: 1)", "WORDS..."} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}

func TestRunPassesArgsFlagsGlobals(t *testing.T) {
	e := newEnv(t, "echo")
	if err := e.run(t, "--account", "alice", "ec", "say", "--json", "-n", "3",
		"--wait", "90s", "a", "b c"); err != nil {
		t.Fatal(err)
	}
	var inv plugin.Invocation
	if err := json.Unmarshal([]byte(e.stdout.String()), &inv); err != nil {
		t.Fatalf("output %q: %v", e.stdout.String(), err)
	}
	if strings.Join(inv.Path, " ") != "echo say" || strings.Join(inv.Args, "|") != "a|b c" ||
		inv.Account != "alice" || !inv.JSON || inv.Flags["count"] != "3" ||
		inv.Flags["wait"] != "1m30s" || inv.Flags["name"] != "x" {
		t.Fatalf("invocation = %+v", inv)
	}
}

func TestTokenServiceAndOutput(t *testing.T) {
	e := newEnv(t, "echo")
	if err := e.run(t, "--account", "alice", "echo", "token"); err != nil {
		t.Fatal(err)
	}
	want := "user=u-alice org=acme api=https://cloud.example.test account=alice valid=true\n"
	if got := e.stdout.String(); got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
	if e.svc.calls != 2 {
		t.Errorf("host answered %d token calls of 3, want 2: the second could reuse the "+
			"first answer, the third could not", e.svc.calls)
	}
	if err := e.run(t, "echo", "token"); err != nil || e.svc.calls != 4 {
		t.Errorf("default account: err %v, host answered %d token calls of 3, want 2",
			err, e.svc.calls-2)
	}

	e.stdout.b.Reset()
	err := e.run(t, "--account", "alice", "echo", "setorg", "newco")
	if err != nil || e.svc.org != "newco" || e.stdout.String() != "org=newco\n" {
		t.Fatalf("setorg: err %v, org %q, plugin saw %q", err, e.svc.org, e.stdout.String())
	}
}

// The host asks for the account's token while the plugin starts; a plugin that never
// asks never sees that request, nor its failure.
func TestEarlyTokenUnseenUnlessAsked(t *testing.T) {
	e := newEnv(t, "echo")
	e.svc.tokenErr = errors.New("dbos-credd is down")
	if err := e.run(t, "echo", "say"); err != nil {
		t.Fatalf("a run that needs no token failed: %v", err)
	}
	if e.svc.calls != 1 {
		t.Errorf("host asked for %d tokens before the plugin ran, want 1", e.svc.calls)
	}
}

func TestHostServiceErrorIsReturned(t *testing.T) {
	e := newEnv(t, "echo")
	loginRequired := errors.New("login required for account alice")
	e.svc.tokenErr = loginRequired
	err := e.run(t, "--account", "alice", "echo", "token")
	if !errors.Is(err, loginRequired) {
		t.Fatalf("err = %v, want the service's error", err)
	}
}

func TestPluginExitCodeCarried(t *testing.T) {
	e := newEnv(t, "echo")
	err := e.run(t, "echo", "fail", "8", "[r1] Failed to x: no.\nsecond line")
	if exitCode(err) != 8 || err.Error() != "[r1] Failed to x: no.second line" &&
		err.Error() != "[r1] Failed to x: no." {
		t.Fatalf("err = %q code %d", err, exitCode(err))
	}
	if !strings.Contains(e.stderr.String(), "about to fail") {
		t.Errorf("plugin stderr not relayed: %q", e.stderr.String())
	}
	if err := e.run(t, "echo", "fail", "200", "x"); exitCode(err) != plugin.ExitPluginFailure {
		t.Errorf("out-of-range exit code: err %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	e := newEnv(t, "echo")
	if _, err := e.app(t); err != nil {
		t.Fatal(err)
	}
	before := e.launches()
	err := e.run(t, "echo", "fail", "1")
	var ue *plugin.UsageError
	if !errors.As(err, &ue) || exitCode(err) != plugin.ExitUsage {
		t.Fatalf("err = %v, want a usage error", err)
	}
	if !strings.Contains(e.stdout.String(), "Incorrect Usage: want exactly 2 argument(s)") {
		t.Errorf("usage output: %q", e.stdout.String())
	}
	if e.launches() != before {
		t.Errorf("a usage error started the plugin")
	}
}

func TestMinimalEnvironment(t *testing.T) {
	e := newEnv(t, "echo")
	t.Setenv("DBOS_TOKEN", "leak-access")
	t.Setenv("DBOS_REFRESH_TOKEN", "leak-refresh")
	t.Setenv("DBOS_DOMAIN", "cloud.example.test")
	t.Setenv("UNRELATED_VAR", "x")
	if err := e.run(t, "echo", "env"); err != nil {
		t.Fatal(err)
	}
	names := " " + strings.TrimSpace(e.stdout.String()) + " "
	for _, bad := range []string{" DBOS_TOKEN ", " DBOS_REFRESH_TOKEN ", " UNRELATED_VAR "} {
		if strings.Contains(names, bad) {
			t.Errorf("plugin saw %s: %s", bad, names)
		}
	}
	for _, good := range []string{" DBOS_DOMAIN ", " PATH ", " DBOS_CLOUD_PLUGIN "} {
		if !strings.Contains(names, good) {
			t.Errorf("plugin lacks %s: %s", good, names)
		}
	}
}
