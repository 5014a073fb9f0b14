package cli

import "github.com/urfave/cli/v2"

// CommandTree returns the built-in command tree, for documentation generators (the
// man page). Plugin commands are not in it: they come from the installed plugins.
// Nothing is run and nothing is read.
func CommandTree(version string) *cli.App {
	return newEnv(Deps{Version: version}).newApp()
}
