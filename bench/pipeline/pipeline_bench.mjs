// pipeline_bench.mjs: the measurements of pipeline_bench.c in the wasm build, through the JS
// binding as a page calls it (string ids in, top-10 objects out: model.recommendDetailed(history,
// {k: 10}), the call under model.recommend).
//   node bench/pipeline/pipeline_bench.mjs MODEL.safetensors QUERIES.txt PASSES SETTINGS [TOP10_PREFIX]
// SETTINGS as in pipeline_bench.c ("hnsw:200,hnsw:2000,exact:0:2": index[:ef_search[:passes]]),
// each with rerank 0 (stage 1 alone) and 1 (the pipeline), set with model.set; the settings take
// turns pass by pass, each after a 10-query warm-up (tier-up included there). Per setting and
// rerank: the best pass's p50 and p99, the spread (min, median, max) of the passes' p50 and p99,
// and the best pass's percentiles of each query's CPU time (process.cpuUsage: the process's, all
// threads; what other processes' load does not add); and over each query's fastest pass
// (fastest_per_query) the p50 and p99, and the p50 of total - retrieve per query. wasm memory: the module's memory after loading
// the model and after all the queries (it never shrinks, so this is the peak).
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadEngine } from '../../wasm/wasmrec.mjs';

const [modelPath, queryPath, passesArg, settingsArg, topPrefix] = process.argv.slice(2);
const passes = Number(passesArg);
const settings = settingsArg.split(',').map((tok) => {
    const [index, ef = '200', p = String(passes)] = tok.split(':');
    return { index, ef: Number(ef), passes: Math.min(Number(p), passes), v: [0, 1].map(() => ({ p50: [], p99: [], c50: [], c99: [] })), best: [] };
});
const engine = await loadEngine({ threads: 1 }); // one thread, as the peers
const mb = () => engine.runtime.memory.buffer.byteLength / 1048576;
const atStart = mb();
const bytes = readFileSync(modelPath);
let t = performance.now();
const model = engine.loadModel(bytes, { source: modelPath });
const loadSeconds = (performance.now() - t) / 1000;
const afterLoad = mb();
const queries = readFileSync(queryPath, 'utf8').trim().split('\n').map((l) => l.split(','));
for (const s of settings) s.best = [0, 1].map(() => new Float64Array(queries.length).fill(Infinity));
const pct = (s, p) => s[Math.round(p * (s.length - 1))];
let unknown = 0;
for (let pass = 0; pass < passes; pass++) {
    for (const s of settings) {
        if (pass >= s.passes) continue;
        for (const rerank of [0, 1]) {
            model.set('index', s.index).set('rerank', rerank);
            if (s.ef > 0) model.set('ef_search', s.ef);
            for (const q of queries.slice(0, 10)) model.recommend(q, { k: 10 });
            const lat = new Float64Array(queries.length), cpu = new Float64Array(queries.length), top = [];
            for (let i = 0; i < queries.length; i++) {
                const c = process.cpuUsage();
                t = performance.now();
                const r = model.recommendDetailed(queries[i], { k: 10 });
                lat[i] = performance.now() - t;
                const dc = process.cpuUsage(c);
                cpu[i] = (dc.user + dc.system) / 1000;
                if (lat[i] < s.best[rerank][i]) s.best[rerank][i] = lat[i];
                if (pass === 0) top.push(r.items.map((x) => x.item).join(','));
                if (pass === 0 && s === settings[0] && !rerank) unknown += r.unknown.length;
            }
            if (pass === 0 && topPrefix) writeFileSync(`${topPrefix}.${s.index}-${s.ef}.${rerank}`, top.join('\n') + '\n');
            lat.sort(), cpu.sort();
            const v = s.v[rerank];
            v.p50.push(pct(lat, 0.5)), v.p99.push(pct(lat, 0.99)), v.c50.push(pct(cpu, 0.5)), v.c99.push(pct(cpu, 0.99));
        }
    }
}
const r = (x) => +x.toFixed(4);
const out = settings.map((s) => {
    const o = { index: s.index, ef_search: s.ef, passes: s.passes };
    for (const rerank of [0, 1]) {
        const [a, b, c, d] = ['p50', 'p99', 'c50', 'c99'].map((k) => [...s.v[rerank][k]].sort((x, y) => x - y));
        const n = a.length;
        o[rerank ? 'total' : 'retrieve'] = {
            ms_p50: r(a[0]), ms_p99: r(b[0]),
            ms_p50_passes: [a[0], a[n >> 1], a[n - 1]].map(r), ms_p99_passes: [b[0], b[n >> 1], b[n - 1]].map(r),
            cpu_ms_p50: r(c[0]), cpu_ms_p99: r(d[0]),
        };
    }
    const d = s.best[1].map((x, i) => x - s.best[0][i]).sort(), [b0, b1] = s.best.map((v) => v.slice().sort());
    o.fastest_per_query = {
        retrieve_ms_p50: r(pct(b0, 0.5)), retrieve_ms_p99: r(pct(b0, 0.99)),
        total_ms_p50: r(pct(b1, 0.5)), total_ms_p99: r(pct(b1, 0.99)), rank_ms_p50: r(pct(d, 0.5)),
    };
    return o;
});
console.log(JSON.stringify({
    model_load_s: r(loadSeconds), wasm_memory_mb_at_start: r(atStart), wasm_memory_mb_after_load: r(afterLoad),
    wasm_memory_mb: r(mb()), queries: queries.length, unknown_history_ids: unknown, settings: out,
}));
