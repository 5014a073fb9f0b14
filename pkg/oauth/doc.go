// Package oauth is the OAuth 2.0 client this program uses to talk to a login service:
// endpoint discovery (OpenID Connect / RFC 8414 metadata with the Auth0 paths as
// fallback), the device authorization grant (RFC 8628), the refresh grant (RFC 6749
// §6), revocation (RFC 7009) and the checks of a JWT access token against the issuer's
// JWKS (RS256 only).
//
// It is a public client: no client secret is ever sent. It knows nothing of keyrings,
// accounts, browsers or terminals; the caller shows the verification URL, opens the
// browser and stores the tokens. Tokens travel as secret.Token and are revealed only
// in request bodies; no error built here carries a token or a response body that
// could echo one.
package oauth
