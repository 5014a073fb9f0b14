package oauth

import (
	"errors"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

func TestDecodeError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		code   string
		desc   string
		is     error
	}{
		{"pending", 403, `{"error":"authorization_pending","error_description":"wait"}`,
			"authorization_pending", "wait", nil},
		{"invalid grant", 400, `{"error":"invalid_grant"}`, "invalid_grant", "",
			ErrInvalidGrant},
		{"denied", 403, `{"error":"access_denied"}`, "access_denied", "", ErrAccessDenied},
		{"expired", 400, `{"error":"expired_token"}`, "expired_token", "", ErrExpiredToken},
		{"html 502", 502, `<html>bad gateway</html>`, "", "", ErrUnavailable},
		{"wrong types", 400, `{"error":42,"error_description":["x"]}`, "", "", nil},
		{"control chars", 400, "{\"error\":\"x\",\"error_description\":\"a\\nb\\u001b[31m\"}",
			"x", "a b [31m", nil},
		{"echoed secret", 400, `{"error":"invalid_request","error_description":
			"bad token s3cr3t-value here"}`, "invalid_request", "bad token [REDACTED] here", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeError(tt.status, []byte(tt.body), secret.New("s3cr3t-value"))
			if e.Code != tt.code || e.Description != tt.desc || e.Status != tt.status {
				t.Errorf("got %+v", e)
			}
			if tt.is != nil && !errors.Is(e, tt.is) {
				t.Errorf("%v does not match %v", e, tt.is)
			}
			for _, s := range []error{ErrInvalidGrant, ErrAccessDenied, ErrExpiredToken,
				ErrUnavailable} {
				if s != tt.is && errors.Is(e, s) {
					t.Errorf("%v also matches %v", e, s)
				}
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Status: 400, Code: "invalid_grant", Description: "expired"}
	if got := e.Error(); got != "oauth error invalid_grant: expired (http 400)" {
		t.Errorf("Error() = %q", got)
	}
	long := decodeError(400, []byte(`{"error":"x","error_description":"`+
		strings.Repeat("y", 1000)+`"}`))
	if n := len([]rune(long.Description)); n > maxDescriptionLen+1 {
		t.Errorf("description of %d runes", n)
	}
}
