// Package config is the TOML configuration of dbos-cloud and dbos-credd: its schema,
// defaults, loading with precise errors, validation, and a watcher that reloads it
// when the file changes.
//
// A missing file means the defaults. An unknown key, a value of the wrong type or an
// invalid setting is an error naming the file, line and column, the key, and the fix;
// every such error wraps ErrInvalid. The package holds no secret and knows nothing of
// sockets, keyrings or the login service: it only says what the user asked for.
package config
