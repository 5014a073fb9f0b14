// Package pluginpb holds the plugin protocol's protobuf messages and gRPC services,
// generated from plugin.proto by `make generate`. Only pkg/plugin imports it; plugins
// and the CLI use pkg/plugin's Go types.
package pluginpb
