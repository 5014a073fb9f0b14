package credtest

import (
	"fmt"
	"strings"
	"testing"
)

// recordTB records failures instead of failing the test that runs CheckNoLeak.
type recordTB struct {
	testing.TB
	errs []string
}

func (r *recordTB) Helper()                      {}
func (r *recordTB) Error(args ...any)            { r.errs = append(r.errs, fmt.Sprint(args...)) }
func (r *recordTB) Errorf(f string, args ...any) { r.errs = append(r.errs, fmt.Sprintf(f, args...)) }

// TestCheckNoLeak shows the wrapper fails on each kind of leak leakscan knows and
// passes a clean log.
func TestCheckNoLeak(t *testing.T) {
	const secret = "v1.a-secret-refresh-token"
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
	tests := []struct {
		name, log string
		want      int
	}{
		{"clean", "level=INFO msg=refreshed account=default", 0},
		{"raw secret", "token " + secret, 1},
		{"secret in a query", "refresh_token=v1.a-secret-refresh-token&x=1", 1},
		{"unrecorded JWT", "Authorization: Bearer " + jwt, 1},
		{"short secret ignored", "abc", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &recordTB{TB: t}
			CheckNoLeak(r, "daemon log", tc.log, secret, "abc")
			if len(r.errs) != tc.want {
				t.Fatalf("failures %q, want %d", r.errs, tc.want)
			}
			for _, e := range r.errs {
				if strings.Contains(e, secret) || strings.Contains(e, jwt) {
					t.Errorf("report holds the secret: %s", e)
				}
			}
		})
	}
}
