package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/pkg/ipc"
	"github.com/dbos-go/dbos-cloud/pkg/secret"
	"github.com/dbos-go/dbos-cloud/pkg/tokens"
)

// backendOnly is a Keyring that only names its backend.
type backendOnly string

func (b backendOnly) Backend() string                          { return string(b) }
func (backendOnly) NeedsPassword() bool                        { return false }
func (backendOnly) Check(context.Context) error                { return nil }
func (backendOnly) Unlock(context.Context, secret.Token) error { return nil }

func TestWireErrorAdvice(t *testing.T) {
	damaged := fmt.Errorf("load account k1: keyring item k1 (file /home/u/.keyring/k1): %w: truncated",
		tokens.ErrRecordDamaged)
	locked := fmt.Errorf("keyring get k1: %w", tokens.ErrKeyringLocked)
	tests := []struct {
		name    string
		backend string
		err     error
		code    string
		want    []string
		notWant []string
	}{
		{"locked secret service", "secret-service", locked, ipc.CodeKeyringUnavailable,
			[]string{"Secret Service", "gnome-keyring-daemon --unlock", "desktop"},
			[]string{"dbos-cloud keyring unlock", "DBOS_KEYRING_PASSWORD"}},
		{"locked file", "file", locked, ipc.CodeKeyringUnavailable,
			[]string{"dbos-cloud keyring unlock", "DBOS_KEYRING_PASSWORD_FILE"},
			[]string{"gnome-keyring"}},
		{"locked keychain", "keychain", locked, ipc.CodeKeyringUnavailable,
			[]string{"security unlock-keychain"}, []string{"dbos-cloud keyring unlock"}},
		{"damaged item", "file", damaged, ipc.CodeKeyringUnavailable,
			[]string{`"k1"`, "/home/u/.keyring/k1", "truncated", "left as it is",
				"dbos-cloud login --account k1", "dbos-cloud logout --account k1"},
			[]string{"service is running", "reachable"}},
		{"keyring unreachable", "secret-service",
			fmt.Errorf("keyring get k1: %w: no answer within 5s", tokens.ErrKeyringUnavailable),
			ipc.CodeKeyringUnavailable, []string{"no answer", "reachable", "DBOS_KEYRING_BACKEND"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewService(ServiceOptions{Keyring: backendOnly(tc.backend),
				Log: slog.New(slog.DiscardHandler)})
			var werr *ipc.Error
			if !errors.As(s.wireError(tc.err, "k1"), &werr) || werr.Code != tc.code {
				t.Fatalf("got %v, want code %s", werr, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(werr.Message, w) {
					t.Errorf("message lacks %q: %s", w, werr.Message)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(werr.Message, w) {
					t.Errorf("message has %q: %s", w, werr.Message)
				}
			}
		})
	}
}
