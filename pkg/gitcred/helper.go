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
	if ans.Username == "" {
		ans.Username = acct.Name
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
