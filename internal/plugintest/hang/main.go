// Command hang is a broken dbos-cloud plugin for tests: it never completes the
// handshake.
package main

import "time"

func main() {
	for {
		time.Sleep(time.Hour)
	}
}
