#!/usr/bin/env bash
# Quality with DEFAULT settings on three data sets: the demo store (5000 sessions, 1000 items),
# a MovieLens-100k-shaped file and an Amazon-Games-shaped file (bench/quality/movielens_like.mjs,
# seed 42, or SEED). Each model is trained once with `train --eval loo` (early stopping on validation
# NDCG@10, which follows the exclude-seen auto rule whatever the test protocol) and its test
# events are ranked under both protocols: `--exclude-seen auto` (what train reports) and
# `--exclude-seen no` (the papers': history items kept), the latter by `eval` on the saved model.
# Prints one JSON object, a row per data set, model and protocol.
# Run from the repo root after `make native`. MODELS, DATASETS (store ml amazon) and SET (extra
# train flags, e.g. SET="--set dropout=0.3") narrow or vary a run. Neural models take minutes each.
set -euo pipefail
out=build/bench/quality
mkdir -p "$out"
cli=build/wasmrec
[ "${WASM:-0}" = 1 ] && cli="node wasm/cli.mjs"
models=${MODELS:-pop markov itemknn gru4rec sasrec bert4rec}
datasets=${DATASETS:-store ml amazon}
[ -f "$out/store.csv" ] || $cli gen --out "$out/store.csv" 2>/dev/null
seed=${SEED:-42}
[ -f "$out/ml-like-$seed.data" ] || node bench/quality/movielens_like.mjs --shape ml --seed "$seed" --out "$out/ml-like-$seed.data" 2>/dev/null
[ -f "$out/amazon-like-$seed.txt" ] || node bench/quality/movielens_like.mjs --shape amazon --seed "$seed" --out "$out/amazon-like-$seed.txt" 2>/dev/null
row() { # data label, protocol, train or eval JSON on stdin
  node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const j = JSON.parse(s), r = (x) => +x.toFixed(4), [data, prot, tr] = process.argv.slice(1), t = tr ? JSON.parse(tr) : j;
      console.log(JSON.stringify({ data, model: j.model, exclude_seen: prot, applied: j.protocol.exclude_seen,
        "NDCG@10": r(j.test["NDCG@10"]), "HR@10": r(j.test["HR@10"]), "sampled100_HR@10": r(j.test_sampled100["HR@10"]),
        epochs: t.training ? t.training.epochs : null, best_epoch: t.training ? t.training.best_epoch : null,
        train_seconds: r(t.train_seconds) }));
    });' -- "$@"
}
rows=()
for ds in $datasets; do
  case $ds in
    store) file="$out/store.csv" fmt=csv ;;
    ml) file="$out/ml-like-$seed.data" fmt=movielens ;;
    amazon) file="$out/amazon-like-$seed.txt" fmt=seq ;;
    *) echo "unknown data set $ds" >&2; exit 2 ;;
  esac
  for m in $models; do
    echo "bench/quality/real_shaped: $ds $m ${SET:-}" >&2
    tr=$($cli train --data "$file" --format $fmt --model "$m" ${SET:-} --eval loo --json --out "$out/last.safetensors" 2>/dev/null)
    rows+=("$(row "$ds" auto <<<"$tr")")
    rows+=("$($cli eval --model "$out/last.safetensors" --data "$file" --format $fmt --exclude-seen no --json 2>/dev/null | row "$ds" no "$tr")")
  done
done
printf '{"bench":"real_shaped","rows":[\n%s\n]}\n' "$(IFS=$'\n'; echo "${rows[*]}" | paste -sd, | sed 's/},{/},\n{/g')"
