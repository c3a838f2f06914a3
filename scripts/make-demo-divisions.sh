#!/usr/bin/env bash
# Rebuild the demo's Dezhou (3714) subset of the open division files, in the
# same five-file format, from ../shared/data/divisions (or the folder given).
set -euo pipefail
src=${1:-../shared/data/divisions}
out=crates/gongzhi/data/divisions-3714
mkdir -p "$out"
zcat "$src/provinces.csv.gz" | awk -F, 'NR==1 || $1=="37"' | gzip -9n > "$out/provinces.csv.gz"
zcat "$src/cities.csv.gz"    | awk -F, 'NR==1 || $1=="3714"' | gzip -9n > "$out/cities.csv.gz"
for f in areas streets villages; do
  zcat "$src/$f.csv.gz" | awk -F, 'NR==1 || substr($1,1,4)=="3714"' | gzip -9n > "$out/$f.csv.gz"
done
for f in "$out"/*.csv.gz; do echo "$f: $(($(zcat "$f" | wc -l) - 1)) rows"; done
