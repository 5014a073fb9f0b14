package cli

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/internal/testbin"
)

// TestBinaryDependencies guards two boundaries: only dbos-credd opens the keyring,
// so neither CLI binary may link the keyring library; and dbos-cloud itself links
// no go-plugin or gRPC (plugins run in dbos-cloud-host), so `dbos-cloud token`
// starts fast.
func TestBinaryDependencies(t *testing.T) {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"./cmd/dbos-cloud", []string{"github.com/99designs/keyring", "github.com/hashicorp/go-plugin",
			"google.golang.org/grpc", "google.golang.org/protobuf", "github.com/hashicorp/go-hclog"}},
		{"./cmd/dbos-cloud/host", []string{"github.com/99designs/keyring"}},
	}
	for _, tt := range tests {
		cmd := exec.Command("go", "list", "-deps", tt.pkg)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", tt.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, bad := range tt.forbidden {
				if dep == bad || strings.HasPrefix(dep, bad+"/") {
					t.Errorf("%s links %s", tt.pkg, dep)
				}
			}
		}
	}
}
