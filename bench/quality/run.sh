#!/usr/bin/env bash
# Quality on the demo store: every model through `train --eval loo --json` (leave-one-out, full
# ranking), the neural ones with their demo presets; then the CTR models on the store with purchase
# labels and features (AUC, logloss). Prints one JSON object, a row per model.
# Run from the repo root after `make native` (make bench does). WASM=1 uses the wasm CLI instead
# (same numbers, slower). SESSIONS / ITEMS / SEED change the store.
set -euo pipefail
out=build/bench/quality
mkdir -p "$out"
store="$out/store-${SESSIONS:-5000}-${ITEMS:-1000}-${SEED:-42}.csv"
cli=build/wasmrec
[ "${WASM:-0}" = 1 ] && cli="node wasm/cli.mjs"
[ -f "$store" ] || $cli gen --out "$store" --sessions "${SESSIONS:-5000}" --items "${ITEMS:-1000}" --seed "${SEED:-42}" 2>/dev/null
rows=()
for spec in "--model pop" "--model markov" "--model itemknn" "--model sknn" "--model vsknn" "--model stan" \
            "--model vstan" "--model ease" "--model mf" "--model gmf" "--model mlp" "--model neumf" "--model lr" "--model fm" \
            "--model ffm" "--model deepfm" "--preset models/gru4rec.demo.json" "--preset models/sasrec.demo.json" \
            "--preset models/bert4rec.demo.json"; do
  echo "bench/quality: $spec" >&2
  rows+=("$($cli train --data "$store" $spec --eval loo --json 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const j = JSON.parse(s), t = j.test, r = (x) => +x.toFixed(4);
      console.log(JSON.stringify({ model: j.model, preset: process.argv[1].startsWith("--preset") ? process.argv[1].split(" ")[1] : null,
        "HR@10": r(t["HR@10"]), "NDCG@10": r(t["NDCG@10"]), "MRR@10": r(t["MRR@10"]), "coverage@10": r(t["coverage@10"]),
        train_seconds: r(j.train_seconds), epochs: j.training ? j.training.epochs : null }));
    });' -- "$spec")")
done
# CTR: the same store with purchase labels and session and item features (gen --users-out
# --items-out), --eval random 0.8,0.1,0.1: AUC and logloss on the held-out events
lstore=${store%.csv}-labels.csv
[ -f "$lstore" ] || $cli gen --out "$lstore" --sessions "${SESSIONS:-5000}" --items "${ITEMS:-1000}" --seed "${SEED:-42}" --users-out "${lstore%.csv}.users.csv" --items-out "${lstore%.csv}.items.csv" 2>/dev/null
ctr=()
for m in pop itemknn mf lr fm ffm deepfm neumf; do
  echo "bench/quality: CTR $m" >&2
  set_loss=""; [ "$m" = mf ] && set_loss="--set loss=bce"
  ctr+=("$($cli train --data "$lstore" --users "${lstore%.csv}.users.csv" --items "${lstore%.csv}.items.csv" --label "label==1" --eval random \
    --model $m $set_loss --json 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const j = JSON.parse(s), t = j.test, r = (x) => (x === null ? null : +x.toFixed(4));
      console.log(JSON.stringify({ model: j.model, AUC: r(t.AUC), GAUC: r(t.GAUC), logloss: r(t.logloss), "NDCG@10": r(t["NDCG@10"]), train_seconds: r(j.train_seconds) }));
    });')")
done
printf '{"bench":"quality","store":"%s","rows":[\n%s\n],"ctr":[\n%s\n]}\n' "$store" "$(IFS=$'\n'; echo "${rows[*]}" | paste -sd, | sed 's/},{/},\n{/g')" \
  "$(IFS=$'\n'; echo "${ctr[*]}" | paste -sd, | sed 's/},{/},\n{/g')"
