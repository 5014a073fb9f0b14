package plugin

// The generated code in proto/ is committed; `make generate` reruns this, and CI fails
// when the result differs. protoc comes from the system (Debian protobuf-compiler); its
// version is recorded in the generated files' headers. The two code generators are
// pinned through `go run pkg@version` in the wrapper scripts of internal/gen, so that
// nothing is added to go.mod.
//go:generate protoc -I proto --plugin=protoc-gen-go=internal/gen/protoc-gen-go --plugin=protoc-gen-go-grpc=internal/gen/protoc-gen-go-grpc --go_out=proto --go_opt=paths=source_relative --go-grpc_out=proto --go-grpc_opt=paths=source_relative plugin.proto
