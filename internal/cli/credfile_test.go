package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		name, in        string
		token, rt, user string
		corrupt         bool
	}{
		{"login_order", `{"token":"eyJ.a.b","refreshToken":"v1.r","userName":"alice","organization":"acme"}`,
			"eyJ.a.b", "v1.r", "alice", false},
		{"implicit_order", `{"token":"eyJ.a.b","userName":"","organization":"","refreshToken":"v1.r"}`,
			"eyJ.a.b", "v1.r", "", false},
		{"crlf_stripped", "{\"token\":\"eyJ.a\\r\\n.b\",\"userName\":\"a\"}\r\n", "eyJ.a.b", "", "a", false},
		{"python_keys", `{"token":"t","refresh_token":"r","user_name":"bob","organization":"o"}`, "t", "r", "bob", false},
		{"access_only", `{"userName":"u","token":"t"}`, "t", "", "u", false},
		{"empty", ``, "", "", "", true},
		{"not_json", `token=abc`, "", "", "", true},
		{"array", `["token"]`, "", "", "", true},
		{"no_tokens", `{"userName":"u"}`, "", "", "", true},
		{"number_token", `{"token":5}`, "", "", "", true},
		{"trailing", `{"token":"t"} {"token":"u"}`, "", "", "", true},
		{"space_in_token", `{"token":"a b"}`, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseCredentials([]byte(tt.in))
			if tt.corrupt {
				if !errors.Is(err, errCorrupt) {
					t.Fatalf("err %v, want errCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Token.Reveal() != tt.token || c.RefreshToken.Reveal() != tt.rt || c.UserName != tt.user {
				t.Errorf("got token %q refresh %q user %q", c.Token.Reveal(), c.RefreshToken.Reveal(), c.UserName)
			}
		})
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add([]byte(`{"token":"eyJ.a.b","refreshToken":"v1.r","userName":"alice","organization":"acme"}`))
	f.Add([]byte(`{"token":"x\r\n"}`))
	f.Add([]byte(`{"token":5}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseCredentials(data)
		if err != nil {
			// An error never echoes a secret-looking input.
			if len(data) > 8 && strings.Contains(err.Error(), string(data)) {
				t.Fatalf("error quotes the input: %v", err)
			}
			return
		}
		if c.Token.IsZero() && c.RefreshToken.IsZero() {
			t.Fatal("accepted a file without tokens")
		}
		for _, tok := range []string{c.Token.Reveal(), c.RefreshToken.Reveal()} {
			if strings.ContainsAny(tok, "\r\n \t") {
				t.Fatalf("token kept whitespace: %q", tok)
			}
		}
	})
}

func TestWriteCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	for _, tok := range []string{"first", "second"} {
		path, err := writeCredentialsFile(dir, exportedCredentials{Token: tok, UserName: "u", Organization: "o"})
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("stat %s: %v %v", path, fi, err)
		}
		var got map[string]string
		data, _ := os.ReadFile(path)
		if err := json.Unmarshal(data, &got); err != nil || got["token"] != tok || len(got) != 3 {
			t.Fatalf("content %s: %v", data, err)
		}
		// What export writes, import (and the official CLI) reads back.
		if c, err := parseCredentials(data); err != nil || c.Token.Reveal() != tok {
			t.Fatalf("round trip: %v", err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, ".dbos"))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}
