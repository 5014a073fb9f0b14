package plugin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

// A token sent with the Run request answers the plugin's first Token call without
// the host: here the host cannot even be dialed. What it cannot answer (a longer
// lifetime, output) goes to the host and reports the dial failure.
func TestSeededTokenNeedsNoHost(t *testing.T) {
	ctx := context.Background()
	h := newHostClient(ctx, func() (*grpc.ClientConn, error) {
		return nil, errors.New("no host here")
	})
	defer h.close()
	h.seed("", &pluginpb.TokenResponse{AccessToken: "seeded", Account: "default",
		Organization: "acme", ExpiresAtUnixMs: time.Now().Add(time.Hour).UnixMilli()})

	ti, err := h.Token(ctx, "", time.Minute)
	if err != nil || ti.AccessToken.Reveal() != "seeded" || ti.Organization != "acme" {
		t.Fatalf("Token = %+v, %v; want the seeded answer", ti, err)
	}
	if _, err := h.Token(ctx, "", 2*time.Hour); err == nil ||
		!strings.Contains(err.Error(), "no host here") {
		t.Errorf("a token the seed cannot serve: err = %v, want the dial failure", err)
	}
	if _, err := h.Token(ctx, "other", time.Minute); err == nil {
		t.Error("the seed answered for another account")
	}
	if _, err := h.Stdout().Write([]byte("x")); err == nil {
		t.Error("output without a host succeeded")
	}
}
