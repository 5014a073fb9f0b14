package plugin_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/plugin"
)

func TestBrokenPluginsAtDescribe(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"crash", plugin.ErrCrashed},
		{"hang", plugin.ErrTimeout},
		{"badhandshake", plugin.ErrHandshake},
	}
	for _, tt := range tests {
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

// TestUpgradedBinaryRedescribed: a new size means a legitimate upgrade, which is
// re-described at run time without user action.
func TestUpgradedBinaryRedescribed(t *testing.T) {
	e := newEnv(t, "echo")
	if _, err := e.app(t); err != nil {
		t.Fatal(err)
	}
	path := e.dir + "/dbos-cloud-plugin-echo"
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte("trailing bytes the ELF loader ignores"))
	_ = f.Close()

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
