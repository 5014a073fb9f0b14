package plugin_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/plugintest"
	"github.com/dbos-go/dbos-cloud/pkg/plugin"
	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// brokenPlugins are the test plugins that cannot describe themselves, and how each
// fails.
var brokenPlugins = []struct {
	name string
	want error
}{
	{"crash", plugin.ErrCrashed},
	{"hang", plugin.ErrTimeout},
	{"badhandshake", plugin.ErrHandshake},
}

func TestBrokenPluginsAtDescribe(t *testing.T) {
	for _, tt := range brokenPlugins {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.name, "echo")
			e.host.StartTimeout = time.Second
			cmds, err := e.host.Commands(context.Background())

			var pe *plugin.Error
			if !errors.As(err, &pe) || pe.Plugin != tt.name || !errors.Is(err, tt.want) {
				t.Fatalf("Commands error = %v, want %v from plugin %q", err, tt.want, tt.name)
			}
			if pe.ExitCode() != plugin.ExitPluginFailure || strings.Contains(err.Error(), "\n") ||
				strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("error %q: want one printable line and exit 9", err)
			}
			if len(cmds) != 1 || cmds[0].Name != "echo" {
				t.Errorf("the healthy plugin's commands are missing: %d commands", len(cmds))
			}
			assertNoProcess(t, e.dir)
		})
	}
}

func TestBrokenPluginsAtRun(t *testing.T) {
	tests := []struct {
		cmd  string
		want error
	}{
		{"crash", plugin.ErrCrashed},
		{"hang", plugin.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			e := newEnv(t, "echo")
			e.host.CallTimeout = time.Second
			err := e.run(t, "echo", tt.cmd)
			if !errors.Is(err, tt.want) || exitCode(err) != plugin.ExitPluginFailure ||
				!strings.HasPrefix(err.Error(), `plugin "echo": `) {
				t.Fatalf("err = %v (exit %d), want %v", err, exitCode(err), tt.want)
			}
			assertNoProcess(t, e.dir)
		})
	}
}

// TestInterruptKillsPlugin cancels the command's context (what Ctrl-C does in the
// CLI) while the plugin is busy.
func TestInterruptKillsPlugin(t *testing.T) {
	e := newEnv(t, "echo")
	app, err := e.app(t)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	done := make(chan error, 1)
	go func() { done <- app.RunContext(ctx, []string{"dbos-cloud", "echo", "hang"}) }()
	for e.launches() < 2 {
		time.Sleep(10 * time.Millisecond) // waiting for the run's launch, not timing it
	}
	cancel()
	if err := <-done; err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertNoProcess(t, e.dir)
}

func TestTamperedBinaryRefused(t *testing.T) {
	e := newEnv(t, "echo")
	if _, err := e.app(t); err != nil {
		t.Fatal(err)
	}
	path := e.dir + "/dbos-cloud-plugin-echo"
	fi, _ := os.Stat(path)
	tamper(t, path, fi.ModTime())

	err := e.run(t, "echo", "say")
	if !errors.Is(err, plugin.ErrChecksumMismatch) ||
		!strings.Contains(err.Error(), `run "dbos-cloud plugin verify"`) ||
		exitCode(err) != plugin.ExitPluginFailure {
		t.Fatalf("err = %v, want a checksum mismatch naming plugin verify", err)
	}

	e.stdout.b.Reset()
	err = e.run(t, "plugin", "verify")
	if exitCode(err) != plugin.ExitPluginFailure || !strings.Contains(e.stdout.String(), "FAILED") {
		t.Fatalf("verify: err %v, output %q", err, e.stdout.String())
	}

	// Refused for good: neither the commands (help) nor a second verify start the
	// tampered binary, which would trust its new content.
	launches := e.launches()
	if _, err := e.host.Commands(context.Background()); !errors.Is(err, plugin.ErrFailedBefore) {
		t.Errorf("commands after verify: err = %v, want ErrFailedBefore", err)
	}
	verify := func(args ...string) error {
		app, _ := e.app(t) // warns about the refused plugin
		return app.Run(append([]string{"dbos-cloud", "plugin", "verify"}, args...))
	}
	if err := verify(); exitCode(err) != plugin.ExitPluginFailure {
		t.Errorf("second verify: err = %v, want exit 9", err)
	}
	if n := e.launches() - launches; n != 0 {
		t.Errorf("the tampered binary was started %d times after verify refused it", n)
	}

	if err := verify("--accept"); err != nil {
		t.Fatalf("verify --accept: %v", err)
	}
	if err := e.run(t, "echo", "say"); err != nil {
		t.Fatalf("run after --accept: %v", err)
	}
}

// upgrade changes the binary at path as an upgrade would, in size and modification
// time, with bytes the ELF loader ignores.
func upgrade(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte("trailing bytes the ELF loader ignores"))
	_ = f.Close()
}

// tamper flips one byte without changing size or modification time.
func tamper(t *testing.T, path string, mtime time.Time) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, 4096); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, 4096); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// An upgrade between building the commands and running one, that changes how the
// command line reads, refuses the run instead of sending flags parsed the old way.
func TestUpgradeChangingSyntaxDuringRun(t *testing.T) {
	e := newEnv(t, "echo")
	app, err := e.app(t) // parsed against this description
	if err != nil {
		t.Fatal(err)
	}
	upgrade(t, e.dir+"/dbos-cloud-plugin-echo")
	t.Setenv("DBOS_PLUGINTEST_VARIANT", "2") // the new binary's --count default is 2

	err = app.Run([]string{"dbos-cloud", "echo", "say", "hi"})
	if !errors.Is(err, plugin.ErrUpgraded) || !strings.Contains(err.Error(), "run the command again") {
		t.Fatalf("err = %v, want ErrUpgraded asking to run again", err)
	}
	if err := e.run(t, "echo", "say", "hi"); err != nil {
		t.Fatalf("the same command again: %v", err)
	}
}

// TestUpgradedBinaryRedescribed: a new size means a legitimate upgrade, which is
// re-described at run time without user action.
func TestUpgradedBinaryRedescribed(t *testing.T) {
	e := newEnv(t, "echo")
	if _, err := e.app(t); err != nil {
		t.Fatal(err)
	}
	upgrade(t, e.dir+"/dbos-cloud-plugin-echo")

	app, err := e.app(t) // re-describes (launch 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Run([]string{"dbos-cloud", "echo", "say"}); err != nil {
		t.Fatalf("run after upgrade: %v", err)
	}
	if n := e.launches(); n != 3 {
		t.Errorf("launches = %d, want 3 (describe, re-describe, run)", n)
	}

	e.stdout.b.Reset()
	if err := e.run(t, "plugin", "verify"); err != nil || !strings.Contains(e.stdout.String(), "ok") {
		t.Fatalf("verify: %v %q", err, e.stdout.String())
	}
}

// TestBrokenPluginRemembered: a plugin that fails to describe itself is recorded as
// failed, so that later Commands calls (every `dbos-cloud --help`) start no process for
// it, wait for no timeout, and still report it. Once its binary is replaced, it is
// described again.
func TestBrokenPluginRemembered(t *testing.T) {
	for _, tt := range brokenPlugins {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.name, "echo")
			e.host.StartTimeout = time.Second
			if _, err := e.host.Commands(context.Background()); !errors.Is(err, tt.want) {
				t.Fatalf("first Commands error = %v, want %v", err, tt.want)
			}
			if n := e.launches(); n != 2 {
				t.Fatalf("first Commands launched %d plugins, want 2", n)
			}

			for i := range 2 {
				start := time.Now()
				cmds, err := e.host.Commands(context.Background())
				checkFailedBefore(t, err, tt.name)
				if len(cmds) != 1 || cmds[0].Name != "echo" {
					t.Errorf("call %d: the healthy plugin's commands are missing: %d commands",
						i+2, len(cmds))
				}
				if n := e.launches(); n != 2 || time.Since(start) > e.host.StartTimeout/2 {
					t.Fatalf("call %d started the broken plugin again: %d launches, %v",
						i+2, n, time.Since(start))
				}
			}

			// The lean dbos-cloud, which starts no host, can use the manifest as it is.
			m, fresh := manifest.LoadFresh(e.host.Dirs, e.host.ManifestPath)
			if err := m.Failures(); !fresh || !errors.Is(err, plugin.ErrFailedBefore) ||
				!strings.Contains(err.Error(), `plugin "`+tt.name+`"`) {
				t.Errorf("manifest fresh %v, failures %v", fresh, err)
			}

			// Replaced by a working binary (the echo plugin under the broken one's
			// name): a new size and modification time, so it is described again.
			path := filepath.Join(e.dir, plugin.BinaryPrefix+tt.name)
			replace(t, filepath.Join(e.dir, plugin.BinaryPrefix+"echo"), path)
			cmds, err := e.host.Commands(context.Background())
			if err != nil || len(cmds) != 1 || cmds[0].Name != "echo" || e.launches() != 3 {
				t.Fatalf("after the fix: %d commands, err %v, %d launches", len(cmds), err,
					e.launches())
			}
			e.stdout.b.Reset()
			if err := e.run(t, "echo", "say", "fixed"); err != nil ||
				!strings.Contains(e.stdout.String(), `"fixed"`) {
				t.Fatalf("run after the fix: %v, output %q", err, e.stdout.String())
			}
		})
	}
}

// checkFailedBefore checks the error of a Commands call that found plugin recorded as
// failed: reported once, as one line, with ErrFailedBefore and what to do.
func checkFailedBefore(t *testing.T, err error, name string) {
	t.Helper()
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Plugin != name || !errors.Is(err, plugin.ErrFailedBefore) {
		t.Fatalf("Commands error = %v, want %v from plugin %q", err, plugin.ErrFailedBefore,
			name)
	}
	msg := err.Error()
	if strings.Count(msg, `plugin "`+name+`"`) != 1 || strings.Contains(msg, "\n") ||
		strings.ContainsRune(msg, 0x1b) || !strings.Contains(msg, "plugin verify") ||
		pe.ExitCode() != plugin.ExitPluginFailure {
		t.Errorf("error %q: want one printable line naming %q once, plugin verify, exit 9",
			msg, name)
	}
}

// replace moves the file from over to, with a modification time it never had, as an
// upgrade would.
func replace(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(to, later, later); err != nil {
		t.Fatal(err)
	}
}

// TestBrokenPluginListAndVerify: `plugin list` shows a plugin that failed, and
// `plugin verify` starts it again rather than calling it ok.
func TestBrokenPluginListAndVerify(t *testing.T) {
	e := newEnv(t, "crash", "echo")
	app, err := e.app(t)
	if !errors.Is(err, plugin.ErrCrashed) {
		t.Fatalf("Commands error = %v, want %v", err, plugin.ErrCrashed)
	}

	if err := app.Run([]string{"dbos-cloud", "plugin", "list"}); err != nil {
		t.Fatal(err)
	}
	out := e.stdout.String()
	if !regexp.MustCompile(`(?m)^crash +FAILED: crashed: exited before the handshake +- +/`).
		MatchString(out) || !regexp.MustCompile(`(?m)^echo +echo +[0-9a-f]{12} `).
		MatchString(out) {
		t.Errorf("plugin list:\n%s", out)
	}
	if !strings.Contains(e.stderr.String(), "failed when it was last started") {
		t.Errorf("plugin list did not warn: %q", e.stderr.String())
	}

	e.stdout.b.Reset()
	if err := app.Run([]string{"dbos-cloud", "plugin", "list", "--json"}); err != nil {
		t.Fatal(err)
	}
	var listed []struct {
		Name, Failed string
		Commands     []string
	}
	if err := json.Unmarshal([]byte(e.stdout.String()), &listed); err != nil ||
		len(listed) != 2 || listed[0].Failed != "crashed: exited before the handshake" ||
		listed[0].Commands == nil || listed[1].Failed != "" {
		t.Errorf("plugin list --json: %v\n%s", err, e.stdout.String())
	}
	if strings.Count(e.stdout.String(), `"failed"`) != 1 {
		t.Errorf("plugin list --json names failed for a healthy plugin:\n%s",
			e.stdout.String())
	}

	before := e.launches()
	e.stdout.b.Reset()
	err = app.Run([]string{"dbos-cloud", "plugin", "verify"})
	out = e.stdout.String()
	if exitCode(err) != plugin.ExitPluginFailure ||
		!strings.Contains(out, "crash\tFAILED: plugin \"crash\": crashed") ||
		!strings.Contains(out, "echo\tok\t") || e.launches() != before+1 {
		t.Fatalf("verify: err %v, %d launches, output %q", err, e.launches()-before, out)
	}

	// Still recorded as failed: help starts nothing.
	_, err = e.host.Commands(context.Background())
	checkFailedBefore(t, err, "crash")
	if e.launches() != before+1 {
		t.Errorf("Commands after verify started a plugin")
	}

	// Fixed, verify describes it.
	replace(t, filepath.Join(e.dir, plugin.BinaryPrefix+"echo"),
		filepath.Join(e.dir, plugin.BinaryPrefix+"crash"))
	e.stdout.b.Reset()
	if err := app.Run([]string{"dbos-cloud", "plugin", "verify"}); err != nil ||
		e.stdout.String() != "crash\tfailed before, described\t"+
			filepath.Join(e.dir, plugin.BinaryPrefix+"crash")+"\n" {
		t.Fatalf("verify after the fix: %v, output %q", err, e.stdout.String())
	}
}

// TestVerifyRetriesFailedPlugin: a plugin recorded as failed whose binary did not
// change is started again by verify, and ok once it describes itself.
func TestVerifyRetriesFailedPlugin(t *testing.T) {
	e := newEnv(t, "echo")
	b, _ := manifest.Stat("echo", filepath.Join(e.dir, plugin.BinaryPrefix+"echo"))
	m := manifest.New()
	m.Plugins["echo"] = manifest.NewFailedEntry(b, "timed out: did not start within 1s")
	if err := m.Save(e.host.ManifestPath); err != nil {
		t.Fatal(err)
	}

	app, err := e.app(t)
	checkFailedBefore(t, err, "echo")
	if err := app.Run([]string{"dbos-cloud", "plugin", "verify"}); err != nil ||
		!strings.Contains(e.stdout.String(), "echo\tfailed before, described\t") ||
		e.launches() != 1 {
		t.Fatalf("verify: %v, %d launches, output %q", err, e.launches(), e.stdout.String())
	}
	if err := e.run(t, "echo", "say"); err != nil {
		t.Fatalf("run after verify: %v", err)
	}
}

// TestRunRefusesFailedPlugin: a command built before its plugin was recorded as failed
// (by another dbos-cloud process) is refused without starting the plugin.
func TestRunRefusesFailedPlugin(t *testing.T) {
	e := newEnv(t, "echo")
	app, err := e.app(t)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := manifest.Stat("echo", filepath.Join(e.dir, plugin.BinaryPrefix+"echo"))
	m := manifest.New()
	m.Plugins["echo"] = manifest.NewFailedEntry(b, "crashed: exited before the handshake")
	if err := m.Save(e.host.ManifestPath); err != nil {
		t.Fatal(err)
	}
	if _, err := e.host.Commands(context.Background()); err == nil {
		t.Fatal("Commands did not report the failed plugin")
	}

	err = app.Run([]string{"dbos-cloud", "echo", "say"})
	if !errors.Is(err, plugin.ErrFailedBefore) || exitCode(err) != plugin.ExitPluginFailure ||
		e.launches() != 1 {
		t.Fatalf("run: err %v (exit %d), %d launches", err, exitCode(err), e.launches())
	}
}

// TestUpgradeToBrokenBinaryRemembered: an upgrade found at run time that fails to
// describe itself is recorded as failed like one found by Commands.
func TestUpgradeToBrokenBinaryRemembered(t *testing.T) {
	e := newEnv(t, "echo")
	app, err := e.app(t)
	if err != nil {
		t.Fatal(err)
	}
	crash := plugintest.Install(t, t.TempDir(), "crash")
	replace(t, crash, filepath.Join(e.dir, plugin.BinaryPrefix+"echo"))

	if err := app.Run([]string{"dbos-cloud", "echo", "say"}); !errors.Is(err, plugin.ErrCrashed) {
		t.Fatalf("run of the upgrade: err %v, want %v", err, plugin.ErrCrashed)
	}
	if n := e.launches(); n != 2 {
		t.Fatalf("launches = %d, want 2 (describe, re-describe)", n)
	}
	_, err = e.host.Commands(context.Background())
	checkFailedBefore(t, err, "echo")
	if n := e.launches(); n != 2 {
		t.Errorf("Commands after the failed upgrade started it again: %d launches", n)
	}
}
