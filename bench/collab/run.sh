#!/usr/bin/env bash
# Training throughput of the collaborative and CTR models, native and wasm, against PyTorch
# implementations of the same models (bench/collab/torch_ref.py) in the same run, one thread.
# Prints one JSON object: training events per second (each with its sampled negatives) per model.
# Data: the MovieLens-100k-shaped file and its side files (bench/quality/movielens_like.mjs, seed
# 42); mf and neumf on every event (implicit, sampled negatives), fm, ffm and deepfm on
# rating>=4 labels with rating 3 dropped and the user and item side features. Target: native at
# or above PyTorch, wasm at least half of it. Run from the repo root after `make native wasm`.
# PyTorch runs on the fastest OpenBLAS kernel this CPU runs (bench/openblas.sh), one thread.
set -euo pipefail
out=build/bench/collab
mkdir -p "$out"
data=$out/ml.data users=$out/ml.user items=$out/ml.item
[ -f "$data" ] || node bench/quality/movielens_like.mjs --shape ml --seed 42 --out "$data" --users-out "$users" --items-out "$items" 2>/dev/null
eps() { # runner model args... -> training events per second of one epoch
  local runner=$1; shift
  $runner train --data "$data" --model "$@" --set epochs=1 --json 2>/dev/null | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).training.positions_per_s))'
}
ctr="--users $users --items $items --label rating>=4 --drop rating==3"
rows=()
for spec in "mf:mf" "neumf:neumf" "fm:fm $ctr" "ffm:ffm $ctr" "deepfm:deepfm $ctr"; do
  key=${spec%%:*}; args=${spec#*:}
  echo "bench/collab: $key" >&2
  n=$(eps build/wasmrec $args --threads 1); w=$(eps "node wasm/cli.mjs" $args --threads 1) # one thread, as the peer
  rows+=("\"$key\":{\"native\":$n,\"wasm\":$w}")
done
torch=null torch_dense=null
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "bench/collab: PyTorch reference (sparse embeddings + SparseAdam, then dense + Adam)" >&2
  source bench/openblas.sh
  openblas_fastest
  ref() { env "${OPENBLAS_ENV[@]}" /usr/bin/python3 bench/collab/torch_ref.py "$data" "$users" "$items" --seconds "${SECONDS_PER_MODEL:-8}" "$@"; }
  torch=$(ref); torch_dense=$(ref --dense)
fi
node -e '
  const ours = JSON.parse(process.argv[1]), sparse = JSON.parse(process.argv[2]), dense = JSON.parse(process.argv[3]);
  const torch = sparse && { ...sparse, openblas_kernel: process.argv[4], embeddings: "each model at its faster: sparse or dense", events_per_s: {}, variants: { sparse: sparse.events_per_s, dense: dense.events_per_s } };
  for (const [k, v] of Object.entries(ours)) if (torch) {
    v.pytorch = torch.events_per_s[k] = Math.max(sparse.events_per_s[k], dense.events_per_s[k]);
    v.native_over_pytorch = +(v.native / v.pytorch).toFixed(2);
    v.wasm_over_pytorch = +(v.wasm / v.pytorch).toFixed(2);
  }
  console.log(JSON.stringify({ bench: "collab", unit: "training events per second, one thread", models: ours, pytorch: torch }));
' "{$(IFS=,; echo "${rows[*]}")}" "$torch" "$torch_dense" "${OPENBLAS_KERNEL:-}"
