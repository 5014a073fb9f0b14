package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/plugintest"
	"github.com/dbos-go/dbos-cloud/pkg/plugin"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// accounts is the CLI's token service over emulator logins: account -> access token,
// with the organization each account is stored with.
type accounts struct {
	mu     sync.Mutex
	apiURL string
	access map[string]string
	user   map[string]string
	org    map[string]string
}

func (a *accounts) Token(_ context.Context, acct string, _ time.Duration) (plugin.TokenInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return plugin.TokenInfo{Account: acct, AccessToken: secret.New(a.access[acct]),
		ExpiresAt: time.Now().Add(time.Hour), User: a.user[acct], Organization: a.org[acct],
		APIURL: a.apiURL}, nil
}

func (a *accounts) SetOrganization(_ context.Context, acct, org string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.org[acct] = org
	return nil
}

// TestOrganizationScenario runs the real plugin binary against the real emulator:
// invite, register with the secret, list, rename, refused rename by a non-admin,
// refused reuse of the secret, remove.
func TestOrganizationScenario(t *testing.T) {
	em := emulatortest.Start(t)
	aliceTok, _ := em.Login(t, "alice@example.com", "sub")
	em.Register(t, aliceTok, "alice", "")
	bobTok, _ := em.Login(t, "bob@example.com", "sub")

	dir := t.TempDir()
	plugintest.Install(t, dir, "org")
	svc := &accounts{apiURL: em.URL(),
		access: map[string]string{"alice": aliceTok, "bob": bobTok},
		user:   map[string]string{"alice": "alice", "bob": "bob"},
		org:    map[string]string{"alice": "alice", "bob": ""}}
	var out, errOut bytes.Buffer
	host := &plugin.Host{Dirs: []string{dir}, ManifestPath: filepath.Join(t.TempDir(), "m.json"),
		Services: svc, Stdout: &out, Stderr: &errOut}
	cmds, err := host.Commands(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) error {
		out.Reset()
		app := &cli.App{Name: "dbos-cloud", Commands: cmds, Writer: &out, ErrWriter: &errOut,
			Flags: []cli.Flag{&cli.StringFlag{Name: "account"}}, ExitErrHandler: func(*cli.Context, error) {}}
		return app.Run(append([]string{"dbos-cloud"}, args...))
	}

	if err := run("--account", "alice", "org", "invite", "--json"); err != nil {
		t.Fatalf("invite: %v", err)
	}
	var invite string
	if err := json.Unmarshal(out.Bytes(), &invite); err != nil || invite == "" {
		t.Fatalf("invite output %q: %v", out.String(), err)
	}
	em.Register(t, bobTok, "bob", invite)
	svc.org["bob"] = "alice"

	if err := run("--account", "alice", "organizations", "list", "--json"); err != nil {
		t.Fatalf("list: %v", err)
	}
	if got := strings.TrimSpace(out.String()); got != `{"OrgName":"alice","UserNames":["alice","bob"]}` &&
		got != `{"OrgName":"alice","UserNames":["bob","alice"]}` {
		t.Fatalf("list --json = %s", got)
	}

	if err := run("--account", "alice", "organization", "rename", "alice", "acme"); err != nil {
		t.Fatalf("rename: %v", err)
	}
	host8 := strings.TrimPrefix(em.URL(), "http://")
	if want := "https://alice-<app>." + host8 + "/ to https://acme-<app>." + host8 + "/"; !strings.Contains(out.String(), want) {
		t.Errorf("rename output %q lacks %q", out.String(), want)
	}
	if svc.org["alice"] != "acme" {
		t.Errorf("SetOrganization not called: %q", svc.org["alice"])
	}

	err = run("--account", "alice", "org", "rename", "alice", "x")
	if exitCode(err) != plugin.ExitFailure || !strings.Contains(err.Error(), "currently authenticated to organization acme") {
		t.Errorf("stale rename: %v", err)
	}

	svc.org["bob"] = "acme"
	err = run("--account", "bob", "org", "rename", "acme", "bobco")
	if exitCode(err) != plugin.ExitAPI || !strings.HasPrefix(err.Error(), "[") ||
		!strings.Contains(err.Error(), "] Failed to rename organization acme: ") {
		t.Errorf("non-admin rename: %v (exit %d)", err, exitCode(err))
	}

	err = run("--account", "bob", "org", "join", "acme", invite)
	if exitCode(err) != plugin.ExitAPI || !strings.Contains(err.Error(), "Failed to join organization acme") {
		t.Errorf("used secret: %v (exit %d)", err, exitCode(err))
	}

	if err := run("--account", "alice", "org", "remove", "bob"); err != nil ||
		!strings.Contains(out.String(), "Successfully removed bob from organization acme") {
		t.Fatalf("remove: %v %q", err, out.String())
	}

	for _, tok := range []string{aliceTok, bobTok} {
		if strings.Contains(errOut.String(), tok) || strings.Contains(em.Logs(), tok) {
			t.Errorf("an access token leaked into output or logs")
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

func TestAPIFailureFormat(t *testing.T) {
	tests := []struct {
		err  error
		want string
		code int
	}{
		{apiErr("r-1", "permission denied."), "[r-1] L: permission denied.", plugin.ExitAPI},
		{apiErr("", "nope"), "L: nope.", plugin.ExitAPI},
		{errors.New("dial tcp: refused"), "L: dial tcp: refused", plugin.ExitFailure},
	}
	for _, tt := range tests {
		var ee *plugin.ExitError
		if !errors.As(apiFailure("L", tt.err), &ee) || ee.Message != tt.want || ee.Code != tt.code {
			t.Errorf("apiFailure(%v) = %+v, want %q/%d", tt.err, ee, tt.want, tt.code)
		}
	}
}
