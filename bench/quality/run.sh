#!/usr/bin/env bash
# Quality on the demo store: every model through `train --eval loo --json` (leave-one-out, full
# ranking), the neural ones with their demo presets. Prints one JSON object, a row per model.
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
            "--model vstan" "--model ease" "--model mf" "--preset models/gru4rec.demo.json" "--preset models/sasrec.demo.json" \
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
printf '{"bench":"quality","store":"%s","rows":[\n%s\n]}\n' "$store" "$(IFS=$'\n'; echo "${rows[*]}" | paste -sd, | sed 's/},{/},\n{/g')"
