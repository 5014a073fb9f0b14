package plugin

import (
	"bytes"
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
	runner *procRunner // nil until go-plugin asked for it

	// verified is the stamp of a binary this launch hashed and found right, for the
	// manifest; nil when the hash was skipped or the stamp is not settled.
	verified *manifest.Stamp
}

// close stops the plugin process and waits for it. Every session is closed on every
// path, so that no plugin outlives the command that started it.
//
// The process is killed at once rather than asked to shut down: by the time a
// session is closed its calls have returned, and everything a plugin prints reached
// the host through synchronous Output calls, so there is nothing left for it to do.
// go-plugin's graceful shutdown cost about 10 ms per command here. Kill then finds
// the connection gone and only reaps the process and removes the socket directory.
func (s *session) close() {
	if s.runner != nil {
		_ = s.runner.Kill(context.Background())
	}
	s.client.Kill()
}

// start launches the plugin binary at path after checking that its SHA-256 is sum
// (see binFile.check for known). The process is tied to ctx: when ctx ends (Ctrl-C),
// the process is killed.
func (h *Host) start(
	ctx context.Context, name, path string, sum []byte, known *manifest.Stamp,
) (*session, error) {
	var sockDir string
	s := &session{name: name}
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
			r, err := h.newRunner(ctx, path, sum, known, spec.Env)
			if err != nil {
				return nil, err // not a nil *procRunner in a non-nil interface
			}
			s.runner = r
			return r, nil
		},
	})
	s.client = client

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
		return nil, &Error{Plugin: name, Err: fmt.Errorf("%w: %s", ErrHandshake,
			manifest.OneLine(err.Error()))}
	}
	s.cc = raw.(*commandsClient)
	if s.runner != nil && s.runner.bin != nil {
		s.verified = s.runner.bin.verified
	}
	return s, nil
}

// newRunner checks the binary's SHA-256 on an open file and prepares the process to
// be started from that very file, with a minimal environment: what runs is what was
// hashed, even if the path is replaced in between (see binFile).
func (h *Host) newRunner(
	ctx context.Context, path string, sum []byte, known *manifest.Stamp, pluginEnv []string,
) (*procRunner, error) {
	bin, err := openVerified(path, sum, known, h.clock())
	if err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, path)
	bin.prepare(cmd)
	cmd.Env = append(minimalEnv(os.Environ()), pluginEnv...)
	cmd.Stdin = h.Stdin
	if cmd.Stdin == nil {
		cmd.Stdin = os.Stdin
	}
	// A Stdin that is not a file is copied by a goroutine that Wait would otherwise
	// wait for forever if the reader never ends.
	cmd.WaitDelay = time.Second
	setParentDeathSignal(cmd)
	r, err := newProcRunner(cmd)
	if err != nil {
		_ = bin.f.Close()
		return nil, err
	}
	r.bin = bin
	return r, nil
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
	return fmt.Errorf("%w: %s", ErrHandshake, manifest.OneLine(msg))
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
		manifest.OneLine(err.Error()))}
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

func (h *Host) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
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
	return hashOpen(f)
}

// hashOpen hashes f from where it is, in large reads (the binaries are megabytes).
func hashOpen(f *os.File) ([]byte, error) {
	h := sha256.New()
	// The struct hides f's WriterTo, which would read in small pieces.
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 1<<20)); err != nil {
		return nil, fmt.Errorf("hash %s: %w", f.Name(), err)
	}
	return h.Sum(nil), nil
}

// stampSettle is how old a file's change time must be before its stamp may stand for
// a hash. File times come from a coarse clock, so a write in the same tick as the
// hash's last read could leave the change time as it was; a stamp older than any tick
// cannot be repeated by a later write (unless the clock is set back this far).
const stampSettle = 2 * time.Second

// binFile is a plugin binary opened for one launch and checked against its checksum.
// The process is started from the open file where the system allows (Linux:
// /proc/self/fd), so that replacing the path after the check changes nothing; a write
// to the file itself between the check and the start changes its stamp, which
// started compares afterwards (once running, the kernel refuses writes to it).
type binFile struct {
	f     *os.File
	stamp manifest.Stamp

	// verified is set when this launch hashed the file, found the checksum, and the
	// stamp is settled: the host records it, and later launches trust it.
	verified *manifest.Stamp
}

// openVerified opens path and checks that it is the binary whose SHA-256 is sum.
func openVerified(path string, sum []byte, known *manifest.Stamp, now time.Time) (*binFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissing, err)
	}
	b := &binFile{f: f}
	got, err := b.check(sum, known, now)
	if err != nil || !got {
		_ = f.Close()
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrMissing, err)
	case !got:
		return nil, fmt.Errorf("%w: %s changed since it was described; run "+
			"\"dbos-cloud plugin verify\"", ErrChecksumMismatch, path)
	}
	return b, nil
}

// check reports whether the file's SHA-256 is sum. A file whose stamp is known, the
// stamp of a version that an earlier launch hashed and found right, is that version
// still and is not read again: git trusts its index's stat data the same way. Hashing
// a 14 MB plugin took 10–20 ms here, more than a whole bare go-plugin launch (12 ms).
func (b *binFile) check(sum []byte, known *manifest.Stamp, now time.Time) (bool, error) {
	fi, err := b.f.Stat()
	if err != nil {
		return false, err
	}
	stamp, exact := stampOf(fi)
	b.stamp = stamp
	if exact && known != nil && *known == stamp {
		return true, nil
	}

	got, err := hashOpen(b.f)
	if err != nil || !bytes.Equal(got, sum) {
		return false, err
	}
	if exact && now.Sub(time.Unix(0, stamp.Ctime)) > stampSettle {
		b.verified = &stamp
	}
	return true, nil
}

// started is called once the process runs: it closes the file and reports a write
// that happened after the check.
func (b *binFile) started() error {
	defer func() { _ = b.f.Close() }()
	if fi, err := b.f.Stat(); err == nil {
		if st, _ := stampOf(fi); st == b.stamp {
			return nil
		}
	}
	return fmt.Errorf("%w: %s was written to while it was being started",
		ErrChecksumMismatch, b.f.Name())
}
