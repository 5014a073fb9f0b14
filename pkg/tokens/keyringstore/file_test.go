package keyringstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/keyring"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
)

const filePassword = "test-password"

func openFile(t *testing.T, dir, password string) *Store {
	t.Helper()
	s, err := Open(Options{Backends: []string{BackendFile}, FileDir: dir,
		FilePassword: secret.New(password)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// plainRing is the library's own file backend on dir, as another reader would open it.
func plainRing(t *testing.T, dir, password string) keyring.Keyring {
	t.Helper()
	r, err := keyring.Open(keyring.Config{AllowedBackends: []keyring.BackendType{keyring.FileBackend},
		FileDir: dir, FilePasswordFunc: keyring.FixedStringPrompt(password)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFileWritesKeepTheLibraryFormat(t *testing.T) {
	dir := t.TempDir()
	s := openFile(t, dir, filePassword)
	if err := s.Save(context.Background(), "acct", testRecord("rt-atomic")); err != nil {
		t.Fatal(err)
	}

	item, err := plainRing(t, dir, filePassword).Get("acct")
	if err != nil {
		t.Fatalf("the library cannot read the item: %v", err)
	}
	rec, err := tokens.DecodeRecord(item.Data)
	if item.Key != "acct" || err != nil || rec.RefreshToken.Reveal() != "rt-atomic" {
		t.Fatalf("item key %q, record %v", item.Key, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "acct" {
		t.Fatalf("directory holds %v, want only the item", entries)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "acct")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("item mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestStagingLeftByACrash: a crash between staging and rename leaves a staging
// directory (or a probe item); the item keeps its old value, and the next Open
// clears the leftovers.
func TestStagingLeftByACrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openFile(t, dir, filePassword)
	if err := s.Save(ctx, "acct", testRecord("rt-old")); err != nil {
		t.Fatal(err)
	}
	stage := filepath.Join(dir, stagingPrefix+"123")
	if err := os.Mkdir(stage, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stage, "acct"), []byte("eyJh"), 0o600); err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(dir, probePrefix+"abc")
	if err := os.WriteFile(probe, []byte("eyJh"), 0o600); err != nil {
		t.Fatal(err)
	}

	if keys, err := s.List(ctx); err != nil || !slices.Contains(keys, "acct") ||
		slices.Contains(keys, filepath.Base(stage)) {
		t.Fatalf("list = %v, %v; want acct and no staging directory", keys, err)
	}
	s = openFile(t, dir, filePassword)
	for _, p := range []string{stage, probe} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s still there: %v", filepath.Base(p), err)
		}
	}
	if rec, err := s.Load(ctx, "acct"); err != nil || rec.RefreshToken.Reveal() != "rt-old" {
		t.Fatalf("load after crash: %v", err)
	}
}

func TestDamagedFileItemIsReportedAndLeftAlone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openFile(t, dir, filePassword)
	if err := s.Save(ctx, "good", testRecord("rt-good")); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(filepath.Join(dir, "good"))
	if err != nil {
		t.Fatal(err)
	}
	if err := plainRing(t, dir, filePassword).Set(keyring.Item{Key: "foreign", Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}

	cases := map[string][]byte{
		"empty":           nil,
		"header only":     whole[:20],
		"cut in the key":  whole[:bytes.IndexByte(whole, '.')+10],
		"cut in the body": whole[:len(whole)/2],
		"cut in the tag":  whole[:len(whole)-3],
	}
	for name, content := range cases {
		path := filepath.Join(dir, "torn")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := s.Load(ctx, "torn")
		if !errors.Is(err, tokens.ErrRecordDamaged) || !strings.Contains(err.Error(), path) ||
			!strings.Contains(err.Error(), "torn") {
			t.Fatalf("%s: got %v, want a damaged item naming %s", name, err, path)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
			t.Fatalf("%s: the damaged file was changed", name)
		}
	}

	if _, err := s.Load(ctx, "foreign"); !errors.Is(err, tokens.ErrRecordDamaged) {
		t.Fatalf("an item that is not a record: %v", err)
	}
	if rec, err := s.Load(ctx, "good"); err != nil || rec.RefreshToken.Reveal() != "rt-good" {
		t.Fatalf("a good item beside damaged ones: %v", err)
	}
	_, err = openFile(t, dir, "wrong-password").Load(ctx, "good")
	if !errors.Is(err, tokens.ErrKeyringLocked) || errors.Is(err, tokens.ErrRecordDamaged) {
		t.Fatalf("a whole item with the wrong password: %v", err)
	}
}

func FuzzDamagedFile(f *testing.F) {
	dir := f.TempDir()
	r, err := keyring.Open(keyring.Config{AllowedBackends: []keyring.BackendType{keyring.FileBackend},
		FileDir: dir, FilePasswordFunc: keyring.FixedStringPrompt("pw")})
	if err != nil {
		f.Fatal(err)
	}
	if err := r.Set(keyring.Item{Key: "k", Data: []byte(`{"refresh_token":"x"}`)}); err != nil {
		f.Fatal(err)
	}
	whole, err := os.ReadFile(filepath.Join(dir, "k"))
	if err != nil {
		f.Fatal(err)
	}
	if why := damagedFile(whole); why != "" {
		f.Fatalf("a whole item is reported damaged: %s", why)
	}
	f.Add(whole)
	f.Add(whole[:len(whole)/3])
	f.Add([]byte("a.b.c.d.e"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		why := damagedFile(b)
		if why == "" && len(bytes.Split(bytes.TrimSpace(b), []byte("."))) != 5 {
			t.Fatalf("framing without five parts taken as whole")
		}
		if bytes.HasPrefix(whole, b) && len(b) < len(whole) && why == "" &&
			len(bytes.TrimSpace(b)) == len(b) {
			t.Fatalf("a proper prefix of an item (%d of %d bytes) taken as whole", len(b), len(whole))
		}
	})
}
