package ipc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

// handler is the whole HTTP surface: the guards every request passes, then the
// routes. Requests are logged at debug level, without bodies.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathStatus, s.handleStatus)
	mux.HandleFunc("POST "+PathToken, s.handleToken)
	mux.HandleFunc("GET "+PathAccounts, s.handleAccounts)
	mux.HandleFunc("PUT "+PathAccountPrefix+"{name}", s.handleStore)
	mux.HandleFunc("PATCH "+PathAccountPrefix+"{name}", s.handleUpdate)
	mux.HandleFunc("DELETE "+PathAccountPrefix+"{name}", s.handleForget)
	mux.HandleFunc("DELETE "+PathAccountPrefix+"{name}"+PathCacheSuffix, s.handleDropCache)
	mux.HandleFunc("POST "+PathKeyringCheck, s.handleKeyringCheck)
	mux.HandleFunc("POST "+PathKeyringUnlock, s.handleUnlock)

	// Without these the mux answers wrong methods and unknown paths in plain text;
	// every answer from this socket is JSON.
	for path, allow := range map[string]string{
		PathStatus:                   "GET, HEAD",
		PathToken:                    "POST",
		PathAccounts:                 "GET, HEAD",
		PathAccountPrefix + "{name}": "PUT, PATCH, DELETE",
		PathAccountPrefix + "{name}" + PathCacheSuffix: "DELETE",
		PathKeyringCheck:  "POST",
		PathKeyringUnlock: "POST",
	} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, &Error{Code: CodeBadRequest, Status: http.StatusMethodNotAllowed,
				Message: fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow)})
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Code: CodeBadRequest, Status: http.StatusNotFound,
			Message: "no such endpoint; the daemon's API is under /v1/"})
	})

	return s.guard(mux)
}

// guard refuses requests from other users and from browsers before any route runs.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		pi := peerFrom(r.Context())
		if s.serverHeader != nil {
			w.Header()["Server"] = s.serverHeader
		}

		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			defer func() {
				s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
					"duration", time.Since(start), "peer_uid", pi.peer.UID, "peer_pid", pi.peer.PID)
			}()
			w = rec
		}

		if pi.err != nil || pi.peer.UID != s.uid {
			s.rejectPeer(w, pi)
			return
		}

		// A browser tricked into reaching the socket (through a proxy or a future
		// browser feature) sends one of these; curl and our client never do. The
		// peer is the right user, so the code is bad_request, not peer_rejected.
		if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
			writeError(w, &Error{Code: CodeBadRequest, Status: http.StatusForbidden,
				Message: "requests from web pages (with an Origin or Referer header) are refused"})
			return
		}

		// The mux would answer these with a bare 400 or an HTML redirect.
		if r.RequestURI == "*" || r.URL.Path == "" || path.Clean(r.URL.Path) != r.URL.Path {
			writeError(w, NewError(CodeBadRequest, "request path must be absolute and clean, e.g. /v1/status"))
			return
		}

		next.ServeHTTP(w, r)
	})
}

// rejectPeer answers a connection from another uid, or one whose credentials the
// kernel would not give, and closes it.
func (s *Server) rejectPeer(w http.ResponseWriter, pi *peerInfo) {
	if pi.err != nil {
		s.log.Warn("refused connection: peer credentials unavailable", "err", pi.err)
	} else {
		s.log.Warn("refused connection from another user", "peer_uid", pi.peer.UID,
			"peer_pid", pi.peer.PID, "daemon_uid", s.uid)
	}
	w.Header().Set("Connection", "close")
	writeError(w, NewError(CodePeerRejected,
		"this dbos-credd serves only the user it runs as; start your own daemon"))
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Status(r.Context())
	s.respond(w, r, st, err)
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	buf, ok := s.readBody(w, r)
	if !ok {
		return
	}
	defer putBuffer(buf)
	req, ok := ipcwire.ParseTokenRequest(buf.Bytes())
	if !ok && !decodeBody(w, buf.Bytes(), &req, true) {
		return
	}
	if req.Account != "" && !ValidAccountName(req.Account) {
		writeError(w, badAccountName(req.Account))
		return
	}
	if req.APIHost != "" && (req.Account != "" || req.Protocol == "") ||
		req.APIHost == "" && (req.Protocol != "" || req.User != "") {
		writeError(w, NewError(CodeBadRequest,
			"api_host needs protocol and excludes account; protocol and user go with api_host"))
		return
	}
	if req.MinTTLSeconds < 0 {
		writeError(w, NewError(CodeBadRequest, "min_ttl_seconds must not be negative"))
		return
	}

	peer := peerFrom(r.Context()).withExe()
	resp, err := s.svc.Token(r.Context(), peer, req)
	if err != nil {
		s.respond(w, r, nil, err)
		return
	}

	out := getBuffer()
	defer putBuffer(out)
	body, ok := ipcwire.AppendTokenResponse(out.AvailableBuffer(), &resp)
	if !ok {
		writeJSON(w, http.StatusOK, resp)
		return
	}
	out.Write(body) // in place when it fitted; the pooled buffer grows to fit the next
	writeBody(w, http.StatusOK, out.Bytes())
}

func (s *Server) handleAccounts(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.Accounts(r.Context())
	s.respond(w, r, list, err)
}

func (s *Server) handleStore(w http.ResponseWriter, r *http.Request) {
	name, ok := pathAccount(w, r)
	if !ok {
		return
	}
	var req StoreRequest
	if !s.decode(w, r, &req, false) {
		return
	}
	if req.Name != "" && req.Name != name {
		writeError(w, NewError(CodeBadRequest, "the name in the body differs from the name in the path"))
		return
	}
	req.Name = name

	acct, err := s.svc.Store(r.Context(), req)
	s.respond(w, r, acct, err)
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	name, ok := pathAccount(w, r)
	if !ok {
		return
	}
	var upd AccountUpdate
	if !s.decode(w, r, &upd, false) {
		return
	}

	acct, err := s.svc.Update(r.Context(), name, upd)
	s.respond(w, r, acct, err)
}

func (s *Server) handleForget(w http.ResponseWriter, r *http.Request) {
	name, ok := pathAccount(w, r)
	if !ok {
		return
	}
	revoke := false
	if v := r.URL.Query().Get("revoke"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, NewError(CodeBadRequest, "revoke must be true or false"))
			return
		}
		revoke = b
	}

	resp, err := s.svc.Forget(r.Context(), name, revoke)
	s.respond(w, r, resp, err)
}

func (s *Server) handleDropCache(w http.ResponseWriter, r *http.Request) {
	name, ok := pathAccount(w, r)
	if !ok {
		return
	}
	if err := s.svc.DropCache(r.Context(), name); err != nil {
		s.respond(w, r, nil, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleKeyringCheck(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.KeyringCheck(r.Context())
	s.respond(w, r, st, err)
}

func (s *Server) handleUnlock(w http.ResponseWriter, r *http.Request) {
	var req UnlockRequest
	if !s.decode(w, r, &req, false) {
		return
	}
	st, err := s.svc.Unlock(r.Context(), req)
	s.respond(w, r, st, err)
}

// pathAccount returns the {name} path segment if it is a valid account name.
func pathAccount(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if !ValidAccountName(name) {
		writeError(w, badAccountName(name))
		return "", false
	}
	return name, true
}

func badAccountName(name string) *Error {
	const limit = 80 // the name is the caller's own input, but keep the line sane
	if len(name) > limit {
		name = name[:limit] + "..."
	}
	return NewError(CodeBadRequest, fmt.Sprintf(
		"invalid account name %q: use 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit", name))
}

// decode reads r's JSON body into dst, bounded by MaxBodyBytes. Unknown fields and
// trailing data are errors. On failure it writes the error response and returns
// false. Messages never quote the body: it may hold a token or a password.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, dst any, allowEmpty bool) bool {
	buf, ok := s.readBody(w, r)
	if !ok {
		return false
	}
	defer putBuffer(buf)
	return decodeBody(w, buf.Bytes(), dst, allowEmpty)
}

// readBody reads r's body into a pooled buffer (give it back with putBuffer),
// bounded by MaxBodyBytes. On failure it writes the error response.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, bool) {
	if r.ContentLength > s.opts.MaxBodyBytes {
		writeError(w, tooLarge(s.opts.MaxBodyBytes))
		return nil, false
	}
	// A body with a Content-Length is already cut there by net/http; only a chunked
	// one needs the bound.
	body := r.Body
	if r.ContentLength < 0 {
		body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	}

	buf := getBuffer()
	if _, err := buf.ReadFrom(body); err != nil {
		putBuffer(buf)
		writeError(w, decodeError(err, s.opts.MaxBodyBytes))
		return nil, false
	}
	return buf, true
}

// decodeBody decodes body into dst as decode describes.
func decodeBody(w http.ResponseWriter, body []byte, dst any, allowEmpty bool) bool {
	if allowEmpty && len(bytes.TrimSpace(body)) == 0 {
		return true
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		err = errTrailing
	}
	if err != nil {
		writeError(w, decodeError(err, 0))
		return false
	}
	return true
}

var errTrailing = errors.New("trailing data after the JSON value")

// decodeError turns a body-decoding failure into a client error.
func decodeError(err error, limit int64) *Error {
	var (
		tooBig  *http.MaxBytesError
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return tooLarge(limit)
	case errors.Is(err, errTrailing):
		return NewError(CodeBadRequest, "request body holds more than one JSON value")
	case errors.Is(err, io.EOF):
		return NewError(CodeBadRequest, "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return NewError(CodeBadRequest, "request body ends in the middle of a JSON value")
	case errors.As(err, &syntax):
		return NewError(CodeBadRequest, fmt.Sprintf("request body is not valid JSON (at byte %d)", syntax.Offset))
	case errors.As(err, &typeErr):
		return NewError(CodeBadRequest, fmt.Sprintf("field %q must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// The field name is the caller's own key, not a value.
		return NewError(CodeBadRequest, "request body has an "+strings.TrimPrefix(err.Error(), "json: "))
	default:
		return NewError(CodeBadRequest, "request body could not be decoded as the expected JSON object")
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	default:
		return "number"
	}
}

func tooLarge(limit int64) *Error {
	return &Error{Code: CodeBadRequest, Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
}

// respond writes v as JSON, or the error. Errors that are not *Error get a generic
// message: their text may describe internals, so it goes to the daemon's log only.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err == nil {
		writeJSON(w, http.StatusOK, v)
		return
	}

	var e *Error
	if errors.As(err, &e) {
		writeError(w, e)
		return
	}
	level := slog.LevelError
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		level = slog.LevelDebug // the client went away
	}
	s.log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, NewError(CodeInternal, "dbos-credd hit an internal error; its log has the details"))
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.HTTPStatus(), ErrorBody{Code: e.Code, Message: e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := getBuffer()
	defer putBuffer(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil { // Encode adds the newline
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"code":"internal","message":"dbos-credd could not encode its response"}` + "\n")
	}
	writeBody(w, status, buf.Bytes())
}

// Header values of every response, shared: net/http only reads them, and a
// handler that changes one replaces the slice rather than writing into it.
var (
	headerJSON    = []string{"application/json"}
	headerNoStore = []string{"no-store"}
	headerNosniff = []string{"nosniff"}
)

// autoLengthMax is the body size up to which net/http adds the Content-Length
// itself, for a handler that writes its body in one call and does not flush
// (documented on http.ResponseWriter.Write as "a few KB"; 2 KiB in practice).
const autoLengthMax = 2 << 10

// writeBody writes a JSON body with the headers every answer carries.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = headerJSON
	if len(body) > autoLengthMax {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	// Token responses must not sit in any cache.
	h["Cache-Control"] = headerNoStore
	h["X-Content-Type-Options"] = headerNosniff
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Buffers for request and response bodies, reused across requests. Oversized ones
// are dropped rather than kept, so one big status does not pin memory; contents are
// zeroed first, since a body may have held a refresh token or a password.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 64<<10 {
		return
	}
	clear(b.Bytes())
	b.Reset()
	bufPool.Put(b)
}

// statusRecorder remembers the status for the request log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
