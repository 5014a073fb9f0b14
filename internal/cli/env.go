package cli

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/dbos-go/dbos-cloud/config"
)

// env is one run of the program: its dependencies, the global flags, and what was
// loaded lazily (config, daemon connection).
type env struct {
	deps    Deps
	globals globalOptions
	stdout  io.Writer
	stderr  io.Writer
	out     output
	log     *slog.Logger
	http    *http.Client

	cfg     *config.Config
	cfgPath string
	cfgErr  error
	loaded  bool

	daemon    Daemon
	daemonErr error

	// pluginWarning names plugins whose commands are missing, told once the command
	// line has run: not during completion, where it would land on the prompt, and not
	// before a hand-over to the plugin host, which tells it itself.
	pluginWarning error

	// envCred caches the exchange of DBOS_REFRESH_TOKEN within one run.
	envCred *Credential
	// stdinReader is shared by every read from stdin, so buffered input is not lost
	// between two prompts.
	stdinReader *bufio.Reader
}

func newEnv(d Deps) *env {
	if d.Stdin == nil {
		d.Stdin = os.Stdin
	}
	if d.Stdout == nil {
		d.Stdout = os.Stdout
	}
	if d.Stderr == nil {
		d.Stderr = os.Stderr
	}
	if d.Getenv == nil {
		d.Getenv = os.Getenv
	}
	if d.IsTerminal == nil {
		d.IsTerminal = isTerminal
	}
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	if d.Daemon == nil {
		d.Daemon = ConnectDaemon
	}
	if d.OpenBrowser == nil {
		d.OpenBrowser = openBrowser
	}
	return &env{
		deps:   d,
		stdout: d.Stdout,
		stderr: d.Stderr,
		out:    newOutput(d.Getenv, d.IsTerminal(d.Stderr)),
		log:    slog.New(slog.DiscardHandler),
		http:   d.HTTP,
	}
}

// getenv reads one environment variable.
func (e *env) getenv(name string) string { return e.deps.Getenv(name) }

// userAgent names this tool and version in every HTTP request.
func (e *env) userAgent() string { return "dbos-cloud-go/" + e.deps.Version }

// config loads the config file once. A missing file is an empty config.
func (e *env) config() (*config.Config, string, error) {
	if e.loaded {
		return e.cfg, e.cfgPath, e.cfgErr
	}
	e.loaded = true

	e.cfgPath = e.globals.ConfigPath
	if e.cfgPath == "" {
		e.cfgPath = e.getenv("DBOS_CONFIG")
	}
	if e.cfgPath == "" {
		e.cfgPath = config.DefaultPath()
	}
	e.cfg, e.cfgErr = config.Load(e.cfgPath)
	if e.cfgErr != nil {
		e.cfgErr = &Error{Code: ExitBadInput, Err: e.cfgErr}
	}
	e.log.Debug("config", "path", e.cfgPath, "err", e.cfgErr)
	return e.cfg, e.cfgPath, e.cfgErr
}

// debugHTTP wraps hc's transport with a logger of method, URL, status and time. It
// never logs headers or bodies: they carry tokens.
func debugHTTP(hc *http.Client, log *slog.Logger) *http.Client {
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c := *hc
	c.Transport = loggingTransport{next: next, log: log}
	return &c
}

type loggingTransport struct {
	next http.RoundTripper
	log  *slog.Logger
}

func (t loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	u := *req.URL
	u.RawQuery, u.User = "", nil
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.log.Debug("http", "method", req.Method, "url", u.String(), "err", err)
		return resp, err
	}
	t.log.Debug("http", "method", req.Method, "url", u.String(), "status", resp.StatusCode,
		"dur", time.Since(start).Round(time.Millisecond))
	return resp, nil
}
