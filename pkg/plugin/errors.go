package plugin

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// Sentinels for the ways a plugin can fail; an *Error wraps one of them.
var (
	ErrChecksumMismatch = errors.New("checksum mismatch")
	ErrTimeout          = errors.New("timed out")
	ErrCrashed          = errors.New("crashed")
	ErrHandshake        = errors.New("failed the handshake")
	ErrMissing          = errors.New("binary not found")
)

// Error is a plugin that could not be run. It prints as one line naming the plugin
// and carries ExitPluginFailure as its exit code (urfave/cli's ExitCoder).
type Error struct {
	Plugin string // NAME of dbos-cloud-plugin-NAME
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("plugin %q: %v", e.Plugin, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// ExitCode implements cli.ExitCoder.
func (e *Error) ExitCode() int { return ExitPluginFailure }

// UsageError is a command line that does not fit a plugin command's description. It
// carries ExitUsage.
type UsageError = manifest.UsageError

// oneLine makes text from a plugin or from go-plugin safe to print as one line of an
// error: first line only, no control characters, bounded length.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
	if len(s) > manifest.MaxLineLen {
		s = s[:manifest.MaxLineLen] + "..."
	}
	return s
}
