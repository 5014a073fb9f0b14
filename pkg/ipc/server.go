package ipc

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// Defaults for ServerOptions' zero fields.
const (
	DefaultMaxBodyBytes      = 64 << 10
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	// DefaultWriteTimeout leaves room for a token request that waits on a refresh
	// at a slow login service.
	DefaultWriteTimeout = 90 * time.Second
	DefaultIdleTimeout  = 2 * time.Minute
	DefaultMaxConns     = 512
)

var errNoPeer = errors.New("connection has no peer credentials")

// ServerOptions bound what one client can make the server hold. Zero fields take
// the Default values above.
type ServerOptions struct {
	// MaxBodyBytes bounds a request body; larger bodies get 413.
	MaxBodyBytes      int64
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// MaxConns bounds open connections; further connections are closed at once.
	MaxConns int
	// Version is sent in the Server response header.
	Version string
}

func (o ServerOptions) withDefaults() ServerOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	return o
}

// Server serves a Service over HTTP/1.1 on Unix sockets (no HTTP/2: the standard
// server offers it only over TLS). Only peers running as the server's own uid are
// served.
type Server struct {
	svc  Service
	log  *slog.Logger
	opts ServerOptions
	uid  int // the only uid served
	http *http.Server
	// serverHeader is the Server header's value, nil without a version.
	serverHeader []string
}

// NewServer returns a server for svc; it serves nothing until Serve.
func NewServer(svc Service, log *slog.Logger, opts ServerOptions) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{svc: svc, log: log, opts: opts.withDefaults(), uid: os.Geteuid()}
	if s.opts.Version != "" {
		s.serverHeader = []string{"dbos-credd/" + s.opts.Version}
	}

	s.http = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ConnContext:       connContext,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s
}

// Serve accepts connections on ln until Shutdown. ln must be a Unix socket: a
// Listener from Listen, or one from ListenSystemd. It returns nil after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if _, ok := ln.Addr().(*net.UnixAddr); !ok {
		return errors.New("ipc: refusing to serve on a non-Unix listener")
	}

	err := s.http.Serve(newGateListener(ln, s.opts.MaxConns, s.log))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting, closes the listeners (which removes the socket of a
// Listener), and waits for in-flight requests to finish or ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.http.Shutdown(ctx)
}
