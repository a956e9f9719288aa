#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, the crate layering
# rules, and every test — including PostgreSQL (a throwaway cluster started
# here) and the portal in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v samtools >/dev/null 2>&1 || need+=(samtools)
command -v bcftools >/dev/null 2>&1 || need+=(bcftools)
command -v tabix >/dev/null 2>&1 || need+=(tabix)
command -v plink2 >/dev/null 2>&1 || need+=(plink2)
command -v PicardCommandLine >/dev/null 2>&1 || need+=(picard-tools)
# report PDFs: text extraction and font checks, and a Japanese font for Chromium to embed
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fc-list :lang=ja 2>/dev/null | grep -q . || need+=(fonts-ipafont-gothic)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

echo "== reference tools from PyPI (crypt4gh, the official Phenopackets schema, duckdb)"
command -v crypt4gh >/dev/null 2>&1 || python3 -m pip install --quiet crypt4gh==1.8.6
python3 -c 'import phenopackets' 2>/dev/null || python3 -m pip install --quiet phenopackets==2.0.2.post5
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb==2.0.1
python3 -c 'import jsonschema, referencing' 2>/dev/null || python3 -m pip install --quiet jsonschema==4.26.0
python3 -c 'import openapi_spec_validator' 2>/dev/null || python3 -m pip install --quiet openapi-spec-validator==0.9.0

echo "== starting PostgreSQL"
pgdir=$(mktemp -d)
chmod 755 "$pgdir"   # the postgres user must reach its data directory
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pg_url=$(scripts/start-postgres.sh "$pgdir/data" "$port")
export ZENOME_TEST_POSTGRES_URL=$pg_url
stop_pg() {
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$bin/pg_ctl -D '$pgdir/data' -m immediate stop" >/dev/null 2>&1 || true
  else "$bin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$pgdir" 2>/dev/null || true
}
trap stop_pg EXIT

echo "== starting the S3-compatible server"
s3dir=$(mktemp -d)
s3port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
s3env=$(scripts/start-s3.sh "$s3dir" "$s3port")
export $s3env
stop_all() {
  stop_pg
  # stop SeaweedFS and wait until it has gone: it writes into its directory
  # while it shuts down, so removing the directory earlier races with it.
  if [ -f "$s3dir/weed.pid" ]; then
    pid=$(cat "$s3dir/weed.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$s3dir" 2>/dev/null || true   # cleanup never decides the result
}
trap stop_all EXIT

echo "== format"
cargo fmt --all --check

echo "== lints"
cargo clippy --workspace --all-targets -- -D warnings

echo "== layering"
# only the store talks SQL, only the server speaks HTTP, the domain does no I/O
for crate in zenome-domain zenome-auth zenome-app zenome-demo; do
  if cargo tree -p "$crate" -e normal --prefix none | grep -qE '^axum '; then
    echo "layering: $crate must not depend on axum"; exit 1
  fi
done
for crate in zenome-domain zenome-auth; do
  if cargo tree -p "$crate" -e normal --prefix none | grep -qE '^(sqlx|tokio|object_store) '; then
    echo "layering: $crate must not do I/O (depends on sqlx/tokio/object_store)"; exit 1
  fi
done
# a capability crate knows no HTTP and no SQL (the app wires it, the server speaks)
for crate in zenome-variants zenome-identity; do
  if cargo tree -p "$crate" -e normal --prefix none | grep -qE '^(axum|sqlx|hyper) '; then
    echo "layering: $crate must know no HTTP or SQL"; exit 1
  fi
done
if grep -rln --include=*.rs 'sqlx::' crates | grep -v '^crates/zenome-store/' ; then
  echo "layering: only zenome-store may use sqlx"; exit 1
fi

echo "== tests (PostgreSQL at port $port)"
cargo test --workspace --no-fail-fast

echo "== all checks passed"
