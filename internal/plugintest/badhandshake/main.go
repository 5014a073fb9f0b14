// Command badhandshake is a broken dbos-cloud plugin for tests: its first line on
// stdout is not a go-plugin handshake. It records its launch as the echo plugin does.
package main

import (
	"fmt"
	"time"

	"github.com/dbos-go/dbos-cloud/internal/plugintest/marker"
)

func main() {
	marker.Record()
	fmt.Println("hello, I am not a plugin\x1b[31m")
	time.Sleep(time.Hour)
}
