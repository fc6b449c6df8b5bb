#!/usr/bin/env node
// build-demo.mjs: builds the small pretrained demo models the pages start with, from the bundled
// synthetic store. Runs the wasm engine under Node, so it needs only `make wasm`. Same seed, same
// bytes (the manifest holds no timings for that reason).
//   node models/build-demo.mjs
//     -> models/demo-vsknn.safetensors, models/demo-catalogue.json   (web/examples/)
//     -> models/demo-itemknn.safetensors, demo-gru4rec.safetensors, demo-sasrec.safetensors and
//        models/demo-models.json                                      (the demo page, web/)
// The page's models are trained as the page trains them (leave-one-out, early stopping on the
// second-last event, the demo presets), so the manifest's metrics and curves are honest ones.
import { readFile, writeFile, rename } from 'node:fs/promises';
import { loadEngine } from '../wasm/wasmrec.mjs';

const STORE = { sessions: 5000, items: 400, seed: 42 };
const MAX_BYTES = 1 << 20;
const here = (f) => new URL(`./${f}`, import.meta.url);

async function writeAtomic(url, data) {
    const tmp = new URL(url.href + '.tmp');
    await writeFile(tmp, data);
    await rename(tmp, url);
}

function checkSize(file, bytes) {
    if (bytes.length > MAX_BYTES) throw new Error(`${file} is ${bytes.length} bytes; keep it under 1 MB`);
}

const engine = await loadEngine();
const data = engine.dataset(engine.generate(STORE), { source: 'demo store' });

// web/examples/: V-SKNN on every event, and the catalogue
{
    const model = engine.model('vsknn', { seed: 42 }).fit(data);
    const bytes = model.save();
    checkSize('demo-vsknn.safetensors', bytes);
    const catalogue = data.catalogue().map(({ id, title, category }) => ({ id, title, category }));
    await writeAtomic(here('demo-vsknn.safetensors'), bytes);
    await writeAtomic(here('demo-catalogue.json'), JSON.stringify({ store: STORE, model: 'vsknn', items: catalogue }) + '\n');
    console.log(`models/demo-vsknn.safetensors: ${bytes.length} bytes, ${model.items} items, trained on ` +
        `${data.users} sessions / ${data.events} events; models/demo-catalogue.json: ${catalogue.length} items`);
    model.dispose();
}

// web/: the page's starting models, with their leave-one-out figures and per-epoch curves
const PAGE_MODELS = [
    { model: 'itemknn', params: {} },
    { model: 'gru4rec', preset: 'gru4rec.demo.json' },
    { model: 'sasrec', preset: 'sasrec.demo.json' },
];
const round = (x) => Math.round(x * 1e6) / 1e6;
const manifest = { store: STORE, protocol: 'leave-one-out, full ranking, k = 10', models: [] };
for (const spec of PAGE_MODELS) {
    const params = spec.preset ? JSON.parse(await readFile(here(spec.preset), 'utf8')).params : spec.params;
    const model = engine.model(spec.model, { ...params, seed: 42 });
    const curve = [];
    let last = -1;
    const final = await model.train(data, {
        leaveOneOut: true,
        onProgress: (p) => {
            if (p.epoch > last && p.epoch > 0 && Number.isFinite(p.loss)) {
                curve.push({ epoch: p.epoch, loss: round(p.loss), validNdcg: round(p.validNdcg) });
            }
            last = p.epoch;
        },
    });
    const report = model.evaluate(data, { k: 10 });
    const bytes = model.save();
    const file = `demo-${spec.model}.safetensors`;
    checkSize(file, bytes);
    await writeAtomic(here(file), bytes);
    manifest.models.push({
        file, model: spec.model, preset: spec.preset ?? null, params: model.params, size: bytes.length,
        epochs: final.epoch, bestEpoch: final.bestEpoch, curve, metrics: report,
    });
    console.log(`models/${file}: ${bytes.length} bytes, ${curve.length} epochs, ` +
        `NDCG@10 ${report.full['NDCG@10']}, HR@10 ${report.full['HR@10']}`);
    model.dispose();
}
// one model per line: diffs of a rebuild stay readable
const { models, ...head } = manifest;
await writeAtomic(here('demo-models.json'), `${JSON.stringify(head).slice(0, -1)},"models":[\n` +
    models.map((m) => JSON.stringify(m)).join(',\n') + '\n]}\n');
console.log(`models/demo-models.json: ${manifest.models.length} models`);
engine.dispose();
