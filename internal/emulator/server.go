package emulator

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Audience is the one API identifier the emulator issues and accepts tokens for.
const Audience = "dbos-cloud-api"

// Config is everything the emulator can be told at start-up.
type Config struct {
	Addr    string // host:port to listen on; port 0 picks a free one
	DataDir string // SQLite directory; empty keeps everything in memory

	AccessTokenTTL      time.Duration
	RefreshLifetime     time.Duration // absolute
	RefreshIdle         time.Duration
	RotateRefreshTokens bool
	// RefreshReuseInterval is Auth0's reuse interval: how long a rotated refresh
	// token may still be exchanged (see RefreshPolicy). Zero: reuse always revokes.
	RefreshReuseInterval time.Duration
	DeviceInterval       time.Duration // whole seconds on the wire
	DeviceCodeTTL        time.Duration

	TLSCert, TLSKey string // both set: serve HTTPS

	ApproveAs   string // approve every device login as this identity
	TrustIssuer string // also accept access tokens of this OIDC issuer
	TestAPI     bool   // serve /emulator/...

	Logger *slog.Logger // request and start-up log; required
	Stdout io.Writer    // gets the one "listening on" line; nil means none
}

// DefaultConfig returns the defaults of the command-line flags.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8787",
		AccessTokenTTL:  24 * time.Hour,
		RefreshLifetime: 365 * 24 * time.Hour,
		RefreshIdle:     30 * 24 * time.Hour,
		DeviceInterval:  5 * time.Second,
		DeviceCodeTTL:   15 * time.Minute,
	}
}

func (c Config) validate() error {
	switch {
	case c.Logger == nil:
		return errors.New("config: no logger")
	case c.AccessTokenTTL <= 0 || c.RefreshLifetime <= 0 || c.RefreshIdle <= 0:
		return errors.New("config: token lifetimes must be positive")
	case c.RefreshReuseInterval < 0:
		return errors.New("config: the refresh reuse interval cannot be negative")
	case c.RefreshReuseInterval > 0 && !c.RotateRefreshTokens:
		return errors.New("config: --refresh-reuse-interval needs --rotate-refresh-tokens")
	case c.DeviceInterval < time.Second || c.DeviceCodeTTL <= 0:
		return errors.New("config: the device interval must be at least 1s and the code TTL positive")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("config: --tls-cert and --tls-key go together")
	case c.ApproveAs != "" && !validIdentity(c.ApproveAs):
		return errors.New("config: --approve-as must be 1 to 200 printable characters")
	}
	return nil
}

// Server is a running emulator.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   *Store
	signer  *signer
	clock   *Clock
	trusted *trustedIssuer
	issuer  string // base URL with a trailing slash, as Auth0 writes it
	base    string // base URL without the slash

	stats  stats
	faults faults

	pollMu   sync.Mutex
	lastPoll map[string]time.Time // device-code hash → last poll, real monotonic time
}

// Run listens on cfg.Addr, prints the listening line, and serves until ctx is done.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	return Serve(ctx, cfg, ln)
}

// Serve runs the emulator on an existing listener until ctx is done.
func Serve(ctx context.Context, cfg Config, ln net.Listener) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	s, err := newServer(ctx, cfg, baseURL(ln.Addr(), cfg.TLSCert != ""))
	if err != nil {
		return err
	}
	defer s.store.Close()

	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}

	s.announce()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

func newServer(ctx context.Context, cfg Config, base string) (*Server, error) {
	st, err := OpenStore(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sg, err := loadSigner(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, store: st, signer: sg, clock: &Clock{},
		issuer: base + "/", base: base, lastPoll: map[string]time.Time{},
	}
	if err := s.restoreClock(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if cfg.TrustIssuer != "" {
		s.trusted = newTrustedIssuer(cfg.TrustIssuer, &http.Client{Timeout: 10 * time.Second})
	}
	return s, nil
}

// baseURL names the listener as clients should reach it. An unspecified address
// (0.0.0.0, ::) is reachable on loopback, so the URL says localhost.
func baseURL(addr net.Addr, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + "://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

func (s *Server) announce() {
	s.log.Warn("dbos-cloud-emulator is a development tool, not a service: it has no passwords "+
		"and anyone who reaches it can log in as anyone",
		"url", s.base, "data", dataLabel(s.cfg.DataDir), "test_api", s.cfg.TestAPI)
	if s.cfg.ApproveAs != "" {
		s.log.Warn("EVERY DEVICE LOGIN IS APPROVED AUTOMATICALLY (--approve-as)",
			"identity", s.cfg.ApproveAs)
	}
	if s.cfg.TrustIssuer != "" {
		s.log.Info("also accepting access tokens of an external issuer", "issuer", s.cfg.TrustIssuer)
	}
	if s.cfg.Stdout != nil {
		fmt.Fprintf(s.cfg.Stdout, "dbos-cloud-emulator listening on %s\n", s.base)
	}
}

func dataLabel(dir string) string {
	if dir == "" {
		return "in memory"
	}
	return dir
}

// handler routes every path and wraps the routes in the logging, request-ID and
// fault-injection middleware.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	s.oauthRoutes(mux)
	s.pageRoutes(mux)
	s.apiRoutes(mux)
	if s.cfg.TestAPI {
		s.testRoutes(mux)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusNotFound, "no such path: "+r.Method+" "+r.URL.Path)
	})
	return s.middleware(mux)
}

type ctxKey struct{}

// requestID returns the ID the middleware gave this request.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxKey{}).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// middleware gives every request an ID, counts it, applies injected faults, and logs
// it. The log line names the method, path (never the query, which may hold a user
// code), status, duration and request ID; no header or body is logged.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
		w.Header().Set("X-Request-ID", id)
		sw := &statusWriter{ResponseWriter: w}
		s.stats.requests.Add(1)

		if !s.faults.apply(sw, r) {
			next.ServeHTTP(sw, r)
		}

		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start).Round(time.Microsecond), "request_id", id)
	})
}

// stats are the counters the test API reports.
type stats struct {
	requests        atomic.Int64
	deviceGrants    atomic.Int64
	refreshGrants   atomic.Int64
	refreshFailures atomic.Int64
	refreshReuses   atomic.Int64 // grants to a rotated token within the reuse interval
	revocations     atomic.Int64
}
