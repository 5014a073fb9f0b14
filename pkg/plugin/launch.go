package plugin

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// Default bounds, used when Host leaves them zero.
const (
	DefaultStartTimeout = 10 * time.Second
	DefaultCallTimeout  = 2 * time.Minute
)

// session is one started plugin process.
type session struct {
	name   string
	client *goplugin.Client
	cc     *commandsClient
}

// close stops the plugin process and waits for it. Every session is closed on every
// path, so that no plugin outlives the command that started it.
func (s *session) close() { s.client.Kill() }

// start launches the plugin binary at path after checking that its SHA-256 is sum.
// The process is tied to ctx: when ctx ends (Ctrl-C), the process is killed.
func (h *Host) start(ctx context.Context, name, path string, sum []byte) (*session, error) {
	var sockDir string
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          goplugin.PluginSet{pluginKey: &grpcPlugin{}},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		StartTimeout:     h.startTimeout(),
		SkipHostEnv:      true,
		Logger:           hclogger(h.Log, name),
		// go-plugin makes a private 0700 directory for both sides' sockets (the
		// plugin's listener and the broker's) and removes it on Kill. No AutoMTLS:
		// the directory keeps other users out at a fraction of the launch cost.
		UnixSocketConfig: &goplugin.UnixSocketConfig{},
		RunnerFunc: func(_ hclog.Logger, spec *exec.Cmd, dir string) (runner.Runner, error) {
			sockDir = dir
			return h.newRunner(ctx, path, sum, spec.Env)
		},
	})
	s := &session{name: name, client: client}

	rpc, err := client.Client()
	if err != nil {
		s.close()
		if sockDir != "" {
			_ = os.RemoveAll(sockDir) // Kill skips it when the process never started
		}
		return nil, &Error{Plugin: name, Err: h.startErr(ctx, err)}
	}
	raw, err := rpc.Dispense(pluginKey)
	if err != nil {
		s.close()
		return nil, &Error{Plugin: name, Err: fmt.Errorf("%w: %s", ErrHandshake, oneLine(err.Error()))}
	}
	s.cc = raw.(*commandsClient)
	return s, nil
}

// newRunner checks the binary's checksum with go-plugin's SecureConfig, then prepares
// the process with a minimal environment.
func (h *Host) newRunner(
	ctx context.Context, path string, sum []byte, pluginEnv []string,
) (runner.Runner, error) {
	sc := &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	ok, err := sc.Check(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissing, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s changed since it was described; run "+
			"\"dbos-cloud plugin verify\"", ErrChecksumMismatch, path)
	}

	cmd := exec.CommandContext(ctx, path)
	cmd.Env = append(minimalEnv(os.Environ()), pluginEnv...)
	cmd.Stdin = h.Stdin
	if cmd.Stdin == nil {
		cmd.Stdin = os.Stdin
	}
	// A Stdin that is not a file is copied by a goroutine that Wait would otherwise
	// wait for forever if the reader never ends.
	cmd.WaitDelay = time.Second
	setParentDeathSignal(cmd)
	return newProcRunner(cmd)
}

// startErr turns go-plugin's start errors, which are free text, into one line with a
// sentinel.
func (h *Host) startErr(ctx context.Context, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, ErrChecksumMismatch), errors.Is(err, ErrMissing):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%w: interrupted while starting: %w", ErrCrashed, ctx.Err())
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("%w: did not start within %v", ErrTimeout, h.startTimeout())
	case strings.Contains(msg, "plugin exited before we could connect"),
		strings.Contains(msg, "Failed to read any lines from plugin's stdout"):
		return fmt.Errorf("%w: exited before the handshake", ErrCrashed)
	}
	return fmt.Errorf("%w: %s", ErrHandshake, oneLine(msg))
}

// callErr classifies an RPC failure: the CLI was interrupted, the call timed out, or
// the process died.
func (h *Host) callErr(ctx context.Context, s *session, what string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted during %s: %w", what, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "DeadlineExceeded"):
		return &Error{Plugin: s.name, Err: fmt.Errorf("%w: %s did not answer within %v",
			ErrTimeout, what, h.callTimeout())}
	case s.client.Exited():
		return &Error{Plugin: s.name, Err: fmt.Errorf("%w during %s", ErrCrashed, what)}
	}
	return &Error{Plugin: s.name, Err: fmt.Errorf("%w: %s: %s", ErrCrashed, what,
		oneLine(err.Error()))}
}

// describe asks a started plugin for its description and validates it.
func (h *Host) describe(ctx context.Context, s *session) (*manifest.Description, error) {
	cctx, cancel := context.WithTimeout(ctx, h.callTimeout())
	defer cancel()

	d, err := s.cc.describe(cctx)
	if err != nil {
		return nil, h.callErr(ctx, s, "describe", err)
	}
	md := fromProto(d)
	if err := md.Validate(); err != nil {
		return nil, &Error{Plugin: s.name, Err: err}
	}
	return md, nil
}

func (h *Host) startTimeout() time.Duration {
	if h.StartTimeout > 0 {
		return h.StartTimeout
	}
	return DefaultStartTimeout
}

func (h *Host) callTimeout() time.Duration {
	if h.CallTimeout > 0 {
		return h.CallTimeout
	}
	return DefaultCallTimeout
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
