package gitcred

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/cloud/apihost"
)

// Account is what a Backend knows of one logged-in account.
type Account = apihost.Account

// Backend is where answers come from.
type Backend interface {
	// Accounts lists the accounts whose hosts may be answered for.
	Accounts(ctx context.Context) ([]Account, error)
	// Token returns an access token for the account, with at least minTTL left.
	Token(ctx context.Context, account string, minTTL time.Duration) (Answer, error)
	// Forget drops the account's cached access token; the login stays.
	Forget(ctx context.Context, account string) error
}

// HostBackend is a Backend that can also pick the account for a host itself, so
// that get takes one request instead of a listing and a token fetch.
type HostBackend interface {
	Backend
	// TokenForHost returns a token, with at least minTTL left, for the account that
	// answers for protocol://host by apihost.Match's rules (user is the user name
	// git gave, if any), and that account's name. ok is false when no account has
	// the host. An error matching errors.ErrUnsupported means the backend cannot
	// pick (an older daemon): Serve then lists the accounts and matches itself.
	TokenForHost(ctx context.Context, protocol, host, user string, minTTL time.Duration) (
		ans Answer, account string, ok bool, err error)
}

// ErrUnknownOperation reports an operation other than get, store and erase.
var ErrUnknownOperation = errors.New("unknown credential operation")

// MinTTL is the least lifetime a token handed to git has left, so that a clone or
// push that starts now does not see its password expire half-way.
const MinTTL = 5 * time.Minute

// Serve runs one helper invocation: op is git's argument (get, store or erase), in
// the description git writes. For get, an answer is written to out when an account
// matches; otherwise nothing, so git asks its next helper. store is accepted and
// ignored: this helper's tokens come from a login, never from git.
func Serve(ctx context.Context, op string, in io.Reader, out io.Writer, b Backend) error {
	switch op {
	case "get", "store", "erase":
	default:
		return fmt.Errorf("%w %q: git calls helpers with get, store or erase", ErrUnknownOperation, op)
	}

	req, err := Parse(in)
	if err != nil {
		return err
	}
	if op == "store" {
		return nil
	}

	if hb, isHost := b.(HostBackend); isHost && op == "get" && req.Protocol != "" && req.Host != "" {
		ans, name, ok, err := hb.TokenForHost(ctx, req.Protocol, req.Host, req.Username, MinTTL)
		if !errors.Is(err, errors.ErrUnsupported) {
			if err != nil || !ok {
				return err
			}
			return answer(out, ans, name)
		}
	}

	acct, ok, err := match(ctx, b, req)
	if err != nil || !ok {
		return err
	}
	if op == "erase" {
		return b.Forget(ctx, acct.Name)
	}

	ans, err := b.Token(ctx, acct.Name, MinTTL)
	if err != nil {
		return err
	}
	return answer(out, ans, acct.Name)
}

// answer writes ans, with the account's name as the user name when the account
// has no user name.
func answer(out io.Writer, ans Answer, account string) error {
	if ans.Username == "" {
		ans.Username = account
	}
	return ans.Write(out)
}

// match finds the account for the request's protocol and host by
// apihost.Match's rules, which the daemon applies too.
func match(ctx context.Context, b Backend, req *Request) (Account, bool, error) {
	if req.Protocol == "" || req.Host == "" {
		return Account{}, false, nil
	}
	accts, err := b.Accounts(ctx)
	if err != nil {
		return Account{}, false, err
	}
	a, ok := apihost.Match(accts, req.Protocol, req.Host, req.Username)
	return a, ok, nil
}
