package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
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
	case errors.Is(err, tokens.ErrKeyringLocked):
		return ipc.NewError(ipc.CodeKeyringUnavailable, fmt.Sprintf(
			"the %s keyring is locked; run `dbos-cloud keyring unlock`, or start dbos-credd "+
				"with DBOS_KEYRING_PASSWORD_FILE", s.store.Backend()))
	case errors.Is(err, tokens.ErrKeyringUnavailable):
		return ipc.NewError(ipc.CodeKeyringUnavailable, fmt.Sprintf(
			"%v; check that the keyring service is running, or choose another backend with "+
				"keyring_backends in the config or DBOS_KEYRING_BACKEND", err))
	case errors.Is(err, tokens.ErrClosed):
		return ipc.NewError(ipc.CodeInternal, "dbos-credd is shutting down; try again")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	s.log.Error("unexpected error", "account", account, "err", err)
	return err
}
