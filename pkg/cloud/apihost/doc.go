// Package apihost knows DBOS Cloud API hosts: it resolves an account's hosts from
// DBOS_DOMAIN and friends (the official CLI's rules), puts a host in one canonical
// form, and picks the account that answers for a host a client names (git's
// credential helper, and the daemon answering it).
//
// It links no net/http, so git-credential-dbos can use it; pkg/cloud, the daemon
// and the CLI call it too, so all of them agree on what a host is. It talks to no
// server and reads no environment variable itself.
package apihost
