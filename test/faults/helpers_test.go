package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/leakscan"
	"github.com/dbos-go/dbos-cloud/test/internal/suite"
)

const gateEnv = "DBOS_FAULTS"

// fixture is one emulator, one daemon and the secrets the test created.
type fixture struct {
	em    *emulatortest.Emulator
	d     *credtest.Daemon
	leaks *leakscan.Set
}

// start gates the test and starts an emulator with emArgs and a daemon with config
// daemonTOML (see daemonConfig; empty: credtest's default).
func start(t *testing.T, daemonTOML string, emArgs ...string) *fixture {
	t.Helper()
	suite.Gate(t, gateEnv)
	f := &fixture{leaks: leakscan.New()}
	f.em = emulatortest.Start(t, emArgs...)
	opts := credtest.Options{EmulatorURL: f.em.URL()}
	if daemonTOML != "" {
		opts.ConfigTOML = strings.ReplaceAll(daemonTOML, "%EMU%", f.em.URL())
	}
	f.d = credtest.Start(t, opts)
	t.Cleanup(func() { f.scan(t) })
	return f
}

// scan runs the leak scan over every log the test captured.
func (f *fixture) scan(t *testing.T) {
	t.Helper()
	f.leaks.Check(t, "dbos-credd log", f.d.Logs(), false)
	f.leaks.Check(t, "emulator log", f.em.Logs(), false)
	if t.Failed() {
		t.Logf("dbos-credd log (tail):\n%s", tail(f.d.Logs(), 4000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func ctx(t *testing.T) context.Context { return suite.Ctx(t, 60*time.Second) }

// daemonConfig is a whole config file: a [daemon] table with the given lines (e.g.
// refresh_at = 0.5) and the default account at emulator url. start fills url in
// for "%EMU%".
func daemonConfig(daemonLines string) string {
	return "default_account = \"default\"\n[daemon]\n" + daemonLines + `
[accounts.default]
api_url = "%EMU%"
issuer = "%EMU%/"
client_id = "` + credtest.ClientID + `"
audience = "` + credtest.Audience + `"
`
}
