package apihost

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	accts := []Account{
		{Name: "work", APIURL: "https://cloud.dbos.dev", User: "wuser"},
		{Name: "default", APIURL: "https://cloud.dbos.dev", User: "me", Default: true},
		{Name: "b", APIURL: "http://127.0.0.1:8787", User: "dev"},
		{Name: "a", APIURL: "http://127.0.0.1:8787"},
		{Name: "v6", APIURL: "http://[::1]:9000"},
		{Name: "bad", APIURL: "://nope"},
	}
	tests := []struct{ proto, host, user, want string }{
		{"https", "cloud.dbos.dev", "", "default"},
		{"https", "cloud.dbos.dev", "wuser", "work"},
		{"https", "cloud.dbos.dev", "nobody", "default"},
		{"HTTPS", "CLOUD.dbos.dev.:443", "", "default"},
		{"http", "127.0.0.1:8787", "", "a"},
		{"http", "127.0.0.1:8787", "dev", "b"},
		{"http", "[::1]:9000", "", "v6"},
		{"http", "cloud.dbos.dev", "", ""},
		{"http", "127.0.0.1:8788", "", ""},
		{"https", "github.com", "", ""},
		{"https", "", "", ""},
		{"", "cloud.dbos.dev", "", ""},
	}
	for _, tt := range tests {
		got, ok := Match(accts, tt.proto, tt.host, tt.user)
		if ok != (tt.want != "") || got.Name != tt.want {
			t.Errorf("Match(%s, %s, %s) = %q, %v; want %q", tt.proto, tt.host, tt.user,
				got.Name, ok, tt.want)
		}
	}
}

// FuzzNormal: any host git may send is normalised without panic, and ASCII case
// never matters.
func FuzzNormal(f *testing.F) {
	for _, h := range []string{"cloud.dbos.dev", "CLOUD.DBOS.DEV.:443", "[::1]:80", "::1",
		"127.0.0.1:8787", "a:b:c", "[a]:", "h:", ".", ""} {
		f.Add("https", h)
		f.Add("http", h)
	}
	f.Fuzz(func(t *testing.T, scheme, host string) {
		n := Normal(scheme, host)
		if up := Normal(strings.ToUpper(scheme), asciiUpper(host)); up != n {
			t.Fatalf("Normal(%q, %q) = %q, but %q in upper case", scheme, host, n, up)
		}
	})
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
