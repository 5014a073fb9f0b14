package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/credtest"
	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
)

// BenchmarkIssueFigures measures, side by side in one run, every comparison the plugin
// and CLI issues set (issue 5 and issue 4), with binaries built as `make build` builds
// them. Each iteration runs each program once, in turn, so that noise on the shared
// machine hits them alike; the reported figures are medians over the iterations:
//
//   - org list − profile against a bare go-plugin launch + one RPC (target ≤ 1.25×);
//   - --help and org --help against --version (target ≤ 1.1×: help starts no plugin);
//   - token against a Go hello-world (target ≤ 3.0×).
//
// Run it with a fixed count, e.g. -benchtime 40x.
func BenchmarkIssueFigures(b *testing.B) {
	bin := releaseBuild(b)
	echo := filepath.Join(b.TempDir(), "dbos-cloud-plugin-echo") // not next to dbos-cloud
	goBuild(b, echo, "./internal/plugintest/echo")
	hello := buildHello(b)

	emu := emulatortest.Start(b, "--approve-as", "alice")
	d := credtest.Start(b, credtest.Options{EmulatorURL: emu.URL()})
	env := append(os.Environ(), d.Env()...)
	env = append(env, "XDG_CACHE_HOME="+b.TempDir(), "NO_COLOR=1")
	access, _ := emu.Login(b, "alice", "sub")
	emu.Register(b, access, "alice", "")

	cli := filepath.Join(bin, "dbos-cloud")
	run(b, env, cli, "login", "--no-browser")
	progs := []struct {
		name string
		argv []string
	}{
		{"hello", []string{hello}},
		{"token", []string{cli, "token"}},
		{"version", []string{cli, "--version"}},
		{"help", []string{cli, "--help"}},
		{"org-help", []string{cli, "org", "--help"}},
		{"profile", []string{cli, "profile"}},
		{"org-list", []string{cli, "org", "list"}},
		{"bare", []string{filepath.Join(bin, "barehost"), echo}},
	}
	for _, p := range progs { // warm: daemon token cache, manifest, page cache
		run(b, env, p.argv[0], p.argv[1:]...)
	}

	times := make(map[string][]time.Duration, len(progs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range progs {
			times[p.name] = append(times[p.name], run(b, env, p.argv[0], p.argv[1:]...))
		}
	}
	b.StopTimer()

	med := map[string]float64{}
	for name, t := range times {
		med[name] = float64(median(t).Microseconds())
		b.ReportMetric(med[name], name+"-us")
	}
	b.ReportMetric(med["token"]/med["hello"], "token/hello")
	b.ReportMetric(med["help"]/med["version"], "help/version")
	b.ReportMetric(med["org-help"]/med["version"], "orghelp/version")
	b.ReportMetric((med["org-list"]-med["profile"])/med["bare"], "(orglist-profile)/bare")
}

// releaseBuild builds the binaries the benchmark runs into one directory, with the
// Makefile's flags (static, trimmed, stripped, no urfave docs), or takes them from
// $DBOS_TEST_BIN_DIR when `make bench` built them already.
func releaseBuild(b *testing.B) string {
	b.Helper()
	dir, given := os.Getenv("DBOS_TEST_BIN_DIR"), true
	if dir == "" {
		dir, given = b.TempDir(), false
	}
	for _, p := range []struct{ name, pkg string }{
		{"dbos-cloud", "./cmd/dbos-cloud"},
		{"dbos-cloud-host", "./cmd/dbos-cloud/host"},
		{"dbos-cloud-plugin-org", "./plugins/org"},
		{"barehost", "./test/bench/barehost"},
	} {
		out := filepath.Join(dir, p.name)
		if _, err := os.Stat(out); err != nil || !given {
			goBuild(b, out, p.pkg)
		}
	}
	return dir
}

// goBuild builds pkg (relative to the module root) to out as `make build` does.
func goBuild(b *testing.B, out, pkg string) {
	b.Helper()
	root, err := testbin.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "urfave_cli_no_docs",
		"-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, msg)
	}
}
