package apihost

import (
	"net"
	"net/url"
	"sort"
	"strings"
)

// Account is what matching needs to know of one account.
type Account struct {
	Name string
	// APIURL is the account's API base, e.g. https://cloud.dbos.dev.
	APIURL string
	// User is the account's DBOS Cloud user name, if known.
	User    string
	Default bool
}

// Match picks the account that answers for protocol://host, as git names them.
// The scheme must be equal (ignoring case) and the hosts equal in Normal form.
// When several accounts share the host, the one whose User equals user wins, then
// the default account, then the first by name. ok is false when protocol or host
// is empty or no account has that host.
func Match(accts []Account, protocol, host, user string) (_ Account, ok bool) {
	if protocol == "" || host == "" {
		return Account{}, false
	}
	want := Normal(protocol, host)
	var found []Account
	for _, a := range accts {
		u, err := url.Parse(a.APIURL)
		if err != nil || !strings.EqualFold(u.Scheme, protocol) {
			continue
		}
		if Normal(u.Scheme, u.Host) == want {
			found = append(found, a)
		}
	}
	if len(found) == 0 {
		return Account{}, false
	}

	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	for _, a := range found {
		if user != "" && a.User == user {
			return a, true
		}
	}
	for _, a := range found {
		if a.Default {
			return a, true
		}
	}
	return found[0], true
}

// Normal lower-cases a host and drops a trailing dot and the scheme's default
// port, so that cloud.dbos.dev, CLOUD.DBOS.DEV. and cloud.dbos.dev:443 are one
// host for https. IPv6 literals keep their brackets.
func Normal(scheme, host string) string {
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
