#!/usr/bin/env bash
# FeedSync demo on this machine, nothing to install or configure:
# a throwaway PostgreSQL cluster + the Merchant API emulator + `feedsync demo`, which seeds the
# demo catalog and serves the Hangfire dashboard. Ctrl-C stops everything and deletes the cluster.
#
#   ./run.sh                             # 10,000 demo products
#   FEEDSYNC_DEMO_PRODUCTS=500 ./run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/pg.sh
. scripts/pg.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
products=${FEEDSYNC_DEMO_PRODUCTS:-10000}
emulator_dll=src/FeedSync.MerchantEmulator/bin/Release/net10.0/feedsync-emulator.dll
feedsync_dll=src/FeedSync/bin/Release/net10.0/feedsync.dll

tmp=$(mktemp -d "${TMPDIR:-/tmp}/feedsync-demo.XXXXXX")
chmod 755 "$tmp" # the server runs as `postgres` when we are root
emulator_pid='' opener_pid=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
  # The emulator runs in the background, where a script's Ctrl-C does not reach it: stop it here.
  if [ -n "$opener_pid" ]; then kill "$opener_pid" 2>/dev/null || true; fi
  if [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null; then
    wait "$emulator_pid" 2>/dev/null || true
  fi
  pg_stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "Starting PostgreSQL..."
pg_start "$tmp/pg" >/dev/null
"$PG_BINDIR/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres feedsync_demo
connstr="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=feedsync_demo"

echo "Building (Release)..."
dotnet build src/FeedSync.MerchantEmulator/FeedSync.MerchantEmulator.csproj -c Release -v quiet -nologo
dotnet build src/FeedSync/FeedSync.csproj -c Release -v quiet -nologo

# The emulator picks its own port and announces it in one line on stdout; wait for that line.
dotnet "$emulator_dll" --port 0 >"$tmp/emulator.log" 2>&1 &
emulator_pid=$!
emulator_url=''
for _ in $(seq 1 300); do # 30 s
  emulator_url=$(grep -o -m 1 'listening on http://[^ ]*' "$tmp/emulator.log" | sed 's/^listening on //') || true
  [ -n "$emulator_url" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$emulator_url" ]; then
  echo "run.sh: the Merchant API emulator did not start:" >&2
  cat "$tmp/emulator.log" >&2
  exit 1
fi
echo "Merchant API emulator: $emulator_url"

dashboard_url="http://127.0.0.1:$(free_port)"

# Once the dashboard answers, open it in a browser where there is a display (xdg-open on a
# headless machine would start a text browser in this terminal); otherwise just print the URL.
open_dashboard() {
  for _ in $(seq 1 600); do # 10 min: seeding a large catalog takes a while
    if curl -sf -o /dev/null "$dashboard_url/hangfire/feedsync"; then
      if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && command -v xdg-open >/dev/null 2>&1; then
        xdg-open "$dashboard_url/hangfire/feedsync" >/dev/null 2>&1 || true
      fi
      echo "Dashboard ready: $dashboard_url/hangfire/feedsync (Ctrl-C to stop)"
      return 0
    fi
    sleep 1
  done
}
open_dashboard &
opener_pid=$!

# Foreground, so Ctrl-C reaches FeedSync directly and it shuts down gracefully; then the traps
# above stop the emulator and remove the cluster.
status=0
DOTNET_ENVIRONMENT=Development \
  FeedSync__Catalog__ConnectionString="$connstr" \
  FeedSync__State__ConnectionString="$connstr" \
  FeedSync__MerchantCenter__Endpoint="$emulator_url" \
  FeedSync__MerchantCenter__AccountId=1234567 \
  FeedSync__MerchantCenter__DataSourceId=7654321 \
  FeedSync__Dashboard__Url="$dashboard_url" \
  dotnet "$feedsync_dll" demo --products "$products" || status=$?
exit "$status"
