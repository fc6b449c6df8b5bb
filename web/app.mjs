// app.mjs: the demo page. Loads the engine in this tab, generates the demo store, loads the small
// pretrained models from models/ (so the playground recommends before any training), and wires
// the ten panels: data, train and compare, experiment, playground, pick a user, cold start (a new visitor, a
// new item), retrieve then rank (the two stages and the index), look inside, models in and out,
// privacy.
// Training runs in workers; everything else is a synchronous engine call of a few milliseconds.
// The page fetches nothing but its own files.
import { loadEngine } from '../wasm/wasmrec.mjs';
import { openStore } from '../wasm/store.mjs';
import { state, on, emit, addModel, newId, DEMO_KEY } from './state.mjs';
import { $, fmtMs, modelLabel, errorText } from './ui.mjs';
import { initData, loadDemo } from './data.mjs';
import { initTrain, addResult } from './train.mjs';
import { initExperiment } from './experiment.mjs';
import { initPlay } from './play.mjs';
import { initUsers } from './users.mjs';
import { initVisitor } from './visitor.mjs';
import { initNewItem } from './newitem.mjs';
import { initStages } from './stages.mjs';
import { initAnn } from './ann.mjs';
import { initInside } from './inside.mjs';
import { initModels } from './models.mjs';
import { initPrivacy, markReady, renderStored } from './privacy.mjs';

const statusEl = $('status');
function setStatus(text, kind = 'busy') {
    statusEl.textContent = text;
    statusEl.dataset.state = kind;
}
on('status', ({ text, kind = 'busy' }) => setStatus(text, kind));

// what sticks under the page's header (the playground's session) needs the header's height
const header = document.querySelector('header.top');
new ResizeObserver(() => document.documentElement.style.setProperty('--header-h', `${Math.ceil(header.getBoundingClientRect().height)}px`)).observe(header);

/** Timings for the closing note and the tests (ms since navigation start). */
const timings = {};
window.wasmrecDemo = { state, timings };

// ---- pretrained models (models/demo-models.json, built by `make demo-models`) --------------------

/** Fetches the manifest and the model files (started first thing: the downloads overlap the engine's start). */
async function fetchPretrained() {
    const r = await fetch('/models/demo-models.json');
    if (!r.ok) throw new Error(`models/demo-models.json: ${r.status} (run make demo-models)`);
    const manifest = await r.json();
    const files = await Promise.all(manifest.models.map(async (m) => {
        const f = await fetch(`/models/${m.file}`);
        if (!f.ok) throw new Error(`models/${m.file}: ${f.status}`);
        return new Uint8Array(await f.arrayBuffer());
    }));
    return { manifest, files };
}

function loadPretrained({ manifest, files }) {
    manifest.models.forEach((m, i) => {
        const model = state.engine.loadModel(files[i], { source: m.file });
        addModel({ id: newId(), name: m.model, label: modelLabel(m.model), origin: 'pretrained', dataKey: DEMO_KEY,
            model, curve: m.curve, size: files[i].length, params: m.params });
        addResult({ name: m.model, origin: 'pretrained', dataKey: DEMO_KEY, metrics: m.metrics.full,
            epochs: m.curve.length ? m.epochs : null, trainMs: null, params: m.params });
    });
}

// ---- models trained here are kept in IndexedDB for the next visit (train.mjs saves them) ------------

const restoredFor = new Set();

/** Brings back the models trained on this data in an earlier visit. */
async function restoreTrained(dataKey) {
    if (restoredFor.has(dataKey) || !state.store) return;
    restoredFor.add(dataKey);
    const restored = [];
    for (const info of await state.store.listModels()) {
        if (info.meta?.dataKey !== dataKey) continue;
        if (state.data?.key !== dataKey) { restoredFor.delete(dataKey); return; } // the data changed meanwhile
        const saved = await state.store.loadModel(info.name);
        if (!saved) continue;
        try {
            const model = state.engine.loadModel(saved.bytes, { source: info.name });
            const m = info.meta;
            addModel({ id: newId(), name: m.model, label: modelLabel(m.model, m.params), origin: 'trained', dataKey,
                model, curve: m.curve ?? [], size: info.size, params: m.params, setup: m.setup });
            addResult({ name: m.model, origin: 'trained', restored: true, dataKey, metrics: m.metrics, seen: m.seen,
                epochs: m.epochs, trainMs: m.trainMs, params: m.params, setup: m.setup });
            restored.push(model);
        } catch (e) {
            console.warn(`saved model ${info.name} not loaded: ${errorText(e)}`);
        }
    }
    if (restored.length && state.data?.key === dataKey && titlesFromModels(restored)) emit('catalogue');
}

/**
 * A model file keeps its training data's titles: items this catalogue has no title for take the
 * model's (a file reloaded without its titles file still shows names). Returns how many changed.
 */
function titlesFromModels(models) {
    let filled = 0;
    for (const model of models) {
        // a model without titles has none among its first items either: skip the catalogue walk
        const probe = Math.min(model.items, 200);
        let any = false;
        for (let i = 0; i < probe && !any; i++) any = model.itemTitle(i) !== '';
        if (!any) continue;
        for (const it of state.data.byId.values()) {
            if (it.titled) continue;
            const idx = model.itemIndex(it.id);
            const title = idx >= 0 ? model.itemTitle(idx) : '';
            if (title) { it.title = title; it.titled = true; filled++; }
        }
    }
    return filled;
}
on('data', () => { if (state.data) restoreTrained(state.data.key).catch((e) => console.warn(e)); });
on('forgotten', () => restoredFor.clear());

// ---- start-up -----------------------------------------------------------------------------------

async function main() {
    const downloads = fetchPretrained();
    downloads.catch(() => {}); // reported below, when it is awaited
    const privacy = initPrivacy();
    initData();
    const play = initPlay();
    initUsers();
    initVisitor();
    initNewItem();
    initStages();
    initAnn();
    initInside();
    initModels();
    const presets = initTrain(); // fetches the presets meanwhile
    initExperiment();

    setStatus('Loading the engine…');
    const [engine, store] = await Promise.all([loadEngine(), openStore()]);
    state.engine = engine;
    state.store = store;
    timings.engine = performance.now();
    emit('engine'); // the model picker reads each model's info from it

    setStatus('Generating the demo store…');
    await loadDemo();
    timings.data = performance.now();

    setStatus('Loading the pretrained models…');
    loadPretrained(await downloads);
    timings.firstRecommendation = performance.now();

    // the last session of an earlier visit, if its items are in this catalogue
    const sessions = await store.sessions().catch(() => []);
    const last = sessions.sort((a, b) => a.end - b.end).at(-1);
    if (last && last.items.some((id) => state.data.byId.has(id))) {
        state.sessionId = last.session;
        play.restoreSession(last.items);
    }

    await presets;
    const pretrained = state.models.filter((m) => m.origin === 'pretrained').length;
    const earlier = state.models.filter((m) => m.origin === 'trained').length;
    setStatus(`Ready in ${fmtMs(timings.firstRecommendation)}: the engine, the demo store and ${pretrained} pretrained models` +
        `${earlier ? ` (and ${earlier} you trained on an earlier visit)` : ''}, all in this tab. ` +
        'Click items in the playground, or train your own.', 'ready');
    document.body.dataset.ready = 'true';
    markReady();
    renderStored();
    privacy.registerOffline();
}

main().catch((e) => {
    console.error(e);
    setStatus(`Could not start: ${errorText(e)}`, 'error');
});
