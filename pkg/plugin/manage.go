package plugin

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// ManagementCommand returns `plugin list` and `plugin verify` (manifest.Management).
func (h *Host) ManagementCommand() *cli.Command {
	return manifest.Build("", manifest.Management(), func(
		c *cli.Context, _ string, path []string, _ *manifest.Command,
	) error {
		if path[len(path)-1] == "list" {
			return h.list(c)
		}
		return h.verify(c)
	}, h.OnUsageError)
}

type listed struct {
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	SHA256   string   `json:"sha256"`
	Summary  string   `json:"summary"`
	Commands []string `json:"commands"`
	Failed   string   `json:"failed,omitempty"` // why it could not be described
}

func (h *Host) list(c *cli.Context) error {
	m, errs := h.refresh(ctxOf(c))
	var out []listed
	for _, name := range m.Names() {
		e := m.Plugins[name]
		l := listed{Name: name, Path: e.Path, SHA256: e.SHA256, Commands: []string{},
			Failed: e.Failed}
		if e.Description != nil {
			l.Summary = e.Description.Summary
			for _, cmd := range e.Description.Commands {
				l.Commands = append(l.Commands, cmd.Name)
			}
		}
		out = append(out, l)
	}

	w := pick(h.Stdout, c.App.Writer)
	if c.Bool("json") {
		if out == nil {
			out = []listed{}
		}
		if err := json.NewEncoder(w).Encode(out); err != nil {
			return fmt.Errorf("print plugin list: %w", err)
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCOMMANDS\tSHA256\tPATH\tSUMMARY")
		for _, l := range out {
			cmds := strings.Join(l.Commands, ",")
			if l.Failed != "" {
				cmds = "FAILED: " + l.Failed
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.Name, cmds, shortSum(l.SHA256),
				l.Path, l.Summary)
		}
		_ = tw.Flush()
	}
	reportErrs(pick(h.Stderr, c.App.ErrWriter), errs)
	return nil
}

// shortSum abbreviates a hex checksum for the table; a plugin that failed has none.
func shortSum(sum string) string {
	switch {
	case sum == "":
		return "-"
	case len(sum) > 12:
		return sum[:12]
	}
	return sum
}

// verify re-hashes every binary. A binary that changed size or mtime was upgraded and
// is re-described; one whose content changed with neither is reported as tampered and
// kept out of the manifest unless --accept says the user trusts it. A plugin that
// failed when it was last started is started again, and fails verification if it
// fails again.
func (h *Host) verify(c *cli.Context) error {
	ctx := ctxOf(c)
	h.mu.Lock()
	defer h.mu.Unlock()

	m := manifest.Load(h.manifestPath())
	keep := map[string]*manifest.Entry{}
	w := pick(h.Stdout, c.App.Writer)
	failed := 0
	for _, b := range manifest.Discover(h.dirs()) {
		e, status, err := h.verifyOne(ctx, m.Plugins[b.Name], b, c.Bool("accept"))
		if err != nil {
			failed++
			status = "FAILED: " + manifest.OneLine(err.Error())
		}
		if e != nil {
			keep[b.Name] = e
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", b.Name, status, b.Path)
	}
	m.Plugins = keep
	h.saveLocked(m)
	h.m = m

	if failed > 0 {
		return cli.Exit(fmt.Sprintf("%d plugin(s) failed verification", failed),
			ExitPluginFailure)
	}
	return nil
}

// verifyOne returns the entry to keep for b (nil for none) and a status word. A
// plugin that failed before is started again: never "ok" without that.
func (h *Host) verifyOne(
	ctx context.Context, old *manifest.Entry, b manifest.Binary, accept bool,
) (*manifest.Entry, string, error) {
	sum, err := hashFile(b.Path)
	if err != nil {
		return nil, "", err
	}
	described := old != nil && !old.Broken()
	switch {
	case described && old.SHA256 == hex.EncodeToString(sum):
		e := *old
		e.Path, e.Size, e.ModTime = b.Path, b.Size, b.ModTime
		return &e, "ok", nil
	case old != nil && old.SHA256 != "" && old.Matches(b) && !accept:
		return tampered(old, b)
	}

	e, err := h.describeBinary(ctx, b)
	switch {
	case err != nil:
		return e, "", err // e records the failure, unless interrupted
	case old == nil:
		return e, "new, described", nil
	case !described:
		return e, "failed before, described", nil
	}
	return e, "changed, re-described", nil
}

// tampered refuses a binary whose content changed without a new size or modification
// time, which no upgrade does. It is remembered as failed with the checksum trusted
// before, so that neither help nor a later verify describes it (which would trust it)
// until it is reinstalled or the user says --accept.
func tampered(old *manifest.Entry, b manifest.Binary) (*manifest.Entry, string, error) {
	why := fmt.Errorf("%w: content of %s changed but not its size or modification time; "+
		"reinstall it or run \"dbos-cloud plugin verify --accept\"", ErrChecksumMismatch, b.Path)
	e := manifest.NewFailedEntry(b, why.Error())
	e.SHA256 = old.SHA256
	return e, "", &Error{Plugin: b.Name, Err: why}
}

func reportErrs(w io.Writer, errs []error) {
	for _, err := range errs {
		fmt.Fprintf(w, "warning: %v\n", err)
	}
}

func ctxOf(c *cli.Context) context.Context {
	if c.Context != nil {
		return c.Context
	}
	return context.Background()
}
