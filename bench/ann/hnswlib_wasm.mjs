// hnswlib_wasm.mjs: the hnswlib-wasm side of bench/ann (the npm package hnswlib-wasm, a devDependency).
//   node bench/ann/hnswlib_wasm.mjs BASE QUERIES N NQ DIM METRIC M EFC TRUTH
// Prints one JSON line of build figures, then answers bench/ann/compare.mjs on stdin ("pass EF",
// "quit") as ann_bench.c serve does.
// Under Node 20 its loadHnswlib() fails as published: the package is built with
// -sENVIRONMENT=web (its glue throws "not compiled for this environment" outside a browser) and
// mounts IDBFS (no indexedDB in Node). So this script defines `window` before loading and calls
// the Emscripten factory in dist/ directly, skipping the file system it does not need here. It is
// built without -msimd128 (scalar distances) and with ASSERTIONS=1, as published.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const [basePath, queryPath, n, nq, dim, metric, M, efc, truthPath] = process.argv.slice(2)
    .map((x, i) => ([2, 3, 4, 6, 7].includes(i) ? +x : x));
const f32 = (path, count) => new Float32Array(readFileSync(path).buffer.slice(0, count * 4));
const base = f32(basePath, n * dim), queries = f32(queryPath, nq * dim);
const truth = new Int32Array(readFileSync(truthPath).buffer.slice(0, nq * 40));
const K = 10;

globalThis.window ??= globalThis; // the glue checks for a browser
const pkg = createRequire(import.meta.url).resolve('hnswlib-wasm/package.json');
const dist = join(dirname(pkg), 'dist');
const glue = readdirSync(dist).find((f) => /^hnswlib-.*\.js$/.test(f));
const version = JSON.parse(readFileSync(pkg, 'utf8')).version;
const lib = await (await import(pathToFileURL(join(dist, glue)).href)).default();
const heapMb = () => (lib.HEAPU8 ? lib.HEAPU8.buffer.byteLength : lib.wasmMemory.buffer.byteLength) / 1048576;
const memStart = heapMb();
console.error(`hnswlib_wasm.mjs: hnswlib-wasm ${version}: build of ${n} x ${dim} (M ${M}, ef_construction ${efc})`);
const t0 = performance.now();
const ix = new lib.HierarchicalNSW(metric, dim, '');
ix.initIndex(n, M, efc, 1);
for (let i = 0; i < n; i++) ix.addPoint(base.subarray(i * dim, (i + 1) * dim), i, false);
const buildS = (performance.now() - t0) / 1000;
console.log(JSON.stringify({
    ready: true, build: `hnswlib-wasm ${version}`, build_s: +buildS.toFixed(3), wasm_memory_mb_at_start: +memStart.toFixed(1),
    wasm_memory_mb: +heapMb().toFixed(1),
    node20: 'loadHnswlib() fails under Node 20 as published (ENVIRONMENT=web, IDBFS); run with a window shim and the factory called directly',
}));
const q = (i) => queries.subarray(i * dim, (i + 1) * dim);
for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, efText] = line.trim().split(/\s+/);
    if (cmd !== 'pass') break;
    const ef = +efText;
    ix.setEfSearch(ef);
    const res = new Array(nq);
    const c = cpuMs(), w = performance.now();
    for (let i = 0; i < nq; i++) res[i] = ix.searchKnn(q(i), K, undefined).neighbors;
    const cpuS = (cpuMs() - c) / 1000, wallS = (performance.now() - w) / 1000;
    let hit = 0;
    for (let i = 0; i < nq; i++) {
        const gt = truth.subarray(i * K, (i + 1) * K);
        for (const id of res[i]) hit += gt.includes(id);
    }
    console.log(JSON.stringify({ ef, queries: nq, 'recall@10': +(hit / (nq * K)).toFixed(4), cpu_s: cpuS, wall_s: wallS }));
}
