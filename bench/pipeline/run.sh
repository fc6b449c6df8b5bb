#!/usr/bin/env bash
# The two-stage pipeline's latency per stage: one top-10 recommendation from a 50-event history
# over 25,000 and 1,000,000 items, in wasm (Node, through wasm/wasmrec.mjs) and natively (gcc -O3,
# linked with build/libwasmrec.a). Per catalogue: the demo store from `wasmrec gen` (200k sessions
# over 25k items, 1M sessions over 1M items; every item of the catalogue is given events, see
# make_store.mjs), a pipeline trained on it through the CLI (stage 1 twotower, dim 32, no user ids;
# stage 2 deepfm; one epoch each: the point is latency), its HNSW index (M 16, ef_construction
# 100) built natively, then timed: stage 1 alone (rerank=0), the whole pipeline (rerank=1), stage 2
# as the difference, with the index at the model's ef_search (200) and at the smallest ef_search
# whose top 10 agree with the full scan's on at least 95% of the items (from a native sweep), and
# with index=exact (the full scan). 300 histories of 50 consecutive events of the data; the
# fastest of 5 passes (2 for exact) with the spread across passes; native and wasm must give the
# same top 10. Prints one JSON object on stdout, progress on stderr. Run from the repo root after
# `make native wasm` (make bench does). Generated files and models are cached in
# build/bench/pipeline/ (about 2 GB); the first run generates, trains and builds (on the shared
# 2-core machine: 1M items 40 s to generate, 200 s to train, 250 s for the index; about 13 minutes
# in all), later runs take about 4 minutes. PIPELINE_SIZES, PIPELINE_QUERIES, PIPELINE_PASSES,
# PIPELINE_EF_SWEEP and PIPELINE_EF_CONSTRUCTION change the defaults. Target: under 5 ms at 1M
# items in wasm with the index.
set -euo pipefail
out=build/bench/pipeline
sizes=${PIPELINE_SIZES:-"25000 1000000"}
nq=${PIPELINE_QUERIES:-300} passes=${PIPELINE_PASSES:-5}
efs=${PIPELINE_EF_SWEEP:-"100,200,500,1000,2000,3000,5000"}
train_sets=(--set rank=deepfm --set candidates=100 --set retrieve.user_id=0 --set retrieve.dim=32 --set retrieve.epochs=1
            --set rank.epochs=1 --set M=16 --set "ef_construction=${PIPELINE_EF_CONSTRUCTION:-100}")
mkdir -p "$out"
say() { echo "bench/pipeline: $*" >&2; }

${CC:-gcc} -std=c11 -O3 -ffp-contract=off -Wall bench/pipeline/pipeline_bench.c build/libwasmrec.a -lm -pthread -o "$out/pipeline_bench"
key=$(printf '%s ' "${train_sets[@]}" | cksum | cut -d' ' -f1)
results=()
for items in $sizes; do
  sessions=$(( items >= 1000000 ? 1000000 : items * 8 ))
  sessions=${PIPELINE_SESSIONS:-$sessions}
  base="$out/store-$sessions-$items"
  if [ ! -s "$base.json" ]; then
    say "generating $sessions sessions over $items items"
    build/wasmrec gen --out "$base.tmp.csv" --sessions "$sessions" --items "$items" --seed 7 2>/dev/null
    build/wasmrec gen --out "$out/one-session.tmp.csv" --sessions 1 --items "$items" --seed 7 \
      --users-out /dev/null --items-out "$out/items-$items.csv" 2>/dev/null
    node bench/pipeline/make_store.mjs "$base.tmp.csv" "$out/items-$items.csv" "$base.queries.txt" "$nq" > "$base.tmp.json"
    mv "$base.tmp.csv" "$base.csv"
    mv "$base.tmp.json" "$base.json"
    rm -f "$out/one-session.tmp.csv"
  fi
  say "store $base.csv: $(cat "$base.json")"
  model="$base.pipeline-$key.safetensors"
  if [ ! -s "$model.json" ]; then
    # index=exact while training, so the CLI's seconds are the two stages' alone; the copy with
    # index=hnsw builds its index as it loads (timed), and is saved with it
    say "training the pipeline on $items items (CLI)"
    build/wasmrec train --data "$base.csv" --model pipeline "${train_sets[@]}" --set index=exact --json \
      --out "$base.exact.tmp.safetensors" > "$base.train.tmp.json"
    node bench/pipeline/index_param.mjs "$base.exact.tmp.safetensors" "$base.hnsw.tmp.safetensors" hnsw
    say "building the HNSW index over $items item vectors (native)"
    "$out/pipeline_bench" --build "$base.hnsw.tmp.safetensors" "$model.tmp" > "$base.build.tmp.json"
    mv "$model.tmp" "$model"
    node -e '
const fs = require("fs");
const [train, build, file] = [JSON.parse(fs.readFileSync(process.argv[1], "utf8")), JSON.parse(fs.readFileSync(process.argv[2], "utf8")), process.argv[3]];
console.log(JSON.stringify({ train_seconds: train.train_seconds, load_and_build_s: build.load_and_build_s,
  file_mb: +(fs.statSync(file).size / 1048576).toFixed(1), params: train.params, dataset: train.dataset ?? null }));
' "$base.train.tmp.json" "$base.build.tmp.json" "$model" > "$model.json"
    rm -f "$base.exact.tmp.safetensors" "$base.hnsw.tmp.safetensors" "$base.train.tmp.json" "$base.build.tmp.json"
  fi
  say "model $model: $(node -e 'const j = require(process.argv[1]); console.log(JSON.stringify({...j, params: undefined, dataset: undefined}))' "$(realpath "$model.json")")"
  say "ef_search sweep against the full scan (native)"
  sweep=$("$out/pipeline_bench" --sweep "$model" "$base.queries.txt" "$efs")
  say "sweep: $sweep"
  ef95=$(node -e 'const s = JSON.parse(process.argv[1]); const hit = s.find((x) => x.retrieve_top10_vs_exact >= 0.95) ?? s[s.length - 1]; console.log(hit.ef_search)' "$sweep")
  settings="hnsw:200"
  [ "$ef95" != 200 ] && settings="$settings,hnsw:$ef95"
  settings="$settings,exact:0:2"
  rm -f "$out/top.$items."*
  say "native: $settings, $passes passes"
  native=$("$out/pipeline_bench" "$model" "$base.queries.txt" "$passes" "$settings" "$out/top.$items.native")
  say "wasm: $settings, $passes passes"
  wasm=$(node bench/pipeline/pipeline_bench.mjs "$model" "$base.queries.txt" "$passes" "$settings" "$out/top.$items.wasm")
  same=$(for f in "$out/top.$items.native".*; do
    s=${f#"$out/top.$items.native."}
    printf '"%s":%d,' "$s" "$(paste -d'|' "$f" "$out/top.$items.wasm.$s" | awk -F'|' '$1 == $2' | wc -l)"
  done)
  results+=("{\"items\":$items,\"sessions\":$sessions,\"store\":$(cat "$base.json"),\"model\":$(cat "$model.json"),\"sweep\":$sweep,\"native\":$native,\"wasm\":$wasm,\"same\":{${same%,}}}")
done
node -e '
const per = JSON.parse(process.argv[1]), nq = +process.argv[2];
const r = (x) => +x.toFixed(4);
const rows = [], models = [], sweeps = {};
for (const p of per) {
  const sweep = Object.fromEntries(p.sweep.map((s) => [s.ef_search, s]));
  sweeps[p.items] = p.sweep;
  const nload = p.native.model_load_s;
  models.push({ items: p.items, events: p.store.events, padded_items: p.store.padded_items, file_mb: p.model.file_mb,
    train_s: p.model.train_seconds, index_build_s: r(p.model.load_and_build_s - nload),
    native_load_s: nload, wasm_load_s: p.wasm.model_load_s, native_rss_mb: p.native.rss_mb_model,
    wasm_memory_mb_after_load: p.wasm.wasm_memory_mb_after_load });
  p.native.settings.forEach((ns, i) => {
    const ws = p.wasm.settings[i], tag = `${ns.index}-${ns.ef_search}`;
    const side = (s, extra) => ({
      retrieve_ms_p50: s.retrieve.ms_p50, retrieve_ms_p99: s.retrieve.ms_p99,
      total_ms_p50: s.total.ms_p50, total_ms_p99: s.total.ms_p99,
      rank_ms_p50: s.index === "exact" ? null : s.fastest_per_query.rank_ms_p50,
      fastest_per_query: { ...s.fastest_per_query, rank_ms_p50: undefined },
      cpu_ms: { retrieve_p50: s.retrieve.cpu_ms_p50, retrieve_p99: s.retrieve.cpu_ms_p99, total_p50: s.total.cpu_ms_p50, total_p99: s.total.cpu_ms_p99 },
      passes: s.passes, spread_over_passes: { retrieve_p50: s.retrieve.ms_p50_passes, total_p50: s.total.ms_p50_passes, total_p99: s.total.ms_p99_passes },
      ...extra });
    const sw = ns.index === "exact" ? { retrieve_top10_vs_exact: 1, total_top10_vs_exact: 1 } : sweep[ns.ef_search];
    rows.push({ items: p.items, index: ns.index, ef_search: ns.index === "exact" ? null : ns.ef_search, rank: "deepfm", candidates: 100,
      top10_vs_exact: { retrieve: sw?.retrieve_top10_vs_exact ?? null, total: sw?.total_top10_vs_exact ?? null },
      same_top10_native_wasm: { retrieve: `${p.same[tag + ".0"]}/${nq}`, total: `${p.same[tag + ".1"]}/${nq}` },
      wasm: side(ws, { memory_mb: p.wasm.wasm_memory_mb }), native: side(ns, { rss_mb_model: p.native.rss_mb_model }) });
  });
}
const big = rows.filter((x) => x.items >= 1000000 && x.index === "hnsw");
const at = (row) => !!row && row.wasm.fastest_per_query.total_ms_p50 < 5 && row.wasm.fastest_per_query.total_ms_p99 < 5;
const strict = (row) => !!row && row.wasm.total_ms_p50 < 5 && row.wasm.total_ms_p99 < 5;
console.log(JSON.stringify({
  bench: "pipeline", target: "under 5 ms at 1M items in wasm with the index (p50 and p99 of the whole pipeline)",
  target_met: at(big[0]), target_met_best_pass: strict(big[0]),
  target_met_at_top10_vs_exact_0_95: at(big.length > 1 ? big[1] : big[0]),
  history: 50, queries: nq, k: 10,
  notes: "target_met: p50 and p99 over the fastest of the passes for each query (fastest_per_query, wall clock), at the ef_search of the model; target_met_best_pass: the p50 and p99 of the fastest pass; the *_ms_* figures are from the fastest pass; cpu_ms: the same from CPU time; rank_ms_p50: stage 2 (deepfm score_items on the 100 candidates), p50 over queries of total - retrieve, each query at its fastest (null for index=exact: the same work as with the index, well under the noise of the full scan); top10_vs_exact: share of the full scan top-10 items the index finds; wasm memory_mb: the module memory after loading and querying (it never shrinks)",
  rows, models, ef_sweep_native: sweeps }));
' "[$(IFS=,; echo "${results[*]}")]" "$nq"
