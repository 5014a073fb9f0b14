// Package cli is the dbos-cloud command line: its commands, flags, output policy,
// prompts and exit codes. cmd/dbos-cloud only calls Run.
//
// The CLI never opens the keyring and never writes a refresh token anywhere: every
// login is handed to dbos-credd over its socket (package ipc), which keeps refresh
// tokens in the keyring. The CLI talks to the login service (package oauth) for device
// logins, refresh grants with an environment token, and revocation, and to the DBOS
// Cloud API (package cloud) for profile and registration. Organization commands are
// not here: they come from plugins. The dbos-cloud binary links no plugin code: for
// any command line whose first word is not built in, it executes dbos-cloud-host
// (Deps.PluginExec), which is this same package with Deps.PluginCommands wired to
// the plugin host. Built-in commands, `token` above all, never discover plugins.
//
// # Where an access token comes from
//
// In order: DBOS_TOKEN (an access token used as is; the API host comes from
// DBOS_DOMAIN), DBOS_REFRESH_TOKEN (exchanged in memory, never stored), then the
// daemon, started on demand unless the config sets daemon.autostart = false.
//
// # Which account a command uses
//
// The --account/-a flag, else DBOS_ACCOUNT, else the config's default_account, else
// the account named "default". `dbos-cloud status` says which one applies and why.
//
// # Tokens on the command line
//
// Every argument that takes a token (login --with-refresh-token, revoke, register
// --secret) also takes "-", which reads the token from standard input. A literal
// token still works, for compatibility with the official CLI, but prints a warning:
// argv is visible to every user of the machine in the process list.
//
// # Keyring password
//
// A keyring backend that needs a password (the encrypted file backend) is unlocked
// with `dbos-cloud keyring unlock`, which asks on the terminal without echo (or
// reads stdin with -) and hands the password to dbos-credd over its socket; the
// daemon itself never prompts.
//
// # Other tools
//
// `credential get|store|erase` is git's credential helper over the same token
// sources (store and erase never log out; erase drops only the daemon's cached
// access token). `exec -- CMD` runs CMD with DBOS_TOKEN, DBOS_DOMAIN and
// DBOS_ACCOUNT in its environment (never on argv) and without DBOS_REFRESH_TOKEN,
// forwarding signals; `env` prints the same as shell lines. `completion` prints
// bash, zsh and fish scripts that call back with --generate-bash-completion.
// `doctor` checks the setup end to end, and `daemon start|stop|status|install`
// manages dbos-credd and writes its service files (templates in package dist).
//
// # Exit codes
//
//	0    success
//	1    any other failure
//	2    usage error (unknown command or flag, missing argument); usage is printed
//	3    login required: no login, or the refresh token was refused; the message
//	     names the command that fixes it, e.g. `dbos-cloud login --account work`
//	4    unknown account
//	5    dbos-credd unavailable (not running and autostart off or failed)
//	6    the login service or the DBOS Cloud API is unreachable or failing (5xx)
//	7    the daemon's keyring is unavailable (locked, not writable)
//	8    DBOS Cloud refused the request (API 4xx): `[requestID] label: message`
//	9    a plugin failed (crashed, hung, wrong protocol)
//	10   bad input: malformed token on stdin, invalid username, no terminal for a
//	     prompt, unreadable credentials file
//	130  interrupted (Ctrl-C)
//
// exec returns its command's status instead, or 128+N when signal N ended it, and
// doctor exits 1 when a check fails.
//
// Every failure prints one line on standard error, with no stack trace, and nothing
// is stored or deleted half-way.
package cli
