package cloud

import (
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

func FuzzDecodeAPIError(f *testing.F) {
	f.Add(404, `{"message":"user not found in DBOS Cloud","statusCode":404,"requestID":"r"}`)
	f.Add(500, `<html>`)
	f.Add(400, `{"message":"sec-ret-42\n","statusCode":1,"requestID":"\u001b","DetailedError":3}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		e := decodeAPIError(status, []byte(body), secret.New("sec-ret-42"))
		if strings.Contains(e.Error(), "sec-ret-42") || strings.Contains(e.DetailedError,
			"sec-ret-42") {
			t.Fatalf("leak: %q", e.Error())
		}
		if strings.ContainsAny(e.Error()+e.DetailedError, "\n\r\x1b") {
			t.Fatalf("control characters kept: %q", e.Error())
		}
		if e.Message == "" {
			t.Fatal("empty message")
		}
	})
}

func FuzzDecodeSecret(f *testing.F) {
	f.Add(`"abc"`)
	f.Add("abc\n")
	f.Add(`{"x":1}`)
	f.Fuzz(func(t *testing.T, body string) {
		s, err := decodeSecret([]byte(body))
		if err != nil {
			if strings.Contains(err.Error(), body) && len(body) > 3 {
				t.Fatalf("error quotes the body: %v", err)
			}
			return
		}
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' }) {
			t.Fatalf("bad secret %q", s)
		}
	})
}

func FuzzResolveTarget(f *testing.F) {
	f.Add("cloud.dbos.dev", "", "")
	f.Add("http://127.0.0.1:8787", "http://127.0.0.1:8787", "cid")
	f.Add("CLOUD.dbos.dev.:443", "x", "")
	f.Fuzz(func(t *testing.T, domain, auth, client string) {
		tg, err := ResolveTarget(domain, auth, client)
		if err != nil {
			return
		}
		if !strings.HasPrefix(tg.APIURL, "http://") && !strings.HasPrefix(tg.APIURL, "https://") {
			t.Fatalf("API URL %q", tg.APIURL)
		}
		if tg.ClientID == "" || tg.Issuer == "" {
			t.Fatalf("target %+v", tg)
		}
	})
}
