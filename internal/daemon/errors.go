package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
	"github.com/dbos-go/dbos-cloud/pkg/tokens/keyringstore"
)

// wireError turns a token-manager error into an ipc.Error whose message names the
// fix. Messages are built from our own errors, which carry no secret (the manager
// scrubs login-service text before keeping it).
func (s *Service) wireError(err error, account string) error {
	login := fmt.Sprintf("run `dbos-cloud login --account %s`", account)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tokens.ErrInvalid):
		return ipc.NewError(ipc.CodeBadRequest, err.Error())
	case errors.Is(err, tokens.ErrNotFound):
		return ipc.NewError(ipc.CodeAccountNotFound,
			fmt.Sprintf("no account named %q is logged in; %s", account, login))
	case errors.Is(err, tokens.ErrLoginRequired):
		return ipc.NewError(ipc.CodeLoginRequired,
			fmt.Sprintf("%v; %s", err, login))
	case errors.Is(err, tokens.ErrUnavailable):
		return ipc.NewError(ipc.CodeIDPUnavailable,
			fmt.Sprintf("%v; the daemon retries with backoff, try again shortly", err))
	case errors.Is(err, tokens.ErrRecordDamaged):
		// The error names the item (and its file); the keyring itself works.
		return ipc.NewError(ipc.CodeKeyringUnavailable, fmt.Sprintf(
			"the stored login of account %q cannot be read: %v. It was left as it is; "+
				"%s to replace it, or `dbos-cloud logout --account %s` to remove it",
			account, err, login, account))
	case errors.Is(err, tokens.ErrKeyringLocked):
		return ipc.NewError(ipc.CodeKeyringUnavailable, lockedAdvice(s.store.Backend(), err))
	case errors.Is(err, tokens.ErrKeyringUnavailable):
		return ipc.NewError(ipc.CodeKeyringUnavailable, fmt.Sprintf(
			"%v; check that the %s keyring is reachable, or choose another backend with "+
				"keyring_backends in the config or DBOS_KEYRING_BACKEND", err, s.store.Backend()))
	case errors.Is(err, tokens.ErrClosed):
		return ipc.NewError(ipc.CodeInternal, "dbos-credd is shutting down; try again")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	s.log.Error("unexpected error", "account", account, "err", err)
	return err
}

// lockedAdvice says how to unlock a locked keyring of that backend. Only the file
// backend takes its password through dbos-credd; the others are unlocked by their
// own agent, which dbos-credd cannot do for them.
func lockedAdvice(backend string, err error) string {
	switch backend {
	case keyringstore.BackendFile:
		return fmt.Sprintf("the file keyring is locked (%v); run `dbos-cloud keyring unlock`, "+
			"or start dbos-credd with DBOS_KEYRING_PASSWORD_FILE", err)
	case keyringstore.BackendSecretService:
		return "the Secret Service keyring \"login\" is locked; unlock it by logging in to " +
			"the desktop session (or with its keyring manager, e.g. Seahorse), or without a " +
			"desktop with `gnome-keyring-daemon --unlock` (reads the password on stdin); " +
			"dbos-credd retries on the next request"
	case keyringstore.BackendKeychain:
		return "the macOS login keychain is locked; unlock it by logging in, or with " +
			"`security unlock-keychain`; dbos-credd retries on the next request"
	case keyringstore.BackendKWallet:
		return "the KDE wallet is closed; open it (KWallet Manager) and try again"
	}
	return fmt.Sprintf("the %s keyring is locked; unlock it with its own tool and try again",
		backend)
}
