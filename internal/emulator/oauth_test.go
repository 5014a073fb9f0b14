package emulator_test

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
)

func TestDiscoveryAndTokenClaims(t *testing.T) {
	e := emulatortest.Start(t)
	st, body := e.API(t, http.MethodGet, "/.well-known/openid-configuration", "", nil)
	if st != http.StatusOK {
		t.Fatalf("discovery: %d", st)
	}
	doc := decode[map[string]any](t, body)
	want := map[string]string{
		"issuer":                        e.Issuer(),
		"device_authorization_endpoint": e.URL() + "/oauth/device/code",
		"token_endpoint":                e.URL() + "/oauth/token",
		"revocation_endpoint":           e.URL() + "/oauth/revoke",
		"jwks_uri":                      e.URL() + "/.well-known/jwks.json",
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("discovery %s = %v, want %s", k, doc[k], v)
		}
	}

	access, refresh := e.Login(t, "alice", "offline_access sub unknown:scope")
	if refresh == "" || !strings.HasPrefix(refresh, "v1.") {
		t.Fatalf("no refresh token with offline_access")
	}
	claims := verifyWithJWKS(t, e, access)
	if claims["iss"] != e.Issuer() || claims["sub"] != "emulator|alice" ||
		claims["aud"] != "dbos-cloud-api" || claims["azp"] != emulatortest.ClientID ||
		claims["scope"] != "offline_access" {
		t.Fatalf("claims: %v", claims)
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if exp.Sub(iat.Time) != 24*time.Hour {
		t.Fatalf("lifetime %v, want 24h", exp.Sub(iat.Time))
	}
}

// verifyWithJWKS checks a token the way a client would: key from the JWKS by kid.
func verifyWithJWKS(t *testing.T, e *emulatortest.Emulator, raw string) jwt.MapClaims {
	t.Helper()
	_, body := e.API(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
	var set struct {
		Keys []struct{ Kid, Kty, Alg, N, E string }
	}
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %s", body)
	}
	k := set.Keys[0]
	n, _ := base64.RawURLEncoding.DecodeString(k.N)
	ex, _ := base64.RawURLEncoding.DecodeString(k.E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(ex).Int64())}

	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		if tok.Header["kid"] != k.Kid {
			t.Fatalf("kid %v, want %s", tok.Header["kid"], k.Kid)
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}))
	if err != nil || !tok.Valid {
		t.Fatalf("verify with JWKS: %v", err)
	}
	return claims
}

func TestDeviceFlowErrors(t *testing.T) {
	e := emulatortest.Start(t)

	t.Run("pending, slow_down, approved, consumed", func(t *testing.T) {
		d := e.StartDevice(t, "sub")
		if d.Interval != 1 || d.ExpiresIn != 900 || len(d.UserCode) != 9 || d.UserCode[4] != '-' ||
			d.VerificationURIComplete != d.VerificationURI+"?user_code="+d.UserCode {
			t.Fatalf("device response: %+v", d)
		}
		st, body := e.PollToken(t, d.DeviceCode)
		wantOAuthError(t, st, body, http.StatusForbidden, "authorization_pending")

		e.Approve(t, strings.ToLower(d.UserCode), "bob")
		st, body = e.PollToken(t, d.DeviceCode)
		tok := decode[tokenResp](t, body)
		if st != http.StatusOK || tok.TokenType != "Bearer" || tok.ExpiresIn != 86400 ||
			tok.RefreshToken != "" {
			t.Fatalf("token: %d %s", st, body)
		}
		st, body = e.PollToken(t, d.DeviceCode)
		wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")
	})

	t.Run("slow_down", func(t *testing.T) {
		// A long interval, so that a busy machine cannot make the second poll late.
		slow := emulatortest.Start(t, "--device-interval", "60s")
		d := slow.StartDevice(t, "sub")
		if d.Interval != 60 {
			t.Fatalf("interval %d", d.Interval)
		}
		st, body := slow.PollToken(t, d.DeviceCode)
		wantOAuthError(t, st, body, http.StatusForbidden, "authorization_pending")
		st, body = slow.PollToken(t, d.DeviceCode)
		wantOAuthError(t, st, body, http.StatusTooManyRequests, "slow_down")
		slow.Approve(t, d.UserCode, "quick")
		if st, body := slow.PollToken(t, d.DeviceCode); st != http.StatusOK {
			t.Fatalf("approved code polled early: %d %s", st, body)
		}
	})

	t.Run("polling at exactly the interval is never slow_down", func(t *testing.T) {
		d := e.StartDevice(t, "sub")
		for range 3 {
			st, body := e.PollToken(t, d.DeviceCode)
			wantOAuthError(t, st, body, http.StatusForbidden, "authorization_pending")
			time.Sleep(time.Duration(d.Interval) * time.Second)
		}
	})

	t.Run("denied", func(t *testing.T) {
		d := e.StartDevice(t, "sub")
		e.Deny(t, d.UserCode)
		st, body := e.PollToken(t, d.DeviceCode)
		wantOAuthError(t, st, body, http.StatusForbidden, "access_denied")
	})

	t.Run("expired once, then invalid_grant", func(t *testing.T) {
		d := e.StartDevice(t, "sub")
		e.Advance(t, 16*time.Minute)
		st, body := e.PollToken(t, d.DeviceCode)
		wantOAuthError(t, st, body, http.StatusForbidden, "expired_token")
		st, body = e.PollToken(t, d.DeviceCode)
		wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")
		st, _ = e.PostForm(t, "/emulator/approve", url.Values{"user_code": {d.UserCode}, "user": {"x"}})
		if st != http.StatusConflict {
			t.Fatalf("approving an expired code: %d", st)
		}
	})

	bad := []struct {
		name   string
		path   string
		form   url.Values
		status int
		code   string
	}{
		{"unknown device code", "/oauth/token", url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"nope"},
			"client_id": {"c"}}, 403, "invalid_grant"},
		{"missing device code", "/oauth/token", url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}}, 400, "invalid_request"},
		{"unknown grant", "/oauth/token", url.Values{"grant_type": {"password"}}, 400,
			"unsupported_grant_type"},
		{"no grant", "/oauth/token", url.Values{}, 400, "invalid_request"},
		{"missing refresh token", "/oauth/token", url.Values{"grant_type": {"refresh_token"}}, 400,
			"invalid_request"},
		{"no client id", "/oauth/device/code", url.Values{"scope": {"sub"}}, 400, "invalid_request"},
		{"foreign audience", "/oauth/device/code", url.Values{"client_id": {"c"},
			"audience": {"other"}}, 403, "access_denied"},
		{"revoke without token", "/oauth/revoke", url.Values{"client_id": {"c"}}, 400,
			"invalid_request"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			st, body := e.PostForm(t, c.path, c.form)
			wantOAuthError(t, st, body, c.status, c.code)
		})
	}

	t.Run("device code bound to its client", func(t *testing.T) {
		d := e.StartDevice(t, "sub")
		st, body := e.PostForm(t, "/oauth/token", url.Values{
			"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
			"device_code": {d.DeviceCode}, "client_id": {"someone-else"}})
		wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")
	})
}

func TestApproveAs(t *testing.T) {
	e := emulatortest.Start(t, "--approve-as", "demo@example.com")
	d := e.StartDevice(t, "sub")
	st, body := e.PollToken(t, d.DeviceCode)
	if st != http.StatusOK {
		t.Fatalf("auto-approved poll: %d %s", st, body)
	}
	claims := verifyWithJWKS(t, e, decode[tokenResp](t, body).AccessToken)
	if claims["sub"] != "emulator|demo@example.com" {
		t.Fatalf("sub %v", claims["sub"])
	}
	if !strings.Contains(e.Logs(), "level=WARN") || !strings.Contains(e.Logs(), "--approve-as") {
		t.Fatalf("no loud start-up warning:\n%s", e.Logs())
	}
}

func TestRefreshExpiry(t *testing.T) {
	e := emulatortest.Start(t)

	t.Run("idle", func(t *testing.T) {
		_, rt := e.Login(t, "idle", "offline_access")
		e.Advance(t, 29*24*time.Hour)
		st, body := refresh(t, e, rt)
		if tok := decode[tokenResp](t, body); st != 200 || tok.AccessToken == "" || tok.RefreshToken != "" {
			t.Fatalf("refresh after 29 days: %d %s", st, body)
		}
		e.Advance(t, 30*24*time.Hour+time.Minute)
		st, body = refresh(t, e, rt)
		wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")
	})

	t.Run("absolute", func(t *testing.T) {
		_, rt := e.Login(t, "absolute", "offline_access")
		for day := 29; day < 365; day += 29 {
			e.Advance(t, 29*24*time.Hour)
			if st, body := refresh(t, e, rt); st != 200 {
				t.Fatalf("refresh on day %d: %d %s", day, st, body)
			}
		}
		e.Advance(t, 29*24*time.Hour) // day 377
		st, body := refresh(t, e, rt)
		wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")
	})

	t.Run("no refresh token without offline_access", func(t *testing.T) {
		if _, rt := e.Login(t, "plain", "openid sub"); rt != "" {
			t.Fatal("refresh token issued without offline_access")
		}
	})

	t.Run("refresh token bound to its client", func(t *testing.T) {
		_, rt := e.Login(t, "client", "offline_access")
		st, body := e.PostForm(t, "/oauth/token", url.Values{
			"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"other"}})
		wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")
	})

	if s := e.Stats(t); s.RefreshFailures != 3 || s.TokenGrants.RefreshToken != 13 {
		t.Fatalf("stats: %+v", s)
	}
}

func TestRotationReuseRevokesFamily(t *testing.T) {
	e := emulatortest.Start(t, "--rotate-refresh-tokens")
	_, rt1 := e.Login(t, "rot", "offline_access")

	st, body := refresh(t, e, rt1)
	rt2 := decode[tokenResp](t, body).RefreshToken
	if st != 200 || rt2 == "" || rt2 == rt1 {
		t.Fatalf("rotation: %d %s", st, body)
	}
	st, body = refresh(t, e, rt2)
	rt3 := decode[tokenResp](t, body).RefreshToken
	if st != 200 || rt3 == "" {
		t.Fatalf("second rotation: %d %s", st, body)
	}

	st, body = refresh(t, e, rt1) // reuse of a rotated token
	wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")
	st, body = refresh(t, e, rt3) // the newest token died with its family
	wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")

	_, other := e.Login(t, "rot", "offline_access") // another login is another family
	if st, body := refresh(t, e, other); st != 200 {
		t.Fatalf("unrelated family: %d %s", st, body)
	}
}

func TestRevoke(t *testing.T) {
	e := emulatortest.Start(t)
	_, formTok := e.Login(t, "rev", "offline_access")
	_, jsonTok := e.Login(t, "rev", "offline_access")

	st, _ := e.PostForm(t, "/oauth/revoke", url.Values{"client_id": {"c"}, "token": {formTok}})
	if st != 200 {
		t.Fatalf("form revoke: %d", st)
	}
	st, _ = e.API(t, http.MethodPost, "/oauth/revoke", "",
		map[string]string{"client_id": "c", "token": jsonTok})
	if st != 200 {
		t.Fatalf("JSON revoke: %d", st)
	}
	for _, tok := range []string{formTok, jsonTok} {
		st, body := refresh(t, e, tok)
		wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")
	}

	st, _ = e.PostForm(t, "/oauth/revoke", url.Values{"client_id": {"c"}, "token": {"v1.unknown"}})
	if st != 200 {
		t.Fatalf("unknown token revoke: %d", st)
	}
	st, body := e.API(t, http.MethodPost, "/oauth/revoke", "", "not an object")
	wantOAuthError(t, st, body, http.StatusBadRequest, "invalid_request")
	if s := e.Stats(t); s.Revocations != 3 {
		t.Fatalf("revocations %d, want 3", s.Revocations)
	}
}

// reuseStep exchanges the refresh token at index use (0: the login's; n: the one the
// n-th successful step returned) after moving the clock by advance.
type reuseStep struct {
	use     int
	advance time.Duration
	ok      bool
}

func TestRefreshReuseInterval(t *testing.T) {
	e := emulatortest.Start(t, "--rotate-refresh-tokens", "--refresh-reuse-interval", "10s")
	cases := []struct {
		name   string
		steps  []reuseStep
		reuses int64 // grants let through by the interval
	}{
		{"previous token within the interval gets a fresh pair", []reuseStep{
			{0, 0, true}, {0, 0, true}, {2, 0, true}, {1, 0, true}}, 1},
		{"reuse after the interval revokes the family", []reuseStep{
			{0, 0, true}, {0, 11 * time.Second, false}, {1, 0, false}}, 0},
		{"the interval counts from the first rotation", []reuseStep{
			{0, 0, true}, {0, 6 * time.Second, true}, {0, 6 * time.Second, false},
			{2, 0, false}}, 1},
		{"second-to-last token revokes the family", []reuseStep{
			{0, 0, true}, {1, 0, true}, {0, 0, false}, {2, 0, false}}, 0},
		{"a used successor ends the overlap", []reuseStep{
			{0, 0, true}, {0, 0, true}, {2, 0, true}, {0, 0, false}, {3, 0, false}}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Stats(t).RefreshReuses
			_, rt := e.Login(t, "reuse", "offline_access")
			tokens := []string{rt}
			seen := map[string]bool{rt: true}
			for i, s := range tc.steps {
				if s.advance > 0 {
					e.Advance(t, s.advance)
				}
				st, body := refresh(t, e, tokens[s.use])
				if !s.ok {
					wantOAuthError(t, st, body, http.StatusForbidden, "invalid_grant")
					continue
				}
				got := decode[tokenResp](t, body)
				if st != http.StatusOK || got.AccessToken == "" || got.RefreshToken == "" {
					t.Fatalf("step %d: %d %s", i, st, body)
				}
				if seen[got.RefreshToken] {
					t.Fatalf("step %d: a refresh token was handed out twice", i)
				}
				seen[got.RefreshToken] = true
				tokens = append(tokens, got.RefreshToken)
			}
			if got := e.Stats(t).RefreshReuses - before; got != tc.reuses {
				t.Fatalf("reuse-interval grants %d, want %d", got, tc.reuses)
			}
		})
	}
}

func TestRefreshReuseIntervalNeedsRotation(t *testing.T) {
	for _, args := range [][]string{
		{"--refresh-reuse-interval", "5s"},
		{"--rotate-refresh-tokens", "--refresh-reuse-interval", "-1s"},
	} {
		cmd := exec.Command(testbin.Path(t, "cmd/dbos-cloud-emulator"),
			append(args, "--addr", "127.0.0.1:0")...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("%v: want exit status 1, got %v:\n%s", args, err, out)
		}
		if !strings.Contains(string(out), "reuse interval") &&
			!strings.Contains(string(out), "refresh-reuse-interval") {
			t.Fatalf("%v: the error does not name the flag:\n%s", args, out)
		}
	}
}
