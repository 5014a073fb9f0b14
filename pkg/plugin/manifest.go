package plugin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

// manifest caches what each plugin binary said about itself, keyed by plugin name.
type manifest struct {
	Version int                       `json:"version"`
	Plugins map[string]*manifestEntry `json:"plugins"`
}

const manifestVersion = 1

// manifestEntry is one plugin: the binary's identity and its description.
type manifestEntry struct {
	Path        string    `json:"path"`
	Size        int64     `json:"size"`
	ModTime     time.Time `json:"mtime"`
	SHA256      string    `json:"sha256"`
	Description []byte    `json:"description"` // protobuf wire form, base64 in JSON

	desc *pluginpb.Description // decoded and validated Description
}

// binary is a plugin binary found on disk.
type binary struct {
	Name    string
	Path    string
	Size    int64
	ModTime time.Time
}

// matches reports whether the entry was made from this very file, judged by path,
// size and modification time. Only then is the cached description used without
// starting the plugin; the checksum is still checked when it runs.
func (e *manifestEntry) matches(b binary) bool {
	return e.Path == b.Path && e.Size == b.Size && e.ModTime.Equal(b.ModTime)
}

func (e *manifestEntry) sum() []byte {
	s, _ := hex.DecodeString(e.SHA256)
	return s
}

// loadManifest reads the manifest. A missing, unreadable or invalid file gives an
// empty manifest: it is a cache, and every entry is rebuilt from the binaries.
func loadManifest(path string) *manifest {
	m := &manifest{Version: manifestVersion, Plugins: map[string]*manifestEntry{}}
	b, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	var disk manifest
	if json.Unmarshal(b, &disk) != nil || disk.Version != manifestVersion {
		return m
	}
	for name, e := range disk.Plugins {
		if e == nil || !nameRE.MatchString(name) {
			continue
		}
		// The file is re-validated: it is only as trustworthy as its directory.
		d, err := DecodeDescription(e.Description)
		if err != nil || len(e.sum()) != sha256.Size {
			continue
		}
		e.desc = d
		m.Plugins[name] = e
	}
	return m
}

// save writes the manifest atomically, readable by the user only.
func (m *manifest) save(path string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plugin manifest: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create plugin manifest directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".plugins-*.json")
	if err != nil {
		return fmt.Errorf("write plugin manifest: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()

	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write plugin manifest %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write plugin manifest %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write plugin manifest %s: %w", path, err)
	}
	return nil
}

// newEntry records a binary, its checksum and its validated description.
func newEntry(b binary, sum []byte, d *pluginpb.Description) (*manifestEntry, error) {
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode description of %s: %w", b.Path, err)
	}
	return &manifestEntry{
		Path: b.Path, Size: b.Size, ModTime: b.ModTime,
		SHA256: hex.EncodeToString(sum), Description: raw, desc: d,
	}, nil
}

// discover lists the plugin binaries in dirs, sorted by name. When two directories
// hold the same NAME, the first directory wins.
func discover(dirs []string) []binary {
	found := map[string]binary{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, de := range entries {
			name, ok := strings.CutPrefix(de.Name(), BinaryPrefix)
			if !ok || !nameRE.MatchString(name) {
				continue
			}
			if _, taken := found[name]; taken {
				continue
			}
			if b, ok := statBinary(name, filepath.Join(dir, de.Name())); ok {
				found[name] = b
			}
		}
	}

	out := make([]binary, 0, len(found))
	for _, b := range found {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// statBinary accepts an executable regular file (following a symlink).
func statBinary(name, path string) (binary, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return binary{}, false
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return binary{}, false
	}
	return binary{Name: name, Path: abs, Size: fi.Size(), ModTime: fi.ModTime()}, true
}

// hashFile returns the SHA-256 of a file.
func hashFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", path, err)
	}
	defer func() { _ = f.Close() }()

	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("hash %s: %w", path, err)
	}
	return h.Sum(nil), nil
}
