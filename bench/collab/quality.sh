#!/usr/bin/env bash
# Test AUC and logloss of lr, fm, ffm and deepfm (defaults) against PyTorch twins trained on
# exactly the same split and features (bench/collab/torch_quality.py), on the MovieLens-shaped
# file and its side files, rating>=4 labels, rating 3 dropped, --eval random 0.8,0.1,0.1, seed 42.
# Prints one JSON object. Run from the repo root after `make native`; needs Debian's python3-torch.
set -euo pipefail
out=build/bench/collab
mkdir -p "$out"
data=$out/ml.data users=$out/ml.user items=$out/ml.item
[ -f "$data" ] || node bench/quality/movielens_like.mjs --shape ml --seed 42 --out "$data" --users-out "$users" --items-out "$items" 2>/dev/null
flags=(--users "$users" --items "$items" --label "rating>=4" --drop "rating==3" --eval random --split 0.8,0.1,0.1 --seed 42)
build/wasmrec split --data "$data" "${flags[@]:4}" --out "$out/split.csv" 2>/dev/null
ours=()
for m in lr fm ffm deepfm; do
  echo "bench/collab/quality: $m" >&2
  ours+=("\"$m\":$(build/wasmrec train --data "$data" --model $m "${flags[@]}" --json 2>/dev/null | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s);console.log(JSON.stringify({AUC:+t.test.AUC.toFixed(4),logloss:+t.test.logloss.toFixed(4),best_epoch:t.training.best_epoch,valid_AUC:+t.valid.AUC.toFixed(4)}))})')")
done
echo "bench/collab/quality: PyTorch twins" >&2
torch=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/collab/torch_quality.py "$out/split.csv" "$users" "$items")
node -e '
  const ours = JSON.parse(process.argv[1]), torch = JSON.parse(process.argv[2]).test, rows = {};
  for (const m of Object.keys(ours)) rows[m] = { wasmrec: ours[m], pytorch: torch[m], auc_diff: +(ours[m].AUC - torch[m].AUC).toFixed(4) };
  console.log(JSON.stringify({ bench: "collab_quality", split: "random 0.8,0.1,0.1 seed 42, rating>=4, rating 3 dropped", models: rows }));
' "{$(IFS=,; echo "${ours[*]}")}" "$torch"
