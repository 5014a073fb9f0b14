package plugin

import (
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// Handshake is the go-plugin handshake both sides use. The cookie only keeps a user
// from running a plugin binary by hand by mistake; it is not authentication.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "DBOS_CLOUD_PLUGIN",
	MagicCookieValue: "8c4f0e7a-commands-v1",
}

// pluginKey names the one go-plugin plugin a dbos-cloud plugin binary serves.
const pluginKey = "commands"

// BinaryPrefix starts the file name of every plugin binary: dbos-cloud-plugin-NAME.
const BinaryPrefix = manifest.BinaryPrefix

// Exit codes a plugin reports or the host returns. The CLI owns the full table; these
// are the ones the plugin mechanism itself produces or carries.
const (
	// ExitFailure is a plain failure.
	ExitFailure = 1
	// ExitUsage is a usage error: wrong arguments or flags.
	ExitUsage = manifest.ExitUsage
	// ExitAPI is a refusal by the DBOS Cloud API, reported by the plugin.
	ExitAPI = 8
	// ExitPluginFailure means the plugin could not be run: it crashed, hung, failed
	// the handshake or the checksum, or sent something invalid.
	ExitPluginFailure = 9
)
