package tokens

import (
	"strings"
	"testing"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

func TestRecordRoundTrip(t *testing.T) {
	in := Record{RefreshToken: secret.New("rt-secret"), Endpoints: testEP, User: "alice",
		Organization: "org", LastUsed: time.Unix(100, 0).UTC(), Created: time.Unix(50, 0).UTC()}
	b, err := EncodeRecord(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"refresh_token":"rt-secret"`, `"endpoints"`, `"last_used"`, `"created"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("encoded record lacks %s", field)
		}
	}
	out, err := DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if !out.RefreshToken.Equal(in.RefreshToken) || out.Endpoints != in.Endpoints ||
		out.User != in.User || !out.LastUsed.Equal(in.LastUsed) || !out.Created.Equal(in.Created) {
		t.Fatalf("round trip: %+v", out)
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"default": true, "ci": true, "a.b_c-1": true, "": false, ".hidden": false,
		"-x": false, "a/b": false, "a b": false, strings.Repeat("a", 65): false,
		".dbos-credd-probe-00": false,
	} {
		if ValidName(name) != want {
			t.Errorf("ValidName(%q) = %v", name, !want)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	good, _ := EncodeRecord(Record{RefreshToken: secret.New("tok-123456"), Endpoints: testEP})
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"refresh_token":"x","endpoints":{"issuer":"i","client_id":"c"}}`))
	f.Add([]byte(`not json tok-123456`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			// Errors must not quote the input, which may hold a token.
			if len(b) >= 8 && strings.Contains(err.Error(), string(b)) {
				t.Fatalf("error quotes input: %v", err)
			}
			return
		}
		if r.RefreshToken.IsZero() || r.Endpoints.Issuer == "" {
			t.Fatal("accepted record without token or issuer")
		}
		again, err := EncodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeRecord(again); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
	})
}
