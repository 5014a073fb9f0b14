package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

func TestRefresh(t *testing.T) {
	tests := []struct {
		name        string
		rep         reply
		wantRefresh string
		wantErr     error
	}{
		{"rotated", reply{200, `{"access_token":"a2","refresh_token":"ref-new",
			"expires_in":60,"token_type":"Bearer"}`}, "ref-new", nil},
		{"not rotated", reply{200, `{"access_token":"a2","expires_in":60}`}, "", nil},
		{"same token echoed", reply{200, `{"access_token":"a2","refresh_token":"ref-old-1",
			"expires_in":60}`}, "", nil},
		{"invalid grant", reply{403, `{"error":"invalid_grant",
			"error_description":"Unknown or invalid refresh token ref-old-1."}`}, "",
			ErrInvalidGrant},
		{"server error", reply{500, `internal ref-old-1`}, "", ErrUnavailable},
		{"bad gateway", reply{502, ``}, "", ErrUnavailable},
		{"rate limited", reply{429, `{"error":"too_many_requests"}`}, "", ErrUnavailable},
		{"temporarily unavailable", reply{400, `{"error":"temporarily_unavailable"}`}, "",
			ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ts, _, _ := serve(t, []reply{tt.rep}, nil, nil)
			tok, err := c.Refresh(context.Background(), secret.New("ref-old-1"))

			f := ts.forms[0]
			if f.Get("grant_type") != "refresh_token" || f.Get("refresh_token") != "ref-old-1" ||
				f.Get("client_id") != "client-1" || f.Has("client_secret") {
				t.Errorf("refresh form: %v", f)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				assertNoLeak(t, err.Error(), "ref-old-1")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken.Reveal() != "a2" || tok.RefreshToken.Reveal() != tt.wantRefresh {
				t.Errorf("tokens %q %q", tok.AccessToken.Reveal(), tok.RefreshToken.Reveal())
			}
			if tok.ExpiresIn != time.Minute {
				t.Errorf("expires in %v", tok.ExpiresIn)
			}
		})
	}
}

func TestRefreshExpiryFromJWT(t *testing.T) {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	jwt := unsignedJWT(t, map[string]any{"exp": exp.Unix(), "sub": "u"})
	c, _, _, _ := serve(t, []reply{{200, `{"access_token":"` + jwt + `"}`}}, nil, nil)
	tok, err := c.Refresh(context.Background(), secret.New("r"))
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(exp) || tok.ExpiresIn != 0 {
		t.Errorf("expiry %v, in %v", tok.Expiry, tok.ExpiresIn)
	}
}

func TestRefreshNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := &Client{Endpoints: Auth0Endpoints(srv.URL), ClientID: "c"}
	_, err := c.Refresh(context.Background(), secret.New("ref-secret"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
	assertNoLeak(t, err.Error(), "ref-secret")
}

func TestRefreshTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	hc := srv.Client()
	hc.Timeout = 50 * time.Millisecond
	c := &Client{HTTP: hc, Endpoints: Auth0Endpoints(srv.URL), ClientID: "c"}
	_, err := c.Refresh(context.Background(), secret.New("ref-secret"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
}

func TestRefreshOversizedReply(t *testing.T) {
	big := `{"access_token":"` + strings.Repeat("a", maxBody) + `"}`
	c, _, _, _ := serve(t, []reply{{200, big}}, nil, nil)
	if _, err := c.Refresh(context.Background(), secret.New("r")); err == nil {
		t.Fatal("oversized reply accepted")
	}
}

func TestRevoke(t *testing.T) {
	c, _, _, rs := serve(t, nil, nil, []reply{{200, ``}})
	if err := c.Revoke(context.Background(), secret.New("tok-to-revoke")); err != nil {
		t.Fatal(err)
	}
	f := rs.forms[0]
	if rs.types[0] != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", rs.types[0])
	}
	if f.Get("token") != "tok-to-revoke" || f.Get("client_id") != "client-1" ||
		f.Has("client_secret") || len(f) != 2 {
		t.Errorf("revoke form: %v", f)
	}
}

func TestRevokeErrors(t *testing.T) {
	tests := []struct {
		name string
		rep  reply
		want error
	}{
		{"unavailable", reply{503, `{"error":"temporarily_unavailable"}`}, ErrUnavailable},
		{"bad client", reply{401, `{"error":"invalid_client","error_description":
			"token tok-to-revoke from unknown client"}`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _, _ := serve(t, nil, nil, []reply{tt.rep})
			err := c.Revoke(context.Background(), secret.New("tok-to-revoke"))
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			assertNoLeak(t, err.Error(), "tok-to-revoke")
		})
	}
}

func TestUserAgent(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.UserAgent())
		_, _ = w.Write([]byte(`{"access_token":"a"}`))
	}))
	defer srv.Close()
	c := &Client{Endpoints: Auth0Endpoints(srv.URL), ClientID: "c"}
	_, _ = c.Refresh(context.Background(), secret.New("r"))
	c.UserAgent = "dbos-cloud/1.2.3"
	_, _ = c.Refresh(context.Background(), secret.New("r"))
	if len(got) != 2 || got[0] != DefaultUserAgent || got[1] != "dbos-cloud/1.2.3" {
		t.Errorf("user agents %q", got)
	}
}
