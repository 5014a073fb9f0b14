package plugin

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

// run starts the plugin, runs one leaf command and always stops the plugin again.
func (h *Host) run(c *cli.Context, plugin string, path []string, leaf *manifest.Command) error {
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	globals := &pluginpb.Globals{Account: c.String("account"), Json: jsonWanted(c)}
	srv := &hostServer{
		services: h.Services,
		account:  globals.Account,
		stdout:   pick(h.Stdout, c.App.Writer),
		stderr:   pick(h.Stderr, c.App.ErrWriter),
	}
	ctx, cancelEarly := context.WithCancel(ctx)
	early := srv.fetchEarly(ctx)
	defer early.stop(cancelEarly)

	s, err := h.open(ctx, plugin, path, leaf)
	if err != nil {
		return err
	}
	defer s.close()

	req := &pluginpb.RunRequest{
		CommandPath: path,
		Args:        c.Args().Slice(),
		Flags:       manifest.FlagValues(c, leaf),
		Globals:     globals,
	}
	if ti, ok := early.ready(); ok {
		req.Token = tokenResponse(ti)
	}

	cctx, cancel := context.WithTimeout(ctx, h.callTimeout())
	defer cancel()
	resp, err := s.cc.run(cctx, req, srv)
	if err != nil {
		return h.callErr(ctx, s, "run", err)
	}
	return h.result(plugin, resp, srv)
}

// result maps the plugin's answer to what the CLI returns. When a host service failed
// during the run (say, the account needs a login), that error is returned as it is, so
// that the CLI reports it as it would for a built-in command.
func (h *Host) result(plugin string, resp *pluginpb.RunResponse, srv *hostServer) error {
	code := resp.GetExitCode()
	if code == 0 {
		return nil
	}
	if err := srv.serviceErr(); err != nil {
		return err
	}
	if code < 0 || code > 125 {
		return &Error{Plugin: plugin, Err: fmt.Errorf("%w: reported exit code %d",
			ErrCrashed, code)}
	}
	msg := manifest.OneLine(resp.GetMessage())
	if msg == "" {
		return cli.Exit("", int(code))
	}
	return cli.Exit(msg, int(code))
}

// open starts the plugin for a run of leaf, at path. If the binary changed size or
// modification time since it was described (an upgrade), it is hashed and re-described
// first, in the same process; a binary whose content changed without either is
// refused, and one that failed when it was last started is not started again.
func (h *Host) open(
	ctx context.Context, plugin string, path []string, leaf *manifest.Command,
) (*session, error) {
	h.mu.Lock()
	var e *manifest.Entry
	if h.m != nil {
		e = h.m.Plugins[plugin]
	}
	h.mu.Unlock()
	if e == nil {
		return nil, &Error{Plugin: plugin, Err: fmt.Errorf("%w: not in the manifest", ErrMissing)}
	}

	b, ok := manifest.Stat(plugin, e.Path)
	if !ok {
		return nil, &Error{Plugin: plugin, Err: fmt.Errorf("%w: %s", ErrMissing, e.Path)}
	}
	if !e.Matches(b) {
		return h.redescribe(ctx, b, path, leaf)
	}
	if e.Broken() {
		return nil, &Error{Plugin: plugin, Err: e.Failure()}
	}
	s, err := h.start(ctx, plugin, e.Path, e.Sum(), e.Verified)
	if err == nil && s.verified != nil {
		h.recordVerified(plugin, e, s.verified)
	}
	return s, err
}

// redescribe describes an upgraded binary and keeps it running for path. Its new
// entry is saved, a failed one too (see failedEntry). The command line was parsed
// against leaf, the old description: if the new one reads it otherwise, the run is
// refused rather than sent with flags the plugin no longer means.
func (h *Host) redescribe(
	ctx context.Context, b manifest.Binary, path []string, leaf *manifest.Command,
) (*session, error) {
	s, e, err := h.launchDescribed(ctx, b)
	if err != nil {
		if fe := failedEntry(ctx, b, err); fe != nil {
			h.update(b.Name, fe)
		}
		return nil, err
	}
	h.update(b.Name, e)

	switch now := manifest.Find(e.Description.Commands, path); {
	case now == nil:
		s.close()
		return nil, &Error{Plugin: b.Name, Err: fmt.Errorf("%w: the new binary has no command %q",
			ErrHandshake, path)}
	case !leaf.SameSyntax(now):
		s.close()
		return nil, &Error{Plugin: b.Name, Err: fmt.Errorf("%w: %q takes other flags or "+
			"arguments since the upgrade; run the command again", ErrUpgraded,
			strings.Join(path, " "))}
	}
	return s, nil
}

// recordVerified saves the stamp of plugin's binary that a launch just hashed, so
// that the next launches need not read it while it stays that version. A failed
// save costs only a hash next time.
func (h *Host) recordVerified(plugin string, e *manifest.Entry, st *manifest.Stamp) {
	ne := *e
	ne.Verified = st
	h.update(plugin, &ne)
}

func (h *Host) update(name string, e *manifest.Entry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m.Plugins[name] = e
	h.saveLocked(h.m)
}

func pick(w, fallback io.Writer) io.Writer {
	if w != nil {
		return w
	}
	return fallback
}

// jsonWanted reports whether --json was given anywhere on the command line: a
// command that defines its own --json shadows the global one in urfave's lookup, so
// `dbos-cloud --json org list` would otherwise print text.
func jsonWanted(c *cli.Context) bool {
	for _, lc := range c.Lineage() {
		if lc.Bool("json") {
			return true
		}
	}
	return false
}
