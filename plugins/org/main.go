// Command dbos-cloud-plugin-org is the organization plugin of dbos-cloud: the
// `organization` command (aliases `organizations`, `org`) with invite, list, join,
// rename and remove, as in the official CLI.
//
// dbos-cloud starts it through go-plugin (pkg/plugin); run by hand it only says so.
// It never sees a refresh token: it asks the host for a short-lived access token and
// the account's facts for every command, and writes through the host's output.
package main

import (
	"fmt"
	"os"

	"github.com/dbos-go/dbos-cloud/pkg/plugin"
)

func main() {
	if os.Getenv(plugin.Handshake.MagicCookieKey) == "" {
		fmt.Fprintln(os.Stderr, "dbos-cloud-plugin-org is a dbos-cloud plugin; "+
			"run \"dbos-cloud org --help\" instead")
		os.Exit(1)
	}
	plugin.Serve(&provider{stdin: os.Stdin})
}
