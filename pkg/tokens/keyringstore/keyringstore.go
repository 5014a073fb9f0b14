// Package keyringstore keeps the token manager's records in the operating system's
// keyring through 99designs/keyring. It is the only package of this module that
// imports that library, so that only dbos-credd links it (a test in internal/daemon
// guards this).
//
// Every keyring call runs with a timeout, one at a time: a stuck D-Bus call fails
// the request that made it instead of hanging the daemon. Errors are mapped to the
// tokens sentinels: a missing item is tokens.ErrNotFound, a keyring that needs its
// password is tokens.ErrKeyringLocked, an item that exists but holds no readable
// record is tokens.ErrRecordDamaged (naming the item, and its file for the file
// backend), anything else tokens.ErrKeyringUnavailable. Nothing here deletes an item
// that cannot be read.
//
// The library's file backend writes items in place; this package writes them
// atomically instead (see setFile), so that a crash mid-write never tears an item.
// The package never prompts: the encrypted file backend gets its password from the
// options or, later, from Unlock.
package keyringstore

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/99designs/keyring"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
)

// ServiceName is the keyring service every item is stored under; the key is the
// account name.
const ServiceName = "dbos-cloud"

// Backend names accepted in Options.Backends (the library's names).
const (
	BackendSecretService = "secret-service"
	BackendKeychain      = "keychain"
	BackendWinCred       = "wincred"
	BackendKeyCtl        = "keyctl"
	BackendKWallet       = "kwallet"
	BackendPass          = "pass"
	BackendFile          = "file"
)

// DefaultBackends is the platform's native store first, then the encrypted file.
func DefaultBackends() []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{BackendKeychain, BackendFile}
	case "windows":
		return []string{BackendWinCred, BackendFile}
	default:
		return []string{BackendSecretService, BackendFile}
	}
}

// Options configure Open.
type Options struct {
	// Backends to try in order; empty means DefaultBackends. Never left to the
	// library's own choice.
	Backends []string
	// FileDir holds the file backend's items (one file per account).
	FileDir string
	// FilePassword unlocks the file backend; zero leaves it locked until Unlock.
	FilePassword secret.Token
	// Timeout bounds every keyring call (default 5s).
	Timeout time.Duration
	// ServiceName overrides ServiceName (tests use unique names).
	ServiceName string
	Log         *slog.Logger
}

// Store is a tokens.Store over one opened keyring backend.
type Store struct {
	backend string
	opts    Options
	log     *slog.Logger
	sem     chan struct{} // one keyring call at a time

	mu       sync.RWMutex
	ring     keyring.Keyring
	password secret.Token // the file backend's, for its atomic writes
	locked   bool         // file backend without a password yet
}

// Open opens the first backend of opts.Backends that the library can open here.
func Open(opts Options) (*Store, error) {
	if len(opts.Backends) == 0 {
		opts.Backends = DefaultBackends()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.ServiceName == "" {
		opts.ServiceName = ServiceName
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	var errs []error
	for _, b := range opts.Backends {
		s := &Store{backend: b, opts: opts, log: log, sem: make(chan struct{}, 1)}
		ring, err := s.open(opts.FilePassword)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b, err))
			continue
		}
		s.ring, s.password = ring, opts.FilePassword
		s.locked = b == BackendFile && opts.FilePassword.IsZero()
		if b == BackendFile {
			s.removeStaging()
		}
		return s, nil
	}
	return nil, fmt.Errorf("open keyring (tried %s): %w: %w",
		strings.Join(opts.Backends, ", "), tokens.ErrKeyringUnavailable, errors.Join(errs...))
}

func (s *Store) open(password secret.Token) (keyring.Keyring, error) {
	cfg := keyring.Config{
		AllowedBackends: []keyring.BackendType{keyring.BackendType(s.backend)},
		ServiceName:     s.opts.ServiceName,
		// The default collection (= ServiceName) would have to be created, which
		// needs a GUI prompt; "login" exists on every desktop and in CI.
		LibSecretCollectionName:  "login",
		KeyCtlScope:              "user",
		KeychainTrustApplication: true,
		FileDir:                  s.opts.FileDir,
		FilePasswordFunc: func(string) (string, error) {
			if password.IsZero() {
				return "", tokens.ErrKeyringLocked
			}
			return password.Reveal(), nil
		},
		PassPrefix: s.opts.ServiceName,
	}
	if s.backend == BackendFile && cfg.FileDir == "" {
		return nil, fmt.Errorf("no directory for the file backend")
	}
	ring, err := keyring.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return ring, nil
}

// Backend names the opened backend.
func (s *Store) Backend() string { return s.backend }

// NeedsPassword reports whether the backend waits for Unlock.
func (s *Store) NeedsPassword() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.locked
}
