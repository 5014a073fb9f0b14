package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Endpoints are the URLs of one login service.
type Endpoints struct {
	// Issuer is the "iss" of its tokens, such as "https://login.dbos.dev/".
	Issuer string
	// DeviceAuthorization starts a device login (RFC 8628 §3.1).
	DeviceAuthorization string
	// Token serves the device and refresh grants.
	Token string
	// Revocation revokes tokens (RFC 7009); empty if the service has none.
	Revocation string
	// JWKS serves the keys that sign access tokens.
	JWKS string
}

// Auth0Endpoints returns the fixed paths of an Auth0 tenant (and of the emulator)
// under issuer, which may end in a slash.
func Auth0Endpoints(issuer string) Endpoints {
	base := strings.TrimRight(issuer, "/")
	return Endpoints{
		Issuer:              issuer,
		DeviceAuthorization: base + "/oauth/device/code",
		Token:               base + "/oauth/token",
		Revocation:          base + "/oauth/revoke",
		JWKS:                base + "/.well-known/jwks.json",
	}
}

// discoveryDoc is the part of the OpenID Connect discovery document (RFC 8414 names
// the same members) that this client uses.
type discoveryDoc struct {
	Issuer, DeviceAuthorization, Token, Revocation, JWKS string
}

// Discover reads issuer's /.well-known/openid-configuration. Endpoints the document
// does not name, or names with something other than an http(s) URL, are taken from
// Auth0Endpoints; so is everything when the document is missing (any 4xx) or is not
// JSON. A network error, 5xx or 429 matches ErrUnavailable. A document naming another
// issuer is refused (RFC 8414 §3.3), a trailing slash aside.
func Discover(ctx context.Context, hc *http.Client, issuer string) (Endpoints, error) {
	ep := Auth0Endpoints(issuer)
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ep, fmt.Errorf("discover login endpoints: issuer %q is not an http(s) URL", issuer)
	}
	docURL := strings.TrimRight(issuer, "/") + "/.well-known/openid-configuration"

	doc, found, err := fetchDiscovery(ctx, hc, docURL)
	if err != nil {
		return ep, fmt.Errorf("discover login endpoints at %s: %w", docURL, err)
	}
	if !found {
		return ep, nil
	}

	if doc.Issuer != "" && !SameIssuer(doc.Issuer, issuer) {
		return ep, fmt.Errorf("discover login endpoints at %s: document names issuer %q",
			docURL, doc.Issuer)
	}
	pick(&ep.DeviceAuthorization, doc.DeviceAuthorization)
	pick(&ep.Token, doc.Token)
	pick(&ep.Revocation, doc.Revocation)
	pick(&ep.JWKS, doc.JWKS)
	return ep, nil
}

// fetchDiscovery GETs the document; found is false when it is missing or unusable.
func fetchDiscovery(ctx context.Context, hc *http.Client, docURL string) (discoveryDoc,
	bool, error) {
	var doc discoveryDoc
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return doc, false, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", DefaultUserAgent)

	status, body, err := do(ctx, httpClient(hc), req)
	switch {
	case err != nil:
		return doc, false, err
	case status >= 500 || status == http.StatusTooManyRequests:
		return doc, false, fmt.Errorf("%w: http %d", ErrUnavailable, status)
	case status/100 != 2:
		return doc, false, nil
	}
	// Members are read one by one, so that one of a wrong type spoils only itself.
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return doc, false, nil
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	doc = discoveryDoc{
		Issuer:              str("issuer"),
		DeviceAuthorization: str("device_authorization_endpoint"),
		Token:               str("token_endpoint"),
		Revocation:          str("revocation_endpoint"),
		JWKS:                str("jwks_uri"),
	}
	return doc, true, nil
}

// pick replaces *dst with v when v is an absolute http(s) URL.
func pick(dst *string, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return
	}
	*dst = v
}

// SameIssuer reports whether two issuer strings name the same issuer, ignoring one
// trailing slash (Auth0 writes "https://tenant/", configurations often omit it).
func SameIssuer(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}
