// knn_bench.mjs: the same measurements as knn_bench.c, in the wasm build through the JS binding
// (string ids in, top-10 out, as a page would call it). Every query is timed, the first ones
// included (no warm-up: a page pays for tier-up too).
//   node bench/knn/knn_bench.mjs DATA.csv QUERIES.txt MODEL [TOP10_OUT]
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadEngine } from '../../wasm/wasmrec.mjs';

const [dataPath, queryPath, name, topPath] = process.argv.slice(2);
const engine = await loadEngine({ threads: 1 }); // one thread, as the peers
const memory = () => engine.runtime.memory.buffer.byteLength / 1048576;
const atStart = memory();
const data = engine.dataset(readFileSync(dataPath), { format: 'csv', source: dataPath });
const afterLoad = memory();
const model = engine.model(name);
let t = performance.now();
model.fit(data);
const fitSeconds = (performance.now() - t) / 1000;
const afterFit = memory();
const queries = readFileSync(queryPath, 'utf8').trim().split('\n').map((l) => l.split(','));
const lat = [], latLong = [], top = [];
let totalLen = 0;
for (const q of queries) {
    t = performance.now();
    const rec = model.recommend(q, { k: 10 });
    lat.push(performance.now() - t);
    if (q.length >= 10) latLong.push(lat[lat.length - 1]);
    totalLen += q.length;
    top.push(rec.map((r) => r.item).join(','));
}
if (topPath) writeFileSync(topPath, top.join('\n') + '\n');
const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
lat.sort((a, b) => a - b);
latLong.sort((a, b) => a - b);
const r = (x) => +x.toFixed(4);
console.log(JSON.stringify({
    model: name, events: data.events, fit_seconds: +fitSeconds.toFixed(3),
    wasm_memory_mb_at_start: +atStart.toFixed(1), wasm_memory_mb_after_load: +afterLoad.toFixed(1),
    wasm_memory_mb_after_fit: +afterFit.toFixed(1),
    queries: lat.length, mean_query_len: +(totalLen / lat.length).toFixed(2),
    ms_mean: r(mean), ms_median: r(lat[lat.length >> 1]), ms_p99: r(lat[Math.floor(lat.length * 0.99)]), ms_max: r(lat[lat.length - 1]),
    queries_len_10_20: latLong.length, ms_median_len_10_20: r(latLong[latLong.length >> 1] ?? 0),
    ms_p99_len_10_20: r(latLong[Math.floor(latLong.length * 0.99)] ?? 0),
}));
