package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

// hostServer serves HostServices to one plugin run. It answers only for the account
// the user selected: a plugin cannot ask for another account's tokens.
type hostServer struct {
	pluginpb.UnimplementedHostServicesServer

	services       Services
	account        string
	stdout, stderr io.Writer

	// svcMu serialises calls of services, which need not be safe for concurrent use
	// (the CLI's is not), while gRPC serves each call on its own goroutine.
	svcMu sync.Mutex

	mu       sync.Mutex
	early    *earlyToken // nil when none was asked for, or it is stale
	firstErr error       // the first error a service returned, shown if the run fails
	outMu    sync.Mutex
}

func (s *hostServer) record(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstErr == nil {
		s.firstErr = err
	}
}

func (s *hostServer) serviceErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstErr
}

func (s *hostServer) checkAccount(account string) error {
	if account != s.account {
		return status.Errorf(codes.PermissionDenied,
			"account %q was not selected for this command", account)
	}
	return nil
}

func (s *hostServer) Token(
	ctx context.Context, req *pluginpb.TokenRequest,
) (*pluginpb.TokenResponse, error) {
	if err := s.checkAccount(req.GetAccount()); err != nil {
		return nil, err
	}
	minTTL := time.Duration(max(req.GetMinTtlMs(), 0)) * time.Millisecond

	s.mu.Lock()
	early := s.early
	s.mu.Unlock()
	ti, ok := early.get(ctx, minTTL)
	if !ok {
		s.svcMu.Lock()
		var err error
		ti, err = s.services.Token(ctx, req.GetAccount(), minTTL)
		s.svcMu.Unlock()
		if err != nil {
			s.record(err)
			return nil, status.Error(codeOf(err), err.Error())
		}
	}
	return tokenResponse(ti), nil
}

func (s *hostServer) SetOrganization(
	ctx context.Context, req *pluginpb.SetOrganizationRequest,
) (*pluginpb.SetOrganizationResponse, error) {
	if err := s.checkAccount(req.GetAccount()); err != nil {
		return nil, err
	}
	s.svcMu.Lock()
	err := s.services.SetOrganization(ctx, req.GetAccount(), req.GetOrganization())
	s.svcMu.Unlock()
	if err != nil {
		s.record(err)
		return nil, status.Error(codeOf(err), err.Error())
	}

	s.mu.Lock()
	s.early = nil // it names the old organization
	s.mu.Unlock()
	return &pluginpb.SetOrganizationResponse{}, nil
}

func (s *hostServer) Output(
	_ context.Context, req *pluginpb.OutputRequest,
) (*pluginpb.OutputResponse, error) {
	if len(req.GetData()) > maxOutputChunk {
		return nil, status.Errorf(codes.InvalidArgument, "output chunk over %d bytes",
			maxOutputChunk)
	}
	w := s.stdout
	if req.GetStream() == pluginpb.Stream_STREAM_STDERR {
		w = s.stderr
	}

	s.outMu.Lock()
	defer s.outMu.Unlock()
	if _, err := w.Write(req.GetData()); err != nil {
		return nil, status.Error(codes.Unavailable, fmt.Sprintf("write output: %v", err))
	}
	return &pluginpb.OutputResponse{}, nil
}

// earlyTTL is how long a token asked for before the plugin runs must stay valid; the
// daemon's cached tokens have hours left, and a plugin that wants more asks anew.
const earlyTTL = time.Minute

// earlyToken is the selected account's token, asked for while the plugin starts:
// nearly every plugin command begins by asking for it, and the plugin takes longer
// to start than dbos-credd takes to answer. It only ever saves that round trip: a
// failure, or a token too short-lived for a request, is answered by asking again,
// so a plugin sees what it would have seen without it.
type earlyToken struct {
	done chan struct{}
	ti   TokenInfo
	err  error
}

// fetchEarly asks for the selected account's token in the background; stop must
// follow.
func (s *hostServer) fetchEarly(ctx context.Context) *earlyToken {
	t := &earlyToken{done: make(chan struct{})}
	s.early = t
	s.svcMu.Lock()
	go func() {
		defer close(t.done)
		defer s.svcMu.Unlock()
		t.ti, t.err = s.services.Token(ctx, s.account, earlyTTL)
	}()
	return t
}

// stop cancels the request through cancel, if it is still out, and waits for it to
// end: it must not outlive the run.
func (t *earlyToken) stop(cancel context.CancelFunc) {
	cancel()
	<-t.done
}

// ready returns the early answer if it has come and is good for earlyTTL, without
// waiting: it goes with the Run request when the daemon was quicker than the plugin.
func (t *earlyToken) ready() (TokenInfo, bool) {
	select {
	case <-t.done:
	default:
		return TokenInfo{}, false
	}
	if t.err != nil || time.Until(t.ti.ExpiresAt) < earlyTTL {
		return TokenInfo{}, false
	}
	return t.ti, true
}

// get waits for the early answer and returns it if it serves a request for minTTL.
func (t *earlyToken) get(ctx context.Context, minTTL time.Duration) (TokenInfo, bool) {
	if t == nil {
		return TokenInfo{}, false
	}
	select {
	case <-t.done:
	case <-ctx.Done():
		return TokenInfo{}, false
	}
	if t.err != nil || time.Until(t.ti.ExpiresAt) < minTTL {
		return TokenInfo{}, false
	}
	return t.ti, true
}

func codeOf(err error) codes.Code {
	switch {
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	}
	return codes.Unavailable
}
