#!/usr/bin/env bash
# Training throughput of the neural models, native vs wasm, and against PyTorch when Debian's
# python3-torch is installed. Prints one JSON object. Run from the repo root after
# `make native wasm` (make bench does).
#   1. a generated store of 20,000 items, sessions of up to 50 events, dim 64: positions/s per
#      model, native and wasm, and the ratio (target: wasm >= 60% of native);
#   2. a MovieLens-100k-shaped set (943 long sequences, ~1,682 items): our models against the
#      PyTorch reference with the same settings (SASRec dim 64, 2 blocks, 1 head, max_len 50,
#      batch 128, BCE and full CE; GRU4Rec full CE), one thread each;
#   3. top-10 latency after a 50-event session (wasm) over ~1,682 and 25,000 items, and wasm
#      memory while training SASRec over 25,000 items.
set -euo pipefail
out=build/bench/train
mkdir -p "$out"
[ -f "$out/store20k.csv" ] || build/wasmrec gen --out "$out/store20k.csv" --sessions 6000 --items 20000 --seed 11 2>/dev/null
[ -f "$out/ml.csv" ] || build/wasmrec gen --out "$out/ml.csv" --sessions 11000 --items 1682 --seed 12 2>/dev/null
[ -f "$out/ml.seq" ] || node bench/train/to_seq.mjs "$out/ml.csv" "$out/ml.seq" 943

pps() { # runner data model sets... -> positions per second of one epoch
  local runner=$1 data=$2; shift 2
  $runner train --data "$data" --model "$@" --set epochs=1 --json 2>/dev/null | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).training.positions_per_s))'
}
native=build/wasmrec
wasm="node wasm/cli.mjs"
results=()
for spec in "gru4rec --set dim=64" "sasrec --set dim=64"; do
  name=${spec%% *}
  echo "bench/train: $name on $out/store20k.csv" >&2
  n=$(pps "$native" "$out/store20k.csv" $spec); w=$(pps "$wasm" "$out/store20k.csv" $spec)
  results+=("\"$name\":{\"native\":$n,\"wasm\":$w,\"wasm_over_native\":$(node -e "console.log(($w/$n).toFixed(3))")}")
done
ml=()
for spec in "sasrec_bce:sasrec --set loss=bce" "sasrec_ce:sasrec --set loss=ce" "gru4rec_ce:gru4rec --set n_sample=0 --set batch=128 --set dropout_embed=0 --set dropout_hidden=0"; do
  key=${spec%%:*}; args=${spec#*:}
  echo "bench/train: $key on $out/ml.seq" >&2
  n=$(pps "$native" "$out/ml.seq" $args); w=$(pps "$wasm" "$out/ml.seq" $args)
  ml+=("\"$key\":{\"native\":$n,\"wasm\":$w}")
done
torch=null
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "bench/train: PyTorch reference" >&2
  source bench/openblas.sh
  openblas_fastest
  torch=$(env "${OPENBLAS_ENV[@]}" /usr/bin/python3 bench/train/torch_ref.py "$out/ml.seq" --steps 40)
  # the peer at its best: Debian's torch runs on the reference BLAS unless OpenBLAS provides libblas
  grep -q '"blas": "openblas"' <<<"$torch" || echo "bench/train: warning: PyTorch is not on OpenBLAS (apt-get install libopenblas0-pthread); its figures are a handicapped peer's" >&2
fi
echo "bench/train: inference and memory" >&2
small=$(node bench/train/infer.mjs 1682)
large=$(node bench/train/infer.mjs 25000)
echo "{\"bench\":\"train\",\"store_20k_items\":{$(IFS=,; echo "${results[*]}")},\"movielens100k_shaped\":{$(IFS=,; echo "${ml[*]}")},\"pytorch\":$torch,\"inference_wasm\":[$small,$large]}"
