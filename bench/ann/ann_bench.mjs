// ann_bench.mjs: the wasm side of bench/ann, through the JS binding (wasm/wasmrec.mjs) as a page
// would call it: one query per search() call; the vectors added in chunks of 10,000 to an index
// made with room for all of them (the same graph as one call).
//   node bench/ann/ann_bench.mjs BASE QUERIES N NQ DIM METRIC M EFC TRUTH
// Prints one JSON line of build figures, then answers bench/ann/compare.mjs on stdin as
// ann_bench.c serve does ("pass EF TOP", "exact", "quit"), one JSON line each.
import { appendFileSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadEngine } from '../../wasm/wasmrec.mjs';

// CPU milliseconds of this process (one thread does the work; on an idle machine it is the wall time)
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const [basePath, queryPath, n, nq, dim, metric, M, efc, truthPath] = process.argv.slice(2)
    .map((x, i) => ([2, 3, 4, 6, 7].includes(i) ? +x : x));
const f32 = (path, count) => new Float32Array(readFileSync(path).buffer.slice(0, count * 4));
const base = f32(basePath, n * dim), queries = f32(queryPath, nq * dim);
const truth = new Int32Array(readFileSync(truthPath).buffer.slice(0, nq * 40));
const K = 10;
const engine = await loadEngine({ threads: 1 }); // one thread, as the peers
const mb = () => engine.runtime.memory.buffer.byteLength / 1048576;
const memStart = mb();
console.error(`ann_bench.mjs: wasm build of ${n} x ${dim} (M ${M}, ef_construction ${efc})`);
const t0 = performance.now();
const ix = engine.index({ dim, metric, M, efConstruction: efc, seed: 1, capacity: n });
for (let i = 0; i < n; i += 10000) ix.add(base.subarray(i * dim, Math.min(n, i + 10000) * dim));
const buildS = (performance.now() - t0) / 1000;
console.log(JSON.stringify({
    ready: true, build: 'wasm', build_s: +buildS.toFixed(3), index_mb: +(ix.memoryBytes / 1048576).toFixed(2),
    wasm_memory_mb_at_start: +memStart.toFixed(1), wasm_memory_mb: +mb().toFixed(1),
}));
const q = (i) => queries.subarray(i * dim, (i + 1) * dim);
for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, efText, top = '-'] = line.trim().split(/\s+/);
    if (cmd === 'quit') break;
    const exact = cmd === 'exact', ef = exact ? 0 : +efText, nx = exact ? Math.min(nq, 100) : nq;
    const res = new Array(nx);
    const c = cpuMs(), w = performance.now();
    for (let i = 0; i < nx; i++) res[i] = ix.search(q(i), { k: K, efSearch: ef }).ids;
    const cpuS = (cpuMs() - c) / 1000, wallS = (performance.now() - w) / 1000;
    let hit = 0, same = 0;
    for (let i = 0; i < nx; i++) {
        const gt = truth.subarray(i * K, (i + 1) * K);
        for (const id of res[i]) hit += gt.includes(id);
        same += res[i].length === K && res[i].every((id, j) => id === gt[j]);
    }
    if (top !== '-') appendFileSync(top, res.map((r) => `${ef} ${[...r].join(' ')}\n`).join(''));
    console.log(JSON.stringify({ ef, queries: nx, 'recall@10': +(hit / (nx * K)).toFixed(4), same_as_truth: same, cpu_s: cpuS, wall_s: wallS }));
}
ix.free();
