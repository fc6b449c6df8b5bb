#!/usr/bin/env node
// build-demo.mjs: builds the small pretrained demo model that web/examples/ starts from, and its
// catalogue (ids, titles, categories), from the bundled synthetic store. Runs the wasm engine
// under Node, so it needs only `make wasm`. Same seed, same bytes.
//   node models/build-demo.mjs        -> models/demo-vsknn.safetensors, models/demo-catalogue.json
import { writeFile, rename } from 'node:fs/promises';
import { loadEngine } from '../wasm/wasmrec.mjs';

const STORE = { sessions: 5000, items: 400, seed: 42 };
const here = (f) => new URL(`./${f}`, import.meta.url);

async function writeAtomic(url, data) {
    const tmp = new URL(url.href + '.tmp');
    await writeFile(tmp, data);
    await rename(tmp, url);
}

const engine = await loadEngine();
const data = engine.dataset(engine.generate(STORE), { source: 'demo store' });
const model = engine.model('vsknn', { seed: 42 }).fit(data);
const bytes = model.save();
if (bytes.length > 1 << 20) throw new Error(`demo model is ${bytes.length} bytes; keep it under 1 MB`);
const catalogue = data.catalogue().map(({ id, title, category }) => ({ id, title, category }));
await writeAtomic(here('demo-vsknn.safetensors'), bytes);
await writeAtomic(here('demo-catalogue.json'), JSON.stringify({ store: STORE, model: 'vsknn', items: catalogue }) + '\n');
console.log(`models/demo-vsknn.safetensors: ${bytes.length} bytes, ${model.items} items, trained on ` +
    `${data.users} sessions / ${data.events} events; models/demo-catalogue.json: ${catalogue.length} items`);
engine.dispose();
