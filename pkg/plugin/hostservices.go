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

	mu       sync.Mutex
	firstErr error // the first error a service returned, shown if the run fails
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

	ti, err := s.services.Token(ctx, req.GetAccount(), minTTL)
	if err != nil {
		s.record(err)
		return nil, status.Error(codeOf(err), err.Error())
	}
	return &pluginpb.TokenResponse{
		AccessToken:     ti.AccessToken.Reveal(),
		ExpiresAtUnixMs: ti.ExpiresAt.UnixMilli(),
		Account:         ti.Account,
		User:            ti.User,
		Organization:    ti.Organization,
		ApiUrl:          ti.APIURL,
	}, nil
}

func (s *hostServer) SetOrganization(
	ctx context.Context, req *pluginpb.SetOrganizationRequest,
) (*pluginpb.SetOrganizationResponse, error) {
	if err := s.checkAccount(req.GetAccount()); err != nil {
		return nil, err
	}
	if err := s.services.SetOrganization(ctx, req.GetAccount(), req.GetOrganization()); err != nil {
		s.record(err)
		return nil, status.Error(codeOf(err), err.Error())
	}
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

func codeOf(err error) codes.Code {
	switch {
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	}
	return codes.Unavailable
}
