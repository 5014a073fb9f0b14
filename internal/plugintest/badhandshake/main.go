// Command badhandshake is a broken dbos-cloud plugin for tests: its first line on
// stdout is not a go-plugin handshake.
package main

import (
	"fmt"
	"time"
)

func main() {
	fmt.Println("hello, I am not a plugin\x1b[31m")
	time.Sleep(time.Hour)
}
