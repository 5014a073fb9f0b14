package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func writeExe(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func validDesc() *Description {
	return &Description{
		Summary: "ok",
		Commands: []*Command{{
			Name: "organization", Aliases: []string{"org"}, Usage: "manage it",
			Subcommands: []*Command{
				{Name: "list", Usage: "list them", Flags: []*Flag{{Name: "json", Type: FlagBool}}},
				{Name: "join", ArgsUsage: "ORG SECRET", MinArgs: 2, MaxArgs: 2},
			},
		}},
	}
}

func TestDiscoverFirstDirWins(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	wantA := writeExe(t, a, "dbos-cloud-plugin-org", 0o755)
	writeExe(t, b, "dbos-cloud-plugin-org", 0o755)
	wantB := writeExe(t, b, "dbos-cloud-plugin-apps", 0o755)
	writeExe(t, a, "dbos-cloud-plugin-noexec", 0o644)
	writeExe(t, a, "dbos-cloud-plugin-Bad.Name", 0o755)
	writeExe(t, a, "other-tool", 0o755)
	if err := os.Mkdir(filepath.Join(a, "dbos-cloud-plugin-dir"), 0o755); err != nil {
		t.Fatal(err)
	}

	got := Discover([]string{a, filepath.Join(a, "missing"), b})
	if len(got) != 2 {
		t.Fatalf("Discover = %+v, want apps and org", got)
	}
	if got[0].Name != "apps" || got[0].Path != wantB {
		t.Errorf("first = %+v, want apps from %s", got[0], wantB)
	}
	if got[1].Name != "org" || got[1].Path != wantA {
		t.Errorf("second = %+v, want org from %s", got[1], wantA)
	}
}

func TestManifestRoundTripFreshAndCorruption(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "plugins.json")
	exe := writeExe(t, dir, "dbos-cloud-plugin-org", 0o755)
	b, _ := Stat("org", exe)
	m := New()
	m.Plugins["org"] = NewEntry(b, bytes.Repeat([]byte{7}, 32), validDesc())
	stamp := Stamp{Dev: 1<<64 - 1, Ino: 42, Size: b.Size, Mtime: -1, Ctime: 1 << 62}
	m.Plugins["org"].Verified = &stamp
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}

	got := Load(path)
	g := got.Plugins["org"]
	if g == nil || !g.Matches(b) || g.Description.Summary != "ok" {
		t.Fatalf("loaded entry = %+v", g)
	}
	if g.Verified == nil || *g.Verified != stamp {
		t.Errorf("stamp %+v came back as %+v", stamp, g.Verified)
	}
	if !got.Fresh([]Binary{b}) || got.Fresh(nil) || New().Fresh([]Binary{b}) {
		t.Error("Fresh does not compare the binaries with the entries")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("manifest mode = %v, want 0600", fi.Mode().Perm())
	}

	for _, bad := range []string{
		`{"version":2,"plugins":{"org":{"path":"/x","sha256":"00","description":{}}}}`,
		`{"version":1,"plugins":{}}`,
		`not json`,
	} {
		if n := len(Parse([]byte(bad)).Plugins); n != 0 {
			t.Errorf("Parse(%s) kept %d entries", bad, n)
		}
	}
	// An entry whose description breaks the rules is dropped, the others kept.
	m.Plugins["bad"] = NewEntry(b, bytes.Repeat([]byte{7}, 32), &Description{
		Commands: []*Command{{Name: "x\x1b"}}})
	raw, _ := json.Marshal(m)
	if got := Parse(raw); len(got.Plugins) != 1 || got.Plugins["org"] == nil {
		t.Errorf("Parse kept %v", got.Names())
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"org": true, "a": true, "a-1": true, strings.Repeat("a", 32): true,
		"": false, "1a": false, "-a": false, "Org": false, "a_b": false, "a b": false,
		strings.Repeat("a", 33): false, "é": false,
	} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestCommandsHelpAndArgs checks the urfave commands built from a description: help
// lists them like built-ins, argument bounds are enforced, the run function gets the
// canonical path and flags.
func TestCommandsHelpAndArgs(t *testing.T) {
	m := New()
	m.Plugins["org"] = &Entry{Description: validDesc()}
	var ran []string
	var flags map[string]string
	cmds, err := m.Commands(func(c *cli.Context, plugin string, path []string, leaf *Command) error {
		ran = append([]string{plugin}, path...)
		flags = FlagValues(c, leaf)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	app := &cli.App{Name: "dbos-cloud", Commands: cmds, Writer: &out, ErrWriter: &out,
		ExitErrHandler: func(*cli.Context, error) {}}

	if err := app.Run([]string{"dbos-cloud", "--help"}); err != nil ||
		!strings.Contains(out.String(), "organization, org  manage it") {
		t.Fatalf("help: %v\n%s", err, out.String())
	}
	if err := app.Run([]string{"dbos-cloud", "org", "list", "--json"}); err != nil ||
		strings.Join(ran, " ") != "org organization list" || flags["json"] != "true" {
		t.Fatalf("run: %v, ran %v, flags %v", err, ran, flags)
	}
	ran = nil
	err = app.Run([]string{"dbos-cloud", "org", "join", "only-one"})
	if ue, ok := err.(*UsageError); !ok || ue.ExitCode() != ExitUsage || ran != nil {
		t.Fatalf("join with one argument: %v, ran %v", err, ran)
	}
}

func TestCommandsClash(t *testing.T) {
	m := New()
	m.Plugins["a"] = &Entry{Description: validDesc()}
	m.Plugins["b"] = &Entry{Description: &Description{Commands: []*Command{{Name: "org"}}}}
	cmds, err := m.Commands(nil, nil)
	if len(cmds) != 1 || err == nil || !strings.Contains(err.Error(), `plugin "b"`) {
		t.Fatalf("cmds %d, err %v", len(cmds), err)
	}
}

// FuzzParse feeds arbitrary manifest files: whatever is kept must build commands.
func FuzzParse(f *testing.F) {
	m := New()
	m.Plugins["org"] = NewEntry(Binary{Path: "/bin/x"}, bytes.Repeat([]byte{1}, 32), validDesc())
	raw, _ := json.Marshal(m)
	f.Add(raw)
	m.Plugins["crash"] = NewFailedEntry(Binary{Path: "/bin/\ny"}, "crashed: exit 3")
	raw, _ = json.Marshal(m)
	f.Add(raw)
	f.Add([]byte(`{"version":2,"plugins":{"x":null}}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m := Parse(b)
		n, broken := 0, 0
		for _, e := range m.Plugins {
			if e.Broken() {
				broken++
				if e.Description != nil || OneLine(e.Failed) != strings.TrimSpace(e.Failed) {
					t.Fatalf("kept a failed entry that is not one printable line: %+v", e)
				}
				continue
			}
			n += len(e.Description.Commands)
		}
		cmds, err := m.Commands(nil, nil)
		if err == nil && len(cmds) != n {
			t.Fatalf("%d commands built from %d", len(cmds), n)
		}
		if lines := failureLines(m); len(lines) != broken {
			t.Fatalf("Failures gave %d lines for %d broken plugins: %q", len(lines), broken,
				lines)
		}
	})
}

// failureLines returns m.Failures() split into lines, none if nil.
func failureLines(m *Manifest) []string {
	err := m.Failures()
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// TestFailedEntry: a plugin that could not be described is kept with why, so that
// help does not start it again; it gives no commands, and Failures reports it.
func TestFailedEntry(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plugins.json")
	b, _ := Stat("org", writeExe(t, dir, "dbos-cloud-plugin-org", 0o755))
	crash, _ := Stat("crash", writeExe(t, dir, "dbos-cloud-plugin-crash", 0o755))
	m := New()
	m.Plugins["org"] = NewEntry(b, bytes.Repeat([]byte{7}, 32), validDesc())
	m.Plugins["crash"] = NewFailedEntry(crash, "crashed: exited\x1b[31m before the handshake\nmore")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}

	got := Load(path)
	g := got.Plugins["crash"]
	if g == nil || !g.Broken() || !g.Matches(crash) || g.Description != nil ||
		g.Failed != "crashed: exited[31m before the handshake" {
		t.Fatalf("loaded failed entry = %+v", g)
	}
	if !got.Fresh([]Binary{crash, b}) {
		t.Error("a manifest with a failed entry for each broken binary is not fresh")
	}

	cmds, err := got.Commands(nil, nil)
	if err != nil || len(cmds) != 1 || cmds[0].Name != "organization" {
		t.Fatalf("Commands = %d commands, %v; want the org plugin's only", len(cmds), err)
	}
	want := `plugin "crash": failed when it was last started: crashed: exited[31m before ` +
		`the handshake; fix or remove ` + crash.Path + `, then run "dbos-cloud plugin verify"`
	if err := got.Failures(); err == nil || err.Error() != want ||
		!errors.Is(err, ErrFailedBefore) {
		t.Errorf("Failures = %v\nwant %s", err, want)
	}
	if err := New().Failures(); err != nil {
		t.Errorf("Failures of an empty manifest = %v", err)
	}

	// One line per plugin, even for a path that holds a newline.
	got.Plugins["zap"] = NewFailedEntry(Binary{Path: "/odd\ndir/x"}, "")
	if lines := failureLines(got); len(lines) != 2 || !strings.Contains(lines[1],
		`"/odd\ndir/x"`) || !strings.Contains(lines[1], "no reason given") {
		t.Errorf("Failures lines = %q", lines)
	}
}

func TestParseDropsBadFailedEntries(t *testing.T) {
	ok := `{"path":"/p/x","size":1,"mtime":"2024-01-02T03:04:05Z","failed":"crashed"}`
	for _, tt := range []struct {
		entry string
		keep  bool
	}{
		{ok, true},
		{`{"path":"/p/x","failed":"timed out","sha256":"zz"}`, true},
		{`{"path":"/p/x","failed":"crashed","description":{"commands":[{"name":"x"}]}}`, false},
		{`{"path":"/p/x","failed":"crashed\u001b[2J"}`, false},
		{`{"path":"/p/x","failed":"two\nlines"}`, false},
		{`{"path":"/p/x","failed":"` + strings.Repeat("a", MaxLineLen+1) + `"}`, false},
		{`{"path":"p/x","failed":"crashed"}`, false},
		{`{"path":"/p/x","failed":""}`, false},
	} {
		raw := `{"version":2,"plugins":{"x":` + tt.entry + `,"Bad":` + ok + `}}`
		m := Parse([]byte(raw))
		if got := m.Plugins["x"] != nil; got != tt.keep || len(m.Plugins) > 1 {
			t.Errorf("Parse(%s) kept %v, want %v", tt.entry, m.Names(), tt.keep)
		}
	}
}

func TestOneLine(t *testing.T) {
	long := strings.Repeat("é", MaxLineLen) // two bytes each
	for in, want := range map[string]string{
		"  plain  ":                   "plain",
		"first\nsecond":               "first",
		"\x1b[31mred\x1b[0m\ttab\x7f": "[31mred[0mtab",
		"bad \xff utf-8 \u200b":       "bad  utf-8",
		"\x01 lead":                   "lead",
		long:                          strings.Repeat("é", (MaxLineLen-3)/2) + "...",
	} {
		got := OneLine(in)
		if got != want || len(got) > MaxLineLen || checkLine("x", got) != nil {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
