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
# least 0.95 (the ef used is in the output). The four sides build one after the other, then stay up
# while bench/ann/compare.mjs asks them for query passes in turn (each figure: the fastest of 5
# passes in CPU time), so load from others on the machine falls on all of them alike. One JSON
# object on stdout, progress on stderr. Run from the repo root; not part of `make test`. About 4
# minutes on a 2-core machine.
#
# Other vectors (the hook for the two-tower's item vectors): VECTORS_FILE=raw float32 file of
# n x ANN_DIM (n from its size); queries are QUERIES_FILE (raw float32, m x ANN_DIM) when given,
# else ANN_QUERIES of its rows plus N(0, 0.05^2) noise.
#   VECTORS_FILE=items.f32 ANN_DIM=32 bash bench/ann/run.sh
# The two-tower's own vectors from the demo store (1,000 items, 5,000 session queries):
#   node bench/ann/twotower_vectors.mjs build/bench/ann/tt_items.f32 build/bench/ann/tt_queries.f32
#   VECTORS_FILE=build/bench/ann/tt_items.f32 QUERIES_FILE=build/bench/ann/tt_queries.f32 ANN_DIM=64 bash bench/ann/run.sh
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
${CC:-gcc} -std=c11 -O3 -ffp-contract=off -Wall bench/ann/ann_bench.c build/libwasmrec.a -lm -pthread -o "$out/ann_bench"

# ---- HOOK: other vectors. The second part of issue 13's bench (the two-tower model's own item
# vectors from the demo store, once `--model twotower` can export them) points VECTORS_FILE here.
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
node bench/ann/compare.mjs "$out" "$data" "$efs" -- "$base" "$queries" "$n" "$nq" "$dim" "$metric" "$M" "$efc"
