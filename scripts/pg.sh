#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests, the demo and benchmarks (no Docker on our machines).
#
#   scripts/pg.sh start DIR [--wal-level LEVEL] [--hba-databases LIST] [--shared-buffers SIZE]
#                             # create + start a cluster in DIR; prints the Npgsql connection string
#   scripts/pg.sh stop DIR    # stop it (fast) and delete DIR
#
# Options (for tests of set-up errors): --wal-level replica gives a cluster without logical decoding;
# --hba-databases postgres lets TCP clients reach only the listed databases (comma-separated) plus
# physical replication, so a logical replication connection to any other database is refused.
# --shared-buffers 1GB sizes the buffer cache like a production server's (benchmarks; tests keep 128MB).
#
# Or source it and call pg_start DIR / pg_stop DIR; pg_start then also sets and exports
# PG_CONNSTR, PG_PORT and PG_BINDIR in the caller. The connection string is also written to
# DIR/connstr. Works as root (server runs as the `postgres` user, which refuses to run as root)
# and as a normal user. Logs go to stderr and DIR/postgres.log; stdout carries only the connstr.

# Debian puts the server binaries outside PATH; pg_config knows where (if the server is there).
pg_find_bindir() {
  local d
  for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      printf '%s\n' "$d"
      return 0
    fi
  done
  return 1
}

# A fresh CI machine might lack the server; install it from Debian's packages (root only).
pg_ensure_server() {
  PG_BINDIR=$(pg_find_bindir) && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "pg.sh: no PostgreSQL server binaries found; install the 'postgresql' package" >&2
    return 1
  fi
  echo "pg.sh: installing PostgreSQL server from Debian packages..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  PG_BINDIR=$(pg_find_bindir) || { echo "pg.sh: still no initdb after install" >&2; return 1; }
}

# Run a server command as the cluster owner: `postgres` when we are root, else ourselves.
# `cd /` because the postgres user may not be allowed into the caller's working directory.
pg_as_owner() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
  fi
}

# A TCP port nobody listens on (bash's /dev/tcp: a refused connect means free). Below the Linux
# ephemeral range so outgoing connections do not take it meanwhile. pg_start retries on a race.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((15000 + RANDOM % 17000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  echo "pg.sh: no free TCP port found" >&2
  return 1
}

pg_start() {
  local dir=${1:?usage: pg_start DIR [--wal-level LEVEL] [--hba-databases LIST] [--shared-buffers SIZE]}
  shift
  local wal_level=logical hba_databases=all shared_buffers=128MB
  while [ $# -gt 0 ]; do
    case "$1" in
      --wal-level) wal_level=${2:?--wal-level needs a value}; shift 2 ;;
      --hba-databases) hba_databases=${2:?--hba-databases needs a value}; shift 2 ;;
      --shared-buffers) shared_buffers=${2:?--shared-buffers needs a value}; shift 2 ;;
      *) echo "pg.sh: unknown option $1" >&2; return 1 ;;
    esac
  done
  pg_ensure_server || return 1
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd -P) || return 1
  if [ -e "$dir/data" ]; then
    echo "pg.sh: $dir/data already exists; use an empty directory" >&2
    return 1
  fi
  # Marker that lets pg_stop delete DIR without risk of wiping something we did not create.
  : >"$dir/.feedsync-pg"

  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home postgres
    chown -R postgres: "$dir"
    if ! pg_as_owner test -w "$dir"; then
      echo "pg.sh: user postgres cannot write $dir: a parent directory is not searchable by others (mktemp -d makes 0700 dirs; chmod 755 it)" >&2
      return 1
    fi
  fi

  # Unix sockets live inside DIR (nothing shared, no /var/run needed) unless the path would
  # exceed the kernel's 107-byte limit; clients here connect over TCP anyway.
  local sockdir=$dir
  [ ${#dir} -gt 80 ] && sockdir=''

  pg_as_owner "$PG_BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }

  # Trust for local + loopback. Logical replication connections are matched by database name
  # (`all` here), physical ones by the `replication` keyword; allow both.
  cat >"$dir/data/pg_hba.conf" <<HBA
local all         all                trust
local replication all                trust
host  $hba_databases all   127.0.0.1/32 trust
host  replication all   127.0.0.1/32 trust
HBA

  # Throwaway cluster: durability off for speed; logical decoding on for capture tests.
  cat >>"$dir/data/postgresql.conf" <<CONF

# --- scripts/pg.sh ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
wal_level = $wal_level
shared_buffers = $shared_buffers
max_replication_slots = 20
max_wal_senders = 20
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
CONF

  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port) || return 1
    # Port goes on the command line so a retry does not need to edit postgresql.conf.
    # pg_ctl -w returns once the server accepts connections; its chatter goes to stderr.
    if pg_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -s -w -t 60 \
      -o "-p $port" start >&2; then
      break
    fi
    # Another process grabbed the port between the probe and the bind: try another one.
    if grep -q 'could not bind\|Address already in use' "$dir/postgres.log" 2>/dev/null && [ "$attempt" -lt 5 ]; then
      echo "pg.sh: port $port taken, retrying" >&2
      continue
    fi
    cat "$dir/postgres.log" >&2
    return 1
  done

  # Confirm over TCP (what every client uses) rather than trusting the socket check.
  "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 \
    || { echo "pg.sh: server on port $port not ready" >&2; return 1; }

  PG_PORT=$port
  PG_CONNSTR="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  export PG_PORT PG_CONNSTR PG_BINDIR
  printf '%s\n' "$PG_CONNSTR" >"$dir/connstr"
  printf '%s\n' "$PG_CONNSTR"
}

pg_stop() {
  local dir=${1:?usage: pg_stop DIR}
  [ -d "$dir" ] || return 0
  if [ ! -e "$dir/.feedsync-pg" ]; then
    echo "pg.sh: $dir was not created by pg.sh start; not deleting it" >&2
    return 1
  fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bindir
    bindir=${PG_BINDIR:-$(pg_find_bindir)} || true
    # Fast first (rolls back sessions, clean shutdown); immediate if something hangs.
    pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
      || pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
      || echo "pg.sh: could not stop the server in $dir" >&2
  fi
  rm -rf "$dir"
}

# Executed (not sourced): dispatch the verb.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    start) shift; pg_start "${1:?usage: $0 start DIR [--wal-level LEVEL] [--hba-databases LIST] [--shared-buffers SIZE]}" "${@:2}" ;;
    stop) pg_stop "${2:?usage: $0 stop DIR}" ;;
    *) sed -n '2,5p' "$0" >&2; exit 2 ;;
  esac
fi
