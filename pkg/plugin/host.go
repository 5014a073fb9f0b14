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
// their errors returned joined alongside the commands of the others. A plugin that
// failed is remembered as failed, and not started again until its binary changes or
// `plugin verify` retries it: each call reports it once, with ErrFailedBefore.
func (h *Host) Commands(ctx context.Context) ([]*cli.Command, error) {
	m, errs := h.refresh(ctx)
	cmds, err := m.Commands(h.run, h.OnUsageError)
	if err != nil {
		errs = append(errs, err)
	}
	return cmds, errors.Join(errs...)
}

// refresh brings the manifest up to date with the binaries on disk. It returns one
// error for each plugin that failed, now or (unchanged since) before.
func (h *Host) refresh(ctx context.Context) (*manifest.Manifest, []error) {
	h.mu.Lock()
	defer h.mu.Unlock()

	m := manifest.Load(h.manifestPath())
	var errs []error
	keep := map[string]*manifest.Entry{}
	changed := false
	for _, b := range manifest.Discover(h.dirs()) {
		e := m.Plugins[b.Name]
		switch {
		case e == nil || !e.Matches(b):
			ne, err := h.describeBinary(ctx, b)
			changed = true
			if err != nil {
				errs = append(errs, err)
			}
			if ne == nil {
				continue
			}
			e = ne
		case e.Broken():
			errs = append(errs, &Error{Plugin: b.Name, Err: e.Failure()})
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
// description. When that fails, it returns the error and a failed entry for the
// manifest (see failedEntry).
func (h *Host) describeBinary(ctx context.Context, b manifest.Binary) (*manifest.Entry, error) {
	s, e, err := h.launchDescribed(ctx, b)
	if err != nil {
		return failedEntry(ctx, b, err), err
	}
	s.close()
	return e, nil
}

// launchDescribed hashes a binary, starts it with that checksum and asks for its
// description, leaving the plugin running for the caller to use and close.
func (h *Host) launchDescribed(
	ctx context.Context, b manifest.Binary,
) (*session, *manifest.Entry, error) {
	sum, err := hashFile(b.Path)
	if err != nil {
		return nil, nil, &Error{Plugin: b.Name, Err: fmt.Errorf("%w: %w", ErrMissing, err)}
	}
	s, err := h.start(ctx, b.Name, b.Path, sum, nil)
	if err != nil {
		return nil, nil, err
	}

	d, err := h.describe(ctx, s)
	if err != nil {
		s.close()
		return nil, nil, err
	}
	e := manifest.NewEntry(b, sum, d)
	e.Verified = s.verified
	return s, e, nil
}

// failedEntry records that b could not be described, with err's text short of the
// plugin's name, so that help does not start a broken plugin again at every run. It
// returns nil when ctx ended (Ctrl-C), which says nothing about the plugin.
func failedEntry(ctx context.Context, b manifest.Binary, err error) *manifest.Entry {
	if ctx.Err() != nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) && pe.Err != nil {
		err = pe.Err
	}
	return manifest.NewFailedEntry(b, err.Error())
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
