// Package secret holds Token, the one type that carries a credential (an access or
// refresh token, an invite secret, a keyring password) through this program.
//
// A Token prints as a redacted placeholder under every fmt verb, in slog and in JSON,
// so that a token stored in a struct cannot leak through a log line or an error
// message by accident. The raw value is available only through Reveal, which makes
// every place that sends a secret over the wire easy to find and audit.
package secret

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
)

// Redacted is what a Token prints as.
const Redacted = "[REDACTED]"

// Token is a secret string. Its zero value is the empty secret.
type Token struct {
	// The value sits in an unexported field of a struct (not a named string type) so
	// that a conversion such as string(tok) does not compile.
	v string
}

// New wraps a raw secret value.
func New(raw string) Token { return Token{v: raw} }

// Reveal returns the raw value. Call it only where the secret leaves the process on
// purpose: an HTTP request body, a keyring write, the socket's token response.
func (t Token) Reveal() string { return t.v }

// IsZero reports whether the secret is empty.
func (t Token) IsZero() bool { return t.v == "" }

// Equal reports whether two secrets hold the same value.
func (t Token) Equal(o Token) bool { return t.v == o.v }

// Fingerprint returns a short, stable, non-reversible identifier of the value, for
// logs and status output that must tell two tokens apart without showing either.
func (t Token) Fingerprint() string {
	if t.v == "" {
		return "none"
	}
	sum := sha256.Sum256([]byte(t.v))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

// String implements fmt.Stringer.
func (t Token) String() string { return Redacted }

// GoString implements fmt.GoStringer, used by %#v.
func (t Token) GoString() string { return "secret.Token(" + Redacted + ")" }

// Format implements fmt.Formatter, so every verb (%s %v %q %x %d ...) is redacted.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(t.GoString()))
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// LogValue implements slog.LogValuer.
func (t Token) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON redacts the value: wire types carry raw tokens as plain strings,
// filled from Reveal, so a Token that reaches an encoder is always a mistake.
func (t Token) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText redacts the value, for encoders that use encoding.TextMarshaler.
func (t Token) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Scrub returns s with every occurrence of each non-empty secret replaced by the
// redacted placeholder. Use it on text that may echo user input, such as a server's
// error body, before that text reaches an error message or a log.
func Scrub(s string, secrets ...Token) string {
	for _, sec := range secrets {
		if len(sec.v) >= 4 {
			s = strings.ReplaceAll(s, sec.v, Redacted)
		}
	}
	return s
}

// ServerText prepares text a server sent (an error description, a request ID, a user
// code) for a message: every given secret is scrubbed, control characters and
// invalid UTF-8 are blanked so that a server cannot forge lines or terminal escapes,
// and the text is cut to n runes, marked with an ellipsis.
func ServerText(s string, n int, secrets ...Token) string {
	s = Scrub(s, secrets...)

	var b strings.Builder
	count := 0
	for _, r := range s {
		if count == n {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			r = ' '
		}
		b.WriteRune(r)
		count++
	}
	return strings.TrimSpace(b.String())
}
