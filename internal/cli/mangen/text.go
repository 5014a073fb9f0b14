package main

// description opens the page.
const description = `dbos-cloud logs you in to DBOS Cloud, registers users, prints access tokens
for scripts and tools, and manages several accounts side by side. Long-lived
refresh tokens are kept by dbos-credd, a per-user daemon, in the operating
system keyring; dbos-cloud itself never writes a refresh token anywhere.

A command that needs an access token takes it from, in order: DBOS_TOKEN (used as
is), DBOS_REFRESH_TOKEN (exchanged in memory, never stored), then dbos-credd over
its socket, started on demand. The account is chosen by --account, else
DBOS_ACCOUNT, else the config's default_account, else "default".

Organization commands (invite, list, join, rename, remove) come from a plugin;
dbos-cloud --help lists every installed plugin command.`

// sections follow the command reference.
const sections = `

# ENVIRONMENT

**DBOS_TOKEN**
: An access token, used as is (CI, containers).

**DBOS_REFRESH_TOKEN**
: A refresh token, exchanged for an access token in memory; never stored.

**DBOS_ACCOUNT**
: The account to use when --account is not given.

**DBOS_DOMAIN**
: The DBOS Cloud API host (default cloud.dbos.dev); a value with a scheme is used as given.

**DBOS_AUTH_DOMAIN**, **DBOS_CLIENT_ID**
: Override the login service and its client id.

**DBOS_CONFIG**
: The config file (default $XDG_CONFIG_HOME/dbos-cloud/config.toml).

**DBOS_CREDD_SOCKET**
: The daemon's socket (default $XDG_RUNTIME_DIR/dbos-cloud/credd.sock).

**NO_COLOR**
: Any value turns colour off; colour is used only on a terminal anyway.

# EXIT STATUS

**0** success; **1** any other failure (doctor: a check failed); **2** usage
error; **3** login required; **4** unknown account; **5** dbos-credd
unavailable; **6** login service or API unreachable; **7** keyring unavailable;
**8** DBOS Cloud refused the request; **9** a plugin failed; **10** bad input;
**130** interrupted. **exec** returns the command's own status, or 128+N when
signal N ended it.

# FILES

*$XDG_CONFIG_HOME/dbos-cloud/config.toml*
: Accounts, hosts and daemon settings.

*$XDG_CONFIG_HOME/systemd/user/dbos-credd.{socket,service}*, *~/Library/LaunchAgents/dev.dbos.credd.plist*
: Written by **dbos-cloud daemon install**.

# SEE ALSO

**dbos-credd**(1), **git-credential-dbos**(1), **gitcredentials**(7)
`
