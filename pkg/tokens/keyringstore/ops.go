package keyringstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/99designs/keyring"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
)

// probePrefix names the throwaway item Check writes; it is not a valid account name.
const probePrefix = ".dbos-credd-probe-"

// call runs fn against the keyring, one call at a time, giving up after the
// timeout or when ctx ends. A call that never returns leaves its goroutine behind,
// and the calls queued behind it time out too; the daemon itself keeps serving.
func (s *Store) call(ctx context.Context, op string, fn func(keyring.Keyring) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()

	s.mu.RLock()
	ring := s.ring
	s.mu.RUnlock()

	done := make(chan error, 1)
	go func() {
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			done <- ctx.Err()
			return
		}
		defer func() { <-s.sem }()
		done <- fn(ring)
	}()

	select {
	case err := <-done:
		return s.mapErr(op, err)
	case <-ctx.Done():
		s.log.Warn("keyring call timed out", "op", op, "backend", s.backend)
		return fmt.Errorf("keyring %s: %w: no answer within %s", op, tokens.ErrKeyringUnavailable, s.opts.Timeout)
	}
}

// mapErr turns library errors into the tokens sentinels. The library's messages
// name the operation and backend only; they never carry an item's data.
func (s *Store) mapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tokens.ErrRecordDamaged):
		return err // already names the item and what is wrong with it
	case errors.Is(err, tokens.ErrKeyringUnavailable):
		return fmt.Errorf("keyring %s (%s): %w", op, s.backend, err)
	case errors.Is(err, keyring.ErrKeyNotFound), errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("keyring %s: %w", op, tokens.ErrNotFound)
	case errors.Is(err, tokens.ErrKeyringLocked):
		return fmt.Errorf("keyring %s (%s): %w", op, s.backend, err)
	case isLockedMessage(err):
		return fmt.Errorf("keyring %s (%s): %w", op, s.backend, tokens.ErrKeyringLocked)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("keyring %s (%s): %w: %w", op, s.backend, tokens.ErrKeyringUnavailable, err)
	}
	return fmt.Errorf("keyring %s (%s): %w: %v", op, s.backend, tokens.ErrKeyringUnavailable, err)
}

// isLockedMessage recognises Secret Service refusals on a locked collection, which
// come back as plain D-Bus error text ("Cannot get secret of a locked object").
func isLockedMessage(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "locked")
}

// Load implements tokens.Store.
func (s *Store) Load(ctx context.Context, name string) (tokens.Record, error) {
	var item keyring.Item
	err := s.call(ctx, "get "+name, func(r keyring.Keyring) error {
		var err error
		item, err = r.Get(name)
		if err != nil && s.backend == BackendFile && !errors.Is(err, keyring.ErrKeyNotFound) &&
			!errors.Is(err, tokens.ErrKeyringLocked) {
			return s.fileGetError(name, err)
		}
		return err
	})
	if err != nil {
		return tokens.Record{}, err
	}
	rec, err := tokens.DecodeRecord(item.Data)
	if err != nil {
		where := s.backend
		if s.backend == BackendFile {
			where = "file " + s.itemPath(name)
		}
		return tokens.Record{}, fmt.Errorf("keyring item %s (%s): %w: %w",
			name, where, tokens.ErrRecordDamaged, err)
	}
	return rec, nil
}

// Save implements tokens.Store.
func (s *Store) Save(ctx context.Context, name string, rec tokens.Record) error {
	data, err := tokens.EncodeRecord(rec)
	if err != nil {
		return err
	}
	item := keyring.Item{
		Key:         name,
		Data:        data,
		Label:       "DBOS Cloud login " + name,
		Description: "refresh token kept by dbos-credd",
	}
	if s.backend == BackendFile {
		s.mu.RLock()
		pw := s.password
		s.mu.RUnlock()
		return s.call(ctx, "set "+name, func(keyring.Keyring) error { return s.setFile(item, pw) })
	}
	return s.call(ctx, "set "+name, func(r keyring.Keyring) error { return r.Set(item) })
}

// Delete implements tokens.Store. Removing a missing item succeeds, as it does in
// the Secret Service backend, whatever the backend.
func (s *Store) Delete(ctx context.Context, name string) error {
	err := s.call(ctx, "remove "+name, func(r keyring.Keyring) error { return r.Remove(name) })
	if errors.Is(err, tokens.ErrNotFound) {
		return nil
	}
	return err
}

// List implements tokens.Store. On a locked Secret Service collection the library
// returns no names and no error; Check tells that case apart.
func (s *Store) List(ctx context.Context) ([]string, error) {
	var keys []string
	err := s.call(ctx, "list", func(r keyring.Keyring) error {
		var err error
		keys, err = r.Keys()
		// The file backend lists every file, the staging directories of writes
		// in progress too.
		keys = slices.DeleteFunc(keys, func(k string) bool { return strings.HasPrefix(k, stagingPrefix) })
		return err
	})
	if s.NeedsPassword() && err == nil {
		// The file backend lists file names without the password; report the lock
		// so that records are not taken as absent.
		return nil, fmt.Errorf("keyring list (%s): %w", s.backend, tokens.ErrKeyringLocked)
	}
	return keys, err
}

// Check proves the keyring can be written: it writes, reads back and removes a
// probe item under a random key.
func (s *Store) Check(ctx context.Context) error {
	if s.NeedsPassword() {
		return fmt.Errorf("keyring check (%s): %w", s.backend, tokens.ErrKeyringLocked)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	key := probePrefix + hex.EncodeToString(b[:])
	want := []byte("probe " + key)

	err := s.call(ctx, "check", func(r keyring.Keyring) error {
		if err := r.Set(keyring.Item{Key: key, Data: want, Label: "dbos-credd probe"}); err != nil {
			return err
		}
		defer r.Remove(key) //nolint:errcheck // best effort; the key is random
		got, err := r.Get(key)
		if err != nil {
			return err
		}
		if string(got.Data) != string(want) {
			return fmt.Errorf("read back a different value")
		}
		return nil
	})
	return err
}

// Unlock gives the file backend its password. The password is checked against a
// stored item when there is one; a wrong password leaves the store locked.
func (s *Store) Unlock(ctx context.Context, password secret.Token) error {
	if s.backend != BackendFile {
		return nil // other backends are unlocked by their own agent
	}
	if password.IsZero() {
		return fmt.Errorf("unlock keyring: %w: empty password", tokens.ErrKeyringLocked)
	}
	ring, err := s.open(password)
	if err != nil {
		return fmt.Errorf("unlock keyring: %w: %w", tokens.ErrKeyringUnavailable, err)
	}
	if err := s.verify(ctx, ring); err != nil {
		return err
	}

	s.mu.Lock()
	s.ring, s.password, s.locked = ring, password, false
	s.mu.Unlock()
	s.log.Info("keyring unlocked", "backend", s.backend)
	return nil
}

// verify decrypts one existing item with ring, if there is one.
func (s *Store) verify(ctx context.Context, ring keyring.Keyring) error {
	return s.call(ctx, "unlock", func(keyring.Keyring) error {
		keys, err := ring.Keys()
		if err != nil {
			return err
		}
		for _, k := range keys {
			if !tokens.ValidName(k) {
				continue
			}
			if _, err := ring.Get(k); err != nil && !errors.Is(err, keyring.ErrKeyNotFound) {
				return fmt.Errorf("%w: the password does not open item %s", tokens.ErrKeyringLocked, k)
			}
			return nil
		}
		return nil
	})
}
