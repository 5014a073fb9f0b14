// Package leakscan finds secrets where they must not be: in logs, stdout, stderr and
// error messages captured by a test suite. A suite registers every token it created
// (access tokens, refresh tokens, invite secrets, passwords) in a Set as it goes, and
// scans every text it captured before it ends; any hit fails the test. It is the one
// leak check of the project: credtest.CheckNoLeak, the e2e leakscan command and the
// fault and load suites all use it.
//
// A secret is looked for as written and in the encodings a careless log line would
// use (URL query escaping, JSON string escaping, standard and URL base64). Tokens the
// suite never saw (one minted by a background refresh or a device login inside the
// daemon) are found by their shape: JWTs, which may be allowed where a command is
// meant to print an access token, and refresh tokens of the login service ("v1."
// and a long opaque tail), which are allowed nowhere. It does not look inside
// compressed or encrypted data, and it ignores secrets shorter than MinLen, which
// would match by chance.
package leakscan

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// MinLen is the shortest secret Add keeps; shorter values are too likely to occur
// by chance in a log.
const MinLen = 8

// Set is the secrets a suite created. It is safe for concurrent use.
type Set struct {
	mu      sync.Mutex
	secrets map[string]string // value -> name
}

// New returns an empty Set.
func New() *Set { return &Set{secrets: map[string]string{}} }

// Add records secrets under a name used in failure reports (e.g. "refresh token of
// alice"); empty and short values are ignored. The name must not be a secret.
func (s *Set) Add(name string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) >= MinLen {
			if _, ok := s.secrets[v]; !ok {
				s.secrets[v] = name
			}
		}
	}
}

// Len is the number of distinct secrets recorded.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.secrets)
}

// Hit is one leak found in one captured text: a recorded secret or an unrecorded
// token-shaped string. It never holds the secret itself.
type Hit struct {
	// Source names the text, as given to Scan or Find (e.g. "daemon log").
	Source string
	// Name is the name the secret was added under, or the kind of token a shape
	// matched (e.g. "a JWT the suite did not record").
	Name string
	// Encoding is how it was written: "raw", "url", "json" or "base64" for a recorded
	// secret, "shape" for an unrecorded JWT or refresh token.
	Encoding string
	// Offset is the byte offset of the first occurrence in the text.
	Offset int
	// Tail is the secret's last four characters, enough to tell tokens apart.
	Tail string

	jwt bool // the secret is itself JWT-shaped: an access token
}

// String is the failure report for h; it names the secret, never prints it.
func (h Hit) String() string {
	return fmt.Sprintf("leakscan: %s holds %s (…%s, %s) at byte %d",
		h.Source, h.Name, h.Tail, h.Encoding, h.Offset)
}

// Scan returns every recorded secret found in text, each once, in the order of the
// secrets' names.
func (s *Set) Scan(source, text string) []Hit {
	s.mu.Lock()
	secrets := make(map[string]string, len(s.secrets))
	for v, n := range s.secrets {
		secrets[v] = n
	}
	s.mu.Unlock()

	var hits []Hit
	for v, name := range secrets {
		for _, f := range forms(v) {
			if i := strings.Index(text, f.text); i >= 0 {
				hits = append(hits, Hit{Source: source, Name: name, Encoding: f.encoding,
					Offset: i, Tail: v[len(v)-4:], jwt: jwtRE.FindString(v) == v})
				break
			}
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int { return strings.Compare(a.Name+a.Tail, b.Name+b.Tail) })
	return hits
}

type form struct{ encoding, text string }

// forms lists the ways a secret may appear in a text; encodings identical to the raw
// value are skipped.
func forms(v string) []form {
	out := []form{{"raw", v}}
	add := func(enc, t string) {
		for _, f := range out {
			if f.text == t {
				return
			}
		}
		if len(t) >= MinLen {
			out = append(out, form{enc, t})
		}
	}
	add("url", url.QueryEscape(v))
	if b, err := json.Marshal(v); err == nil {
		add("json", strings.Trim(string(b), `"`))
	}
	add("base64", strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(v)), "="))
	add("base64", strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(v)), "="))
	return out
}

// jwtRE matches a compact JWS: a base64url JSON header starting "eyJ" and a payload,
// with or without its signature (a log that cuts a token short still leaks its
// claims).
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)?`)

// refreshRE matches a refresh token of the login service and of the emulator: "v1."
// and a long opaque tail. Nothing the suites run may print one.
var refreshRE = regexp.MustCompile(`\bv1\.[A-Za-z0-9_-]{32,}`)

// JWTs returns the JWT-shaped strings in text: access tokens are JWTs, and ones
// refreshed in the background were never seen by the suite.
func JWTs(text string) []string { return jwtRE.FindAllString(text, -1) }

// RefreshTokens returns the refresh-token-shaped strings in text.
func RefreshTokens(text string) []string { return refreshRE.FindAllString(text, -1) }

// shapes are the token shapes Find looks for besides the recorded secrets.
var shapes = []struct {
	name string
	re   *regexp.Regexp
	jwt  bool
}{
	{"a refresh token the suite did not record", refreshRE, false},
	{"a JWT the suite did not record", jwtRE, true},
}

// Find returns every leak in text: each recorded secret found (as Scan does), then
// every JWT-shaped and refresh-token-shaped string that is not a recorded secret.
// With jwtAllowed (the stdout of a command meant to print an access token) JWTs are
// allowed, recorded ones included; refresh tokens and other secrets never are.
func (s *Set) Find(source, text string, jwtAllowed bool) []Hit {
	var hits []Hit
	for _, h := range s.Scan(source, text) {
		if !jwtAllowed || !h.jwt {
			hits = append(hits, h)
		}
	}

	for _, sh := range shapes {
		if sh.jwt && jwtAllowed {
			continue
		}
		for _, loc := range sh.re.FindAllStringIndex(text, -1) {
			m := text[loc[0]:loc[1]]
			if !s.has(m) {
				hits = append(hits, Hit{Source: source, Name: sh.name, Encoding: "shape",
					Offset: loc[0], Tail: m[len(m)-4:], jwt: sh.jwt})
			}
		}
	}
	return hits
}

// has reports whether v is a recorded secret.
func (s *Set) has(v string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.secrets[v]
	return ok
}

// Check fails tb once for every leak Find reports. Reports name the secret and its
// last four characters, never the secret.
func (s *Set) Check(tb testing.TB, source, text string, jwtAllowed bool) {
	tb.Helper()
	for _, h := range s.Find(source, text, jwtAllowed) {
		tb.Error(h.String())
	}
}
