package emulator

import (
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"net/http"
)

//go:embed templates/activate.html
var templateFS embed.FS

var activateTmpl = template.Must(template.ParseFS(templateFS, "templates/activate.html"))

// csrfCookie carries the page's anti-forgery token; the form echoes it in a hidden
// field (the double-submit pattern). A cross-site form cannot read the cookie, and
// SameSite=Strict keeps the browser from sending it with a cross-site post anyway.
const csrfCookie = "emulator_csrf"

// pageData fills templates/activate.html.
type pageData struct {
	Action   string
	CSRF     string
	UserCode string
	Identity string
	Error    string
	Done     string // the outcome; empty while the form is shown
	Approved bool
}

func (s *Server) pageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /activate", s.activatePage)
	mux.HandleFunc("POST /activate", s.activateSubmit)
}

func (s *Server) activatePage(w http.ResponseWriter, r *http.Request) {
	d := pageData{UserCode: r.URL.Query().Get("user_code")}
	s.renderForm(w, r, http.StatusOK, d)
}

// renderForm shows the form with a CSRF token, reusing the browser's cookie so that
// two open tabs both work.
func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	tok := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		tok = c.Value
	} else {
		tok = randomToken(24)
		http.SetCookie(w, &http.Cookie{
			Name: csrfCookie, Value: tok, Path: "/activate", HttpOnly: true,
			Secure: s.cfg.TLSCert != "", SameSite: http.SameSiteStrictMode,
		})
	}
	d.CSRF, d.Action = tok, "/activate"
	s.renderPage(w, status, d)
}

func (s *Server) renderPage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// No scripts at all, no framing (the page grants logins), and no Referer that
	// could carry the user code elsewhere.
	h.Set("Content-Security-Policy",
		"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := activateTmpl.Execute(w, d); err != nil {
		s.log.Error("render approval page", "err", err)
	}
}

func (s *Server) activateSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.renderForm(w, r, http.StatusBadRequest, pageData{Error: "The form could not be read."})
		return
	}
	d := pageData{UserCode: r.PostForm.Get("user_code"), Identity: r.PostForm.Get("identity")}
	if !s.csrfOK(r) {
		d.Error = "This form has expired or did not come from this page. Please try again."
		s.renderForm(w, r, http.StatusForbidden, d)
		return
	}

	deny := r.PostForm.Get("action") == "deny"
	if !deny && !validIdentity(d.Identity) {
		d.Error = "Type the identity to log in as: 1 to 200 printable characters, " +
			"no leading or trailing spaces."
		s.renderForm(w, r, http.StatusBadRequest, d)
		return
	}
	err := s.decide(r.Context(), d.UserCode, d.Identity, deny)
	switch {
	case errors.Is(err, ErrNotFound):
		d.Error = "No device login has this code. Check the code and try again."
	case errors.Is(err, ErrConflict):
		d.Error = "This device login was already approved or denied, or it has expired."
	case err != nil:
		s.log.Error("decide device login", "err", err)
		d.Error = "The emulator failed to record your answer."
	}
	if d.Error != "" {
		s.renderForm(w, r, http.StatusBadRequest, d)
		return
	}

	out := pageData{Done: "Login denied. The device will not be logged in.", Approved: false}
	if !deny {
		out = pageData{Done: "Login approved as " + d.Identity + ".", Approved: true}
	}
	s.renderPage(w, http.StatusOK, out)
}

func (s *Server) csrfOK(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	form := r.PostForm.Get("csrf")
	if err != nil || c.Value == "" || form == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) == 1
}
