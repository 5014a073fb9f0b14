package plugin

import (
	"errors"
	"fmt"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// Sentinels for the ways a plugin can fail; an *Error wraps one of them.
var (
	ErrChecksumMismatch = errors.New("checksum mismatch")
	ErrTimeout          = errors.New("timed out")
	ErrCrashed          = errors.New("crashed")
	ErrHandshake        = errors.New("failed the handshake")
	ErrMissing          = errors.New("binary not found")
	ErrUpgraded         = errors.New("upgraded while the command started")

	// ErrFailedBefore is a plugin that failed when it was last started and has not
	// changed since: it is not started again until its binary changes or
	// `plugin verify` retries it.
	ErrFailedBefore = manifest.ErrFailedBefore
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
