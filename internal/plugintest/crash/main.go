// Command crash is a broken dbos-cloud plugin for tests: it dies before the handshake.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "crash: exiting on purpose")
	os.Exit(3)
}
