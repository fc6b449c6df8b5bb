#!/usr/bin/env bash
# Issue 13's protocols, through the CLI with their exact flags, on a MovieLens-100k-shaped file
# with its u.user/u.item-shaped side files (bench/quality/movielens_like.mjs, seed 42; the real
# files are not in the project: point DATA, USERS and ITEMS at them), and the pipeline on the
# demo store with its features:
#   (1) the TFRS retrieval protocol: every rating a positive, --eval random --split 0.8,0,0.2
#       --k 100 --exclude-seen no: pop, twotower (defaults), twotower with ids only (history=0,
#       no side files) and its PyTorch twin (bench/retrieval/torch_twotower.py, same split);
#   (2) the two-stage protocol: --label "rating>=4" --eval random --split 0.8,0,0.2, 10
#       candidates per query from twotower, re-ranked: NDCG@10 of test (after) and test_retrieved
#       (before), for rank=sasrec (the default) and rank=deepfm;
#   (3) cold users: --eval cold-users --split 0.8,0,0.2 --label "rating>=4" with the side files:
#       twotower from features alone against most-popular and most-popular within feature groups.
# Prints one JSON object. Run from the repo root after `make native`; (1)'s twin needs Debian's
# python3-torch (skipped with a note when missing). About 5 minutes on 2 cores.
set -euo pipefail
out=build/bench/retrieval
mkdir -p "$out"
data=${DATA:-$out/ml.data} users=${USERS:-$out/ml.user} items=${ITEMS:-$out/ml.item}
[ -f "$data" ] || node bench/quality/movielens_like.mjs --shape ml --seed 42 --out "$data" --users-out "$users" --items-out "$items" 2>/dev/null
store=$out/store.csv
[ -f "$store" ] || build/wasmrec gen --out "$store" --users-out "$out/store.users.csv" --items-out "$out/store.items.csv" >/dev/null 2>&1
pick() { # keys... : the named members of the report on stdin, rounded
  node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const j = JSON.parse(s), r = (x) => (typeof x === "number" ? +x.toFixed(4) : x), o = { model: j.model };
      for (const path of process.argv.slice(1)) { let v = j; for (const k of path.split(".")) v = v == null ? v : v[k]; o[path] = r(v); }
      if (j.training) o.best_epoch = j.training.best_epoch;
      o.train_seconds = r(j.train_seconds);
      console.log(JSON.stringify(o));
    });' -- "$@"
}
ml=(--data "$data" --format movielens)
tfrs=(--eval random --split 0.8,0,0.2 --k 100 --exclude-seen no)
rows1=()
for set in "--model pop" "--model twotower" "--model twotower --set history=0"; do
  echo "bench/retrieval: TFRS protocol, $set" >&2
  rows1+=("$(build/wasmrec train "${ml[@]}" $set "${tfrs[@]}" --json 2>/dev/null | pick test.HR@100 test.NDCG@100)")
done
torch='"skipped: /usr/bin/python3 has no torch (apt-get install python3-torch)"'
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "bench/retrieval: TFRS protocol, PyTorch twin" >&2
  build/wasmrec split "${ml[@]}" --eval random --split 0.8,0,0.2 --out "$out/split.csv" 2>/dev/null
  torch=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/retrieval/torch_twotower.py "$out/split.csv" 2>/dev/null)
fi
two=(--label "rating>=4" --eval random --split 0.8,0,0.2)
rows2=()
for rank in sasrec deepfm; do
  for ds in ml store; do
    echo "bench/retrieval: two stages, rank=$rank on $ds" >&2
    if [ $ds = ml ]; then src=("${ml[@]}" --users "$users" --items "$items"); lab=(--label "rating>=4"); else src=(--data "$store" --users "$out/store.users.csv" --items "$out/store.items.csv"); lab=(--label "label==1"); fi
    rows2+=("$(build/wasmrec train "${src[@]}" --model pipeline --set candidates=10 --set rank=$rank "${lab[@]}" --eval random --split 0.8,0,0.2 --json 2>/dev/null \
      | pick test.NDCG@10 test_retrieved.NDCG@10 retrieval_recall@10 | sed "s/^{/{\"data\":\"$ds\",\"rank\":\"$rank\",/")")
  done
done
echo "bench/retrieval: cold users" >&2
cold=$(build/wasmrec train "${ml[@]}" --users "$users" --items "$items" --label "rating>=4" --model twotower --eval cold-users --split 0.8,0,0.2 --json 2>/dev/null \
  | pick test.NDCG@10 test.Recall@10 test.baselines.pop.NDCG@10 test.baselines.pop.Recall@10 test.baselines.pop_group.NDCG@10 test.baselines.pop_group.Recall@10)
node -e '
  const [a, torch, b, cold, data] = process.argv.slice(1);
  console.log(JSON.stringify({ bench: "retrieval_quality", data,
    tfrs_protocol: { flags: "every rating positive, --eval random --split 0.8,0,0.2 --k 100 --exclude-seen no", rows: JSON.parse(a), pytorch_twin_ids_only: JSON.parse(torch) },
    two_stage_protocol: { flags: "--label rating>=4 (store: label==1) --eval random --split 0.8,0,0.2, pipeline candidates=10", rows: JSON.parse(b) },
    cold_users: { flags: "--eval cold-users --split 0.8,0,0.2 --label rating>=4 --users --items", twotower: JSON.parse(cold) } }));
' "[$(IFS=,; echo "${rows1[*]}")]" "$torch" "[$(IFS=,; echo "${rows2[*]}")]" "$cold" "$data"
