package ipcwire

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestParseTokenRequest(t *testing.T) {
	for _, tc := range []struct {
		body string
		want TokenRequest
		ok   bool
	}{
		{`{}`, TokenRequest{}, true},
		{` { } `, TokenRequest{}, true},
		{`{"account":"work"}`, TokenRequest{Account: "work"}, true},
		{`{"account":"work","min_ttl_seconds":300}`, TokenRequest{Account: "work", MinTTLSeconds: 300}, true},
		{"{\n\t\"min_ttl_seconds\" : 0 ,\r\n\"account\":\"a.b-c_d\"}\n", TokenRequest{Account: "a.b-c_d"}, true},
		{`{"account":"a","account":"b"}`, TokenRequest{Account: "b"}, true}, // last wins, as in encoding/json
		{`{"protocol":"https","api_host":"cloud.dbos.dev:443","user":"alice","min_ttl_seconds":300}`,
			TokenRequest{Protocol: "https", APIHost: "cloud.dbos.dev:443", User: "alice", MinTTLSeconds: 300}, true},
		{`{"api_host":"[::1]:8787","protocol":"http"}`, TokenRequest{Protocol: "http", APIHost: "[::1]:8787"}, true},
		{`{"api_host":"h\u00e9"}`, TokenRequest{}, false},
		{`{"user":null}`, TokenRequest{}, false},
		{`{"API_HOST":"h"}`, TokenRequest{}, false},
		// Everything else goes to encoding/json.
		{``, TokenRequest{}, false},
		{`{`, TokenRequest{}, false},
		{`{"account":"a"`, TokenRequest{}, false},
		{`{"account":"a",}`, TokenRequest{}, false},
		{`{"account":"a"} {}`, TokenRequest{}, false},
		{`{"Account":"a"}`, TokenRequest{}, false},
		{`{"account":"a\u0062"}`, TokenRequest{}, false},
		{`{"account":"<a>"}`, TokenRequest{}, false},
		{`{"account":null}`, TokenRequest{}, false},
		{`{"account":1}`, TokenRequest{}, false},
		{`{"min_ttl_seconds":-1}`, TokenRequest{}, false},
		{`{"min_ttl_seconds":1.5}`, TokenRequest{}, false},
		{`{"min_ttl_seconds":1e3}`, TokenRequest{}, false},
		{`{"min_ttl_seconds":007}`, TokenRequest{}, false},
		{`{"min_ttl_seconds":9999999999999999999}`, TokenRequest{}, false},
		{`{"other":1}`, TokenRequest{}, false},
		{`[]`, TokenRequest{}, false},
	} {
		got, ok := ParseTokenRequest([]byte(tc.body))
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseTokenRequest(%q) = %+v, %v; want %+v, %v", tc.body, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseTokenRequest: whatever the hand-written parser accepts, encoding/json
// (as the server configures it) accepts too, with the same result.
func FuzzParseTokenRequest(f *testing.F) {
	for _, s := range []string{`{}`, `{"account":"work","min_ttl_seconds":300}`,
		`{"account":"a","account":"b"}`, ` {"min_ttl_seconds" : 0} `, `{"account":"é"}`,
		`{"min_ttl_seconds":00}`, `{"account":"a"}x`,
		`{"protocol":"https","api_host":"cloud.dbos.dev","user":"alice","min_ttl_seconds":300}`,
		`{"api_host":"a","Api_Host":"b"}`, `{"user":"\u0061"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := ParseTokenRequest(body)
		if !ok {
			return
		}
		var want TokenRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err := dec.Decode(&want)
		if err == nil && len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
			t.Fatalf("fast path accepted %q with trailing data", body)
		}
		if err != nil || got != want {
			t.Fatalf("fast path %q = %+v; encoding/json = %+v, %v", body, got, want, err)
		}
	})
}

// FuzzAppendTokenResponse: when the hand-written encoder answers, its bytes are
// exactly encoding/json's.
func FuzzAppendTokenResponse(f *testing.F) {
	f.Add("default", "eyJhbGciOiJSUzI1NiJ9.e30.sig", int64(1893553445), int64(5), "alice", "acme",
		"https://cloud.dbos.dev", "keyring", int64(0))
	f.Add("a", "t", int64(0), int64(0), "", "", "http://x?a=1&b=2", "memory", int64(3600))
	f.Add("a", "t", int64(-70000000000), int64(0), "José", "<org>", "u", "s", int64(-7200))
	f.Add("a", "t", int64(253402300800), int64(999999999), "", "", "u", "s", int64(59))
	f.Fuzz(func(t *testing.T, acct, tok string, sec, nsec int64, user, org, api, src string, zone int64) {
		r := TokenResponse{Account: acct, AccessToken: tok, User: user, Organization: org,
			APIURL: api, Source: src,
			ExpiresAt: time.Unix(sec, nsec%1e9).In(time.FixedZone("z", int(zone%(30*3600))))}
		got, ok := AppendTokenResponse(nil, &r)
		if !ok {
			return
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(r); err != nil {
			t.Fatalf("fast path encoded what encoding/json refuses (%v): %s", err, got)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("fast path\n%s\nencoding/json\n%s", got, want.Bytes())
		}
	})
}

// FuzzAppendTokenRequest: when the hand-written encoder answers, its bytes are
// exactly encoding/json's, and the server's parser reads them back.
func FuzzAppendTokenRequest(f *testing.F) {
	f.Add("default", int64(300), "", "", "")
	f.Add("", int64(300), "cloud.dbos.dev:443", "https", "alice")
	f.Add("", int64(0), "[::1]:80", "http", "")
	f.Add("a<b", int64(-5), "h\u00e9", "\n", "\"")
	f.Fuzz(func(t *testing.T, acct string, ttl int64, host, proto, user string) {
		r := TokenRequest{Account: acct, MinTTLSeconds: ttl, APIHost: host, Protocol: proto, User: user}
		got, ok := AppendTokenRequest(nil, &r)
		if !ok {
			return
		}
		want, err := json.Marshal(r)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("fast path %s; encoding/json %s, %v", got, want, err)
		}
		if back, ok := ParseTokenRequest(got); ok && back != r {
			t.Fatalf("read back %+v from %s", back, got)
		}
	})
}

// FuzzParseTokenResponse: whatever the hand-written parser accepts, encoding/json
// reads the same way.
func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range []string{
		`{"account":"default","access_token":"eyJ.e30.sig","expires_at":"2026-12-03T15:36:34Z","user":"carol","organization":"carol","api_url":"http://127.0.0.1:39431","source":"keyring"}` + "\n",
		`{"account":"a","access_token":"t","expires_at":"2026-12-03T15:36:34.123+01:00","api_url":"u","source":"s"}`,
		`{"expires_at":"2026-13-03T15:36:34Z"}`, `{"expires_at":"2026-12-03 15:36:34Z"}`,
		`{"Account":"x"}`, `{"account":"a","account":"b"}`, `{"user":"\u0061"}`, `{}`, `{"source":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := ParseTokenResponse(body)
		if !ok {
			return
		}
		var want TokenResponse
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("fast path accepted %q; encoding/json: %v", body, err)
		}
		if got.Account != want.Account || got.AccessToken != want.AccessToken ||
			!got.ExpiresAt.Equal(want.ExpiresAt) || got.ExpiresAt.Location().String() != want.ExpiresAt.Location().String() ||
			got.User != want.User || got.Organization != want.Organization ||
			got.APIURL != want.APIURL || got.Source != want.Source {
			t.Fatalf("fast path %q = %+v; encoding/json %+v", body, got, want)
		}
	})
}

// FuzzParseErrorBody: whatever the hand-written parser accepts, encoding/json
// reads the same way.
func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{`{"code":"account_not_found","message":"no logged-in account has the API host https://github.com"}` + "\n",
		`{"code":"bad_request","message":"field \"x\""}`, `{"code":"a","Code":"b"}`, `{"message":""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := ParseErrorBody(body)
		if !ok {
			return
		}
		var want ErrorBody
		if err := json.Unmarshal(body, &want); err != nil || got != want {
			t.Fatalf("fast path %q = %+v; encoding/json %+v, %v", body, got, want, err)
		}
	})
}
