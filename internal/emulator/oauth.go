package emulator

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Grant types of the token endpoint.
const (
	grantDevice  = "urn:ietf:params:oauth:grant-type:device_code"
	grantRefresh = "refresh_token"
)

// knownScopes are the scopes the emulator grants; any other requested scope (the
// official CLI asks for "sub") is ignored, as Auth0 ignores scopes it does not know.
var knownScopes = []string{"openid", "profile", "email", "offline_access"}

// pollTolerance is how much earlier than the interval a poll may arrive without
// slow_down: request latency varies, and a client that sleeps exactly the interval
// between polls must never be told to slow down.
const pollTolerance = 250 * time.Millisecond

func (s *Server) oauthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /.well-known/jwks.json", s.jwksDoc)
	mux.HandleFunc("POST /oauth/device/code", s.deviceCode)
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("POST /oauth/revoke", s.revoke)
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.issuer,
		"device_authorization_endpoint":         s.base + "/oauth/device/code",
		"token_endpoint":                        s.base + "/oauth/token",
		"revocation_endpoint":                   s.base + "/oauth/revoke",
		"jwks_uri":                              s.base + "/.well-known/jwks.json",
		"grant_types_supported":                 []string{grantDevice, grantRefresh},
		"scopes_supported":                      knownScopes,
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"none"},
	})
}

func (s *Server) jwksDoc(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.signer.jwks())
}

// deviceResponse is RFC 8628 §3.2.
type deviceResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if p.Get("client_id") == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_id is required")
		return
	}
	if aud := p.Get("audience"); aud != "" && aud != Audience {
		writeOAuthError(w, http.StatusForbidden, "access_denied", "Service not found: "+aud)
		return
	}

	code := randomToken(32)
	dev := Device{
		CodeHash: hashSecret(code), UserCode: newUserCode(), ClientID: p.Get("client_id"),
		Scope: grantedScope(p.Get("scope")), ExpiresAt: s.clock.Now().Add(s.cfg.DeviceCodeTTL),
		State: devicePending,
	}
	if s.cfg.ApproveAs != "" {
		dev.State, dev.Identity = deviceApproved, s.cfg.ApproveAs
	}
	if err := s.store.InsertDevice(r.Context(), dev); err != nil {
		s.serverError(w, r, err)
		return
	}

	shown := displayUserCode(dev.UserCode)
	writeJSON(w, http.StatusOK, deviceResponse{
		DeviceCode:              code,
		UserCode:                shown,
		VerificationURI:         s.base + "/activate",
		VerificationURIComplete: s.base + "/activate?user_code=" + url.QueryEscape(shown),
		ExpiresIn:               int64(s.cfg.DeviceCodeTTL / time.Second),
		Interval:                int64(s.cfg.DeviceInterval / time.Second),
	})
}

// grantedScope keeps the known scopes of a request, in a fixed order.
func grantedScope(requested string) string {
	asked := strings.Fields(requested)
	var out []string
	for _, sc := range knownScopes {
		if slices.Contains(asked, sc) {
			out = append(out, sc)
		}
	}
	return strings.Join(out, " ")
}

func hasScope(scope, want string) bool { return slices.Contains(strings.Fields(scope), want) }

// userCodeAlphabet has no vowels (no accidental words) and no look-alike characters.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

func newUserCode() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, len(b))
	for i, c := range b {
		// 256 is not a multiple of 20; the slight bias does not matter for a code that
		// lives minutes and is bound to a 256-bit device code.
		out[i] = userCodeAlphabet[int(c)%len(userCodeAlphabet)]
	}
	return string(out)
}

func displayUserCode(code string) string {
	if len(code) != 8 {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// normalizeUserCode accepts what a person types: any case, with or without the dash
// or spaces.
func normalizeUserCode(typed string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(typed) {
		if c >= 'A' && c <= 'Z' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// randomToken returns n random bytes as unpadded lowercase base32: URL-, form- and
// shell-safe, and never starting with a dash that a CLI would read as a flag.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// tokenResponse is RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	switch p.Get("grant_type") {
	case grantDevice:
		s.deviceGrant(w, r, p)
	case grantRefresh:
		s.refreshGrant(w, r, p)
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type",
			"the emulator supports the device_code and refresh_token grants")
	}
}

func (s *Server) deviceGrant(w http.ResponseWriter, r *http.Request, p url.Values) {
	code := p.Get("device_code")
	if code == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "device_code is required")
		return
	}
	hash := hashSecret(code)
	dev, err := s.store.DeviceByCodeHash(r.Context(), hash)
	if errors.Is(err, ErrNotFound) {
		writeOAuthError(w, http.StatusForbidden, "invalid_grant", "Invalid or expired device code.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if cid := p.Get("client_id"); cid != "" && cid != dev.ClientID {
		writeOAuthError(w, http.StatusForbidden, "invalid_grant", "device code issued to another client")
		return
	}
	s.answerDevicePoll(w, r, dev)
}

func (s *Server) answerDevicePoll(w http.ResponseWriter, r *http.Request, dev Device) {
	ctx := r.Context()
	expired := !s.clock.Now().Before(dev.ExpiresAt)
	switch {
	case dev.State == deviceConsumed || dev.State == deviceExpired:
		writeOAuthError(w, http.StatusForbidden, "invalid_grant", "Invalid or expired device code.")
	case expired:
		if _, err := s.store.MoveDevice(ctx, dev.CodeHash, dev.State, deviceExpired, ""); err != nil {
			s.serverError(w, r, err)
			return
		}
		writeOAuthError(w, http.StatusForbidden, "expired_token", "The device code has expired.")
	case dev.State == deviceDenied:
		writeOAuthError(w, http.StatusForbidden, "access_denied", "The user denied the request.")
	case dev.State == devicePending:
		if s.tooFast(dev.CodeHash) {
			writeOAuthError(w, http.StatusTooManyRequests, "slow_down",
				fmt.Sprintf("You are polling faster than the specified interval of %d seconds.",
					int64(s.cfg.DeviceInterval/time.Second)))
			return
		}
		writeOAuthError(w, http.StatusForbidden, "authorization_pending",
			"User has yet to authorize device code.")
	default:
		s.finishDevice(w, r, dev)
	}
}

// tooFast records a poll of a pending code and reports whether it came sooner than
// the interval after the previous one. It uses real monotonic time, not the
// emulator's clock: it is about how fast the client actually polls.
func (s *Server) tooFast(hash string) bool {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	now := time.Now()
	if len(s.lastPoll) > 10000 {
		// Abandoned logins would otherwise pile up; a code this old has expired anyway.
		for h, t := range s.lastPoll {
			if now.Sub(t) > s.cfg.DeviceCodeTTL {
				delete(s.lastPoll, h)
			}
		}
	}
	last, seen := s.lastPoll[hash]
	s.lastPoll[hash] = now
	return seen && now.Sub(last) < s.cfg.DeviceInterval-pollTolerance
}

func (s *Server) finishDevice(w http.ResponseWriter, r *http.Request, dev Device) {
	won, err := s.store.MoveDevice(r.Context(), dev.CodeHash, deviceApproved, deviceConsumed, "")
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !won {
		writeOAuthError(w, http.StatusForbidden, "invalid_grant", "Invalid or expired device code.")
		return
	}
	s.pollMu.Lock()
	delete(s.lastPoll, dev.CodeHash)
	s.pollMu.Unlock()

	resp, err := s.issue("emulator|"+dev.Identity, dev.ClientID, dev.Scope)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if hasScope(dev.Scope, "offline_access") {
		now := s.clock.Now()
		raw := "v1." + randomToken(32)
		err := s.store.InsertRefresh(r.Context(), RefreshToken{
			Hash: hashSecret(raw), Family: randomToken(16), Sub: "emulator|" + dev.Identity,
			ClientID: dev.ClientID, Scope: dev.Scope, FamilyCreated: now, LastUsed: now,
			State: refreshActive,
		})
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		resp.RefreshToken = raw
	}
	s.stats.deviceGrants.Add(1)
	writeJSON(w, http.StatusOK, resp)
}

// issue signs an access token for sub.
func (s *Server) issue(sub, clientID, scope string) (tokenResponse, error) {
	now := s.clock.Now()
	claims := jwt.MapClaims{
		"iss": s.issuer, "sub": sub, "aud": Audience, "azp": clientID,
		"iat": now.Unix(), "exp": now.Add(s.cfg.AccessTokenTTL).Unix(),
	}
	if scope != "" {
		claims["scope"] = scope
	}
	tok, err := s.signer.sign(claims)
	if err != nil {
		return tokenResponse{}, err
	}
	return tokenResponse{
		AccessToken: tok, TokenType: "Bearer", Scope: scope,
		ExpiresIn: int64(s.cfg.AccessTokenTTL / time.Second),
	}, nil
}

func (s *Server) refreshGrant(w http.ResponseWriter, r *http.Request, p url.Values) {
	raw := p.Get("refresh_token")
	if raw == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "refresh_token is required")
		return
	}

	next := ""
	if s.cfg.RotateRefreshTokens {
		next = "v1." + randomToken(32)
	}
	policy := RefreshPolicy{
		Lifetime: s.cfg.RefreshLifetime, Idle: s.cfg.RefreshIdle, Rotate: s.cfg.RotateRefreshTokens,
		ReuseInterval: s.cfg.RefreshReuseInterval,
	}
	rt, err := s.store.RedeemRefresh(r.Context(), hashSecret(raw), p.Get("client_id"),
		s.clock.Now(), policy, hashSecret(next))
	if err != nil {
		s.refreshFailed(w, r, err)
		return
	}
	if rt.State == refreshRotated {
		s.stats.refreshReuses.Add(1)
		s.log.Info("rotated refresh token exchanged again within the reuse interval",
			"request_id", requestID(r))
	}

	resp, err := s.issue(rt.Sub, rt.ClientID, rt.Scope)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	resp.RefreshToken = next
	s.stats.refreshGrants.Add(1)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) refreshFailed(w http.ResponseWriter, r *http.Request, err error) {
	desc := ""
	switch {
	case errors.Is(err, ErrRefreshUnknown), errors.Is(err, ErrRefreshRevoked):
		desc = "Unknown or invalid refresh token."
	case errors.Is(err, ErrRefreshReused):
		desc = "Refresh token reuse detected; every token of this login is revoked."
		s.log.Warn("rotated refresh token reused; family revoked", "request_id", requestID(r))
	case errors.Is(err, ErrRefreshExpired):
		desc = "The refresh token has expired."
	case errors.Is(err, ErrRefreshClient):
		desc = "The refresh token was issued to another client."
	default:
		s.serverError(w, r, err)
		return
	}
	s.stats.refreshFailures.Add(1)
	writeOAuthError(w, http.StatusForbidden, "invalid_grant", desc)
}

// revoke implements RFC 7009 for refresh tokens: the token and its whole family are
// revoked. Unknown tokens (and access tokens, which are stateless JWTs that simply
// expire) get the same 200, as the RFC asks.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	tok := p.Get("token")
	if tok == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "token is required")
		return
	}
	if err := s.store.RevokeFamily(r.Context(), hashSecret(tok)); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.stats.revocations.Add(1)
	w.WriteHeader(http.StatusOK)
}

// serverError logs an internal failure (never with request data) and answers 500.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("internal error", "request_id", requestID(r), "err", err)
	writeError(w, r, http.StatusInternalServerError, "internal emulator error")
}
