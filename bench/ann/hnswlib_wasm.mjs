// hnswlib_wasm.mjs: the hnswlib-wasm side of bench/ann (the npm package hnswlib-wasm, a devDependency).
//   node bench/ann/hnswlib_wasm.mjs BASE QUERIES N NQ DIM METRIC M EFC EF_LIST TRUTH
// Under Node 20 its loadHnswlib() fails as published: the package is built with
// -sENVIRONMENT=web (its glue throws "not compiled for this environment" outside a browser) and
// mounts IDBFS (no indexedDB in Node). So this script defines `window` before loading and calls
// the Emscripten factory in dist/ directly, skipping the file system it does not need here. It is
// built without -msimd128 (scalar distances) and with ASSERTIONS=1, as published.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [basePath, queryPath, n, nq, dim, metric, M, efc, efList, truthPath] = process.argv.slice(2)
    .map((x, i) => ([2, 3, 4, 6, 7].includes(i) ? +x : x));
const f32 = (path, count) => new Float32Array(readFileSync(path).buffer.slice(0, count * 4));
const base = f32(basePath, n * dim), queries = f32(queryPath, nq * dim);
const truth = new Int32Array(readFileSync(truthPath).buffer.slice(0, nq * 40));
const K = 10, REPS = 5; // queries/s: the fastest of 5 timed passes, as ours

globalThis.window ??= globalThis; // the glue checks for a browser
const pkg = createRequire(import.meta.url).resolve('hnswlib-wasm/package.json');
const dist = join(dirname(pkg), 'dist');
const glue = readdirSync(dist).find((f) => /^hnswlib-.*\.js$/.test(f));
const version = JSON.parse(readFileSync(pkg, 'utf8')).version;
const lib = await (await import(pathToFileURL(join(dist, glue)).href)).default();
const heapMb = () => (lib.HEAPU8 ? lib.HEAPU8.buffer.byteLength : lib.wasmMemory.buffer.byteLength) / 1048576;
const memStart = heapMb();
console.error(`hnswlib_wasm.mjs: hnswlib-wasm ${version}: build of ${n} x ${dim} (M ${M}, ef_construction ${efc})`);
let t = performance.now();
const ix = new lib.HierarchicalNSW(metric, dim, '');
ix.initIndex(n, M, efc, 1);
for (let i = 0; i < n; i++) ix.addPoint(base.subarray(i * dim, (i + 1) * dim), i, false);
const buildS = (performance.now() - t) / 1000;
const memBuilt = heapMb();
const q = (i) => queries.subarray(i * dim, (i + 1) * dim);
const sweep = [];
for (const ef of efList.split(',').map(Number)) {
    ix.setEfSearch(ef);
    const res = new Array(nq);
    let best = Infinity;
    for (let rep = 0; rep < 1 + REPS; rep++) { // a warm-up pass, then the fastest of REPS
        t = performance.now();
        for (let i = 0; i < nq; i++) res[i] = ix.searchKnn(q(i), K, undefined).neighbors;
        if (rep > 0) best = Math.min(best, performance.now() - t);
    }
    const qps = nq / (best / 1000);
    let hit = 0;
    for (let i = 0; i < nq; i++) {
        const gt = truth.subarray(i * K, (i + 1) * K);
        for (const id of res[i]) hit += gt.includes(id);
    }
    const rec = hit / (nq * K);
    console.error(`hnswlib_wasm.mjs: ef ${ef}: recall@10 ${rec.toFixed(4)}, ${qps.toFixed(0)} queries/s`);
    sweep.push({ ef, 'recall@10': +rec.toFixed(4), qps: +qps.toFixed(1) });
}
console.log(JSON.stringify({
    build: `hnswlib-wasm ${version}`, build_s: +buildS.toFixed(3), wasm_memory_mb_at_start: +memStart.toFixed(1),
    wasm_memory_mb: +memBuilt.toFixed(1), sweep,
    node20: 'loadHnswlib() fails under Node 20 as published (ENVIRONMENT=web, IDBFS); run with a window shim and the factory called directly',
}));
