#!/usr/bin/env bash
# Builds everything and prints one benchmark table: each figure measured side by side
# with its baseline in the same run, as a median (min–max) over several rounds and
# as a ratio to the baseline, computed per round.
#
#   scripts/bench-report.sh            (env: ROUNDS=5, EXECS=10, BENCHTIME=0.5s)
#
# It starts its own dbos-cloud-emulator and dbos-credd in a temporary directory and
# stops every process it started on exit. Nothing is installed: it needs the go tool,
# and uses hyperfine for a cross-check when it is on PATH.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
EXECS=${EXECS:-10}
BENCHTIME=${BENCHTIME:-0.5s}
cd "$(dirname "$0")/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "bench-report: $*" >&2; }

# --- build (static, as released) ---
bin=$tmp/bin
mkdir -p "$bin" "$tmp/echo"
say "building into $bin"
# The release flags of the Makefile's build target; the baselines get the same.
flags=(-trimpath -tags urfave_cli_no_docs -ldflags '-s -w')
export CGO_ENABLED=0
go build "${flags[@]}" -o "$bin/" ./cmd/dbos-cloud ./cmd/dbos-credd ./cmd/dbos-cloud-emulator
go build "${flags[@]}" -o "$bin/dbos-cloud-host" ./cmd/dbos-cloud/host
go build "${flags[@]}" -o "$bin/dbos-cloud-plugin-org" ./plugins/org
go build "${flags[@]}" -o "$bin/hello" ./test/bench/hello
go build "${flags[@]}" -o "$bin/barehost" ./test/bench/barehost
go build -o "$bin/benchreport" ./test/bench/benchreport
# Outside $bin, so that dbos-cloud does not offer the echo plugin's commands.
go build "${flags[@]}" -o "$tmp/echo/dbos-cloud-plugin-echo" ./internal/plugintest/echo
unset CGO_ENABLED
report=$bin/benchreport
rows=$tmp/rows.md

# --- socket layer and daemon against a static body (the existing Go benchmarks) ---
say "go test -bench BenchmarkTokenFetch (count $ROUNDS, benchtime $BENCHTIME)"
go test -run '^$' -bench '^BenchmarkTokenFetch$' -count "$ROUNDS" -benchtime "$BENCHTIME" \
  ./pkg/ipc ./internal/daemon >"$tmp/gobench.txt"
"$report" gobench "$tmp/gobench.txt" >>"$rows"

# --- an emulator and a daemon of our own ---
mkdir -m 700 -p "$tmp/run" "$tmp/config" "$tmp/data" "$tmp/cache" "$tmp/home"
"$bin/dbos-cloud-emulator" --test-api --addr 127.0.0.1:0 --approve-as benchuser \
  --device-interval 1s >"$tmp/emu.out" 2>"$tmp/emu.log" &
pids+=($!)
for _ in $(seq 300); do grep -q 'listening on' "$tmp/emu.out" 2>/dev/null && break; sleep 0.1; done
emu=$(sed -n 's/.*listening on //p' "$tmp/emu.out" | head -n1)
[ -n "$emu" ] || { say "the emulator did not start:"; cat "$tmp/emu.log" >&2; exit 1; }

cat >"$tmp/config/config.toml" <<TOML
default_account = "default"
[daemon]
autostart = false
[accounts.default]
api_url = "$emu"
issuer = "$emu/"
client_id = "bench"
audience = "dbos-cloud-api"
TOML
export DBOS_CREDD_SOCKET=$tmp/run/credd.sock DBOS_CONFIG=$tmp/config/config.toml \
  XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_RUNTIME_DIR=$tmp/run \
  XDG_CACHE_HOME=$tmp/cache HOME=$tmp/home \
  DBOS_DOMAIN=$emu DBOS_AUTH_DOMAIN=$emu DBOS_CLIENT_ID=bench NO_COLOR=1
DBOS_KEYRING_BACKEND=file DBOS_KEYRING_PASSWORD=bench-report \
  "$bin/dbos-credd" --foreground 2>"$tmp/credd.log" &
credd=$!
pids+=("$credd")
"$report" wait || { cat "$tmp/credd.log" >&2; exit 1; }
"$report" rss -pid "$credd" -label "daemon RSS, idle" -target 25 >>"$rows"

# --- a user logged in through the CLI, as issue 4 names the commands ---
say "logging in through dbos-cloud (the emulator approves as benchuser)"
"$bin/dbos-cloud" login --get-refresh-token --no-browser >/dev/null 2>"$tmp/login.err" || true
"$bin/dbos-cloud" register -u benchuser --given-name Bench --family-name User --company Bench \
  >/dev/null 2>>"$tmp/login.err" || { cat "$tmp/login.err" >&2; exit 1; }
"$bin/dbos-cloud" token >/dev/null || { say "dbos-cloud token fails after login"; exit 1; }

# --- exec timings: CLI commands against their floors ---
say "exec timings ($ROUNDS rounds x $EXECS execs each)"
"$report" exec -rounds "$ROUNDS" -n "$EXECS" \
  "dbos-cloud token" "$bin/dbos-cloud token" "hello-world" "$bin/hello" >>"$rows"
"$report" exec -rounds "$ROUNDS" -n "$EXECS" -difference \
  "dbos-cloud org list" "$bin/dbos-cloud org list" \
  "dbos-cloud profile" "$bin/dbos-cloud profile" \
  "bare go-plugin launch" "$bin/barehost $tmp/echo/dbos-cloud-plugin-echo" >>"$rows"
"$report" exec -rounds "$ROUNDS" -n "$EXECS" \
  "dbos-cloud --help" "$bin/dbos-cloud --help" \
  "dbos-cloud --version" "$bin/dbos-cloud --version" "hello-world" "$bin/hello" >>"$rows"
"$report" exec -rounds "$ROUNDS" -n "$EXECS" \
  "dbos-cloud org --help" "$bin/dbos-cloud org --help" \
  "dbos-cloud --version" "$bin/dbos-cloud --version" >>"$rows"

# --- refresh storm and memory with 1000 accounts ---
say "refresh storm and 1000 accounts"
"$report" storm -rounds "$ROUNDS" -waiters 1000 -emulator "$emu" -account default >>"$rows"
"$report" fill -accounts 1000
"$report" rss -pid "$credd" -label "daemon RSS, 1000 accounts" -target 40 >>"$rows"

echo
echo "Benchmark report ($(go env GOOS)/$(go env GOARCH), $(nproc) CPUs, $ROUNDS rounds, $(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "| measurement | subject: median (min–max) | baseline | ratio: median (min–max) |"
echo "|---|---|---|---|"
cat "$rows"

if command -v hyperfine >/dev/null; then
  echo
  echo "hyperfine cross-check (token vs hello-world):"
  hyperfine -N --warmup 3 --runs 30 --style basic "$bin/dbos-cloud token" "$bin/hello" 2>&1 |
    grep -E 'Time|±|faster|dbos-cloud token|hello' || true
else
  echo
  echo "hyperfine not found on PATH: no cross-check (the table above does not need it)."
fi
