// Package manifest is what dbos-cloud knows about its plugins without starting one:
// the Go form of a plugin's command description and the rules it must follow, the
// discovery of plugin binaries, the manifest file that caches each binary's
// description with its SHA-256 (or why the binary could not be described, so that a
// broken plugin is not started again at every run), and the urfave/cli commands built
// from a description.
//
// It imports neither go-plugin nor gRPC nor protobuf, so that the lean dbos-cloud
// binary can show help and completion for plugin commands, and check their arguments,
// at the cost of reading one small file. Starting plugins, the wire form of a
// description and checking checksums at launch belong to package plugin.
package manifest
