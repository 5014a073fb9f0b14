// Command hang is a broken dbos-cloud plugin for tests: it never completes the
// handshake. It records its launch as the echo plugin does.
package main

import (
	"time"

	"github.com/dbos-go/dbos-cloud/internal/plugintest/marker"
)

func main() {
	marker.Record()
	for {
		time.Sleep(time.Hour)
	}
}
