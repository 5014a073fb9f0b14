package keyringstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/99designs/keyring"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
)

// stagingPrefix names the directories in which the file backend's items are written
// before being renamed into place. It is not a valid account name.
const stagingPrefix = ".dbos-credd-staging-"

// fileDir is the file backend's directory with "~" expanded, as the library does.
func (s *Store) fileDir() (string, error) {
	dir, err := keyring.ExpandTilde(s.opts.FileDir)
	if err != nil {
		return "", fmt.Errorf("file keyring directory: %w", err)
	}
	return dir, nil
}

// setFile writes item atomically (see writeFile). Its failures other than a lock
// are the keyring's, never a missing item, whatever the file system said.
func (s *Store) setFile(item keyring.Item, password secret.Token) error {
	err := s.writeFile(item, password)
	if err == nil || errors.Is(err, tokens.ErrKeyringLocked) {
		return err
	}
	return fmt.Errorf("%w: %w", tokens.ErrKeyringUnavailable, err)
}

// writeFile writes item so that a crash at any moment leaves either the old item or
// the new one, never a torn file. The library writes items in place (os.WriteFile),
// so the item is written by the library into a fresh staging directory beside the
// real ones, flushed, and renamed over the item's file; the directory is flushed
// last so that the rename itself survives a power loss. The file is byte for byte
// what the library writes, named as it names it, so it reads back with Get.
func (s *Store) writeFile(item keyring.Item, password secret.Token) error {
	dir, err := s.fileDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create file keyring directory: %w", err)
	}
	stage, err := os.MkdirTemp(dir, stagingPrefix)
	if err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	defer os.RemoveAll(stage)

	ring, err := s.openFileRing(stage, password)
	if err != nil {
		return err
	}
	if err := ring.Set(item); err != nil {
		return err
	}
	staged, err := os.ReadDir(stage)
	if err != nil || len(staged) != 1 {
		return fmt.Errorf("staged item %s: found %d files: %w", item.Key, len(staged), err)
	}
	name := staged[0].Name()
	src := filepath.Join(stage, name)
	if err := syncPath(src); err != nil {
		return err
	}
	if err := os.Rename(src, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("replace item %s: %w", item.Key, err)
	}
	return syncPath(dir)
}

// openFileRing opens the file backend on dir with password.
func (s *Store) openFileRing(dir string, password secret.Token) (keyring.Keyring, error) {
	ring, err := keyring.Open(keyring.Config{
		AllowedBackends: []keyring.BackendType{keyring.FileBackend},
		ServiceName:     s.opts.ServiceName,
		FileDir:         dir,
		FilePasswordFunc: func(string) (string, error) {
			if password.IsZero() {
				return "", tokens.ErrKeyringLocked
			}
			return password.Reveal(), nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("open staging keyring: %w", err)
	}
	return ring, nil
}

// syncPath flushes a file or directory to disk.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("flush %s: %w", filepath.Base(path), err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("flush %s: %w", filepath.Base(path), err)
	}
	return nil
}

// removeStaging deletes staging directories and Check's probe items left by a
// crash mid-write. They hold only writes that never reached an item, which is intact.
func (s *Store) removeStaging() {
	dir, err := s.fileDir()
	if err != nil {
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		staging := e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix)
		probe := !e.IsDir() && strings.HasPrefix(e.Name(), probePrefix)
		if !staging && !probe {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			s.log.Warn("removing a staging directory", "dir", dir, "err", err)
			continue
		}
		s.log.Info("removed an unfinished keyring write", "dir", dir, "staging", e.Name())
	}
}

// itemPath is the file holding an account's item. Account names contain nothing
// the library percent-encodes, so the file name is the name.
func (s *Store) itemPath(name string) string {
	dir, err := s.fileDir()
	if err != nil {
		return filepath.Join(s.opts.FileDir, name)
	}
	return filepath.Join(dir, name)
}

// damagedFile tells a torn or foreign item file from one that is whole but does not
// open with the password. The library stores a compact JWE (PBES2-HS256+A128KW,
// A256GCM): five base64url parts, a JSON header, a 40-byte wrapped key, a 12-byte
// IV and a 16-byte tag. A file cut short by a crash breaks that shape; a whole file
// that fails to decrypt points at the password instead. It returns a description
// of the damage, or "" when the framing is intact.
func damagedFile(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "the file is empty"
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 5 {
		return fmt.Sprintf("the file has %d of the 5 parts of an encrypted item (truncated?)", len(parts))
	}
	sizes := []int{-1, 40, 12, -1, 16} // -1: any length
	for i, p := range parts {
		raw, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return fmt.Sprintf("part %d of the encrypted item is not base64url (truncated?)", i+1)
		}
		if sizes[i] >= 0 && len(raw) != sizes[i] {
			return fmt.Sprintf("part %d of the encrypted item has %d bytes, not %d (truncated?)",
				i+1, len(raw), sizes[i])
		}
		if i == 0 && !json.Valid(raw) {
			return "the encrypted item's header is not JSON"
		}
	}
	return ""
}

// fileGetError explains a file-backend Get failure that is neither "missing" nor a
// library-reported lock: a damaged file is tokens.ErrRecordDamaged naming the file;
// a whole file that does not decrypt means a wrong password.
func (s *Store) fileGetError(name string, err error) error {
	path := s.itemPath(name)
	b, rerr := os.ReadFile(path)
	if rerr != nil {
		return err
	}
	if why := damagedFile(b); why != "" {
		return fmt.Errorf("keyring item %s (file %s): %w: %s", name, path, tokens.ErrRecordDamaged, why)
	}
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return err
	}
	return fmt.Errorf("keyring item %s (file %s) does not decrypt with the keyring password: %w",
		name, path, tokens.ErrKeyringLocked)
}
