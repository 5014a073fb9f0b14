package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
	"github.com/dbos-go/dbos-cloud/pkg/oauth"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// These tests run the real emulator binary and drive it with this package's client.

// emulatorClient starts an emulator with args and returns a client built by discovery.
func emulatorClient(t *testing.T, args ...string) (*emulatortest.Emulator, *oauth.Client) {
	t.Helper()
	e := emulatortest.Start(t, args...)
	ep, err := oauth.Discover(context.Background(), e.Client(), e.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	return e, &oauth.Client{HTTP: e.Client(), Endpoints: ep, ClientID: emulatortest.ClientID,
		Audience: emulatortest.Audience, UserAgent: "oauth-test/1"}
}

func TestEmulatorDiscover(t *testing.T) {
	e, c := emulatorClient(t)
	want := oauth.Auth0Endpoints(e.Issuer())
	if c.Endpoints != want {
		t.Errorf("discovered %+v\nwant %+v", c.Endpoints, want)
	}
}

// deviceLogin starts a device login, lets decide act on it (approve or deny) and
// polls with the real clock (the emulator's interval is 1 s).
func deviceLogin(t *testing.T, c *oauth.Client, scope string,
	decide func(userCode string)) (*oauth.Token, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	da, err := c.StartDevice(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	if da.Interval != time.Second || da.UserCode == "" || da.VerificationURIComplete == "" {
		t.Errorf("device authorization %+v", da)
	}

	polls := 0
	tok, err := c.PollDevice(ctx, da, func(remaining, interval time.Duration) {
		polls++
		// Decide after the first poll has seen the login pending.
		if polls == 2 {
			decide(da.UserCode)
		}
	})
	if polls < 2 && err == nil {
		t.Errorf("finished after %d polls", polls)
	}
	return tok, err
}

func TestEmulatorDeviceFlowApproveRefreshRevoke(t *testing.T) {
	e, c := emulatorClient(t)
	tok, err := deviceLogin(t, c, "offline_access", func(code string) {
		e.Approve(t, code, "alice")
	})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken.IsZero() || tok.RefreshToken.IsZero() || tok.Expiry.IsZero() {
		t.Fatalf("token %+v", tok)
	}

	v := oauth.NewVerifier(e.Client(), c.Endpoints, emulatortest.Audience)
	cl, err := v.Verify(context.Background(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if cl.Subject == "" || !oauth.SameIssuer(cl.Issuer, e.Issuer()) {
		t.Errorf("claims %+v", cl)
	}

	// Without rotation the refresh token stays the same and is reported as such.
	ref, err := c.Refresh(context.Background(), tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if !ref.RefreshToken.IsZero() || ref.AccessToken.IsZero() {
		t.Errorf("refresh without rotation: %+v", ref)
	}
	if _, err := v.Verify(context.Background(), ref.AccessToken); err != nil {
		t.Errorf("refreshed access token: %v", err)
	}

	if err := c.Revoke(context.Background(), tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, err = c.Refresh(context.Background(), tok.RefreshToken)
	if !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Fatalf("refresh after revoke: %v, want ErrInvalidGrant", err)
	}
	noLeak(t, err, tok.RefreshToken, tok.AccessToken, ref.AccessToken)

	// Revoking an unknown token succeeds, as RFC 7009 says.
	if err := c.Revoke(context.Background(), secret.New("never-issued-token")); err != nil {
		t.Errorf("revoke unknown token: %v", err)
	}
}

func TestEmulatorDeviceFlowDeny(t *testing.T) {
	e, c := emulatorClient(t)
	_, err := deviceLogin(t, c, "sub", func(code string) { e.Deny(t, code) })
	if !errors.Is(err, oauth.ErrAccessDenied) {
		t.Fatalf("error %v, want ErrAccessDenied", err)
	}
}

func TestEmulatorDeviceFlowExpired(t *testing.T) {
	e, c := emulatorClient(t)
	_, err := deviceLogin(t, c, "sub", func(string) { e.Advance(t, 16*time.Minute) })
	if !errors.Is(err, oauth.ErrExpiredToken) {
		t.Fatalf("error %v, want ErrExpiredToken", err)
	}
}

func TestEmulatorPlainLoginHasNoRefreshToken(t *testing.T) {
	e, c := emulatorClient(t)
	tok, err := deviceLogin(t, c, "sub", func(code string) { e.Approve(t, code, "bob") })
	if err != nil {
		t.Fatal(err)
	}
	if !tok.RefreshToken.IsZero() {
		t.Error("scope sub returned a refresh token")
	}
}

func TestEmulatorRotation(t *testing.T) {
	e, c := emulatorClient(t, "--rotate-refresh-tokens")
	_, rt := e.Login(t, "carol", "offline_access")
	first := secret.New(rt)

	r1, err := c.Refresh(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	if r1.RefreshToken.IsZero() || r1.RefreshToken.Equal(first) {
		t.Fatal("no rotated refresh token")
	}
	r2, err := c.Refresh(context.Background(), r1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}

	// Reusing a rotated-out token is refused and revokes the family.
	_, err = c.Refresh(context.Background(), first)
	if !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Fatalf("reuse: %v, want ErrInvalidGrant", err)
	}
	noLeak(t, err, first, r1.RefreshToken, r2.RefreshToken)
	if _, err := c.Refresh(context.Background(), r2.RefreshToken); !errors.Is(err,
		oauth.ErrInvalidGrant) {
		t.Fatalf("family after reuse: %v, want ErrInvalidGrant", err)
	}
}

func TestEmulatorRefreshUnavailable(t *testing.T) {
	e, c := emulatorClient(t)
	_, rt := e.Login(t, "dave", "offline_access")
	e.Fault(t, "/oauth/token", http.StatusServiceUnavailable, 0, 1)
	_, err := c.Refresh(context.Background(), secret.New(rt))
	if !errors.Is(err, oauth.ErrUnavailable) || errors.Is(err, oauth.ErrInvalidGrant) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
	noLeak(t, err, secret.New(rt))

	// The fault was for one request: the token still works.
	if _, err := c.Refresh(context.Background(), secret.New(rt)); err != nil {
		t.Fatal(err)
	}
}

func TestEmulatorVerifyRejects(t *testing.T) {
	e, c := emulatorClient(t)
	access, _ := e.Login(t, "erin", "sub")
	tok := secret.New(access)

	wrongAud := oauth.NewVerifier(e.Client(), c.Endpoints, "another-api")
	if _, err := wrongAud.Verify(context.Background(), tok); !errors.Is(err,
		oauth.ErrInvalidToken) {
		t.Errorf("wrong audience: %v", err)
	}
	ep := c.Endpoints
	ep.Issuer = "https://login.dbos.dev/"
	wrongIss := oauth.NewVerifier(e.Client(), ep, emulatortest.Audience)
	if _, err := wrongIss.Verify(context.Background(), tok); !errors.Is(err,
		oauth.ErrInvalidToken) {
		t.Errorf("wrong issuer: %v", err)
	}

	// A changed payload no longer matches the signature.
	parts := strings.Split(access, ".")
	tampered := secret.New(parts[0] + "." + parts[1] + "x." + parts[2])
	v := oauth.NewVerifier(e.Client(), c.Endpoints, emulatortest.Audience)
	if _, err := v.Verify(context.Background(), tampered); !errors.Is(err,
		oauth.ErrInvalidToken) {
		t.Errorf("tampered token: %v", err)
	}
}

func noLeak(t *testing.T, err error, toks ...secret.Token) {
	t.Helper()
	for _, tok := range toks {
		if !tok.IsZero() && strings.Contains(err.Error(), tok.Reveal()) {
			t.Errorf("error leaks a token: %v", err)
		}
	}
}
