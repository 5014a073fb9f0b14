package gitcred

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/secret"
)

// Limits on what a helper accepts; git's own descriptions are a few hundred bytes.
const (
	maxInput = 64 << 10
	maxLine  = 16 << 10
)

// ErrMalformed reports input that does not follow the protocol.
var ErrMalformed = errors.New("malformed credential description")

// Request is the description git sends to a helper.
type Request struct {
	Protocol string
	Host     string
	Path     string
	Username string
	// Password is set by git on store and erase; it is a token this package gave out
	// earlier, or someone else's, and is never printed.
	Password secret.Token
	// Other holds the attributes this package does not interpret (wwwauth[],
	// capability[], ...), in the order given.
	Other []Attr
}

// Attr is one key=value line.
type Attr struct{ Key, Value string }

// Answer is what a helper tells git on get.
type Answer struct {
	Username string
	Password secret.Token
	// Expiry, when set, is sent as password_expiry_utc so that git drops the
	// password from its caches when the access token expires.
	Expiry time.Time
}

// Parse reads one description: key=value lines up to a blank line or the end of the
// input. A `url` attribute is expanded into protocol, host and path as git does.
func Parse(r io.Reader) (*Request, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxInput+1))
	sc.Buffer(make([]byte, 0, 1024), maxLine)

	req := &Request{}
	total := 0
	for sc.Scan() {
		line := sc.Text()
		total += len(line) + 1
		if total > maxInput {
			return nil, fmt.Errorf("%w: input exceeds %d bytes", ErrMalformed, maxInput)
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		if err := req.set(line); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: a line exceeds %d bytes", ErrMalformed, maxLine)
		}
		return nil, fmt.Errorf("read credential description: %w", err)
	}
	return req, nil
}

func (r *Request) set(line string) error {
	key, value, ok := strings.Cut(line, "=")
	if !ok || key == "" {
		// Never echo the line: it may be a password.
		return fmt.Errorf("%w: a line has no key=value form", ErrMalformed)
	}
	if strings.ContainsRune(value, 0) || strings.ContainsRune(key, 0) {
		return fmt.Errorf("%w: NUL byte in attribute %q", ErrMalformed, safeKey(key))
	}

	switch key {
	case "protocol":
		r.Protocol = value
	case "host":
		r.Host = value
	case "path":
		r.Path = value
	case "username":
		r.Username = value
	case "password":
		r.Password = secret.New(value)
	case "url":
		return r.setURL(value)
	default:
		r.Other = append(r.Other, Attr{Key: key, Value: value})
	}
	return nil
}

// setURL splits a url attribute the way git does, without net/url's rejection of
// the odd but legal forms git passes (user info, no path).
func (r *Request) setURL(v string) error {
	proto, rest, ok := strings.Cut(v, "://")
	if !ok || proto == "" {
		return fmt.Errorf("%w: url attribute has no scheme", ErrMalformed)
	}
	r.Protocol = proto

	hostPart, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(hostPart, '@'); at >= 0 {
		user := hostPart[:at]
		if name, _, hasPass := strings.Cut(user, ":"); hasPass {
			user = name
		}
		r.Username = user
		hostPart = hostPart[at+1:]
	}
	r.Host = hostPart
	r.Path = path
	return nil
}

// safeKey bounds an attribute name for an error message.
func safeKey(k string) string {
	if len(k) > 32 {
		k = k[:32] + "..."
	}
	return strconv.QuoteToASCII(k)[1 : len(strconv.QuoteToASCII(k))-1]
}

// Write sends an answer in the protocol's form. A value holding a newline would let
// one attribute inject another, so it is refused.
func (a Answer) Write(w io.Writer) error {
	var b strings.Builder
	for _, kv := range []Attr{{"username", a.Username}, {"password", a.Password.Reveal()}} {
		if strings.ContainsAny(kv.Value, "\n\x00") {
			return fmt.Errorf("%w: %s contains a newline or NUL", ErrMalformed, kv.Key)
		}
		if kv.Value != "" {
			b.WriteString(kv.Key + "=" + kv.Value + "\n")
		}
	}
	if !a.Expiry.IsZero() {
		b.WriteString("password_expiry_utc=" + strconv.FormatInt(a.Expiry.Unix(), 10) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
