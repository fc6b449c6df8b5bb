#!/usr/bin/env bash
# Session-kNN (sknn, vsknn, stan, vstan): fit time and memory on >= 1M events, and milliseconds per
# top-10 recommendation for sessions of 1..20 events (2000 prefixes of real sessions), native
# (gcc -O3, linked with build/libwasmrec.a) and wasm (Node, through wasm/wasmrec.mjs). Also checks
# that both builds recommend the same top-10 lists. Prints one JSON object on stdout, progress on
# stderr. Run from the repo root after `make native wasm` (make bench does). Target: p99 < 2 ms
# in wasm. About 40 s on a 2-core machine.
set -euo pipefail
sessions=${KNN_SESSIONS:-113000} items=${KNN_ITEMS:-20000} nq=${KNN_QUERIES:-2000}
out=build/bench/knn
mkdir -p "$out"
store="$out/store-$sessions-$items.csv"
if [ ! -s "$store" ]; then
  echo "bench/knn: generating $sessions sessions over $items items" >&2
  build/wasmrec gen --out "$store" --sessions "$sessions" --items "$items" --seed 7 >/dev/null
fi
events=$(( $(wc -l < "$store") - 1 ))
if [ "$events" -lt 1000000 ]; then
  echo "bench/knn: $store has $events events, fewer than 1M: raise KNN_SESSIONS" >&2
  exit 1
fi
node bench/knn/make_queries.mjs "$store" "$out/queries.txt" "$nq"
${CC:-gcc} -std=c11 -O3 -ffp-contract=off -Wall bench/knn/knn_bench.c build/libwasmrec.a -lm -pthread -o "$out/knn_bench"
native=() wasm=() same=()
for m in sknn vsknn stan vstan; do
  echo "bench/knn: $m native" >&2
  native+=("$("$out/knn_bench" "$store" "$out/queries.txt" $m "$out/top10.$m.native")")
  echo "bench/knn: $m wasm" >&2
  wasm+=("$(node bench/knn/knn_bench.mjs "$store" "$out/queries.txt" $m "$out/top10.$m.wasm")")
  same+=("\"$m\":$(paste -d'|' "$out/top10.$m.native" "$out/top10.$m.wasm" | awk -F'|' '$1 == $2' | wc -l)")
done
node -e '
const [n, w, same, events, nq] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2]), JSON.parse(process.argv[3]), +process.argv[4], +process.argv[5]];
const p99 = Object.fromEntries(w.map((x) => [x.model, x.ms_p99]));
const p99long = Object.fromEntries(w.map((x) => [x.model, x.ms_p99_len_10_20]));
console.log(JSON.stringify({
  bench: "knn", events, queries: nq, query_lengths: "1..20 events, prefixes of real sessions",
  target: "p99 < 2 ms in wasm", target_met: Object.values(p99).every((x) => x < 2),
  wasm_p99_ms: p99, wasm_p99_ms_len_10_20: p99long, same_top10_native_wasm: same, native: n, wasm: w,
}));
' "[$(IFS=,; echo "${native[*]}")]" "[$(IFS=,; echo "${wasm[*]}")]" "{$(IFS=,; echo "${same[*]}")}" "$events" "$nq"
