package daemon_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dbos-go/dbos-cloud/internal/testbin"
)

const keyringModule = "github.com/99designs/keyring"

func goListDeps(t *testing.T, patterns ...string) []string {
	t.Helper()
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", append([]string{"list", "-deps"}, patterns...)...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %v: %v", patterns, err)
	}
	return strings.Fields(string(out))
}

// TestOnlyDaemonLinksKeyring guards the boundary of DESIGN.md: the CLI and the
// plugins never link the keyring library; only dbos-credd does.
func TestOnlyDaemonLinksKeyring(t *testing.T) {
	for _, pkg := range goListDeps(t, "./cmd/dbos-cloud/...", "./plugins/...") {
		if strings.HasPrefix(pkg, keyringModule) {
			t.Errorf("%s is linked into the CLI or a plugin; only dbos-credd may import it", pkg)
		}
	}
	// The check itself must be able to fail: the daemon does link it.
	found := false
	for _, pkg := range goListDeps(t, "./cmd/dbos-credd") {
		found = found || pkg == keyringModule
	}
	if !found {
		t.Fatal("go list found no keyring in dbos-credd; the guard above proves nothing")
	}
}
