package keyringstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
)

func testRecord(rt string) tokens.Record {
	return tokens.Record{RefreshToken: secret.New(rt), User: "alice",
		Endpoints: tokens.Endpoints{APIURL: "http://api", Issuer: "http://login/", ClientID: "cid"},
		LastUsed:  time.Now().UTC().Truncate(time.Second)}
}

// conformance runs the Store contract against an opened store.
func conformance(t *testing.T, s *Store, name string) {
	ctx := context.Background()
	t.Cleanup(func() { _ = s.Delete(ctx, name) })

	if _, err := s.Load(ctx, name); !errors.Is(err, tokens.ErrNotFound) {
		t.Fatalf("load missing: %v", err)
	}
	if err := s.Save(ctx, name, testRecord("rt-one")); err != nil {
		t.Fatalf("save: %v", err)
	}
	if err := s.Save(ctx, name, testRecord("rt-two")); err != nil {
		t.Fatalf("save again: %v", err)
	}
	got, err := s.Load(ctx, name)
	if err != nil || got.RefreshToken.Reveal() != "rt-two" || got.User != "alice" {
		t.Fatalf("load: %+v %v", got, err)
	}
	// A locked Secret Service collection lists nothing without an error, so the
	// name must really be there.
	keys, err := s.List(ctx)
	if err != nil || !slices.Contains(keys, name) {
		t.Fatalf("list = %v, %v; want %s in it", keys, err, name)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := s.Delete(ctx, name); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := s.Delete(ctx, name); err != nil {
		t.Fatalf("delete again: %v", err)
	}
	if _, err := s.Load(ctx, name); !errors.Is(err, tokens.ErrNotFound) {
		t.Fatalf("load deleted: %v", err)
	}
}

func TestFileBackend(t *testing.T) {
	s, err := Open(Options{Backends: []string{BackendFile}, FileDir: t.TempDir(),
		FilePassword: secret.New("test-password")})
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != BackendFile || s.NeedsPassword() {
		t.Fatalf("backend %s, needs password %v", s.Backend(), s.NeedsPassword())
	}
	conformance(t, s, "acct")
}

func TestFileBackendLockedUntilUnlock(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(Options{Backends: []string{BackendFile}, FileDir: dir, FilePassword: secret.New("pw-1")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "acct", testRecord("rt")); err != nil {
		t.Fatal(err)
	}

	locked, err := Open(Options{Backends: []string{BackendFile}, FileDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !locked.NeedsPassword() {
		t.Fatal("no password, yet not locked")
	}
	for op, err := range map[string]error{
		"load":  func() error { _, err := locked.Load(ctx, "acct"); return err }(),
		"list":  func() error { _, err := locked.List(ctx); return err }(),
		"save":  locked.Save(ctx, "other", testRecord("x")),
		"check": locked.Check(ctx),
	} {
		if !errors.Is(err, tokens.ErrKeyringLocked) {
			t.Errorf("%s while locked: %v", op, err)
		}
	}

	if err := locked.Unlock(ctx, secret.New("wrong")); !errors.Is(err, tokens.ErrKeyringLocked) {
		t.Fatalf("wrong password accepted: %v", err)
	}
	if err := locked.Unlock(ctx, secret.New("pw-1")); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if r, err := locked.Load(ctx, "acct"); err != nil || r.RefreshToken.Reveal() != "rt" {
		t.Fatalf("load after unlock: %v", err)
	}
	if _, err := os.Stat(dir + "/acct"); err != nil {
		t.Fatalf("item gone: %v", err)
	}
}

func TestOpenFallsBackInOrder(t *testing.T) {
	// kwallet cannot open on a machine without a KDE session bus service.
	s, err := Open(Options{Backends: []string{"no-such-backend", BackendFile}, FileDir: t.TempDir(),
		FilePassword: secret.New("pw")})
	if err != nil || s.Backend() != BackendFile {
		t.Fatalf("open: %v", err)
	}
	if _, err := Open(Options{Backends: []string{"no-such-backend"}}); !errors.Is(err, tokens.ErrKeyringUnavailable) {
		t.Fatalf("unknown backend: %v", err)
	}
}

// TestSecretService runs the contract against a real Secret Service (gnome-keyring
// with an unlocked "login" collection, started by .ci/run per KEYRING.md).
func TestSecretService(t *testing.T) {
	if os.Getenv("DBOS_IT_SECRET_SERVICE") != "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but DBOS_IT_SECRET_SERVICE is not set: .ci/run must start gnome-keyring")
		}
		t.Skip("set DBOS_IT_SECRET_SERVICE=1 with a Secret Service on the session bus")
	}
	s, err := Open(Options{Backends: []string{BackendSecretService}})
	if err != nil {
		t.Fatalf("open secret service: %v", err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	conformance(t, s, "it-"+hex.EncodeToString(b[:]))
}
