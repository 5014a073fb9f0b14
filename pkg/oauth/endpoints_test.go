package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAuth0Endpoints(t *testing.T) {
	for _, iss := range []string{"https://login.dbos.dev/", "https://login.dbos.dev"} {
		ep := Auth0Endpoints(iss)
		want := Endpoints{
			Issuer:              iss,
			DeviceAuthorization: "https://login.dbos.dev/oauth/device/code",
			Token:               "https://login.dbos.dev/oauth/token",
			Revocation:          "https://login.dbos.dev/oauth/revoke",
			JWKS:                "https://login.dbos.dev/.well-known/jwks.json",
		}
		if ep != want {
			t.Errorf("Auth0Endpoints(%q) = %+v", iss, ep)
		}
	}
}

func TestDiscover(t *testing.T) {
	// Documents name endpoints on another host so that fallbacks are visible.
	tests := []struct {
		name    string
		status  int
		doc     string // "{{ISS}}" is replaced with the server's issuer
		want    func(iss string) Endpoints
		wantErr error
		anyErr  bool
	}{
		{"full document", 200, `{"issuer":"{{ISS}}/",
			"device_authorization_endpoint":"https://o.example/device",
			"token_endpoint":"https://o.example/token",
			"revocation_endpoint":"https://o.example/revoke",
			"jwks_uri":"https://o.example/keys"}`,
			func(iss string) Endpoints {
				return Endpoints{iss + "/", "https://o.example/device", "https://o.example/token",
					"https://o.example/revoke", "https://o.example/keys"}
			}, nil, false},
		{"partial document", 200, `{"issuer":"{{ISS}}",
			"token_endpoint":"https://o.example/token","jwks_uri":"relative/keys",
			"revocation_endpoint":17}`,
			nil, nil, false},
		{"missing document", 404, `not found`, nil, nil, false},
		{"forbidden document", 403, ``, nil, nil, false},
		{"bad json", 200, `<html>login</html>`, nil, nil, false},
		{"other issuer", 200, `{"issuer":"https://evil.example/"}`, nil, nil, true},
		{"server error", 500, ``, nil, ErrUnavailable, true},
		{"rate limited", 429, ``, nil, ErrUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
				r *http.Request) {
				if r.URL.Path != "/.well-known/openid-configuration" {
					t.Errorf("path %q", r.URL.Path)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(strings.ReplaceAll(tt.doc, "{{ISS}}", srv.URL)))
			}))
			defer srv.Close()

			ep, err := Discover(context.Background(), srv.Client(), srv.URL+"/")
			if tt.anyErr {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Auth0Endpoints(srv.URL + "/")
			if tt.want != nil {
				want = tt.want(srv.URL)
			}
			if tt.name == "partial document" {
				want.Token = "https://o.example/token"
			}
			if ep != want {
				t.Errorf("got %+v\nwant %+v", ep, want)
			}
		})
	}
}

func TestDiscoverNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := Discover(context.Background(), nil, srv.URL)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
}

func TestDiscoverBadIssuer(t *testing.T) {
	for _, iss := range []string{"", "login.dbos.dev", "ftp://x/", "https://"} {
		if _, err := Discover(context.Background(), nil, iss); err == nil {
			t.Errorf("issuer %q accepted", iss)
		}
	}
}
