// Package marker lets the test plugins record that they were started, so that tests
// can count launches, including those of plugins that never complete a handshake. It
// is kept apart from package plugintest, which imports testing and the plugin host,
// so that the broken plugins stay small programs.
package marker

import (
	"fmt"
	"os"
)

// Env names the file a test plugin appends its pid to when it starts.
const Env = "DBOS_PLUGINTEST_MARKER"

// Record appends this process's pid and a newline to the file named by $Env, if set.
// Failures are ignored: a test that counts launches notices a missing line.
func Record() {
	path := os.Getenv(Env)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	_ = f.Close()
}
