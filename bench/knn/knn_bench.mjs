// knn_bench.mjs: the same measurements as knn_bench.c, in the wasm build through the JS binding
// (string ids in, top-10 out, as a page would call it).
//   node bench/knn/knn_bench.mjs DATA.csv QUERIES.txt MODEL
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadEngine } from '../../wasm/wasmrec.mjs';

const [dataPath, queryPath, name] = process.argv.slice(2);
const engine = await loadEngine();
const data = engine.dataset(readFileSync(dataPath), { format: 'csv', source: dataPath });
const memory = () => engine.runtime.memory.buffer.byteLength / 1048576;
const before = memory();
const model = engine.model(name);
let t = performance.now();
model.fit(data);
const fitSeconds = (performance.now() - t) / 1000;
const after = memory();
const queries = readFileSync(queryPath, 'utf8').trim().split('\n').map((l) => l.split(','));
const lat = [];
for (const q of queries) {
    t = performance.now();
    model.recommend(q, { k: 10 });
    lat.push(performance.now() - t);
}
lat.sort((a, b) => a - b);
console.log(JSON.stringify({
    model: name, events: data.events, fit_seconds: +fitSeconds.toFixed(3),
    wasm_memory_mb_before_fit: +before.toFixed(1), wasm_memory_mb_after_fit: +after.toFixed(1),
    queries: lat.length, ms_median: +lat[lat.length >> 1].toFixed(4), ms_p99: +lat[Math.floor(lat.length * 0.99)].toFixed(4),
}));
