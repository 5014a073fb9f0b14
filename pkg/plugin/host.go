package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
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
	m  *manifest.Manifest // as of the last Commands call

	now func() time.Time // nil: time.Now; tests move it to settle stamps
}

// DefaultDirs returns where plugins are looked for; see manifest.DefaultDirs.
func DefaultDirs() []string { return manifest.DefaultDirs() }

// DefaultManifestPath returns where the manifest is kept; see manifest.DefaultPath.
func DefaultManifestPath() string { return manifest.DefaultPath() }

// Commands returns the commands of every plugin found. Descriptions come from the
// manifest; only a plugin whose binary is new or changed size or modification time
// is started (and its new description saved). Plugins that fail are left out, and
// their errors returned joined alongside the commands of the others.
func (h *Host) Commands(ctx context.Context) ([]*cli.Command, error) {
	m, errs := h.refresh(ctx)
	cmds, err := m.Commands(h.run, h.OnUsageError)
	if err != nil {
		errs = append(errs, err)
	}
	return cmds, errors.Join(errs...)
}

// refresh brings the manifest up to date with the binaries on disk.
func (h *Host) refresh(ctx context.Context) (*manifest.Manifest, []error) {
	h.mu.Lock()
	defer h.mu.Unlock()

	m := manifest.Load(h.manifestPath())
	var errs []error
	keep := map[string]*manifest.Entry{}
	changed := false
	for _, b := range manifest.Discover(h.dirs()) {
		e := m.Plugins[b.Name]
		if e == nil || !e.Matches(b) {
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
func (h *Host) saveLocked(m *manifest.Manifest) {
	if err := m.Save(h.manifestPath()); err != nil && h.Log != nil {
		h.Log.Warn("cannot save plugin manifest", "err", err)
	}
}

// describeBinary hashes a binary, starts it with that checksum and asks for its
// description.
func (h *Host) describeBinary(ctx context.Context, b manifest.Binary) (*manifest.Entry, error) {
	sum, err := hashFile(b.Path)
	if err != nil {
		return nil, &Error{Plugin: b.Name, Err: fmt.Errorf("%w: %w", ErrMissing, err)}
	}
	s, err := h.start(ctx, b.Name, b.Path, sum, nil)
	if err != nil {
		return nil, err
	}
	defer s.close()

	d, err := h.describe(ctx, s)
	if err != nil {
		return nil, err
	}
	e := manifest.NewEntry(b, sum, d)
	e.Verified = s.verified
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
