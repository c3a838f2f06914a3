#!/usr/bin/env bash
# Benchmark: residents' reports over HTTP into a fresh database on SQLite and
# on PostgreSQL — a warm-up, then three runs of 8,000 reports at 8 and at 32
# clients — each followed by the raw rate of single-row insert transactions.
# Uses the release binary.
#   scripts/bench-intake.sh [POSTGRES_ADMIN_URL]
set -euo pipefail
cd "$(dirname "$0")/.."
pg=${1:-postgres://postgres@127.0.0.1:5432/test}
cargo build --release -q -p gongzhi
bin=target/release/gongzhi
tmp=$(mktemp -d)
db="gongzhi_intake_$$"
trap 'rm -rf "$tmp"; psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
psql "$pg" -qc "CREATE DATABASE $db" >/dev/null

for url in "sqlite://$tmp/intake.db?mode=rwc" "${pg%/*}/$db"; do
  "$bin" --db "$url" --data "$tmp" bench intake --requests 500 >/dev/null
  for clients in 8 32; do
    for _ in 1 2 3; do
      "$bin" --db "$url" --data "$tmp" bench intake --requests 8000 --clients "$clients" | tail -2
    done
  done
done
