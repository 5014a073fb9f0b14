package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/internal/testbin"
)

// TestDependencies keeps git-credential-dbos lean: git starts it once per request,
// and each of these packages costs every start page faults and init work (net/http
// with crypto/tls about half a millisecond), or, for the keyring, a boundary only
// dbos-credd may cross.
func TestDependencies(t *testing.T) {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"net/http", "crypto/tls", "crypto/x509", "google.golang.org/grpc",
		"google.golang.org/protobuf", "github.com/99designs/keyring",
		"github.com/hashicorp/go-plugin", "github.com/golang-jwt/jwt"}

	cmd := exec.Command("go", "list", "-deps", "./cmd/git-credential-dbos")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list printed %d packages; expected the helper's whole graph", len(deps))
	}
	for _, dep := range deps {
		for _, bad := range forbidden {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("git-credential-dbos links %s", dep)
			}
		}
	}
}
