package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/oauth"
)

// Exit codes; see the package documentation.
const (
	ExitOK                = 0
	ExitFailure           = 1
	ExitUsage             = 2
	ExitLoginRequired     = 3
	ExitUnknownAccount    = 4
	ExitDaemonUnavailable = 5
	ExitUnreachable       = 6
	ExitKeyring           = 7
	ExitRefused           = 8
	ExitPlugin            = 9
	ExitBadInput          = 10
	ExitInterrupted       = 130
)

// Sentinels for failures the CLI itself detects.
var (
	// ErrUsage: the command line is wrong (unknown command or flag, missing argument).
	ErrUsage = errors.New("usage error")
	// ErrBadInput: a value given by the user is malformed (token, username, file).
	ErrBadInput = errors.New("bad input")
	// ErrPlugin: a plugin crashed, hung or spoke the wrong protocol. Plugin hosts wrap
	// their failures with it so that they exit with ExitPlugin.
	ErrPlugin = errors.New("plugin failure")
	// ErrNoPluginHost: Deps.PluginExec found no plugin host binary.
	ErrNoPluginHost = errors.New("plugin host not installed")
	// ErrLoginRequired: there is no usable login for the account.
	ErrLoginRequired = errors.New("login required")
)

// Error is a failure with the exit code it maps to and a hint that names the fix.
// It implements urfave/cli's ExitCoder.
type Error struct {
	Code int
	Err  error
	// Msg, when set, is printed instead of Err's text (Err stays the cause).
	Msg string
	// Hint is appended to the message, e.g. "run: dbos-cloud login".
	Hint string
}

// Error implements error.
func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Err.Error()
	}
	if e.Hint == "" {
		return msg
	}
	return msg + "; " + e.Hint
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ExitCode implements cli.ExitCoder.
func (e *Error) ExitCode() int { return e.Code }

// Is makes an *Error with ExitUsage, ExitBadInput or ExitLoginRequired match
// ErrUsage, ErrBadInput or ErrLoginRequired.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUsage:
		return e.Code == ExitUsage
	case ErrBadInput:
		return e.Code == ExitBadInput
	case ErrLoginRequired:
		return e.Code == ExitLoginRequired
	}
	return false
}

// usageErrorf returns an error that exits with ExitUsage.
func usageErrorf(format string, args ...any) error {
	return &Error{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// badInputf returns an error that exits with ExitBadInput.
func badInputf(format string, args ...any) error {
	return &Error{Code: ExitBadInput, Err: fmt.Errorf(format, args...)}
}

// loginRequired builds the exit-3 error for account, naming the login command. A
// daemon message that already names the fix is printed as it is.
func loginRequired(account string, cause error) error {
	if daemonSaysFix(cause) {
		return &Error{Code: ExitLoginRequired, Err: cause}
	}
	if cause == nil {
		cause = ErrLoginRequired
	}
	return &Error{
		Code: ExitLoginRequired,
		Err:  fmt.Errorf("account %q: %w", account, cause),
		Hint: "run: " + loginCommand(account),
	}
}

// daemonSaysFix reports whether err carries a daemon message that names the
// command to run.
func daemonSaysFix(err error) bool {
	var ie *ipc.Error
	return errors.As(err, &ie) && strings.Contains(ie.Message, "dbos-cloud ")
}

// loginCommand is the command that logs account in.
func loginCommand(account string) string {
	if account == "" || account == DefaultAccountName {
		return "dbos-cloud login"
	}
	return "dbos-cloud login --account " + account
}

// ExitCode maps err to the process exit code. An *Error carries its own code; other
// errors are classified by the sentinels of the packages the CLI calls.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	// Plugin failures and urfave's own exit errors carry their code.
	if ec, ok := errors.AsType[cli.ExitCoder](err); ok && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	var api *cloud.APIError
	switch {
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, ErrUsage):
		return ExitUsage
	case errors.Is(err, ErrBadInput), errors.Is(err, cloud.ErrInvalidUsername):
		return ExitBadInput
	case errors.Is(err, ErrPlugin):
		return ExitPlugin
	case errors.Is(err, ipc.ErrLoginRequired), errors.Is(err, ErrLoginRequired),
		errors.Is(err, oauth.ErrInvalidGrant), errors.Is(err, cloud.ErrUnauthorized):
		return ExitLoginRequired
	case errors.Is(err, ipc.ErrAccountNotFound):
		return ExitUnknownAccount
	case errors.Is(err, ipc.ErrDaemonUnavailable):
		return ExitDaemonUnavailable
	case errors.Is(err, ipc.ErrKeyringUnavailable):
		return ExitKeyring
	case errors.Is(err, ipc.ErrIDPUnavailable), errors.Is(err, oauth.ErrUnavailable),
		errors.Is(err, cloud.ErrUnavailable):
		return ExitUnreachable
	case errors.As(err, &api) && api.Status >= 400 && api.Status < 500:
		return ExitRefused
	case errors.Is(err, ipc.ErrBadRequest):
		return ExitBadInput
	}
	return ExitFailure
}

// refused formats an API refusal as the official CLI does, "[requestID] label:
// message", and keeps the cause for ExitCode. Other errors get the label as a prefix.
func refused(label string, err error) error {
	var api *cloud.APIError
	if errors.As(err, &api) && api.RequestID != "" {
		msg := strings.TrimSuffix(api.Message, ".")
		return &Error{Code: ExitCode(err), Err: err,
			Msg: fmt.Sprintf("[%s] %s: %s", api.RequestID, label, msg)}
	}
	return fmt.Errorf("%s: %w", label, err)
}

// message is the one line printed for err.
func message(err error) string {
	s := err.Error()
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ")
}
