package ipc

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dbos-go/dbos-cloud/pkg/ipc/ipcwire"
)

// peerConn is an accepted connection with its peer's credentials, looked up once at
// accept time, and a slot in the connection limit that Close gives back.
type peerConn struct {
	net.Conn
	info *peerInfo

	release   func()
	closeOnce sync.Once
}

func (c *peerConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(c.release)
	return err
}

// gateListener bounds the number of open connections and attaches peer credentials.
// A connection over the limit is closed at once rather than queued: a client that
// floods the socket gets errors, and the daemon's memory stays bounded.
type gateListener struct {
	net.Listener
	slots chan struct{}
	log   *slog.Logger

	// lastWarn rate-limits the over-limit warning to one a second (unix nanos).
	lastWarn atomic.Int64
}

func newGateListener(ln net.Listener, maxConns int, log *slog.Logger) *gateListener {
	return &gateListener{Listener: ln, slots: make(chan struct{}, maxConns), log: log}
}

func (g *gateListener) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}

		select {
		case g.slots <- struct{}{}:
		default:
			g.warnLimit()
			_ = c.Close()
			continue
		}

		peer, err := ipcwire.PeerOf(c)
		pc := &peerConn{Conn: c, info: &peerInfo{peer: peer, err: err},
			release: func() { <-g.slots }}
		return pc, nil
	}
}

func (g *gateListener) warnLimit() {
	now := time.Now().UnixNano()
	last := g.lastWarn.Load()
	if now-last < int64(time.Second) || !g.lastWarn.CompareAndSwap(last, now) {
		return
	}
	g.log.Warn("connection limit reached; closing new connections", "limit", cap(g.slots))
}

type peerKey struct{}

// peerInfo is what the server knows of a connection's peer. It lives as long as
// the connection, so the executable is looked up at most once per connection.
type peerInfo struct {
	peer Peer
	err  error

	exeOnce sync.Once
}

// withExe returns the peer with its executable path filled in.
func (p *peerInfo) withExe() Peer {
	p.exeOnce.Do(func() { p.peer.Exe = ipcwire.PeerExe(p.peer.PID) })
	return p.peer
}

var noPeer = &peerInfo{err: errNoPeer}

// connContext is http.Server.ConnContext: it carries the peer into each request.
func connContext(ctx context.Context, c net.Conn) context.Context {
	pc, ok := c.(*peerConn)
	if !ok {
		return context.WithValue(ctx, peerKey{}, noPeer)
	}
	return context.WithValue(ctx, peerKey{}, pc.info)
}

// peerFrom returns the request's peer as recorded by connContext.
func peerFrom(ctx context.Context) *peerInfo {
	pi, ok := ctx.Value(peerKey{}).(*peerInfo)
	if !ok {
		return noPeer
	}
	return pi
}
