package daemon

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
)

// TestTokenByHost: a token request that names an API host instead of an account
// gets the account git-credential-dbos would have picked from the list.
func TestTokenByHost(t *testing.T) {
	c, _ := inProcessTB(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	for _, a := range []struct{ name, api, user string }{
		{"work", "https://cloud.dbos.dev", "wuser"},
		{"default", "https://cloud.dbos.dev", "me"},
		{"local", "http://127.0.0.1:8787", "dev"},
		{"alpha", "http://127.0.0.1:8787", ""},
	} {
		_, err := c.Store(ctx, ipc.StoreRequest{Name: a.name, User: a.user,
			Endpoints:   ipc.Endpoints{APIURL: a.api, Issuer: "https://login.example/", ClientID: "c"},
			AccessToken: "tok-" + a.name, ExpiresAt: exp})
		if err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct{ proto, host, user, want string }{
		{"https", "cloud.dbos.dev", "", "default"},
		{"https", "CLOUD.dbos.dev.:443", "wuser", "work"},
		{"http", "127.0.0.1:8787", "", "alpha"},
		{"http", "127.0.0.1:8787", "dev", "local"},
		{"http", "cloud.dbos.dev", "", ""},
		{"https", "github.com", "", ""},
	}
	for _, tt := range tests {
		tr, err := c.Token(ctx, ipc.TokenRequest{Protocol: tt.proto, APIHost: tt.host, User: tt.user,
			MinTTLSeconds: 60})
		if tt.want == "" {
			if !errors.Is(err, ipc.ErrAccountNotFound) {
				t.Errorf("%s://%s: err %v, want account_not_found", tt.proto, tt.host, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s://%s: %v", tt.proto, tt.host, err)
		}
		if tr.Account != tt.want || tr.AccessToken != "tok-"+tt.want {
			t.Errorf("%s://%s user %q: account %q, want %q", tt.proto, tt.host, tt.user,
				tr.Account, tt.want)
		}
	}
}
