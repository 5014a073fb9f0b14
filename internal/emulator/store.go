package emulator

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Errors of the store that handlers turn into status codes.
var (
	ErrNotFound  = errors.New("not found")
	ErrTaken     = errors.New("name already taken")
	ErrForbidden = errors.New("permission denied")
	ErrBadSecret = errors.New("invalid, used or expired invite secret")
	ErrConflict  = errors.New("conflicting state")
	ErrBadInput  = errors.New("invalid input")

	// ErrUnregistered is the caller having no DBOS Cloud account yet. Its text is the
	// contract: the official CLI registers when a message contains it.
	ErrUnregistered = errors.New("user not found in DBOS Cloud")
)

const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS device_codes (
	code_hash  TEXT PRIMARY KEY,
	user_code  TEXT NOT NULL UNIQUE,
	client_id  TEXT NOT NULL,
	scope      TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	state      TEXT NOT NULL,
	identity   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
	token_hash     TEXT PRIMARY KEY,
	family         TEXT NOT NULL,
	sub            TEXT NOT NULL,
	client_id      TEXT NOT NULL,
	scope          TEXT NOT NULL,
	family_created INTEGER NOT NULL,
	last_used      INTEGER NOT NULL,
	state          TEXT NOT NULL,
	parent         TEXT NOT NULL DEFAULT '',
	rotated_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family);
CREATE TABLE IF NOT EXISTS orgs (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	name      TEXT NOT NULL UNIQUE,
	admin_sub TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
	sub         TEXT PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	email       TEXT NOT NULL,
	given_name  TEXT NOT NULL,
	family_name TEXT NOT NULL,
	company     TEXT NOT NULL,
	org_id      INTEGER NOT NULL REFERENCES orgs(id),
	joined      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS invites (
	secret_hash TEXT PRIMARY KEY,
	org_id      INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	used        INTEGER NOT NULL DEFAULT 0
);
`

// Store is the emulator's SQLite database. It holds a single connection: that keeps
// an in-memory database one database, and serialises writers so that no request ever
// sees SQLITE_BUSY.
type Store struct {
	db *sql.DB
}

// OpenStore opens (creating if needed) the database in dataDir, or an in-memory one
// when dataDir is empty, and creates the schema.
func OpenStore(ctx context.Context, dataDir string) (*Store, error) {
	dsn := "file::memory:"
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory %s: %w", dataDir, err)
		}
		dsn = "file:" + filepath.Join(dataDir, "emulator.db") +
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)"
	}

	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	if err := addColumns(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// addedColumns are columns added to tables after the first release; a database
// written by an older emulator gets them on open.
var addedColumns = []struct{ table, column, decl string }{
	{"refresh_tokens", "parent", `TEXT NOT NULL DEFAULT ''`},
	{"refresh_tokens", "rotated_at", `INTEGER NOT NULL DEFAULT 0`},
}

func addColumns(ctx context.Context, db *sql.DB) error {
	for _, c := range addedColumns {
		var n int
		err := db.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&n)
		if err != nil {
			return fmt.Errorf("inspect table %s: %w", c.table, err)
		}
		if n > 0 {
			continue
		}
		_, err = db.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.column+` `+c.decl)
		if err != nil {
			return fmt.Errorf("add column %s.%s: %w", c.table, c.column, err)
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// tx runs fn in one transaction, committed when fn returns nil. With one connection,
// fn must use tx only: a query on s.db inside fn would wait for itself.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// Meta returns a stored setting; ok is false when it is not set.
func (s *Store) Meta(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", key, err)
	}
	return value, true, nil
}

// SetMeta stores a setting.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO meta(key, value) VALUES(?, ?)
		 ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}

// hashSecret is how every stored secret is kept: a hex SHA-256. The secrets are long
// random strings, so no salt or slow hash is needed.
func hashSecret(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms) }

// optMillis stores a zero time as 0, which reads back as "not set".
func optMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
