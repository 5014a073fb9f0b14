package plugin

import (
	"os"
	"path/filepath"
	"testing"
)

func writeExe(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
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

	got := discover([]string{a, filepath.Join(a, "missing"), b})
	if len(got) != 2 {
		t.Fatalf("discover = %+v, want apps and org", got)
	}
	if got[0].Name != "apps" || got[0].Path != wantB {
		t.Errorf("first = %+v, want apps from %s", got[0], wantB)
	}
	if got[1].Name != "org" || got[1].Path != wantA {
		t.Errorf("second = %+v, want org from %s", got[1], wantA)
	}
}

func TestManifestRoundTripAndCorruption(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "plugins.json")
	exe := writeExe(t, dir, "dbos-cloud-plugin-org", 0o755)
	b, _ := statBinary("org", exe)
	sum, err := hashFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEntry(b, sum, validDesc())
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest{Version: manifestVersion, Plugins: map[string]*manifestEntry{"org": e}}
	if err := m.save(path); err != nil {
		t.Fatal(err)
	}

	got := loadManifest(path)
	if g := got.Plugins["org"]; g == nil || !g.matches(b) || g.desc.GetSummary() != "ok" {
		t.Fatalf("loaded entry = %+v", g)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("manifest mode = %v, want 0600", fi.Mode().Perm())
	}

	if err := os.WriteFile(path, []byte(`{"version":1,"plugins":{"org":{"description":"AAA="}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if n := len(loadManifest(path).Plugins); n != 0 {
		t.Fatalf("corrupt entry kept: %d entries", n)
	}
}
