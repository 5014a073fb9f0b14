#!/usr/bin/env bash
# The main job, on a local emulator: two users log in, the first invites the second
# into its organization, they list and rename it, and git gets a token through the
# credential protocol. Everything runs in a temporary directory with its own daemon
# and file keyring; every process started here is stopped on exit.
#
# Usage: scripts/demo.sh (make demo builds ./bin first; DBOS_BIN names another dir).
set -euo pipefail

BIN=${DBOS_BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin}
for b in dbos-cloud dbos-cloud-host dbos-credd dbos-cloud-emulator dbos-cloud-plugin-org \
  git-credential-dbos; do
  [ -x "$BIN/$b" ] || { echo "demo: $BIN/$b is missing; run make build" >&2; exit 1; }
done
for tool in curl git; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is required" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/dbos-demo.XXXXXX)
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    echo "demo failed; daemon log:" >&2
    sed 's/^/    /' "$WORK/credd.log" >&2 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# A private world: nothing of the user's own accounts, config or keyring is touched.
mkdir -m 700 -p "$WORK"/{home,config,data,cache,run}
export PATH="$BIN:$PATH" HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/config" \
  XDG_DATA_HOME="$WORK/data" XDG_CACHE_HOME="$WORK/cache" XDG_RUNTIME_DIR="$WORK/run"
export DBOS_KEYRING_BACKEND=file DBOS_KEYRING_PASSWORD=demo-only-keyring-password
unset DBOS_TOKEN DBOS_REFRESH_TOKEN DBOS_ACCOUNT DBOS_CONFIG DBOS_CREDD_SOCKET

# Bold headings only on a terminal, and never with NO_COLOR.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$'\033[1m' R=$'\033[0m'; else B='' R=''; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$R"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Start the emulator (a local DBOS Cloud and login service)"
dbos-cloud-emulator --addr 127.0.0.1:0 --test-api --device-interval 1s \
  >"$WORK/emulator.out" 2>"$WORK/emulator.log" &
PIDS+=($!)
for _ in $(seq 100); do
  URL=$(sed -n 's/^dbos-cloud-emulator listening on //p' "$WORK/emulator.out")
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { echo "demo: the emulator did not start" >&2; cat "$WORK/emulator.log" >&2; exit 1; }
export DBOS_DOMAIN=$URL DBOS_AUTH_DOMAIN=$URL
echo "emulator at $URL"

step "Start dbos-credd (the CLI would also start it on demand)"
dbos-credd --foreground 2>"$WORK/credd.log" &
PIDS+=($!)
for _ in $(seq 100); do
  [ -S "$XDG_RUNTIME_DIR/dbos-cloud/credd.sock" ] && break
  sleep 0.1
done
echo "socket $XDG_RUNTIME_DIR/dbos-cloud/credd.sock"

# login_as IDENTITY ARGS...: runs dbos-cloud ARGS, reads the user code it prints and
# approves it at the emulator as IDENTITY, as a person would on the approval page.
login_as() {
  local who=$1 errf="$WORK/login.err" code="" status=0 pid
  shift
  printf '$ dbos-cloud %s\n' "$*"
  : >"$errf"
  # <&0: a background job's stdin would otherwise be /dev/null, and register -s -
  # reads the invite secret from it.
  dbos-cloud "$@" 2>"$errf" <&0 &
  pid=$!
  for _ in $(seq 150); do
    code=$(sed -n 's/.*User code: \([A-Z0-9-]*\).*/\1/p' "$errf" | head -n1)
    [ -n "$code" ] && break
    sleep 0.1
  done
  if [ -n "$code" ]; then
    curl -fsS -X POST --data-urlencode "user_code=$code" --data-urlencode "user=$who" \
      "$URL/emulator/approve" >/dev/null
    echo "  (approved $code as $who at the emulator)"
  fi
  wait "$pid" || status=$?
  sed 's/^/  /' "$errf"
  return "$status"
}

step "alice registers; she gets a personal organization, alice"
login_as alice -a alice register -u alice --given-name Alice --family-name Admin --company Demo

step "alice logs in again, this time keeping a refresh token in the keyring"
login_as alice -a alice login --get-refresh-token --no-browser

step "alice invites a colleague"
echo '$ dbos-cloud -a alice org invite'
dbos-cloud -a alice org invite | tee "$WORK/invite.out"
# The secret is the line after the sentence that introduces it.
sed -n '/single-use secret:$/{n;p;q}' "$WORK/invite.out" | tr -d '\n' >"$WORK/secret"

step "bob registers with the invite secret (read from stdin, never on the command line)"
login_as bob -a bob register -u bob -s - --given-name Bob --family-name Builder \
  --company Demo <"$WORK/secret"

step "Both accounts side by side"
run dbos-cloud -a alice org list
run dbos-cloud status

step "alice renames the organization; bob's next command sees it without a new login"
run dbos-cloud -a alice org rename alice acme
run dbos-cloud -a bob profile

step "git asks for a token for the DBOS Cloud host (password shortened here)"
HOSTPORT=${URL#*://}
printf 'protocol=http\nhost=%s\n\n' "$HOSTPORT" |
  git -c credential.helper= -c credential.helper=dbos credential fill |
  sed -E 's/^(password=.{12}).*/\1... (an access token)/'

step "A token for scripts, with its expiry"
dbos-cloud -a alice token --json | sed -E 's/"access_token":"[^"]*"/"access_token":"..."/'

step "Done: every process started here is stopped"
