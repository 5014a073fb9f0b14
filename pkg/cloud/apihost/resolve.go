package apihost

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// Defaults of the official CLI (CONTRACT.md §1.1).
const (
	// DefaultDomain is the API host when DBOS_DOMAIN is unset or empty.
	DefaultDomain = "cloud.dbos.dev"
	// DefaultAudience is the API identifier that access tokens are issued for.
	DefaultAudience = "dbos-cloud-api"
)

// The two login tenants: production for cloud.dbos.dev, development for any other
// host.
const (
	prodIssuer   = "https://login.dbos.dev/"
	prodClientID = "6p7Sjxf13cyLMkdwn14MxlH7JdhILled"
	devIssuer    = "https://dbos-inc.us.auth0.com/"
	devClientID  = "G38fLmVErczEo9ioCFjVIHea6yd0qMZu"
)

// Target holds the hosts of one account.
type Target struct {
	// APIURL is the scheme and host (and any path prefix) of the API, without the
	// /v1alpha1 segment or a trailing slash: "https://cloud.dbos.dev".
	APIURL string
	// Issuer is the login service's issuer, such as "https://login.dbos.dev/".
	Issuer string
	// ClientID is the public OAuth client id.
	ClientID string
	// Audience is the API identifier tokens are requested for.
	Audience string
}

// Resolve computes an account's hosts from the values of DBOS_DOMAIN (domain),
// DBOS_AUTH_DOMAIN (authDomain) and DBOS_CLIENT_ID (clientID); empty means unset.
//
// domain defaults to cloud.dbos.dev; a value with a scheme (http://127.0.0.1:8787) is
// used as given, one without gets https://. The production login tenant is chosen iff
// the host is cloud.dbos.dev, compared case-insensitively and ignoring a trailing dot
// and a :443 port (the official CLI compares the exact string); any other host gets
// the development tenant. authDomain (a host, or a URL with a scheme) and clientID
// override that choice. A malformed value gives an error naming its variable.
func Resolve(domain, authDomain, clientID string) (Target, error) {
	if domain == "" {
		domain = DefaultDomain
	}
	api, err := parseHostURL(domain)
	if err != nil {
		return Target{}, fmt.Errorf("DBOS_DOMAIN %q: %w", domain, err)
	}

	t := Target{
		APIURL:   strings.TrimRight(api.String(), "/"),
		Issuer:   devIssuer,
		ClientID: devClientID,
		Audience: DefaultAudience,
	}
	if isProduction(api) {
		t.Issuer, t.ClientID = prodIssuer, prodClientID
	}

	if authDomain != "" {
		iss, err := parseHostURL(authDomain)
		if err != nil {
			return Target{}, fmt.Errorf("DBOS_AUTH_DOMAIN %q: %w", authDomain, err)
		}
		t.Issuer = iss.String()
		if !strings.Contains(authDomain, "://") {
			// A bare host names an Auth0-style tenant, whose issuer ends in a slash.
			t.Issuer += "/"
		}
	}
	if clientID != "" {
		if err := checkClientID(clientID); err != nil {
			return Target{}, fmt.Errorf("DBOS_CLIENT_ID: %w", err)
		}
		t.ClientID = clientID
	}
	return t, nil
}

// parseHostURL reads a host[:port] (https assumed) or an http(s) URL with an optional
// path prefix. User info, queries and fragments are refused.
func parseHostURL(v string) (*url.URL, error) {
	if strings.IndexFunc(v, func(r rune) bool {
		return unicode.IsSpace(r) ||
			unicode.IsControl(r)
	}) >= 0 {
		return nil, fmt.Errorf("contains spaces or control characters")
	}
	raw := v
	if !strings.Contains(v, "://") {
		raw = "https://" + v
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a host name or URL")
	}

	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("scheme must be http or https")
	case u.Hostname() == "":
		return nil, fmt.Errorf("no host name")
	case u.User != nil:
		return nil, fmt.Errorf("must not carry a user name or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("must not carry a query or fragment")
	case u.Opaque != "":
		return nil, fmt.Errorf("not a host name or URL")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("bad port %q", p)
		}
	}
	return u, nil
}

// isProduction reports whether the API URL is cloud.dbos.dev on the default port
// (443, whatever the scheme says).
func isProduction(u *url.URL) bool {
	return Normal("https", u.Host) == DefaultDomain
}

// checkClientID accepts the printable, space-free ids that OAuth servers issue.
func checkClientID(id string) error {
	if len(id) > 256 {
		return fmt.Errorf("longer than 256 characters")
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("must be printable ASCII without spaces")
		}
	}
	return nil
}
