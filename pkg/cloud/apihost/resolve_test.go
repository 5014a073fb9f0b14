package apihost

import (
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	prod := Target{"https://cloud.dbos.dev", prodIssuer, prodClientID, DefaultAudience}
	dev := func(api string) Target {
		return Target{api, devIssuer, devClientID, DefaultAudience}
	}
	tests := []struct {
		name, domain, auth, client string
		want                       Target
		errVar                     string // the variable the error must name
	}{
		{"default", "", "", "", prod, ""},
		{"production", "cloud.dbos.dev", "", "", prod, ""},
		{"upper case", "CLOUD.DBOS.DEV", "", "",
			Target{"https://CLOUD.DBOS.DEV", prodIssuer, prodClientID, DefaultAudience}, ""},
		{"port 443", "cloud.dbos.dev:443", "", "",
			Target{"https://cloud.dbos.dev:443", prodIssuer, prodClientID, DefaultAudience}, ""},
		{"trailing dot", "cloud.dbos.dev.", "", "",
			Target{"https://cloud.dbos.dev.", prodIssuer, prodClientID, DefaultAudience}, ""},
		{"https scheme", "https://cloud.dbos.dev/", "", "", prod, ""},
		{"mixed everything", "Cloud.DBOS.dev.:443", "", "",
			Target{"https://Cloud.DBOS.dev.:443", prodIssuer, prodClientID, DefaultAudience}, ""},
		{"other port", "cloud.dbos.dev:8443", "", "", dev("https://cloud.dbos.dev:8443"), ""},
		{"staging", "staging.dev.dbos.dev", "", "", dev("https://staging.dev.dbos.dev"), ""},
		{"subdomain lookalike", "cloud.dbos.dev.evil.com", "", "",
			dev("https://cloud.dbos.dev.evil.com"), ""},
		{"localhost", "localhost:8443", "", "", dev("https://localhost:8443"), ""},
		{"emulator", "http://127.0.0.1:8787", "", "", dev("http://127.0.0.1:8787"), ""},
		{"path prefix", "https://gw.example/api/", "", "", dev("https://gw.example/api"), ""},
		{"auth domain host", "cloud.dbos.dev", "login.example.com", "",
			Target{"https://cloud.dbos.dev", "https://login.example.com/", prodClientID,
				DefaultAudience}, ""},
		{"auth domain url", "http://127.0.0.1:8787", "http://127.0.0.1:8787", "",
			Target{"http://127.0.0.1:8787", "http://127.0.0.1:8787", devClientID,
				DefaultAudience}, ""},
		{"client id", "cloud.dbos.dev", "", "my-client",
			Target{"https://cloud.dbos.dev", prodIssuer, "my-client", DefaultAudience}, ""},
		{"bad scheme", "ftp://cloud.dbos.dev", "", "", Target{}, "DBOS_DOMAIN"},
		{"space", "cloud dbos.dev", "", "", Target{}, "DBOS_DOMAIN"},
		{"user info", "https://u:p@cloud.dbos.dev", "", "", Target{}, "DBOS_DOMAIN"},
		{"query", "cloud.dbos.dev?x=1", "", "", Target{}, "DBOS_DOMAIN"},
		{"no host", "http://", "", "", Target{}, "DBOS_DOMAIN"},
		{"bad port", "cloud.dbos.dev:99999", "", "", Target{}, "DBOS_DOMAIN"},
		{"bad auth domain", "", "https://", "", Target{}, "DBOS_AUTH_DOMAIN"},
		{"auth domain newline", "", "login.dbos.dev\n", "", Target{}, "DBOS_AUTH_DOMAIN"},
		{"bad client id", "", "", "a b", Target{}, "DBOS_CLIENT_ID"},
		{"long client id", "", "", strings.Repeat("x", 300), Target{}, "DBOS_CLIENT_ID"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			got, err := Resolve(tt.domain, tt.auth, tt.client)
			if tt.errVar != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.errVar+" ") &&
					!strings.HasPrefix(err.Error(), tt.errVar+":") {
					t.Fatalf("error %v, want one naming %s", err, tt.errVar)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
