package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxBody bounds every request body; the largest legitimate one is a few hundred bytes.
const maxBody = 64 << 10

// apiError is the error body of CONTRACT §3.1, which the official CLI recognises only
// when all three fields are present with these types.
type apiError struct {
	Message    string `json:"message"`
	StatusCode int    `json:"statusCode"`
	RequestID  string `json:"requestID"`
}

// writeError answers with the §3.1 error body.
func writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeJSON(w, status, apiError{Message: msg, StatusCode: status, RequestID: requestID(r)})
}

// oauthError is the error body of the login side (RFC 6749 §5.2, as Auth0 sends it).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, oauthError{Error: code, Description: desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"message":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// errBadBody is a request body the emulator cannot parse.
var errBadBody = errors.New("malformed request body")

// readParams reads the parameters of a login-side POST: a form body (RFC 6749) or a
// JSON object of strings (what the official CLI sends to /oauth/revoke). The query
// string is ignored, so no secret is accepted in a URL.
func readParams(r *http.Request) (url.Values, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("%w: body too large", errBadBody)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		return jsonParams(body)
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		// Not the parser's message: it quotes the input, which may hold a token.
		return nil, fmt.Errorf("%w: not a valid form", errBadBody)
	}
	return vals, nil
}

func jsonParams(body []byte) (url.Values, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", errBadBody)
	}
	vals := url.Values{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			vals.Set(k, v)
		case nil:
		default:
			return nil, fmt.Errorf("%w: field %q is not a string", errBadBody, k)
		}
	}
	return vals, nil
}

// decodeJSON reads a /v1alpha1 request body into v. An empty body decodes as {}.
// Unknown fields are allowed: clients send fields the emulator does not use.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxBody {
		return fmt.Errorf("%w: body too large", errBadBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", errBadBody, jsonProblem(err))
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON value", errBadBody)
	}
	return nil
}

// jsonProblem describes a decoding error without quoting the input, which may hold
// a secret.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be a %s", typ.Field, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return "invalid JSON"
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// validName is the rule for user and organization names (CONTRACT §4.2, §9).
func validName(n string) bool {
	if len(n) < 3 || len(n) > 30 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const nameRule = "names must be 3 to 30 characters of lowercase letters, numbers and underscores"
