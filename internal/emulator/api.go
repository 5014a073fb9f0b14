package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// inviteTTL is how long an invite secret stays valid (DOCS: 24 hours).
const inviteTTL = 24 * time.Hour

func (s *Server) apiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1alpha1/user/profile", s.authed(s.profile))
	mux.HandleFunc("PUT /v1alpha1/user", s.authed(s.register))
	mux.HandleFunc("GET /v1alpha1/{org}/secret", s.authed(s.invite))
	mux.HandleFunc("GET /v1alpha1/{org}/users", s.authed(s.listUsers))
	mux.HandleFunc("PATCH /v1alpha1/{org}", s.authed(s.rename))
	mux.HandleFunc("POST /v1alpha1/{org}/join", s.authed(s.join))
	// Routed by method: DELETE /acme/users removes the user named "users".
	mux.HandleFunc("DELETE /v1alpha1/{org}/{username}", s.authed(s.remove))
}

// authedHandler is an API handler that knows the caller's subject.
type authedHandler func(w http.ResponseWriter, r *http.Request, sub string)

// authed checks the bearer token and passes its subject on; any problem with the
// token is a 401 with the §3.1 body.
func (s *Server) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			writeError(w, r, http.StatusUnauthorized, "missing or malformed bearer token")
			return
		}
		sub, err := s.verify(r.Context(), tok)
		if err != nil {
			writeError(w, r, http.StatusUnauthorized, "invalid access token: "+tokenProblem(err))
			return
		}
		h(w, r, sub)
	}
}

// verify checks an access token (RS256, the emulator's or a trusted issuer's key,
// audience, expiry on the emulator's clock) and returns its subject.
func (s *Server) verify(ctx context.Context, raw string) (string, error) {
	tok, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {
		iss, _ := t.Claims.GetIssuer()
		kid, _ := t.Header["kid"].(string)
		switch {
		case iss == s.issuer:
			if kid != s.signer.kid {
				return nil, errors.New("unknown key")
			}
			return &s.signer.key.PublicKey, nil
		case s.trusted != nil && s.trusted.matches(iss):
			return s.trusted.key(ctx, kid)
		}
		return nil, errors.New("untrusted issuer")
	},
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.clock.Now),
	)
	if err != nil {
		return "", err
	}
	sub, err := tok.Claims.GetSubject()
	if err != nil || sub == "" {
		return "", errors.New("no subject")
	}
	return sub, nil
}

// tokenProblem names what was wrong with a token in a few words, never quoting it.
func tokenProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "not signed by a trusted key"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	}
	return "rejected"
}

// apiFail maps a store error to the status codes of CONTRACT §9.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	status := 0
	switch {
	case errors.Is(err, ErrUnregistered):
		writeError(w, r, http.StatusNotFound, ErrUnregistered.Error())
		return
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, ErrTaken), errors.Is(err, ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, ErrBadSecret), errors.Is(err, ErrBadInput), errors.Is(err, errBadBody):
		status = http.StatusBadRequest
	default:
		s.serverError(w, r, err)
		return
	}
	writeError(w, r, status, err.Error())
}

// profileResponse is the PascalCase profile of CONTRACT §3.2.
type profileResponse struct {
	Name             string
	Email            string
	Organization     string
	SubscriptionPlan string
}

// subscriptionPlan is what every emulated user has: organizations need a paid plan.
const subscriptionPlan = "pro"

func (s *Server) profile(w http.ResponseWriter, r *http.Request, sub string) {
	u, err := s.store.UserBySub(r.Context(), sub)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, profileResponse{
		Name: u.Name, Email: u.Email, Organization: u.OrgName, SubscriptionPlan: subscriptionPlan,
	})
}

// registerRequest is PUT /v1alpha1/user. Secret is a pointer so that an absent
// secret, "secret": null (PY) and a string all decode.
type registerRequest struct {
	Name       string  `json:"name"`
	GivenName  string  `json:"given_name"`
	FamilyName string  `json:"family_name"`
	Company    string  `json:"company"`
	Secret     *string `json:"secret"`
}

func (s *Server) register(w http.ResponseWriter, r *http.Request, sub string) {
	var req registerRequest
	if err := decodeJSON(r, &req); err != nil {
		s.apiFail(w, r, err)
		return
	}
	if !validName(req.Name) {
		writeError(w, r, http.StatusBadRequest,
			fmt.Sprintf("invalid username %q: %s", req.Name, nameRule))
		return
	}

	reg := Registration{
		Sub: sub, Name: req.Name, Email: emailOf(sub), GivenName: req.GivenName,
		FamilyName: req.FamilyName, Company: req.Company,
	}
	if req.Secret != nil && *req.Secret != "" {
		reg.SecretHash = hashSecret(*req.Secret)
	}
	if err := s.store.Register(r.Context(), reg, s.clock.Now()); err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"Name": req.Name})
}

// emailOf makes the profile's email from the identity the user logged in as: the
// identity itself when it looks like an address, otherwise one at a reserved domain.
func emailOf(sub string) string {
	id := strings.TrimPrefix(sub, "emulator|")
	if strings.Contains(id, "@") {
		return id
	}
	return id + "@emulator.invalid"
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request, sub string) {
	secret := randomToken(20)
	expires := s.clock.Now().Add(inviteTTL)
	err := s.store.CreateInvite(r.Context(), sub, r.PathValue("org"), hashSecret(secret), expires)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, secret)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, sub string) {
	org := r.PathValue("org")
	names, err := s.store.Members(r.Context(), sub, org)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		OrgName   string
		UserNames []string
	}{org, names})
}

func (s *Server) rename(w http.ResponseWriter, r *http.Request, sub string) {
	var req struct {
		NewName string `json:"newName"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.apiFail(w, r, err)
		return
	}
	if !validName(req.NewName) {
		writeError(w, r, http.StatusBadRequest,
			fmt.Sprintf("invalid organization name %q: %s", req.NewName, nameRule))
		return
	}
	if err := s.store.RenameOrg(r.Context(), sub, r.PathValue("org"), req.NewName); err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"OrgName": req.NewName})
}

func (s *Server) join(w http.ResponseWriter, r *http.Request, sub string) {
	var req struct {
		Secret string `json:"secret"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.apiFail(w, r, err)
		return
	}
	if req.Secret == "" {
		writeError(w, r, http.StatusBadRequest, "secret is required")
		return
	}
	org := r.PathValue("org")
	if err := s.store.Join(r.Context(), sub, org, hashSecret(req.Secret), s.clock.Now()); err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"OrgName": org})
}

func (s *Server) remove(w http.ResponseWriter, r *http.Request, sub string) {
	org, name := r.PathValue("org"), r.PathValue("username")
	if err := s.store.RemoveUser(r.Context(), sub, org, name); err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"OrgName": org, "UserName": name})
}
