package ipcwire

import (
	"strconv"
	"time"
)

// The token fetch is the daemon's hot path, and encoding/json (reflection, a scan
// of the input before decoding, an allocation per string) was most of its cost
// beyond HTTP itself; in git-credential-dbos, a fresh process, its first use
// (building the type's codec) cost a tenth of a millisecond. The functions here
// handle the common shape of the token request and answer, on both sides of the
// socket, by hand and give up on anything unusual, which then takes the
// encoding/json path: they must never accept or produce something encoding/json
// would treat differently (the fuzzers in fastjson_test.go check this).

// ParseTokenRequest parses a TokenRequest body of the plain shape clients send:
// an object with only the keys "account", "api_host", "protocol", "user" (strings
// of printable ASCII without escapes) and "min_ttl_seconds" (a non-negative
// integer of at most 18 digits), in any order, with JSON whitespace. ok is false for anything else, including a
// valid body of another shape; the caller then decodes it with encoding/json,
// which also gives the error message.
func ParseTokenRequest(body []byte) (req TokenRequest, ok bool) {
	ok = scanObject(body, func(p *jsonScanner, key string) (ok bool) {
		switch key {
		case "account":
			req.Account, ok = p.plainString()
		case "min_ttl_seconds":
			req.MinTTLSeconds, ok = p.smallUint()
		case "api_host":
			req.APIHost, ok = p.plainString()
		case "protocol":
			req.Protocol, ok = p.plainString()
		case "user":
			req.User, ok = p.plainString()
		}
		return ok // false too for a key unknown or in another case: encoding/json decides
	})
	if !ok {
		return TokenRequest{}, false
	}
	return req, true
}

// scanObject walks a JSON object of plain keys, calling field to read each value.
// It reports whether the body is such an object, with nothing after it, and field
// accepted every value.
func scanObject(body []byte, field func(p *jsonScanner, key string) bool) bool {
	p := jsonScanner{b: body}
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return p.end()
	}
	for {
		key, ok := p.plainString()
		if !ok || !p.byte(':') || !field(&p, key) {
			return false
		}
		if p.byte('}') {
			return p.end()
		}
		if !p.byte(',') {
			return false
		}
	}
}

// jsonScanner reads tokens of the plain subset of JSON that the parsers here
// accepts. Each method skips whitespace first.
type jsonScanner struct {
	b []byte
	i int
}

func (p *jsonScanner) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (p *jsonScanner) byte(c byte) bool {
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (p *jsonScanner) end() bool {
	p.skipSpace()
	return p.i == len(p.b)
}

// plainString reads a string whose bytes are all plainByte.
func (p *jsonScanner) plainString() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) && plainByte(p.b[p.i]) {
		p.i++
	}
	if p.i == len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	s := string(p.b[start:p.i])
	p.i++
	return s, true
}

// smallUint reads an integer without sign, fraction or exponent, small enough
// that it cannot overflow int64.
func (p *jsonScanner) smallUint() (int64, bool) {
	p.skipSpace()
	start := p.i
	var n int64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		n = n*10 + int64(p.b[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || digits > 18 || digits > 1 && p.b[start] == '0' {
		return 0, false
	}
	return n, true
}

// plainByte reports whether c stands for itself inside a JSON string, both when
// read and when written by encoding/json (which escapes <, > and & for HTML).
func plainByte(c byte) bool {
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}

// plain reports whether every byte of s is plainByte.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte(s[i]) {
			return false
		}
	}
	return true
}

// AppendTokenResponse appends r as encoding/json's Encoder writes it (fields in
// declaration order, omitempty honoured, a final newline). ok is false when a
// string holds a byte that encoding/json would escape, or the time has no RFC 3339
// form; the caller then encodes r with encoding/json.
func AppendTokenResponse(b []byte, r *TokenResponse) (_ []byte, ok bool) {
	if !plain(r.Account) || !plain(r.AccessToken) || !plain(r.User) ||
		!plain(r.Organization) || !plain(r.APIURL) || !plain(r.Source) {
		return b, false
	}

	b = append(b, `{"account":"`...)
	b = append(b, r.Account...)
	b = append(b, `","access_token":"`...)
	b = append(b, r.AccessToken...)
	b = append(b, `","expires_at":"`...)
	b, ok = appendTime(b, r.ExpiresAt)
	if !ok {
		return b, false
	}
	b = append(b, '"')
	if r.User != "" {
		b = append(b, `,"user":"`...)
		b = append(b, r.User...)
		b = append(b, '"')
	}
	if r.Organization != "" {
		b = append(b, `,"organization":"`...)
		b = append(b, r.Organization...)
		b = append(b, '"')
	}
	b = append(b, `,"api_url":"`...)
	b = append(b, r.APIURL...)
	b = append(b, `","source":"`...)
	b = append(b, r.Source...)
	b = append(b, "\"}\n"...)
	return b, true
}

// appendTime appends t as time.Time's MarshalJSON does, without the quotes. Both
// use the strict RFC 3339 form.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	out, err := t.AppendText(b)
	if err != nil {
		return b, false
	}
	return out, true
}

// AppendTokenRequest appends r as encoding/json's Marshal writes it (fields in
// declaration order, omitempty honoured, no newline). ok is false when a string
// holds a byte that encoding/json would escape.
func AppendTokenRequest(b []byte, r *TokenRequest) (_ []byte, ok bool) {
	if !plain(r.Account) || !plain(r.APIHost) || !plain(r.Protocol) || !plain(r.User) {
		return b, false
	}
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(append(append(b, '"'), k...), `":`...)
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			b = append(append(append(b, '"'), v...), '"')
		}
	}
	str("account", r.Account)
	if r.MinTTLSeconds != 0 {
		key("min_ttl_seconds")
		b = strconv.AppendInt(b, r.MinTTLSeconds, 10)
	}
	str("api_host", r.APIHost)
	str("protocol", r.Protocol)
	str("user", r.User)
	return append(b, '}'), true
}

// ParseTokenResponse parses a TokenResponse of the plain shape the daemon writes
// (AppendTokenResponse): an object with only its keys, in any order, each a string
// of plainByte bytes, expires_at in the RFC 3339 form time.Time accepts. ok is
// false for anything else; the caller then decodes with encoding/json.
func ParseTokenResponse(body []byte) (r TokenResponse, ok bool) {
	ok = scanObject(body, func(p *jsonScanner, key string) bool {
		v, ok := p.plainString()
		if !ok {
			return false
		}
		switch key {
		case "account":
			r.Account = v
		case "access_token":
			r.AccessToken = v
		case "expires_at":
			// As time.Time's UnmarshalJSON reads it, quotes included.
			return r.ExpiresAt.UnmarshalJSON([]byte(`"`+v+`"`)) == nil
		case "user":
			r.User = v
		case "organization":
			r.Organization = v
		case "api_url":
			r.APIURL = v
		case "source":
			r.Source = v
		default:
			return false
		}
		return true
	})
	if !ok {
		return TokenResponse{}, false
	}
	return r, true
}

// ParseErrorBody parses an ErrorBody whose strings are plain, as
// ParseTokenResponse does; ok is false for anything else.
func ParseErrorBody(body []byte) (e ErrorBody, ok bool) {
	ok = scanObject(body, func(p *jsonScanner, key string) bool {
		v, ok := p.plainString()
		switch {
		case ok && key == "code":
			e.Code = v
		case ok && key == "message":
			e.Message = v
		default:
			return false
		}
		return true
	})
	if !ok {
		return ErrorBody{}, false
	}
	return e, true
}
