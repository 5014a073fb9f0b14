package config

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// watchHarness runs a Watcher on a temp file and records its callbacks.
type watchHarness struct {
	path string
	w    *Watcher
	logs *lockedBuffer
	got  chan *Config
}

func startWatch(t *testing.T, initial string) *watchHarness {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	writeFile(t, path, initial)

	h := &watchHarness{path: path, logs: &lockedBuffer{}, got: make(chan *Config, 16)}
	log := slog.New(slog.NewTextHandler(h.logs, nil))
	w, err := Watch(context.Background(), path, log, func(c *Config) { h.got <- c })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	h.w = w
	return h
}

// next waits for a callback. The bound only stops a broken watcher from hanging
// the test; nothing asserts how fast the reload is.
func (h *watchHarness) next(t *testing.T) *Config {
	t.Helper()
	select {
	case c := <-h.got:
		return c
	case <-time.After(30 * time.Second):
		t.Fatalf("no reload seen; log:\n%s", h.logs.String())
		return nil
	}
}

// waitLog waits until the log contains s.
func (h *watchHarness) waitLog(t *testing.T, s string) {
	t.Helper()
	for range 3000 {
		if strings.Contains(h.logs.String(), s) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("log never contained %q:\n%s", s, h.logs.String())
}

func TestWatchAppliesValidEdit(t *testing.T) {
	h := startWatch(t, "[daemon]\nlog_level = \"info\"\n")
	if h.w.Current().Daemon.LogLevel != "info" {
		t.Fatal("initial config not loaded")
	}

	writeFile(t, h.path, "[daemon]\nlog_level = \"debug\"\n[accounts.new]\ndomain = \"x.dev\"\n")
	c := h.next(t)
	if c.Daemon.LogLevel != "debug" || c.Accounts["new"].Domain != "x.dev" {
		t.Fatalf("reloaded config %+v", c)
	}
	if h.w.Current() != c {
		t.Error("Current does not return the reloaded config")
	}
}

func TestWatchKeepsLastGoodOnBadEdit(t *testing.T) {
	h := startWatch(t, "[daemon]\nlog_level = \"info\"\n")

	writeFile(t, h.path, "[daemon]\nlog_level = \"info\"\n  refresh_at = 7\n")
	h.waitLog(t, "config change ignored")
	logs := h.logs.String()
	for _, want := range []string{"level=WARN", "line=3", "column=3", "key=daemon.refresh_at", h.path} {
		if !strings.Contains(logs, want) {
			t.Errorf("warning lacks %q:\n%s", want, logs)
		}
	}
	if h.w.Current().Daemon.RefreshAt != DefaultRefreshAt {
		t.Error("bad edit replaced the last good config")
	}

	// A later fix is applied.
	writeFile(t, h.path, "[daemon]\nrefresh_at = 0.6\n")
	if c := h.next(t); c.Daemon.RefreshAt != 0.6 {
		t.Fatalf("fixed config not applied: %+v", c.Daemon)
	}
	select {
	case c := <-h.got:
		t.Fatalf("the bad edit reached the callback: %+v", c)
	default:
	}
}

// Editors save by writing a temporary file and renaming it over the old one; the
// watcher follows the name, not the inode.
func TestWatchFollowsRenameReplace(t *testing.T) {
	h := startWatch(t, "default_account = \"a\"\n")
	dir := filepath.Dir(h.path)

	for i, name := range []string{"b", "c"} {
		tmp := filepath.Join(dir, ".config.toml.swp"+name)
		writeFile(t, tmp, "default_account = \""+name+"\"\n")
		if err := os.Rename(tmp, h.path); err != nil {
			t.Fatal(err)
		}
		if c := h.next(t); c.DefaultAccount != name {
			t.Fatalf("save %d: default account %q, want %q", i, c.DefaultAccount, name)
		}
	}

	// Other files in the directory are not the config.
	writeFile(t, filepath.Join(dir, "other.toml"), "garbage = [")
	if err := h.w.Reload(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.logs.String(), "other.toml") {
		t.Errorf("watcher reacted to another file:\n%s", h.logs.String())
	}
}

// Reload is what SIGHUP calls: it applies the file now, with no fsnotify event.
func TestWatchReload(t *testing.T) {
	h := startWatch(t, "default_account = \"a\"\n")
	h.w.Close() // no events: only Reload can pick up the change

	writeFile(t, h.path, "default_account = \"b\"\n")
	if err := h.w.Reload(); err != nil {
		t.Fatal(err)
	}
	if c := h.next(t); c.DefaultAccount != "b" {
		t.Fatalf("Reload applied %q", c.DefaultAccount)
	}

	// An unchanged file does not call back.
	if err := h.w.Reload(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.got:
		t.Fatal("callback for an unchanged config")
	default:
	}

	writeFile(t, h.path, "default_account = [\n")
	err := h.w.Reload()
	if err == nil || !strings.Contains(err.Error(), "config.toml:1:") {
		t.Fatalf("Reload of a bad file = %v, want a positioned error", err)
	}
	if h.w.Current().DefaultAccount != "b" {
		t.Error("bad Reload replaced the last good config")
	}
}

func TestWatchRefusesBadInitialConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	writeFile(t, path, "bogus = 1\n")
	if _, err := Watch(context.Background(), path, nil, func(*Config) {}); err == nil {
		t.Fatal("Watch accepted an invalid config")
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
