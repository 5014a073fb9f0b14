package gitcred

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

const tok = "eyJhbGciOiJSUzI1NiJ9.payload.sig"

func TestParse(t *testing.T) {
	tests := []struct {
		name, in           string
		proto, host, path  string
		user               string
		wantErr            bool
		wantOther, wantPwd bool
	}{
		{name: "basic", in: "protocol=https\nhost=cloud.dbos.dev\n\n", proto: "https", host: "cloud.dbos.dev"},
		{name: "eof-ends", in: "protocol=http\nhost=127.0.0.1:8787", proto: "http", host: "127.0.0.1:8787"},
		{name: "crlf", in: "protocol=https\r\nhost=a.b\r\n\r\n", proto: "https", host: "a.b"},
		{name: "url", in: "url=https://bob:pw@cloud.dbos.dev/org/app\n", proto: "https",
			host: "cloud.dbos.dev", path: "org/app", user: "bob"},
		{name: "stops-at-blank", in: "host=a\n\nhost=b\n", host: "a"},
		{name: "unknown-kept", in: "wwwauth[]=Bearer\nhost=h\n", host: "h", wantOther: true},
		{name: "password", in: "password=" + tok + "\n", wantPwd: true},
		{name: "no-equals", in: "protocol\n", wantErr: true},
		{name: "empty-key", in: "=x\n", wantErr: true},
		{name: "nul", in: "host=a\x00b\n", wantErr: true},
		{name: "url-no-scheme", in: "url=cloud.dbos.dev\n", wantErr: true},
		{name: "long-line", in: "host=" + strings.Repeat("a", maxLine+10) + "\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse(strings.NewReader(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				if strings.Contains(err.Error(), tok) {
					t.Fatal("error echoes input")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Protocol != tt.proto || req.Host != tt.host || req.Path != tt.path ||
				req.Username != tt.user {
				t.Errorf("got %+v", req)
			}
			if (len(req.Other) > 0) != tt.wantOther || req.Password.IsZero() == tt.wantPwd {
				t.Errorf("other=%v password set=%v", req.Other, !req.Password.IsZero())
			}
		})
	}
}

func TestAnswerWrite(t *testing.T) {
	var b bytes.Buffer
	exp := time.Unix(1767225600, 0)
	if err := (Answer{Username: "alice", Password: secret.New(tok), Expiry: exp}).Write(&b); err != nil {
		t.Fatal(err)
	}
	want := "username=alice\npassword=" + tok + "\npassword_expiry_utc=1767225600\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}

	err := Answer{Username: "a\nhost=evil", Password: secret.New(tok)}.Write(&b)
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("newline in value: err = %v", err)
	}
}

type fakeBackend struct {
	accts    []Account
	tokenFor []string
	forgot   []string
}

func (f *fakeBackend) Accounts(context.Context) ([]Account, error) { return f.accts, nil }

func (f *fakeBackend) Token(_ context.Context, a string, min time.Duration) (Answer, error) {
	if min < MinTTL {
		return Answer{}, errors.New("min ttl too small")
	}
	f.tokenFor = append(f.tokenFor, a)
	return Answer{Username: "user-" + a, Password: secret.New(tok + a)}, nil
}

func (f *fakeBackend) Forget(_ context.Context, a string) error {
	f.forgot = append(f.forgot, a)
	return nil
}

func TestServe(t *testing.T) {
	accts := []Account{
		{Name: "work", APIURL: "https://cloud.dbos.dev", User: "wuser"},
		{Name: "default", APIURL: "https://cloud.dbos.dev", User: "me", Default: true},
		{Name: "local", APIURL: "http://127.0.0.1:8787", User: "dev"},
		{Name: "v6", APIURL: "http://[::1]:9000"},
	}
	tests := []struct {
		name, op, in, wantAcct string
	}{
		{"default-wins", "get", "protocol=https\nhost=cloud.dbos.dev\n", "default"},
		{"user-wins", "get", "protocol=https\nhost=cloud.dbos.dev\nusername=wuser\n", "work"},
		{"case-port-dot", "get", "protocol=https\nhost=CLOUD.dbos.dev.:443\n", "default"},
		{"port", "get", "protocol=http\nhost=127.0.0.1:8787\n", "local"},
		{"ipv6", "get", "protocol=http\nhost=[::1]:9000\n", "v6"},
		{"wrong-scheme", "get", "protocol=http\nhost=cloud.dbos.dev\n", ""},
		{"wrong-port", "get", "protocol=http\nhost=127.0.0.1:8788\n", ""},
		{"unknown-host", "get", "protocol=https\nhost=github.com\n", ""},
		{"no-host", "get", "protocol=https\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBackend{accts: accts}
			var out bytes.Buffer
			if err := Serve(context.Background(), tt.op, strings.NewReader(tt.in), &out, fb); err != nil {
				t.Fatal(err)
			}
			if tt.wantAcct == "" {
				if out.Len() != 0 || len(fb.tokenFor) != 0 {
					t.Fatalf("answered %q for an unknown host", out.String())
				}
				return
			}
			if len(fb.tokenFor) != 1 || fb.tokenFor[0] != tt.wantAcct {
				t.Fatalf("token asked for %v, want %s", fb.tokenFor, tt.wantAcct)
			}
			if !strings.Contains(out.String(), "password="+tok+tt.wantAcct+"\n") {
				t.Errorf("answer %q lacks the token", out.String())
			}
		})
	}
}

func TestServeStoreAndErase(t *testing.T) {
	fb := &fakeBackend{accts: []Account{{Name: "a", APIURL: "https://h"}}}
	in := "protocol=https\nhost=h\nusername=a\npassword=" + tok + "\n"
	var out bytes.Buffer

	if err := Serve(context.Background(), "store", strings.NewReader(in), &out, fb); err != nil {
		t.Fatal(err)
	}
	if len(fb.forgot) != 0 || out.Len() != 0 {
		t.Fatal("store must change nothing")
	}
	if err := Serve(context.Background(), "erase", strings.NewReader(in), &out, fb); err != nil {
		t.Fatal(err)
	}
	if len(fb.forgot) != 1 || fb.forgot[0] != "a" || out.Len() != 0 {
		t.Fatalf("erase forgot %v, wrote %q", fb.forgot, out.String())
	}
	err := Serve(context.Background(), "list", strings.NewReader(""), &out, fb)
	if !errors.Is(err, ErrUnknownOperation) {
		t.Fatalf("unknown op: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("protocol=https\nhost=cloud.dbos.dev\n\n")
	f.Add("url=https://u:p@h:1/p\n")
	f.Add("wwwauth[]=Basic realm=x\ncapability[]=authtype\n")
	f.Add("password=\x00\n")
	f.Add("=\n\n=")
	f.Fuzz(func(t *testing.T, in string) {
		req, err := Parse(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for _, v := range []string{req.Protocol, req.Host, req.Path, req.Username} {
			if strings.ContainsAny(v, "\n\x00") {
				t.Fatalf("parsed value holds a newline or NUL: %q", v)
			}
		}
	})
}
