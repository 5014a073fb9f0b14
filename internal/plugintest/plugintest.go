// Package plugintest installs real plugin binaries for the tests of pkg/plugin and
// plugins/org: the org plugin, a well-behaved echo plugin, and deliberately broken
// ones (crash, hang, badhandshake), each a small main package under this directory.
// The test plugins record their launches (see MarkerEnv).
//
// It builds through internal/testbin and copies each binary into the test's own
// directory, so that a test may tamper with its copy.
package plugintest

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dbos-go/dbos-cloud/internal/plugintest/marker"
	"github.com/dbos-go/dbos-cloud/internal/testbin"
	"github.com/dbos-go/dbos-cloud/pkg/plugin"
)

// MarkerEnv names the file the test plugins (not org) append their pid to when they
// start.
const MarkerEnv = marker.Env

// Packages maps plugin names to the main packages that build them.
var Packages = map[string]string{
	"org":          "plugins/org",
	"echo":         "internal/plugintest/echo",
	"crash":        "internal/plugintest/crash",
	"hang":         "internal/plugintest/hang",
	"badhandshake": "internal/plugintest/badhandshake",
}

// Install copies the plugin called name into dir as dbos-cloud-plugin-NAME and
// returns its path.
func Install(tb testing.TB, dir, name string) string {
	tb.Helper()
	pkg, ok := Packages[name]
	if !ok {
		tb.Fatalf("plugintest: unknown plugin %q", name)
	}
	src := testbin.Named(tb, pkg, plugin.BinaryPrefix+name)
	dst := filepath.Join(dir, plugin.BinaryPrefix+name)
	if err := copyFile(src, dst); err != nil {
		tb.Fatalf("plugintest: install %s: %v", name, err)
	}
	return dst
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()

	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
