// Package plugin is the contract between dbos-cloud and its plugins, and the host side
// that runs them.
//
// A plugin is a separate binary named dbos-cloud-plugin-NAME, started with
// hashicorp/go-plugin over gRPC (definitions in proto/). It describes its command tree
// once; the host caches that description in a manifest together with the binary's
// SHA-256 and builds urfave/cli commands from it, so help and completion start no
// process. A plugin that fails to describe itself is cached as failed, for the same
// reason: it is started again only when its binary changes or `plugin verify` asks.
//
// When one of those commands runs, the host checks the binary against its checksum
// (hashing it, or trusting the file identity a launch recorded after hashing it; see
// binFile.check) and starts it from the open file it checked. It lends the plugin
// HostServices through go-plugin's broker (short-lived access tokens and account
// facts, the organization update, and output) and calls Run. The selected account's
// token is asked for while the plugin starts and sent with the Run request, so that
// most commands make no call back before their own work.
//
// What is known without starting a plugin (descriptions, discovery, the manifest, the
// urfave commands) lives in package manifest, which the lean dbos-cloud links; this
// package adds the wire form, launching and the host services.
//
// Both sides import this package: plugins call Serve with a Provider; the CLI uses Host.
// It leaves out where tokens come from (the CLI's Services implementation does that):
// a plugin never sees a refresh token and never opens the keyring, and it is started
// with a minimal environment.
package plugin
