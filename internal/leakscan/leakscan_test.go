package leakscan

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// fakeTB records failures instead of failing the test that runs Check.
type fakeTB struct {
	testing.TB
	errs []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Error(args ...any) { f.errs = append(f.errs, fmt.Sprint(args...)) }

const (
	refresh = "v1.rt_0123456789abcdef+/=&?"
	jwt     = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlX2hlcmU"
)

func TestScan(t *testing.T) {
	tests := []struct {
		name, text, want string // want: encoding found, "" for none
	}{
		{"clean", "level=info msg=refreshed account=work", ""},
		{"raw", "token=" + refresh + " end", "raw"},
		{"url", "GET /x?refresh_token=" + url.QueryEscape(refresh), "url"},
		{"json", `{"rt":"` + strings.ReplaceAll(refresh, "&", `\u0026`) + `"}`, "json"},
		{"base64", "Basic " + base64.StdEncoding.EncodeToString([]byte(refresh)), "base64"},
		{"prefix only", refresh[:len(refresh)-1], ""},
	}
	s := New()
	s.Add("refresh token of alice", refresh)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits := s.Scan("log", tc.text)
			got := ""
			if len(hits) > 0 {
				got = hits[0].Encoding
				if hits[0].Name != "refresh token of alice" || hits[0].Tail != refresh[len(refresh)-4:] {
					t.Errorf("hit = %+v", hits[0])
				}
			}
			if got != tc.want {
				t.Errorf("encoding = %q, want %q (hits %+v)", got, tc.want, hits)
			}
		})
	}
}

func TestJSONEscapedForm(t *testing.T) {
	s := New()
	v := `quote"back\slash-secret`
	s.Add("password", v)
	if hits := s.Scan("err", `{"message":"bad quote\"back\\slash-secret"}`); len(hits) != 1 ||
		hits[0].Encoding != "json" {
		t.Fatalf("hits = %+v", hits)
	}
}

func TestAddIgnoresShortAndKeepsFirstName(t *testing.T) {
	s := New()
	s.Add("short", "", "abc", "1234567")
	s.Add("first", "abcdefgh")
	s.Add("second", "abcdefgh")
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
	if h := s.Scan("x", "..abcdefgh.."); len(h) != 1 || h[0].Name != "first" {
		t.Fatalf("hits = %+v", h)
	}
}

func TestCheck(t *testing.T) {
	s := New()
	s.Add("access token", jwt)
	s.Add("refresh token", refresh)

	ft := &fakeTB{}
	s.Check(ft, "stdout", "clean output", false)
	if len(ft.errs) != 0 {
		t.Fatalf("clean text failed: %v", ft.errs)
	}

	ft = &fakeTB{}
	other := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.b3RoZXJzaWc"
	s.Check(ft, "daemon log", "a "+refresh+" b "+other, false)
	if len(ft.errs) != 2 {
		t.Fatalf("errors = %q, want the refresh token and the unknown JWT", ft.errs)
	}
	for _, e := range ft.errs {
		if strings.Contains(e, refresh) || strings.Contains(e, other) {
			t.Fatalf("report holds the secret: %s", e)
		}
	}

	ft = &fakeTB{}
	s.Check(ft, "token stdout", other, true)
	if len(ft.errs) != 0 {
		t.Fatalf("allowed JWT failed: %v", ft.errs)
	}
}

func TestJWTs(t *testing.T) {
	if got := JWTs("x " + jwt + " y"); len(got) != 1 || got[0] != jwt {
		t.Fatalf("JWTs = %q", got)
	}
	if got := JWTs("eyJnotajwt and a.b.c"); len(got) != 0 {
		t.Fatalf("JWTs = %q", got)
	}
	cut := jwt[:strings.LastIndex(jwt, ".")]
	if got := JWTs("token=" + cut + "…"); len(got) != 1 || got[0] != cut {
		t.Fatalf("JWTs of a token cut before its signature = %q", got)
	}
}

// emuRefresh has the shape of the emulator's refresh tokens: "v1." and 52
// lowercase base32 characters.
const emuRefresh = "v1.mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpiydcmrtgq2"

func TestRefreshTokens(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"rt=" + emuRefresh, 1},
		{`{"refresh_token":"` + emuRefresh + `"}`, 1},
		{"GET /v1alpha1/org/users and v1.first v1.2.3", 0},
		{"xv1." + emuRefresh[3:], 0},
	}
	for _, tc := range tests {
		if got := RefreshTokens(tc.text); len(got) != tc.want {
			t.Errorf("RefreshTokens(%q) = %q, want %d", tc.text, got, tc.want)
		}
	}
}

func TestFind(t *testing.T) {
	s := New()
	s.Add("access token of alice", jwt)
	s.Add("refresh token of alice", refresh)
	s.Add("invite secret", "invite-secret-value")
	unknownJWT := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.b3RoZXJzaWc"

	tests := []struct {
		name       string
		text       string
		jwtAllowed bool
		want       []string // names of the hits, in order
	}{
		{"clean", "status: ok", false, nil},
		{"recorded access token", "Bearer " + jwt, false, []string{"access token of alice"}},
		{"access token where allowed", jwt + "\n", true, nil},
		{"unknown JWT where allowed", unknownJWT, true, nil},
		{"refresh token where JWTs are allowed", jwt + " " + refresh, true,
			[]string{"refresh token of alice"}},
		{"invite secret where JWTs are allowed", "invite-secret-value", true,
			[]string{"invite secret"}},
		{"unknown JWT", "log " + unknownJWT, false, []string{"a JWT the suite did not record"}},
		{"unknown refresh token", "log " + emuRefresh, true,
			[]string{"a refresh token the suite did not record"}},
		{"both", unknownJWT + " " + emuRefresh, false, []string{
			"a refresh token the suite did not record", "a JWT the suite did not record"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range s.Find("out", tc.text, tc.jwtAllowed) {
				got = append(got, h.Name)
				if r := h.String(); strings.Contains(r, refresh) || strings.Contains(r, jwt) ||
					strings.Contains(r, unknownJWT) || strings.Contains(r, emuRefresh) {
					t.Errorf("report holds the secret: %s", r)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("hits = %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzScan(f *testing.F) {
	f.Add("secret-value-1", "log secret-value-1 line")
	f.Add("a&b=c d+e/f", "x=a%26b%3Dc+d%2Be%2Ff")
	f.Fuzz(func(t *testing.T, secret, text string) {
		s := New()
		s.Add("s", secret)
		hits := s.Scan("t", text)
		if len(secret) >= MinLen && strings.Contains(text, secret) && len(hits) != 1 {
			t.Fatalf("raw occurrence missed: %+v", hits)
		}
		for _, h := range append(hits, s.Find("t", text, false)...) {
			if h.Offset < 0 || h.Offset >= len(text) {
				t.Fatalf("offset %d out of range", h.Offset)
			}
		}
	})
}
