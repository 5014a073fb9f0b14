package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SetDefaultAccount sets default_account = name in the file at path, keeping every
// other line (comments included) as it is. A missing file is created with that one
// line. The result is validated with Parse before it replaces the file, and the
// replacement is atomic (a temporary file in the same directory, then a rename), so
// a watcher never sees a half-written file.
func SetDefaultAccount(path, name string) error {
	old, err := os.ReadFile(path)
	mode := fs.FileMode(0o600)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return fmt.Errorf("read config %s: %w", path, err)
	default:
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	}

	data := []byte(withDefaultAccount(string(old), name))
	cfg, err := Parse(data, path)
	if err != nil {
		return err
	}
	if cfg.DefaultAccount != name {
		return fmt.Errorf("set default_account in %s: the edit did not take", path)
	}
	return writeAtomic(path, data, mode)
}

// withDefaultAccount returns src with its top-level default_account line replaced,
// or a new one put before the first table header.
func withDefaultAccount(src, name string) string {
	line := "default_account = " + strconv.Quote(name)
	lines := strings.SplitAfter(src, "\n")
	insertAt := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			insertAt = i
			break
		}
		if key, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(key) == "default_account" {
			lines[i] = line + "\n"
			return strings.Join(lines, "")
		}
	}

	head := strings.Join(lines[:insertAt], "")
	if head != "" && !strings.HasSuffix(head, "\n") {
		head += "\n"
	}
	tail := strings.Join(lines[insertAt:], "")
	if tail != "" {
		return head + line + "\n\n" + tail
	}
	return head + line + "\n"
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create config dir %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".config-*.toml")
	if err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename

	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	return nil
}
