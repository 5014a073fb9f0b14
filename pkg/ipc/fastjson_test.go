package ipc

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
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
		got, ok := parseTokenRequest([]byte(tc.body))
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseTokenRequest(%q) = %+v, %v; want %+v, %v", tc.body, got, ok, tc.want, tc.ok)
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
		got, ok := parseTokenRequest(body)
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
		got, ok := appendTokenResponse(nil, &r)
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

// Small bodies rely on net/http adding the Content-Length; check that it does, at
// and around the size where writeBody starts setting it itself.
func TestWriteBodyContentLength(t *testing.T) {
	path := filepath.Join(sockDir(t), "cl.sock")
	ln, err := Listen(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		writeBody(w, http.StatusOK, []byte(strings.Repeat("x", n)))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	for _, n := range []int{0, 1, 1100, autoLengthMax - 1, autoLengthMax, autoLengthMax + 1, 70000} {
		resp, body := rawRequest(t, path, "GET /?n="+itoa(n)+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.ContentLength != int64(n) || len(body) != n || len(resp.TransferEncoding) != 0 {
			t.Errorf("body of %d bytes: Content-Length %d, read %d, transfer encoding %v",
				n, resp.ContentLength, len(body), resp.TransferEncoding)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("body of %d bytes: Cache-Control %q", n, resp.Header.Get("Cache-Control"))
		}
	}
}
