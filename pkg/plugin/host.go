package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

// Services is what the CLI lends plugins: tokens and account facts, and the update of
// an account's organization. Implementations must never return a refresh token.
type Services interface {
	Token(ctx context.Context, account string, minTTL time.Duration) (TokenInfo, error)
	SetOrganization(ctx context.Context, account, org string) error
}

// Host finds, describes and runs plugins for the CLI.
type Host struct {
	Dirs         []string // searched in order; see DefaultDirs
	ManifestPath string   // see DefaultManifestPath
	Services     Services
	Log          *slog.Logger // plugin logs arrive here at debug level; nil discards
	Stdout       io.Writer    // plugin output; nil means the app's Writer
	Stderr       io.Writer    // nil means the app's ErrWriter
	StartTimeout time.Duration
	CallTimeout  time.Duration

	// Stdin is the plugin's standard input (for `org join ORG -`); nil means os.Stdin.
	Stdin io.Reader
	// OnUsageError, if set, handles usage errors of plugin commands the way the CLI
	// handles its own; otherwise they print like urfave/cli's and exit ExitUsage.
	OnUsageError cli.OnUsageErrorFunc

	mu sync.Mutex
	m  *manifest // as of the last Commands call
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

// DefaultManifestPath returns $XDG_CACHE_HOME/dbos-cloud/plugins.json (~/.cache when
// unset).
func DefaultManifestPath() string {
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

// Commands returns the commands of every plugin found. Descriptions come from the
// manifest; only a plugin whose binary is new or changed size or modification time
// is started (and its new description saved). Plugins that fail are left out, and
// their errors returned joined alongside the commands of the others.
func (h *Host) Commands(ctx context.Context) ([]*cli.Command, error) {
	m, errs := h.refresh(ctx)

	var cmds []*cli.Command
	owner := map[string]string{} // command name or alias -> plugin
	for _, name := range sortedNames(m) {
		for _, c := range m.Plugins[name].desc.GetCommands() {
			if clash := claim(owner, name, c); clash != "" {
				errs = append(errs, &Error{Plugin: name, Err: fmt.Errorf(
					"command %q is already provided by plugin %q", c.GetName(), clash)})
				continue
			}
			cmds = append(cmds, h.buildCommand(name, nil, c))
		}
	}
	return cmds, errors.Join(errs...)
}

// claim records c's names as owned by plugin, unless one is taken already.
func claim(owner map[string]string, plugin string, c *pluginpb.Command) string {
	names := append([]string{c.GetName()}, c.GetAliases()...)
	for _, n := range names {
		if p, ok := owner[n]; ok {
			return p
		}
	}
	for _, n := range names {
		owner[n] = plugin
	}
	return ""
}

func sortedNames(m *manifest) []string {
	names := make([]string, 0, len(m.Plugins))
	for n := range m.Plugins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// refresh brings the manifest up to date with the binaries on disk.
func (h *Host) refresh(ctx context.Context) (*manifest, []error) {
	h.mu.Lock()
	defer h.mu.Unlock()

	m := loadManifest(h.manifestPath())
	var errs []error
	keep := map[string]*manifestEntry{}
	changed := false
	for _, b := range discover(h.dirs()) {
		e := m.Plugins[b.Name]
		if e == nil || !e.matches(b) {
			ne, err := h.describeBinary(ctx, b)
			changed = true
			if err != nil {
				errs = append(errs, err)
				continue
			}
			e = ne
		}
		keep[b.Name] = e
	}
	if len(keep) != len(m.Plugins) {
		changed = true
	}
	m.Plugins = keep

	if changed {
		h.saveLocked(m)
	}
	h.m = m
	return m, errs
}

// saveLocked writes the manifest; a failure only costs a re-describe next time.
func (h *Host) saveLocked(m *manifest) {
	if err := m.save(h.manifestPath()); err != nil && h.Log != nil {
		h.Log.Warn("cannot save plugin manifest", "err", err)
	}
}

// describeBinary hashes a binary, starts it with that checksum and asks for its
// description.
func (h *Host) describeBinary(ctx context.Context, b binary) (*manifestEntry, error) {
	sum, err := hashFile(b.Path)
	if err != nil {
		return nil, &Error{Plugin: b.Name, Err: fmt.Errorf("%w: %w", ErrMissing, err)}
	}
	s, err := h.start(ctx, b.Name, b.Path, sum)
	if err != nil {
		return nil, err
	}
	defer s.close()

	d, err := h.describe(ctx, s)
	if err != nil {
		return nil, err
	}
	e, err := newEntry(b, sum, d)
	if err != nil {
		return nil, &Error{Plugin: b.Name, Err: err}
	}
	return e, nil
}

func (h *Host) dirs() []string {
	if h.Dirs != nil {
		return h.Dirs
	}
	return DefaultDirs()
}

func (h *Host) manifestPath() string {
	if h.ManifestPath != "" {
		return h.ManifestPath
	}
	return DefaultManifestPath()
}
