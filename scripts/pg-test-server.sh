#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite, on 127.0.0.1 only.
#
#   eval "$(scripts/pg-test-server.sh start)"   # creates and starts it; exports ENNIO_TEST_PG_URL
#   scripts/pg-test-server.sh stop              # stops it and deletes the cluster
#
# Commands:
#   start   initdb a cluster in $ENNIO_PG_DIR (first time only), start it on a free port, create
#           the database `ennio_test`, and print `export ENNIO_TEST_PG_URL='postgres://…'` on
#           stdout (everything else goes to stderr). Starting a running server just prints the URL.
#   stop    stop the server (fast shutdown) and delete $ENNIO_PG_DIR. Does nothing when absent.
#   halt    stop the server, keep the cluster: `start` brings it back on the same port.
#   url     print the URL of the cluster in $ENNIO_PG_DIR.
#   bin     print the folder of the server programs (fails when PostgreSQL is not installed).
#
# Environment:
#   ENNIO_PG_DIR    the cluster's folder (default ${TMPDIR:-/tmp}/ennio-pg-test-<checkout>, one per
#                   checkout, named by a hash of its path: one checkout's `stop` leaves another's alone)
#   ENNIO_PG_PORT   the port (default: the first free one from 54329)
#   PG_BIN          the folder holding initdb and pg_ctl (default: pg_config --bindir, PATH, or
#                   the newest /usr/lib/postgresql/*/bin)
#   ENNIO_PG_DURABLE=1  a new cluster keeps PostgreSQL's default durability (fsync, synchronous_commit
#                   and full_page_writes on): the benchmark's own server (bench/pg-server.ts)
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user and
# every server command runs as that user. As anyone else, it runs as you.
#
# The server is for tests only: fsync is off (a crash of the machine may lose it; a crash or
# restart of the server does not) unless ENNIO_PG_DURABLE=1, and its superuser's password is
# random, in the URL.
set -euo pipefail

command=${1:-}
checkout=$(cd "$(dirname "$0")/.." && pwd -P)
dir=${ENNIO_PG_DIR:-${TMPDIR:-/tmp}/ennio-pg-test-$(printf '%s' "$checkout" | sha256sum | cut -c1-12)}
data=$dir/data
database=ennio_test

say() { echo "pg-test-server: $*" >&2; }
fail() { say "$*"; exit 1; }

find_bin() {
  if [[ -n ${PG_BIN:-} ]]; then
    [[ -x $PG_BIN/pg_ctl && -x $PG_BIN/initdb ]] || fail "PG_BIN=$PG_BIN holds no initdb and pg_ctl"
    echo "$PG_BIN"
    return
  fi
  if command -v pg_config >/dev/null 2>&1; then
    local configured
    configured=$(pg_config --bindir 2>/dev/null || true)
    if [[ -x $configured/pg_ctl ]]; then echo "$configured"; return; fi
  fi
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n $newest && -x $newest/pg_ctl ]]; then echo "$newest"; return; fi
  fail "cannot find initdb and pg_ctl: install PostgreSQL (Debian: apt-get install -y postgresql) or set PG_BIN"
}

# Runs a server command as the cluster's owner.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [[ -d $data ]] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

print_url() {
  [[ -f $dir/url ]] || fail "no cluster in $dir"
  echo "export ENNIO_TEST_PG_URL='$(cat "$dir/url")'"
}

start() {
  if running; then
    say "already running ($dir)"
    print_url
    return
  fi
  if [[ ! -f $data/PG_VERSION ]]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 700 "$dir"
    if [[ $(id -u) -eq 0 ]]; then
      id postgres >/dev/null 2>&1 || fail "the postgres user does not exist (it comes with Debian's postgresql package)"
      chown postgres: "$dir"
    fi
    local password
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    echo "$password" >"$dir/password"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/password"
    chmod 600 "$dir/password"
    say "initdb $data"
    as_owner "$bin/initdb" -D "$data" -U postgres --pwfile="$dir/password" -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 -N >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; fail "initdb failed"; }
    cat >>"$data/postgresql.conf" <<EOF

# ennio-db test server (scripts/pg-test-server.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
EOF
    if [[ ${ENNIO_PG_DURABLE:-} == 1 ]]; then
      say "default durability (ENNIO_PG_DURABLE=1): fsync, synchronous_commit and full_page_writes on"
    else
      cat >>"$data/postgresql.conf" <<EOF
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
  fi
  local port
  if [[ -n ${ENNIO_PG_PORT:-} ]]; then
    port=$ENNIO_PG_PORT
  elif [[ -f $dir/port ]]; then
    port=$(cat "$dir/port")
  else
    port=54329
    while port_in_use "$port"; do
      port=$((port + 1))
      ((port < 54429)) || fail "no free port in 54329–54428"
    done
  fi
  port_in_use "$port" && fail "port $port is in use"
  echo "$port" >"$dir/port"
  say "starting on 127.0.0.1:$port"
  as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -o "-p $port" -w -t 60 start >/dev/null ||
    { tail -n 20 "$dir/server.log" >&2 || true; fail "the server did not start"; }
  if ! as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $database" >/dev/null
  fi
  echo "postgres://postgres:$(cat "$dir/password")@127.0.0.1:$port/$database" >"$dir/url"
  print_url
}

halt() {
  if running; then
    say "stopping ($dir)"
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
  fi
}

stop() {
  [[ -d $dir ]] || return 0
  halt
  rm -rf "$dir"
  say "removed $dir"
}

bin=$(find_bin)
case $command in
  start) start ;;
  stop) stop ;;
  halt) halt ;;
  url) print_url ;;
  bin) echo "$bin" ;;
  *) echo "usage: $0 start|stop|halt|url|bin" >&2; exit 2 ;;
esac
