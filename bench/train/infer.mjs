// Inference latency and training memory of the wasm build under Node:
//   - median / p99 ms for top-10 after a 50-event session, for SASRec over N items;
//   - wasm memory after training SASRec (dim 64, batch 128) for a few steps over N items.
//   node bench/train/infer.mjs ITEMS
import { performance } from 'node:perf_hooks';
import { loadEngine } from '../../wasm/wasmrec.mjs';

const items = Number(process.argv[2] || 1682);
const engine = await loadEngine({ threads: 1 }); // one answer's latency: the single-thread module
const data = engine.dataset(engine.generate({ sessions: Math.max(2000, items), items, seed: 5 }), { format: 'csv' });
const model = engine.model('sasrec', { dim: 64, blocks: 2, heads: 1, max_len: 50, batch: 128, epochs: 1 });
const ctl = new AbortController();
let chunks = 0;
await model.train(data, { chunk: 1, signal: ctl.signal, onProgress: () => { if (++chunks === 6) ctl.abort(); } }).catch(() => {});
const trainMemoryMb = engine.runtime.memory.buffer.byteLength / 1048576;
const cat = data.catalogue ? data.catalogue().map((c) => c.id) : [];
const hist = Array.from({ length: 50 }, (_, i) => cat[(i * 7919) % cat.length]);
const lat = [];
for (let q = 0; q < 500; q++) {
    const t = performance.now();
    model.recommend(hist, { k: 10 });
    lat.push(performance.now() - t);
}
lat.sort((a, b) => a - b);
console.log(JSON.stringify({
    items: data.items, top10_ms_median: +lat[250].toFixed(4), top10_ms_p99: +lat[495].toFixed(4),
    sasrec_training_wasm_memory_mb: +trainMemoryMb.toFixed(1),
}));
