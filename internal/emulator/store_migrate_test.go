package emulator

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestOpenStoreAddsColumns opens a database written before the reuse interval
// existed: the new columns are added and its refresh tokens keep working.
func TestOpenStoreAddsColumns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "emulator.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, err = old.ExecContext(ctx, `CREATE TABLE refresh_tokens (
		token_hash TEXT PRIMARY KEY, family TEXT NOT NULL, sub TEXT NOT NULL,
		client_id TEXT NOT NULL, scope TEXT NOT NULL, family_created INTEGER NOT NULL,
		last_used INTEGER NOT NULL, state TEXT NOT NULL);
		INSERT INTO refresh_tokens VALUES('h1', 'f', 'emulator|x', 'c', 'offline_access', ?, ?, 'active')`,
		millis(now), millis(now))
	if err != nil {
		t.Fatal(err)
	}
	old.Close()

	s, err := OpenStore(ctx, dir)
	if err != nil {
		t.Fatalf("open old database: %v", err)
	}
	defer s.Close()
	p := RefreshPolicy{Lifetime: time.Hour, Idle: time.Hour, Rotate: true, ReuseInterval: time.Minute}
	for _, step := range []struct{ hash, next string }{{"h1", "h2"}, {"h1", "h3"}, {"h3", "h4"}} {
		if _, err := s.RedeemRefresh(ctx, step.hash, "c", now, p, step.next); err != nil {
			t.Fatalf("redeem %s: %v", step.hash, err)
		}
	}
	if _, err := s.RedeemRefresh(ctx, "h1", "c", now, p, "h5"); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("second-to-last token: got %v, want %v", err, ErrRefreshReused)
	}
}
