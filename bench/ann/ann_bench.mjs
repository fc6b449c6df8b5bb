// ann_bench.mjs: the wasm side of bench/ann, through the JS binding (wasm/wasmrec.mjs) as a page
// would call it: one query per search() call, the vectors added in chunks of 10,000 to an index
// made with room for all of them (the same graph as one call).
//   node bench/ann/ann_bench.mjs BASE QUERIES N NQ DIM METRIC M EFC EF_LIST TRUTH TOP_OUT
// Prints one JSON object: exact-scan queries/s, build seconds, wasm memory, and per ef_search
// recall@10 against TRUTH (from ann_bench.c) and queries/s. TOP_OUT as ann_bench.c's.
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadEngine } from '../../wasm/wasmrec.mjs';

const [basePath, queryPath, n, nq, dim, metric, M, efc, efList, truthPath, topPath] = process.argv.slice(2)
    .map((x, i) => ([2, 3, 4, 6, 7].includes(i) ? +x : x));
const f32 = (path, count) => new Float32Array(readFileSync(path).buffer.slice(0, count * 4));
const base = f32(basePath, n * dim), queries = f32(queryPath, nq * dim);
const truth = new Int32Array(readFileSync(truthPath).buffer.slice(0, nq * 40));
const K = 10, REPS = 5; // queries/s: the fastest of 5 timed passes (the machine is shared)
const engine = await loadEngine();
const mb = () => engine.runtime.memory.buffer.byteLength / 1048576;
const memStart = mb();
console.error(`ann_bench.mjs: wasm build of ${n} x ${dim} (M ${M}, ef_construction ${efc})`);
let t = performance.now();
const ix = engine.index({ dim, metric, M, efConstruction: efc, seed: 1, capacity: n });
for (let i = 0; i < n; i += 10000) ix.add(base.subarray(i * dim, Math.min(n, i + 10000) * dim));
const buildS = (performance.now() - t) / 1000;
const memBuilt = mb(), indexMb = ix.memoryBytes / 1048576;
const q = (i) => queries.subarray(i * dim, (i + 1) * dim);
// the exact scan, one query per call, on the first queries (it is slow); the same ids as native's
const nx = Math.min(nq, 100);
let sameExact = 0, exactBest = Infinity;
const exact = [];
for (let rep = 0; rep < 3; rep++) { // the fastest of 3 passes over the first 100 queries
    t = performance.now();
    for (let i = 0; i < nx; i++) exact[i] = ix.search(q(i), { k: K, efSearch: 0 }).ids;
    exactBest = Math.min(exactBest, performance.now() - t);
}
const exactQps = nx / (exactBest / 1000);
for (let i = 0; i < nx; i++) sameExact += exact[i].every((id, j) => id === truth[i * K + j]);
const sweep = [], top = [];
for (const ef of efList.split(',').map(Number)) {
    const res = new Array(nq);
    let best = Infinity;
    for (let rep = 0; rep < 1 + REPS; rep++) { // a warm-up pass (tier-up), then the fastest of REPS
        t = performance.now();
        for (let i = 0; i < nq; i++) res[i] = ix.search(q(i), { k: K, efSearch: ef }).ids;
        if (rep > 0) best = Math.min(best, performance.now() - t);
    }
    const qps = nq / (best / 1000);
    let hit = 0;
    for (let i = 0; i < nq; i++) {
        const gt = truth.subarray(i * K, (i + 1) * K);
        for (const id of res[i]) hit += gt.includes(id);
        top.push(`${ef} ${[...res[i]].join(' ')}`);
    }
    const rec = hit / (nq * K);
    console.error(`ann_bench.mjs: wasm ef ${ef}: recall@10 ${rec.toFixed(4)}, ${qps.toFixed(0)} queries/s`);
    sweep.push({ ef, 'recall@10': +rec.toFixed(4), qps: +qps.toFixed(1) });
}
writeFileSync(topPath, top.join('\n') + '\n');
console.log(JSON.stringify({
    build: 'wasm', exact_qps: +exactQps.toFixed(1), exact_queries_timed: nx, exact_same_as_native: sameExact,
    build_s: +buildS.toFixed(3), index_mb: +indexMb.toFixed(2), wasm_memory_mb_at_start: +memStart.toFixed(1),
    wasm_memory_mb: +memBuilt.toFixed(1), sweep,
}));
ix.free();
