#!/usr/bin/env bash
# Session-kNN: fit time and memory on ~1M events, and milliseconds per top-10 recommendation for
# sessions of 1..20 events, native and wasm. Prints one JSON object. Run from the repo root after
# `make native wasm` (make bench does). Target: p99 under 2 ms in wasm.
set -euo pipefail
out=build/bench/knn
mkdir -p "$out"
[ -f "$out/store.csv" ] || build/wasmrec gen --out "$out/store.csv" --sessions 110000 --items 20000 --seed 7 >&2 2>/dev/null
node bench/knn/make_queries.mjs "$out/store.csv" "$out/queries.txt" 2000
${CC:-gcc} -std=c11 -O3 -ffp-contract=off bench/knn/knn_bench.c build/libwasmrec.a -lm -o "$out/knn_bench"
native=() wasm=()
for m in sknn vsknn stan vstan; do
  echo "bench/knn: $m" >&2
  native+=("$("$out/knn_bench" "$out/store.csv" "$out/queries.txt" $m)")
  wasm+=("$(node bench/knn/knn_bench.mjs "$out/store.csv" "$out/queries.txt" $m)")
done
node -e '
const [n, w] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2])];
console.log(JSON.stringify({ bench: "knn", target: "p99 < 2 ms in wasm", native: n, wasm: w }));
' "[$(IFS=,; echo "${native[*]}")]" "[$(IFS=,; echo "${wasm[*]}")]"
