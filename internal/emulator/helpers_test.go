package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/dbos-go/dbos-cloud/internal/emulatortest"
)

// oauthErr decodes an OAuth error body and checks status and code.
func wantOAuthError(t *testing.T, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	if status != wantStatus || e.Error != wantCode {
		t.Fatalf("got %d %q (%s), want %d %q", status, e.Error, body, wantStatus, wantCode)
	}
}

// wantAPIError checks a §3.1 error body: all three fields, status matching.
func wantAPIError(t *testing.T, status int, body []byte, wantStatus int) string {
	t.Helper()
	var e struct {
		Message    *string `json:"message"`
		StatusCode *int    `json:"statusCode"`
		RequestID  *string `json:"requestID"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %s", body)
	}
	if status != wantStatus || e.Message == nil || e.StatusCode == nil || e.RequestID == nil ||
		*e.StatusCode != wantStatus || *e.RequestID == "" {
		t.Fatalf("got %d %s, want %d with message, statusCode and requestID", status, body, wantStatus)
	}
	return *e.Message
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

type tokenResp struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
}

func refresh(t *testing.T, e *emulatortest.Emulator, tok string) (int, []byte) {
	t.Helper()
	return e.PostForm(t, "/oauth/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {tok}, "client_id": {emulatortest.ClientID},
	})
}

// registered logs identity in and registers it as name; it returns the access token.
func registered(t *testing.T, e *emulatortest.Emulator, name string) string {
	t.Helper()
	access, _ := e.Login(t, name+"@example.com", "sub")
	e.Register(t, access, name, "")
	return access
}

func profile(t *testing.T, e *emulatortest.Emulator, access string) map[string]string {
	t.Helper()
	st, body := e.API(t, http.MethodGet, "/v1alpha1/user/profile", access, nil)
	if st != http.StatusOK {
		t.Fatalf("profile: %d %s", st, body)
	}
	return decode[map[string]string](t, body)
}
