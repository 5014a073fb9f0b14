// Package leakscan finds secrets where they must not be: in logs, stdout, stderr and
// error messages captured by a test suite. A suite registers every token it created
// (access tokens, refresh tokens, invite secrets, passwords) in a Set as it goes, and
// scans every text it captured before it ends; any hit fails the test.
//
// A secret is looked for as written and in the encodings a careless log line would
// use (URL query escaping, JSON string escaping, standard and URL base64), and any
// JWT-shaped string can be looked for on its own, since a token the suite never saw
// (one minted by a background refresh) can leak too. It does not look inside
// compressed or encrypted data, and it ignores secrets shorter than MinLen, which
// would match by chance.
package leakscan

import (
	"encoding/base64"
	"encoding/json"
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

// Hit is one secret found in one captured text. It never holds the secret itself.
type Hit struct {
	// Source names the text, as given to Scan (e.g. "daemon log").
	Source string
	// Name is the name the secret was added under.
	Name string
	// Encoding is how it was written: "raw", "url", "json", "base64" or "jwt".
	Encoding string
	// Offset is the byte offset of the first occurrence in the text.
	Offset int
	// Tail is the secret's last four characters, enough to tell tokens apart.
	Tail string
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
					Offset: i, Tail: v[len(v)-4:]})
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

// jwtRE matches a compact JWS: a base64url JSON header starting "eyJ", a payload and
// a signature.
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`)

// JWTs returns the JWT-shaped strings in text, which should hold none: access tokens
// are JWTs, and ones refreshed in the background were never seen by the suite.
func JWTs(text string) []string { return jwtRE.FindAllString(text, -1) }

// Check fails tb for every recorded secret found in text and, unless jwtAllowed, for
// every JWT-shaped string in it. It reports the secret's name and last four
// characters, never the secret.
func (s *Set) Check(tb testing.TB, source, text string, jwtAllowed bool) {
	tb.Helper()
	for _, h := range s.Scan(source, text) {
		tb.Errorf("leakscan: %s holds %s (…%s, %s encoding) at byte %d",
			h.Source, h.Name, h.Tail, h.Encoding, h.Offset)
	}
	if jwtAllowed {
		return
	}
	for _, j := range JWTs(text) {
		tb.Errorf("leakscan: %s holds a JWT (…%s)", source, j[len(j)-4:])
	}
}
