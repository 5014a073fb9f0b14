// Package gitcred speaks git's credential-helper protocol (git-credential(1)): it
// reads the key=value description git writes to a helper, finds the DBOS Cloud
// account whose API host matches, and answers with a user name and a short-lived
// access token as the password.
//
// It holds no credential itself: answers come from a Backend, normally the daemon
// over its socket. Hosts that belong to no configured account get no answer, so git
// moves on to its next helper. The package is kept free of gRPC and keyring code,
// because git-credential-dbos runs once per git request and must start fast.
package gitcred
