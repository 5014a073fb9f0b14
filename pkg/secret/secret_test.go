package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const raw = "v1.MjRhYzU2-super-secret-refresh"

func TestTokenNeverPrints(t *testing.T) {
	tok := New(raw)
	wrapped := struct {
		Name string
		Tok  Token
		Ptr  *Token
	}{"acct", tok, &tok}

	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v"} {
		outs = append(outs, fmt.Sprintf(verb, tok), fmt.Sprintf(verb, wrapped))
	}
	outs = append(outs, fmt.Sprint(tok), fmt.Sprintln(tok), tok.String(), tok.GoString())
	outs = append(outs, fmt.Errorf("refresh failed for %v: %w", tok, errors.New("x")).Error())

	js, err := json.Marshal(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(js))

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(h)
		l.Info("token", "tok", tok, "wrapped", wrapped, "any", any(tok))
	}
	outs = append(outs, buf.String())

	for _, o := range outs {
		if strings.Contains(o, raw) || strings.Contains(o, "super-secret") {
			t.Errorf("secret leaked: %q", o)
		}
	}
}

func TestRevealAndFingerprint(t *testing.T) {
	tok := New(raw)
	if tok.Reveal() != raw {
		t.Fatalf("Reveal = %q", tok.Reveal())
	}
	if tok.Fingerprint() == New("other").Fingerprint() {
		t.Error("different tokens share a fingerprint")
	}
	if strings.Contains(tok.Fingerprint(), raw[:8]) {
		t.Error("fingerprint shows the token")
	}
	if !New("").IsZero() || tok.IsZero() {
		t.Error("IsZero wrong")
	}
	if !tok.Equal(New(raw)) {
		t.Error("Equal wrong")
	}
}

func TestScrub(t *testing.T) {
	got := Scrub("bad token "+raw+" given", New(raw), New(""))
	if strings.Contains(got, raw) || !strings.Contains(got, Redacted) {
		t.Errorf("Scrub = %q", got)
	}
}

func TestServerText(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"plain", "bad request", 100, "bad request"},
		{"scrubbed", "token " + raw + " is bad", 100, "token " + Redacted + " is bad"},
		{"control", "line\nforged\x1b[31m", 100, "line forged [31m"},
		{"invalid-utf8", "a\xffb", 100, "a b"},
		{"cut", "abcdef", 3, "abc…"},
		{"trimmed", "  x  ", 100, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ServerText(tt.in, tt.n, New(raw)); got != tt.want {
				t.Errorf("ServerText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}
