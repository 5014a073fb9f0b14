package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/cloud"
	"github.com/dbos-go/dbos-cloud/pkg/plugin"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// tokenTTL is how long a token must stay valid for one API call.
const tokenTTL = time.Minute

type provider struct {
	stdin io.Reader // where `join ORG -` reads the secret
}

// run is one command's state: the account facts, the API client and the output.
type run struct {
	inv    plugin.Invocation
	facts  plugin.TokenInfo
	api    *cloud.Client
	host   *plugin.HostClient
	out    io.Writer
	errOut io.Writer
}

// Run implements plugin.Provider.
func (p *provider) Run(ctx context.Context, inv plugin.Invocation, host *plugin.HostClient) error {
	if len(inv.Path) != 2 || inv.Path[0] != "organization" {
		return &plugin.ExitError{Code: plugin.ExitUsage,
			Message: fmt.Sprintf("unknown command %q", strings.Join(inv.Path, " "))}
	}

	// The token service's facts are fresh (the host checked the profile), so the
	// organization is the account's current one, as the official CLI's profile GET.
	facts, err := host.Token(ctx, inv.Account, tokenTTL)
	if err != nil {
		return err
	}
	r := &run{inv: inv, facts: facts, host: host, out: host.Stdout(), errOut: host.Stderr()}
	r.api = &cloud.Client{
		BaseURL:   facts.APIURL,
		UserAgent: "dbos-cloud-plugin-org",
		Token: func(ctx context.Context) (secret.Token, error) {
			t, err := host.Token(ctx, inv.Account, tokenTTL)
			return t.AccessToken, err
		},
	}

	switch inv.Path[1] {
	case "invite":
		return r.invite(ctx)
	case "list":
		return r.list(ctx)
	case "join":
		return r.join(ctx, p.stdin)
	case "rename":
		return r.rename(ctx)
	case "remove":
		return r.remove(ctx)
	}
	return &plugin.ExitError{Code: plugin.ExitUsage,
		Message: fmt.Sprintf("unknown command %q", strings.Join(inv.Path, " "))}
}

// org is the account's current organization; commands other than join act on it.
func (r *run) org() (string, error) {
	if r.facts.Organization == "" {
		return "", &plugin.ExitError{Code: plugin.ExitFailure,
			Message: "this account belongs to no organization yet; register first"}
	}
	return r.facts.Organization, nil
}

func (r *run) invite(ctx context.Context) error {
	org, err := r.org()
	if err != nil {
		return err
	}
	sec, err := r.api.InviteSecret(ctx, org)
	if err != nil {
		return apiFailure("Failed to retrieve invite secret for organization "+org, err)
	}

	// The secret is this command's output: the user asked for it to hand it on.
	if r.inv.JSON {
		return r.printJSON(sec.Reveal())
	}
	_, err = fmt.Fprintf(r.out, "To invite a user to your organization, %s, give them this "+
		"single-use secret:\n%s\n\nIt is valid for 24 hours. A new user registers with it:\n"+
		"  dbos-cloud register -u USERNAME -s -\nand an existing user joins with:\n"+
		"  dbos-cloud org join %s -\n(both read the secret from standard input)\n",
		org, sec.Reveal(), org)
	return err
}

func (r *run) list(ctx context.Context) error {
	org, err := r.org()
	if err != nil {
		return err
	}
	users, err := r.api.ListUsers(ctx, org)
	if err != nil {
		return apiFailure("Failed to retrieve users for organization "+org, err)
	}

	if r.inv.JSON {
		if users.UserNames == nil {
			users.UserNames = []string{}
		}
		return r.printJSON(users)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Users in organization %s:\n", org)
	for _, u := range users.UserNames {
		fmt.Fprintln(&b, u)
	}
	_, err = io.WriteString(r.out, b.String())
	return err
}

func (r *run) join(ctx context.Context, stdin io.Reader) error {
	org, arg := r.inv.Args[0], r.inv.Args[1]
	sec := secret.New(arg)
	if arg == "-" {
		var err error
		if sec, err = readSecret(stdin); err != nil {
			return err
		}
	}
	if err := r.api.JoinOrg(ctx, org, sec); err != nil {
		return apiFailure("Failed to join organization "+org, err)
	}

	r.setOrganization(ctx, org)
	_, err := fmt.Fprintf(r.out, "Successfully joined organization %s.\n", org)
	return err
}

func (r *run) rename(ctx context.Context) error {
	oldName, newName := r.inv.Args[0], r.inv.Args[1]
	cur, err := r.org()
	if err != nil {
		return err
	}
	if oldName != cur {
		return &plugin.ExitError{Code: plugin.ExitFailure, Message: fmt.Sprintf(
			"You are currently authenticated to organization %s, but you are trying to "+
				"rename %s. Please log in to the correct organization.", cur, oldName)}
	}
	if err := r.api.RenameOrg(ctx, oldName, newName); err != nil {
		return apiFailure("Failed to rename organization "+oldName, err)
	}

	r.setOrganization(ctx, newName)
	host := appHost(r.facts.APIURL)
	_, err = fmt.Fprintf(r.out, "Successfully renamed organization %s to %s.\n"+
		"Application URLs change from https://%s-<app>.%s/ to https://%s-<app>.%s/.\n",
		oldName, newName, oldName, host, newName, host)
	return err
}

func (r *run) remove(ctx context.Context) error {
	user := r.inv.Args[0]
	org, err := r.org()
	if err != nil {
		return err
	}
	if err := r.api.RemoveUser(ctx, org, user); err != nil {
		return apiFailure(fmt.Sprintf("Failed to remove %s from organization %s", user, org), err)
	}
	_, err = fmt.Fprintf(r.out, "Successfully removed %s from organization %s\n", user, org)
	return err
}

// setOrganization updates the account's stored organization after a rename or join.
// The change on the server has happened either way, so a failure here only warns.
func (r *run) setOrganization(ctx context.Context, org string) {
	if err := r.host.SetOrganization(ctx, r.facts.Account, org); err != nil {
		fmt.Fprintf(r.errOut, "warning: the organization changed, but the stored account "+
			"was not updated (%v); log in again before the next command\n", err)
	}
}

func (r *run) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	_, err = r.out.Write(append(b, '\n'))
	return err
}

// apiFailure formats an API error as the official CLI does, "[requestID] label:
// message.", with ExitAPI; other failures (the network) keep exit code 1.
func apiFailure(label string, err error) error {
	var ae *cloud.APIError
	if !errors.As(err, &ae) {
		return &plugin.ExitError{Code: plugin.ExitFailure, Message: label + ": " + err.Error()}
	}
	msg := strings.TrimSuffix(ae.Message, ".")
	if ae.RequestID == "" {
		return &plugin.ExitError{Code: plugin.ExitAPI, Message: label + ": " + msg + "."}
	}
	return &plugin.ExitError{Code: plugin.ExitAPI,
		Message: fmt.Sprintf("[%s] %s: %s.", ae.RequestID, label, msg)}
}

// appHost is the host applications are served under: the API's host.
func appHost(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return cloud.DefaultDomain
	}
	return u.Host
}

// readSecret reads one line from standard input.
func readSecret(stdin io.Reader) (secret.Token, error) {
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return secret.Token{}, fmt.Errorf("read secret from standard input: %w", err)
	}
	tok := secret.New(strings.TrimSpace(line))
	if tok.IsZero() {
		return secret.Token{}, &plugin.ExitError{Code: plugin.ExitUsage,
			Message: "no secret on standard input"}
	}
	return tok, nil
}
