// Command crash is a broken dbos-cloud plugin for tests: it dies before the handshake.
// It records its launch as the echo plugin does.
package main

import (
	"fmt"
	"os"

	"github.com/dbos-go/dbos-cloud/internal/plugintest/marker"
)

func main() {
	marker.Record()
	fmt.Fprintln(os.Stderr, "crash: exiting on purpose")
	os.Exit(3)
}
