// Package testbin gives tests the path of one of this repository's real binaries.
//
// End-to-end tests run the binaries that users run, not in-process stand-ins. When
// DBOS_TEST_BIN_DIR names a directory (the Makefile sets it to ./bin after
// `make build`), binaries are taken from there; otherwise each binary is built once per
// test process into a temporary directory, so `go test ./...` works on its own.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	mu     sync.Mutex
	built  = map[string]string{}
	tmpDir string
)

// Path returns the path of the binary built from the main package at pkgDir, a path
// relative to the module root such as "cmd/dbos-cloud-emulator". The binary is named
// after the last element of pkgDir. A build failure fails the test.
func Path(tb testing.TB, pkgDir string) string {
	tb.Helper()
	return Named(tb, pkgDir, filepath.Base(pkgDir))
}

// Named is Path for a binary whose name differs from its package directory, such as
// the org plugin: Named(t, "plugins/org", "dbos-cloud-plugin-org").
func Named(tb testing.TB, pkgDir, name string) string {
	tb.Helper()
	p, err := path(pkgDir, name)
	if err != nil {
		tb.Fatalf("testbin: %v", err)
	}
	return p
}

func path(pkgDir, name string) (string, error) {
	if dir := os.Getenv("DBOS_TEST_BIN_DIR"); dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return filepath.Abs(p)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[name]; ok {
		return p, nil
	}

	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	if tmpDir == "" {
		// Not t.TempDir: the binary is shared by every test of the process.
		if tmpDir, err = os.MkdirTemp("", "dbos-testbin-"); err != nil {
			return "", err
		}
	}
	out := filepath.Join(tmpDir, name)
	cmd := exec.Command("go", "build", "-o", out, "./"+pkgDir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./%s: %w\n%s", pkgDir, err, msg)
	}
	built[name] = out
	return out, nil
}

// ModuleRoot returns the directory that holds this repository's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the module")
	}
	return filepath.Dir(mod), nil
}
