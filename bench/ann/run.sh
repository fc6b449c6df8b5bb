#!/usr/bin/env bash
# bench/ann: the nearest-neighbour index (src/index/) against exact and against hnswlib.
# On ANN_N x ANN_DIM vectors (default 200,000 x 64, a Gaussian mixture of 300 centres, generated
# deterministically by ann_bench.c into a raw float32 file every side reads) and ANN_QUERIES
# queries from the same mixture: the ground truth by our exact scan, then recall@10 against it,
# queries/s (one query per call, one thread), build seconds and memory for
#   - our exact scan, native and wasm;
#   - our HNSW, native (bench/ann/ann_bench.c linked with build/libwasmrec.a) and wasm (Node,
#     through wasm/wasmrec.mjs);
#   - hnswlib (Debian's python3-hnswlib, set_num_threads(1)) and hnswlib-wasm (npm), both with
#     the same M and ef_construction.
# Each HNSW is swept over ef_search (ANN_EFS) and reported at the smallest ef whose recall@10 is at
# least 0.95 (the ef used is in the output). One JSON object on stdout, progress on stderr. Run
# from the repo root; not part of `make test`. About 4-5 minutes on a 2-core machine.
#
# Other vectors (the hook for the two-tower's item vectors): VECTORS_FILE=raw float32 file of
# n x ANN_DIM (n from its size); queries are QUERIES_FILE (raw float32, m x ANN_DIM) when given,
# else ANN_QUERIES of its rows plus N(0, 0.05^2) noise.
#   VECTORS_FILE=items.f32 ANN_DIM=32 bash bench/ann/run.sh
set -euo pipefail
n=${ANN_N:-200000} nq=${ANN_QUERIES:-1000} dim=${ANN_DIM:-64} centres=${ANN_CENTRES:-300}
metric=${ANN_METRIC:-cosine} M=${ANN_M:-16} efc=${ANN_EFC:-100}
efs=${ANN_EFS:-10,16,24,32,48,64,96,128,192}
out=build/bench/ann
mkdir -p "$out"

make --no-print-directory -s native wasm >&2
[ -d node_modules/hnswlib-wasm ] || npm ci --no-audit --no-fund >&2
if ! /usr/bin/python3 -c 'import hnswlib' 2>/dev/null; then
  echo "bench/ann: installing Debian's python3-hnswlib" >&2
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get install -y -qq python3-hnswlib >&2 || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-hnswlib >&2; }
fi
${CC:-gcc} -std=c11 -O3 -ffp-contract=off -Wall bench/ann/ann_bench.c build/libwasmrec.a -lm -o "$out/ann_bench"

if [ -n "${VECTORS_FILE:-}" ]; then
  base=$VECTORS_FILE
  bytes=$(stat -c %s "$base")
  [ $((bytes % (4 * dim))) = 0 ] || { echo "bench/ann: $base ($bytes bytes) is not a whole number of $dim-float rows (set ANN_DIM)" >&2; exit 1; }
  n=$((bytes / (4 * dim)))
  if [ -n "${QUERIES_FILE:-}" ]; then
    queries=$QUERIES_FILE
    nq=$(( $(stat -c %s "$queries") / (4 * dim) ))
  else
    queries=$out/queries-sampled-$n-$dim.f32
    "$out/ann_bench" sample "$base" "$queries" "$n" "$nq" "$dim" 3
  fi
  data="vectors from $base"
else
  base=$out/base-$n-$dim-$centres.f32 queries=$out/queries-$nq-$dim-$centres.f32
  if [ ! -s "$base" ] || [ ! -s "$queries" ]; then
    echo "bench/ann: generating $n + $nq vectors of $dim around $centres centres" >&2
    "$out/ann_bench" gen "$base" "$queries" "$n" "$nq" "$dim" "$centres" 7
  fi
  data="gaussian mixture: $centres centres ~ N(0, I), points = centre + N(0, 0.25 I), seed 7"
fi
args=("$base" "$queries" "$n" "$nq" "$dim" "$metric" "$M" "$efc" "$efs")
truth=$out/truth.i32

echo "bench/ann: ours, native" >&2
native=$("$out/ann_bench" run "${args[@]}" "$truth" "$out/top.native")
echo "bench/ann: ours, wasm" >&2
wasm=$(node bench/ann/ann_bench.mjs "${args[@]}" "$truth" "$out/top.wasm")
same_top=$(paste -d'|' "$out/top.native" "$out/top.wasm" | awk -F'|' '$1 == $2' | wc -l)
echo "bench/ann: hnswlib (python3-hnswlib, one thread)" >&2
hnswlib=$(/usr/bin/python3 bench/ann/hnswlib_ref.py "${args[@]}" "$truth")
echo "bench/ann: hnswlib-wasm" >&2
hnswlib_wasm=$(node bench/ann/hnswlib_wasm.mjs "${args[@]}" "$truth")

node -e '
const [nat, w, hl, hw] = process.argv.slice(1, 5).map((s) => JSON.parse(s));
const [sameTop, data] = [+process.argv[5], process.argv[6]];
// the smallest ef reaching recall@10 >= 0.95 (else the best recall of the sweep)
const pick = (sweep) => sweep.find((p) => p["recall@10"] >= 0.95) ?? sweep.reduce((a, b) => (b["recall@10"] > a["recall@10"] ? b : a));
const pn = pick(nat.sweep), pw = w.sweep.find((p) => p.ef === pn.ef), ph = pick(hl.sweep), phw = pick(hw.sweep);
const r2 = (x) => +x.toFixed(2);
const result = {
  bench: "ann", items: nat.items, dim: nat.dim, queries: nat.queries, metric: nat.metric, M: nat.M,
  ef_construction: nat.ef_construction, data, threads: 1,
  exact: { wasm_qps: w.exact_qps, native_qps: nat.exact_qps, native_batched_qps: nat.exact_batched_qps,
           queries_timed: nat.exact_queries_timed, wasm_same_ids_as_native: `${w.exact_same_as_native}/${w.exact_queries_timed}` },
  hnsw: { "recall@10": pn["recall@10"], ef_search: pn.ef, wasm_qps: pw.qps, native_qps: pn.qps,
          build_s_wasm: w.build_s, build_s_native: nat.build_s, wasm_memory_mb: w.wasm_memory_mb, index_mb: w.index_mb,
          native_rss_build_mb: nat.rss_build_mb, same_top10_native_wasm: `${sameTop}/${nat.queries * nat.sweep.length}` },
  hnswlib: { "recall@10": ph["recall@10"], ef_search: ph.ef, qps: ph.qps, build_s: hl.build_s, rss_build_mb: hl.rss_build_mb, version: hl.version },
  hnswlib_wasm: { "recall@10": phw["recall@10"], ef_search: phw.ef, qps: phw.qps, build_s: hw.build_s, wasm_memory_mb: hw.wasm_memory_mb,
                  version: hw.build, node20: hw.node20 },
};
const t = {
  recall_at_least_0_95: [pn, ph, phw].every((p) => p["recall@10"] >= 0.95),
  wasm_hnsw_over_exact_wasm: r2(pw.qps / w.exact_qps),
  wasm_hnsw_over_hnswlib_wasm: r2(pw.qps / phw.qps),
  native_hnsw_over_hnswlib: r2(pn.qps / ph.qps),
};
t.met = t.recall_at_least_0_95 && t.wasm_hnsw_over_exact_wasm >= 5 && t.wasm_hnsw_over_hnswlib_wasm >= 1 && t.native_hnsw_over_hnswlib >= 0.8;
result.targets = { wanted: "recall@10 >= 0.95; wasm HNSW >= 5x exact wasm and >= hnswlib-wasm; native >= 0.8x hnswlib", ...t };
result.sweeps = { native: nat.sweep, wasm: w.sweep, hnswlib: hl.sweep, hnswlib_wasm: hw.sweep };
console.log(JSON.stringify(result));
' "$native" "$wasm" "$hnswlib" "$hnswlib_wasm" "$same_top" "$data"
