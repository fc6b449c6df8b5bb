// app.mjs: a page a web developer can copy. It starts from a small pretrained model shipped in
// the package (models/demo-vsknn.safetensors), records the visitor's clicks in IndexedDB,
// recommends after every click, fine-tunes on the visitor's own history in a Web Worker, and
// forgets everything on request. Nothing is sent anywhere (see the CSP in index.html).
//
// 'wasmrec/personal' is resolved by the import map in index.html (to
// ./node_modules/wasmrec/wasm/personal.mjs); with a bundler, the same import works as it is.
// start.mjs loads this file and shows any failure on the page.
import { createRecommender } from 'wasmrec/personal';

// The model and the catalogue come from the package too (import.meta.resolve uses the import map).
const MODEL_URL = import.meta.resolve('wasmrec/models/demo-vsknn.safetensors');
const CATALOGUE_URL = import.meta.resolve('wasmrec/models/demo-catalogue.json');

const $ = (id) => document.getElementById(id);
const titles = new Map();
let rec = null;

function status(text, state = 'busy') {
    $('status').textContent = text;
    $('status').dataset.state = state;
}
const label = (id) => titles.get(id) ?? id;

async function fetchJson(url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`could not fetch ${url}: HTTP ${res.status}`);
    return res.json();
}

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

/** Runs a button's action; a failure shows in the status line instead of vanishing. */
const guard = (fn) => async (e) => {
    try { await fn(e); } catch (err) { status(`Something went wrong: ${err.message}`, 'error'); console.error(err); }
};

export async function main() {
    const [catalogue, recommender] = await Promise.all([
        fetchJson(CATALOGUE_URL),
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
    $('items').addEventListener('click', guard(async (e) => {
        const id = e.target.closest('button')?.dataset.id;
        if (!id) return;
        await rec.observe(id);
        await refresh();
    }));
    $('new-session').onclick = guard(async () => { rec.endSession(); await refresh(); });
    $('fine-tune').onclick = guard(async () => {
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
    });
    $('forget').onclick = guard(async () => {
        await rec.forget();
        $('tune-result').textContent = 'Everything stored on this device was deleted.';
        await refresh();
    });
    await refresh();
    status(`Ready: ${rec.modelName} (${rec.modelSource}), ${catalogue.items.length} items.`, 'ready');
}
