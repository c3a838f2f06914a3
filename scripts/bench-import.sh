#!/usr/bin/env bash
# Benchmark: import the whole country's divisions into a fresh database on
# SQLite and on PostgreSQL, then re-import (nothing changes), printing the
# wall time and peak memory of each run. Uses the release binary.
#   scripts/bench-import.sh [DIVISIONS_DIR] [POSTGRES_ADMIN_URL]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/data/divisions}
pg=${2:-postgres://postgres@127.0.0.1:5432/test}
cargo build --release -q -p gongzhi
bin=target/release/gongzhi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # label url
  local label=$1 url=$2
  for pass in first again; do
    local start end
    start=$(date +%s.%N)
    if [ -x /usr/bin/time ]; then
      /usr/bin/time -f "%M" -o "$tmp/rss" "$bin" --db "$url" import divisions "$dir" > "$tmp/out" 2> "$tmp/err"
    else
      "$bin" --db "$url" import divisions "$dir" > "$tmp/out" 2> "$tmp/err"; echo "?" > "$tmp/rss"
    fi
    end=$(date +%s.%N)
    printf '%-10s %-6s %6.1f s  peak RSS %s KiB  | %s\n' "$label" "$pass" "$(echo "$end - $start" | bc)" "$(cat "$tmp/rss")" "$(head -n1 "$tmp/out")"
  done
  tail -n 5 "$tmp/out"
}

run sqlite "sqlite://$tmp/country.db?mode=rwc"
ls -l "$tmp/country.db" | awk '{printf "sqlite file: %.0f MiB\n", $5/1048576}'

db=gz_bench_$$
root=${pg%/*}
psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
run postgres "$root/$db"
psql "$pg" -Atc "SELECT 'postgres database: ' || pg_size_pretty(pg_database_size('$db'))"
psql "$pg" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
