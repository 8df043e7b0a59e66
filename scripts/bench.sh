#!/usr/bin/env bash
# Runs the end-to-end benchmark against a throwaway PostgreSQL and the Merchant API emulator in its own process.
#   scripts/bench.sh [--products N] [--rate R] [--duration S] [--connections C] [--warmup S] [--no-settle] [--emulator-latency-ms L]
# After the initial sync it runs VACUUM (ANALYZE), as autovacuum would after a bulk load (--no-settle: measure
# through autovacuum's first pass instead), then --warmup seconds of changes that are not measured (JIT, caches).
# Prints figures (latency percentiles, calls per change, peak memory); it never passes or fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
chmod 755 "$work"   # the postgres user must reach the cluster directory when we run as root
trap 'bash "$root/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT INT TERM
# A production server's buffer cache holds the working set (~0.6 GB at 100,000 products); the default 128MB does not.
FEEDSYNC_BENCH_PG=$(bash "$root/scripts/pg.sh" start "$work/pg" --shared-buffers 1GB)
export FEEDSYNC_BENCH_PG
dotnet build "$root/tests/FeedSync.Benchmarks" -c Release -v quiet -nologo >/dev/null
dotnet "$root/tests/FeedSync.Benchmarks/bin/Release/net10.0/FeedSync.Benchmarks.dll" "$@"
