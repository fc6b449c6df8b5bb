#!/usr/bin/env node
// twotower_vectors.mjs: the two-tower's own vectors for bench/ann. Trains `twotower` (defaults)
// on the demo store with its session and item features through the wasm binding, and writes its
// item vectors (raw float32, n x dim) and one query vector per session (its user, its history:
// what recommend would rank with) as the queries.
//   node bench/ann/twotower_vectors.mjs ITEMS.f32 QUERIES.f32   (prints {"items", "queries", "dim"})
import { writeFileSync } from 'node:fs';
import { loadEngine } from '../../wasm/wasmrec.mjs';

const [itemsOut, queriesOut] = process.argv.slice(2);
const e = await loadEngine();
const g = e.generate({ features: true });
const d = e.dataset(g.events, { label: 'label==1', users: g.users, items: g.items });
const m = e.model('twotower');
await m.train(d, { protocol: 'random' });
const { items, dim, vectors } = m.itemVectors();
writeFileSync(itemsOut, Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength));
// each session's events, in file order (the generator writes them in time order)
const hist = new Map();
for (const line of g.events.split('\n').slice(1)) {
    if (!line) continue;
    const [session, item] = line.split(',');
    if (!hist.has(session)) hist.set(session, []);
    hist.get(session).push(item);
}
const qs = [];
for (const [session, h] of hist) qs.push(m.queryVector(h.slice(0, -1), { user: session }));
const q = new Float32Array(qs.length * dim);
qs.forEach((v, i) => q.set(v, i * dim));
writeFileSync(queriesOut, Buffer.from(q.buffer));
console.log(JSON.stringify({ items: items.length, queries: qs.length, dim }));
