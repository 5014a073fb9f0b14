package manifest

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// BinaryPrefix starts the file name of every plugin binary: dbos-cloud-plugin-NAME.
const BinaryPrefix = "dbos-cloud-plugin-"

// Version is the manifest's format version; a file of another version is ignored.
const Version = 2

// Manifest caches what each plugin binary said about itself, keyed by plugin name.
type Manifest struct {
	Version int               `json:"version"`
	Plugins map[string]*Entry `json:"plugins"`
}

// Entry is one plugin: the binary's identity and its validated description, or, for a
// binary that could not be described, why (see Broken).
type Entry struct {
	Path        string       `json:"path"`
	Size        int64        `json:"size"`
	ModTime     time.Time    `json:"mtime"`
	SHA256      string       `json:"sha256"` // hex; when Failed, the one trusted before, if any
	Description *Description `json:"description"`

	// Failed says in one printable line why the binary, as identified by Path, Size
	// and ModTime, could not be described when it was last started. Such an entry
	// has no Description. It is kept so that help, which must not start plugins,
	// does not start a broken one again at every run: it is retried when the
	// binary changes or `plugin verify` runs.
	Failed string `json:"failed,omitempty"`

	// Verified stamps the file as it was when a launch last hashed it and found
	// SHA256; nil until then, and where the system gives no change times.
	Verified *Stamp `json:"verified,omitempty"`
}

// Stamp identifies one version of a file without reading it. Writing to the file or
// replacing it changes the stamp: a write sets the change time to the current time,
// which no one but root can set back, and a replacement is a new inode.
type Stamp struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime_ns"`
	Ctime int64  `json:"ctime_ns"`
}

// ErrFailedBefore marks a plugin left out because it failed when it was last started
// (see Entry.Failed) and has not changed since.
var ErrFailedBefore = errors.New("failed when it was last started")

// Binary is a plugin binary found on disk.
type Binary struct {
	Name    string // NAME of dbos-cloud-plugin-NAME
	Path    string // absolute
	Size    int64
	ModTime time.Time
}

// New returns an empty manifest.
func New() *Manifest { return &Manifest{Version: Version, Plugins: map[string]*Entry{}} }

// NewEntry records a binary, its SHA-256 and its validated description.
func NewEntry(b Binary, sum []byte, d *Description) *Entry {
	return &Entry{Path: b.Path, Size: b.Size, ModTime: b.ModTime,
		SHA256: hex.EncodeToString(sum), Description: d}
}

// NewFailedEntry records a binary that could not be described, and why. why is made
// one printable line (see OneLine); it is never empty, so the entry is Broken.
func NewFailedEntry(b Binary, why string) *Entry {
	why = OneLine(why)
	if why == "" {
		why = "no reason given"
	}
	return &Entry{Path: b.Path, Size: b.Size, ModTime: b.ModTime, Failed: why}
}

// Broken reports whether the entry records a failure rather than a description.
func (e *Entry) Broken() bool { return e.Failed != "" }

// Failure returns why a broken entry's plugin is left out and what to do about it,
// wrapping ErrFailedBefore, or nil when e is not broken. It is one line.
func (e *Entry) Failure() error {
	if !e.Broken() {
		return nil
	}
	return fmt.Errorf("%w: %s; fix or remove %s, then run \"dbos-cloud plugin verify\"",
		ErrFailedBefore, e.Failed, printablePath(e.Path))
}

// Failures returns the Failure of every broken entry, one line per plugin, sorted by
// name; nil when there is none.
func (m *Manifest) Failures() error {
	var errs []error
	for _, name := range m.Names() {
		if err := m.Plugins[name].Failure(); err != nil {
			errs = append(errs, fmt.Errorf("plugin %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// Matches reports whether the entry was made from this very file, judged by path,
// size and modification time. Only then is the cached description used without
// starting the plugin; the checksum is still checked when it runs.
func (e *Entry) Matches(b Binary) bool {
	return e.Path == b.Path && e.Size == b.Size && e.ModTime.Equal(b.ModTime)
}

// Sum returns the SHA-256 the binary had when it was described.
func (e *Entry) Sum() []byte {
	s, _ := hex.DecodeString(e.SHA256)
	return s
}

// Fresh reports whether m describes exactly the binaries bins (from Discover): one
// matching entry each, and no other. When it does not, a plugin must be (re)described.
func (m *Manifest) Fresh(bins []Binary) bool {
	if len(bins) != len(m.Plugins) {
		return false
	}
	for _, b := range bins {
		if e := m.Plugins[b.Name]; e == nil || !e.Matches(b) {
			return false
		}
	}
	return true
}

// Names returns the plugins' names, sorted.
func (m *Manifest) Names() []string {
	names := make([]string, 0, len(m.Plugins))
	for n := range m.Plugins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Load reads the manifest at path. A missing, unreadable or invalid file, or invalid
// entries in it, give an empty manifest or drop the entries: it is a cache, rebuilt
// from the binaries.
func Load(path string) *Manifest {
	b, err := os.ReadFile(path)
	if err != nil {
		return New()
	}
	return Parse(b)
}

// Parse decodes a manifest file's content, keeping only the valid entries.
func Parse(b []byte) *Manifest {
	m := New()

	disk, err := decode(b)
	if err != nil || disk.Version != Version {
		return m
	}
	for name, e := range disk.Plugins {
		// The file is re-validated: it is only as trustworthy as its directory.
		if e == nil || !ValidName(name) || !filepath.IsAbs(e.Path) || !e.valid() {
			continue
		}
		m.Plugins[name] = e
	}
	return m
}

// valid checks what an entry read from disk says about the plugin: either a failure
// in one printable line and no description, or a checksum and a valid description.
func (e *Entry) valid() bool {
	if e.Broken() {
		return e.Description == nil && checkLine("failure", e.Failed) == nil
	}
	return e.Description != nil && len(e.Sum()) == 32 && e.Description.Validate() == nil
}

// Save writes the manifest atomically, readable by the user only.
func (m *Manifest) Save(path string) error {
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

// Discover lists the plugin binaries in dirs, sorted by name. When two directories
// hold the same NAME, the first directory wins.
func Discover(dirs []string) []Binary {
	found := map[string]Binary{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, de := range entries {
			name, ok := strings.CutPrefix(de.Name(), BinaryPrefix)
			if !ok || !ValidName(name) {
				continue
			}
			if _, taken := found[name]; taken {
				continue
			}
			if b, ok := Stat(name, filepath.Join(dir, de.Name())); ok {
				found[name] = b
			}
		}
	}

	out := make([]Binary, 0, len(found))
	for _, b := range found {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b Binary) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Stat accepts an executable regular file (following a symlink).
func Stat(name, path string) (Binary, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Binary{}, false
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return Binary{}, false
	}
	return Binary{Name: name, Path: abs, Size: fi.Size(), ModTime: fi.ModTime()}, true
}

// DefaultDirs returns where plugins are looked for, in order: the directory of the
// running executable, $XDG_DATA_HOME/dbos-cloud/plugins (~/.local/share when unset),
// then each entry of $DBOS_CLOUD_PLUGIN_PATH.
func DefaultDirs() []string {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			dirs = append(dirs, filepath.Dir(exe))
		}
	}
	if data := xdgDir("XDG_DATA_HOME", ".local", "share"); data != "" {
		dirs = append(dirs, filepath.Join(data, "dbos-cloud", "plugins"))
	}
	for _, d := range filepath.SplitList(os.Getenv("DBOS_CLOUD_PLUGIN_PATH")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// DefaultPath returns $XDG_CACHE_HOME/dbos-cloud/plugins.json (~/.cache when unset).
func DefaultPath() string {
	cache := xdgDir("XDG_CACHE_HOME", ".cache")
	if cache == "" {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "dbos-cloud", "plugins.json")
}

// xdgDir returns $env when it is an absolute path (the spec says to ignore relative
// ones), or the fallback under the home directory.
func xdgDir(env string, fallback ...string) string {
	if v := os.Getenv(env); filepath.IsAbs(v) {
		return v
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(append([]string{home}, fallback...)...)
}
