#!/usr/bin/env bash
# Builds FeedSync and runs every test (unit + integration) against a throwaway PostgreSQL cluster.
#
#   ./test.sh                 # everything
#   ./test.sh 'FILTER'        # passed to `dotnet test --filter`, e.g. ./test.sh 'FullyQualifiedName~Diff'
#
# Ends with one plain line `N passed, N failed[, N skipped]` (CI reads it) and exits non-zero
# if the build or any test failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/pg.sh
. scripts/pg.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

filter=${1:-}
# A hung test must not eat CI's 90 minutes silently: blame kills the test host and names the test.
hang_timeout=${FEEDSYNC_TEST_HANG_TIMEOUT:-20m}

# Browser tests (FeedSync's dashboard pages, in tests/FeedSync.IntegrationTests) drive Debian's
# Chromium through chromedriver; install both when missing. Nothing downloads a browser by itself.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: browser tests need /usr/bin/chromium; install packages chromium chromium-driver" >&2
    return 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/feedsync-test.XXXXXX")
# The server runs as `postgres` when we are root: it must be able to enter the temp dir.
chmod 755 "$tmp"
cleanup() {
  pg_stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_chromium

pg_start "$tmp/pg" >/dev/null
export FEEDSYNC_TEST_PG=$PG_CONNSTR
echo "PostgreSQL: $FEEDSYNC_TEST_PG"

if ! dotnet build FeedSync.sln -c Release; then
  echo "test.sh: build failed" >&2
  exit 1
fi

args=(--no-build -c Release --logger trx --results-directory "$tmp/results"
  --blame-hang-timeout "$hang_timeout" --blame-hang-dump-type none)
[ -n "$filter" ] && args+=(--filter "$filter")
status=0
dotnet test FeedSync.sln "${args[@]}" || status=$?

# Sum the counters of every .trx (one per test project). xunit's skipped tests are counted as
# total - executed; errors, timeouts and aborts count as failures.
passed=0 failed=0 skipped=0
while IFS= read -r -d '' trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1) || continue
  attr() {
    local v
    v=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters")
    echo "${v:-0}"
  }
  passed=$((passed + $(attr passed)))
  failed=$((failed + $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted)))
  skipped=$((skipped + $(attr total) - $(attr executed)))
done < <(find "$tmp/results" -name '*.trx' -print0 2>/dev/null)

# Stop the cluster now so its shutdown cannot print after the summary line.
cleanup
trap - EXIT

[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && echo "test.sh: dotnet test exited with $status" >&2
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary+=", $skipped skipped"
echo "$summary"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
