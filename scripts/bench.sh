#!/usr/bin/env bash
# Runs the end-to-end benchmark against a throwaway PostgreSQL and the in-process Merchant API emulator.
#   scripts/bench.sh [--products N] [--rate R] [--duration S] [--connections C]
# Prints figures (latency percentiles, calls per change, peak memory); it never passes or fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
chmod 755 "$work"   # the postgres user must reach the cluster directory when we run as root
trap 'bash "$root/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT INT TERM
FEEDSYNC_BENCH_PG=$(bash "$root/scripts/pg.sh" start "$work/pg")
export FEEDSYNC_BENCH_PG
dotnet build "$root/tests/FeedSync.Benchmarks" -c Release -v quiet -nologo >/dev/null
dotnet "$root/tests/FeedSync.Benchmarks/bin/Release/net10.0/FeedSync.Benchmarks.dll" "$@"
