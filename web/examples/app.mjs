// app.mjs: a page a web developer can copy. It starts from a small pretrained model shipped with
// the page (models/demo-vsknn.safetensors), records the visitor's clicks in IndexedDB,
// recommends after every click, fine-tunes on the visitor's own history in a Web Worker, and
// forgets everything on request. Nothing is sent anywhere (see the CSP in index.html).
//
// With the npm package and a bundler (or an import map), the import below is
//   import { createRecommender } from 'wasmrec/personal';
import { createRecommender } from '../../wasm/personal.mjs';

const MODEL_URL = new URL('../../models/demo-vsknn.safetensors', import.meta.url);
const CATALOGUE_URL = new URL('../../models/demo-catalogue.json', import.meta.url);

const $ = (id) => document.getElementById(id);
const titles = new Map();
let rec = null;

function status(text, state = 'busy') {
    $('status').textContent = text;
    $('status').dataset.state = state;
}
const label = (id) => titles.get(id) ?? id;

async function refresh() {
    $('session').replaceChildren(...rec.session.items.map((id) => Object.assign(document.createElement('li'), { textContent: label(id) })));
    const { items, unknown } = await rec.recommend({ k: 10 });
    $('recs').replaceChildren(...items.map((r) => {
        const li = document.createElement('li');
        li.textContent = label(r.item);
        li.dataset.id = r.item;
        return li;
    }));
    if (unknown.length) $('tune-result').textContent = `Not in the model yet: ${unknown.map(label).join(', ')}.`;
    $('event-count').textContent = String((await rec.store.events().catch(() => [])).length);
    $('model-source').textContent = rec.modelSource;
    $('storage').textContent = rec.persistent
        ? 'Your clicks are kept in this browser only (IndexedDB); “Forget me” deletes them.'
        : `Not saved: ${(rec.storageError ?? rec.store.error)?.message ?? 'storage unavailable'} The page works until you close it.`;
    $('storage').dataset.persistent = String(rec.persistent);
}

async function main() {
    const [catalogue, recommender] = await Promise.all([
        fetch(CATALOGUE_URL).then((r) => r.json()),
        createRecommender({ model: MODEL_URL, k: 10 }),
    ]);
    rec = recommender;
    window.wasmrecExample = { rec }; // for the browser tests and your console
    for (const it of catalogue.items) titles.set(it.id, it.title);
    $('items').replaceChildren(...catalogue.items.map((it) => {
        const b = Object.assign(document.createElement('button'), { type: 'button', textContent: it.title, title: it.category });
        b.dataset.id = it.id;
        return b;
    }));
    $('items').addEventListener('click', async (e) => {
        const id = e.target.closest('button')?.dataset.id;
        if (!id) return;
        await rec.observe(id);
        await refresh();
    });
    $('new-session').onclick = async () => { rec.endSession(); await refresh(); };
    $('fine-tune').onclick = async () => {
        $('fine-tune').disabled = true;
        $('tune-result').textContent = 'Fine-tuning in the worker…';
        try {
            const r = await rec.fineTune({ onProgress: (p) => { $('tune-result').textContent = `Training… epoch ${p.epoch}`; } });
            $('tune-result').textContent = r.message + (r.saved ? ' (saved on this device)' : '');
            $('tune-result').dataset.action = r.action;
        } catch (err) {
            $('tune-result').textContent = `Fine-tuning failed: ${err.message}`;
        } finally {
            $('fine-tune').disabled = false;
            await refresh();
        }
    };
    $('forget').onclick = async () => {
        await rec.forget();
        $('tune-result').textContent = 'Everything stored on this device was deleted.';
        await refresh();
    };
    await refresh();
    status(`Ready: ${rec.modelName} (${rec.modelSource}), ${catalogue.items.length} items.`, 'ready');
}

main().catch((e) => { status(`Could not start: ${e.message}`, 'error'); console.error(e); });
