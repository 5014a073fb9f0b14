package gitcred

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Account is what a Backend knows of one logged-in account.
type Account struct {
	Name    string
	APIURL  string
	User    string
	Default bool
}

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

// match finds the account for the request's protocol and host. When several
// accounts share a host, the one whose user git names wins, then the default
// account, then the first by name.
func match(ctx context.Context, b Backend, req *Request) (Account, bool, error) {
	if req.Protocol == "" || req.Host == "" {
		return Account{}, false, nil
	}
	want := normalHost(req.Protocol, req.Host)

	accts, err := b.Accounts(ctx)
	if err != nil {
		return Account{}, false, err
	}
	var found []Account
	for _, a := range accts {
		u, err := url.Parse(a.APIURL)
		if err != nil || !strings.EqualFold(u.Scheme, req.Protocol) {
			continue
		}
		if normalHost(u.Scheme, u.Host) == want {
			found = append(found, a)
		}
	}
	if len(found) == 0 {
		return Account{}, false, nil
	}

	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	for _, a := range found {
		if req.Username != "" && a.User == req.Username {
			return a, true, nil
		}
	}
	for _, a := range found {
		if a.Default {
			return a, true, nil
		}
	}
	return found[0], true, nil
}

// normalHost lower-cases a host and drops a trailing dot and the scheme's default
// port, so that cloud.dbos.dev, CLOUD.DBOS.DEV. and cloud.dbos.dev:443 are one host.
func normalHost(scheme, host string) string {
	host = strings.ToLower(host)
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	name = strings.TrimSuffix(name, ".")

	switch {
	case port == "443" && strings.EqualFold(scheme, "https"),
		port == "80" && strings.EqualFold(scheme, "http"):
		port = ""
	}
	if port == "" {
		if strings.Contains(name, ":") {
			return "[" + strings.Trim(name, "[]") + "]"
		}
		return name
	}
	return net.JoinHostPort(name, port)
}
