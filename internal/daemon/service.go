package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/cloud/apihost"
	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/oauth"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
)

// Keyring is what the service needs of the keyring beyond tokens.Store.
type Keyring interface {
	Backend() string
	NeedsPassword() bool
	Check(ctx context.Context) error
	Unlock(ctx context.Context, password secret.Token) error
}

// Service implements ipc.Service over a token manager.
type Service struct {
	m       *tokens.Manager
	store   Keyring
	log     *slog.Logger
	version string
	socket  string
	config  string
	started time.Time

	requests atomic.Uint64

	mu         sync.RWMutex
	defaultAcc string
	configured map[string]tokens.Endpoints
}

var _ ipc.Service = (*Service)(nil)

// ServiceOptions configure NewService.
type ServiceOptions struct {
	Manager *tokens.Manager
	Keyring Keyring
	Log     *slog.Logger
	Version string
	Socket  string
	Config  string
	// Default is the account an empty request means.
	Default string
	// Configured accounts fill endpoints a StoreRequest leaves out.
	Configured map[string]tokens.Endpoints
}

// NewService returns the daemon's ipc.Service.
func NewService(o ServiceOptions) *Service {
	return &Service{m: o.Manager, store: o.Keyring, log: o.Log, version: o.Version,
		socket: o.Socket, config: o.Config, started: time.Now(),
		defaultAcc: o.Default, configured: o.Configured}
}

// setAccounts applies a config reload.
func (s *Service) setAccounts(def string, configured map[string]tokens.Endpoints) {
	s.mu.Lock()
	s.defaultAcc, s.configured = def, configured
	s.mu.Unlock()
	s.m.SetConfigured(configured)
}

func (s *Service) resolve(name string) string {
	if name != "" {
		return name
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.defaultAcc
}

// Token implements ipc.Service. Every grant is audited at info level: who asked,
// for which account, and how long the token has left; never the token.
func (s *Service) Token(ctx context.Context, peer ipc.Peer, req ipc.TokenRequest) (ipc.TokenResponse, error) {
	s.requests.Add(1)
	if req.MinTTLSeconds < 0 || req.MinTTLSeconds > 366*24*3600 {
		return ipc.TokenResponse{}, ipc.NewError(ipc.CodeBadRequest, "min_ttl_seconds must be between 0 and a year")
	}
	name := s.resolve(req.Account)
	if req.APIHost != "" {
		var err error
		if name, err = s.hostAccount(ctx, req); err != nil {
			return ipc.TokenResponse{}, err
		}
	}

	a, err := s.m.Token(ctx, name, time.Duration(req.MinTTLSeconds)*time.Second)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelInfo, "token refused", slog.Int("peer_uid", peer.UID),
			slog.Int("peer_pid", peer.PID), slog.String("exe", peer.Exe),
			slog.String("account", name), slog.Any("err", err))
		return ipc.TokenResponse{}, s.wireError(err, name)
	}
	s.auditGrant(ctx, peer, name, a)
	return ipc.TokenResponse{
		Account:      name,
		AccessToken:  a.Token.Reveal(),
		ExpiresAt:    a.Expiry,
		User:         a.User,
		Organization: a.Organization,
		APIURL:       a.Endpoints.APIURL,
		Source:       string(a.Source),
	}, nil
}

// hostAccount names the account that answers for req's protocol and API host, by
// the rules git-credential-dbos applied itself before it could ask for this
// (apihost.Match): accounts without a login do not count, and among several on
// one host the user git named wins, then the default, then the first by name.
func (s *Service) hostAccount(ctx context.Context, req ipc.TokenRequest) (string, error) {
	infos, err := s.m.Accounts(ctx)
	if err != nil {
		return "", s.wireError(err, "")
	}
	def := s.resolve("")
	cands := make([]apihost.Account, 0, len(infos))
	for _, in := range infos {
		if string(in.State) == ipc.StateNotLoggedIn {
			continue
		}
		cands = append(cands, apihost.Account{Name: in.Name, APIURL: in.Endpoints.APIURL,
			User: in.User, Default: in.Name == def})
	}
	a, ok := apihost.Match(cands, req.Protocol, req.APIHost, req.User)
	if !ok {
		host := req.Protocol + "://" + req.APIHost
		if len(host) > 100 { // the caller's own input; keep the line sane
			host = host[:100] + "..."
		}
		// Unquoted, so that the helper reads the usual answer without encoding/json.
		return "", ipc.NewError(ipc.CodeAccountNotFound,
			"no logged-in account has the API host "+host)
	}
	return a.Name, nil
}

// auditGrant writes the info line of a grant. It is on every token fetch, so it
// skips what Logger.LogAttrs adds: the caller's program counter (a stack walk that
// cost a third of the line; the daemon's handler does not print the source) and,
// with typed attributes, any boxing.
func (s *Service) auditGrant(ctx context.Context, peer ipc.Peer, name string, a tokens.Access) {
	h := s.log.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "token granted", 0)
	r.AddAttrs(slog.Int("peer_uid", peer.UID), slog.Int("peer_pid", peer.PID),
		slog.String("exe", peer.Exe), slog.String("account", name),
		slog.Duration("remaining", time.Until(a.Expiry).Round(time.Second)),
		slog.Bool("cached", a.Cached))
	_ = h.Handle(ctx, r) // as Logger does: a log that cannot be written is no reason to refuse
}

// Accounts implements ipc.Service.
func (s *Service) Accounts(ctx context.Context) (ipc.AccountList, error) {
	infos, err := s.m.Accounts(ctx)
	if err != nil {
		return ipc.AccountList{}, s.wireError(err, "")
	}
	def := s.resolve("")
	list := ipc.AccountList{Default: def, Accounts: make([]ipc.Account, 0, len(infos))}
	for _, in := range infos {
		list.Accounts = append(list.Accounts, toWire(in, def))
	}
	return list, nil
}

func toWire(in tokens.Info, def string) ipc.Account {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return ipc.Account{
		Name:            in.Name,
		Endpoints:       ipc.Endpoints(in.Endpoints),
		User:            in.User,
		Organization:    in.Organization,
		State:           string(in.State),
		Source:          string(in.Source),
		Default:         in.Name == def,
		AccessExpiresAt: opt(in.AccessExpiry),
		RefreshLastUsed: opt(in.RefreshLastUsed),
		LastRefresh:     opt(in.LastRefresh),
		LastError:       in.LastError,
	}
}

// Store implements ipc.Service.
func (s *Service) Store(ctx context.Context, req ipc.StoreRequest) (ipc.Account, error) {
	l, err := s.loginFromRequest(req)
	if err != nil {
		return ipc.Account{}, err
	}
	in, err := s.m.Store(ctx, l)
	if err != nil {
		return ipc.Account{}, s.wireError(err, req.Name)
	}
	return toWire(in, s.resolve("")), nil
}

// loginFromRequest checks a StoreRequest and fills what it leaves out: endpoints
// from the configured account of that name, an access token's expiry from its exp
// claim. Error messages never quote a token.
func (s *Service) loginFromRequest(req ipc.StoreRequest) (tokens.Login, error) {
	if !tokens.ValidName(req.Name) {
		return tokens.Login{}, ipc.NewError(ipc.CodeBadRequest,
			"account name must be 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'")
	}
	ep := tokens.Endpoints(req.Endpoints)
	s.mu.RLock()
	conf, ok := s.configured[req.Name]
	s.mu.RUnlock()
	if ok {
		ep = fillEndpoints(ep, conf)
	}

	l := tokens.Login{Name: req.Name, Endpoints: ep, User: req.User, Organization: req.Organization,
		RefreshToken: secret.New(req.RefreshToken), AccessToken: secret.New(req.AccessToken),
		Expiry: req.ExpiresAt}
	if !l.AccessToken.IsZero() && l.Expiry.IsZero() {
		cl, err := oauth.ParseUnverified(l.AccessToken)
		if err != nil || cl.ExpiresAt.IsZero() {
			return tokens.Login{}, ipc.NewError(ipc.CodeBadRequest,
				"expires_at is required with an access token that has no exp claim")
		}
		l.Expiry = cl.ExpiresAt
	}
	return l, nil
}

func fillEndpoints(ep, conf tokens.Endpoints) tokens.Endpoints {
	if ep.APIURL == "" {
		ep.APIURL = conf.APIURL
	}
	if ep.Issuer == "" {
		ep.Issuer = conf.Issuer
	}
	if ep.ClientID == "" {
		ep.ClientID = conf.ClientID
	}
	if ep.Audience == "" {
		ep.Audience = conf.Audience
	}
	return ep
}

// Update implements ipc.Service.
func (s *Service) Update(ctx context.Context, name string, upd ipc.AccountUpdate) (ipc.Account, error) {
	in, err := s.m.Update(ctx, name, upd.User, upd.Organization)
	if err != nil {
		return ipc.Account{}, s.wireError(err, name)
	}
	return toWire(in, s.resolve("")), nil
}

// Forget implements ipc.Service. With revoke, the login service is asked first;
// if it cannot be reached the account is kept.
func (s *Service) Forget(ctx context.Context, name string, revoke bool) (ipc.ForgetResponse, error) {
	revoked, err := s.m.Forget(ctx, name, revoke)
	if err != nil {
		return ipc.ForgetResponse{}, s.wireError(err, name)
	}
	return ipc.ForgetResponse{Account: name, Revoked: revoked}, nil
}

// DropCache implements ipc.Service.
func (s *Service) DropCache(ctx context.Context, name string) error {
	return s.wireError(s.m.DropCache(ctx, s.resolve(name)), name)
}

// Status implements ipc.Service. A keyring that cannot be listed does not fail the
// status: the accounts known without it are reported.
func (s *Service) Status(ctx context.Context) (ipc.Status, error) {
	infos, err := s.m.Accounts(ctx)
	if err != nil {
		s.log.Debug("status without keyring", "err", err)
	}
	def := s.resolve("")
	st := s.m.Stats()
	out := ipc.Status{
		Version:        s.version,
		PID:            os.Getpid(),
		StartedAt:      s.started,
		UptimeSeconds:  time.Since(s.started).Seconds(),
		Socket:         s.socket,
		Config:         s.config,
		KeyringBackend: s.store.Backend(),
		Counters: ipc.Counters{Requests: s.requests.Load(), CacheHits: st.CacheHits,
			Refreshes: st.Refreshes, Failures: st.Failures},
		DefaultAccount: def,
		Accounts:       make([]ipc.Account, 0, len(infos)),
	}
	for _, in := range infos {
		out.Accounts = append(out.Accounts, toWire(in, def))
	}
	return out, nil
}

// KeyringCheck implements ipc.Service.
func (s *Service) KeyringCheck(ctx context.Context) (ipc.KeyringStatus, error) {
	ks := ipc.KeyringStatus{Backend: s.store.Backend(), NeedsPassword: s.store.NeedsPassword()}
	if err := s.store.Check(ctx); err != nil {
		ks.Error = s.wireError(err, "").Error()
		return ks, nil
	}
	ks.Writable = true
	return ks, nil
}

// Unlock implements ipc.Service.
func (s *Service) Unlock(ctx context.Context, req ipc.UnlockRequest) (ipc.KeyringStatus, error) {
	if err := s.store.Unlock(ctx, secret.New(req.Password)); err != nil {
		return ipc.KeyringStatus{}, s.wireError(fmt.Errorf("unlock: %w", err), "")
	}
	if err := s.m.LoadAll(ctx); err != nil {
		s.log.Warn("loading accounts after unlock", "err", err)
	}
	return s.KeyringCheck(ctx)
}
