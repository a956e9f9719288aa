#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the test suite and prints the
# URL to use as ZENOME_TEST_POSTGRES_URL. Needs Debian's `postgresql` package.
# Usage: scripts/start-postgres.sh DIR [PORT]
set -euo pipefail
dir=${1:?usage: start-postgres.sh DIR [PORT]}
port=${2:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$dir"
  run() { su postgres -s /bin/sh -c "$*"; }
else
  run() { sh -c "$*"; }
fi
if [ ! -f "$dir/PG_VERSION" ]; then
  run "$bin/initdb -D '$dir' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
fi
run "$bin/pg_ctl -D '$dir' -l '$dir/server.log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start" >/dev/null
echo "postgres://postgres@127.0.0.1:$port/postgres"
