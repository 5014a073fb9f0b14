// Package e2e holds the end-to-end tests: testscript scripts (testdata/*.txtar) that
// drive the real dbos-cloud, dbos-credd, plugin and emulator binaries, each script
// with its own emulator, daemon and file keyring, plus the benchmarks that compare
// whole-command costs side by side. It has no code outside its tests.
package e2e
