// Package version holds the build's version string, set by the Makefile through
// -ldflags, so that every binary reports the same one.
package version

import "runtime/debug"

// Version is the release or `git describe` string of this build.
var Version = "dev"

// String returns Version, or the module version recorded by the Go toolchain when the
// binary was built without the Makefile (go install).
func String() string {
	if Version != "dev" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" &&
		info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return Version
}
