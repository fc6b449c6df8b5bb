// ann.mjs: panel 7, second half, "the index: recall against speed". For a model with item vectors
// (a trained two-tower: model.itemVectors()), builds an HNSW index over them (engine.index, in this
// tab) and takes the query vectors of a few hundred sessions of the data (model.queryVector, whose
// inner products with the item vectors rank as recommend does). As the ef_search slider moves, the
// queries are searched again at that width: recall@10 against the exact scan (efSearch 0) and
// queries per second (one search call over all the queries; the fastest of three timed rounds), each
// width measured kept in the table beside. A pipeline keeps its retrieval stage's index inside the
// model (its ef_search is a setting), so its vectors are not offered here: a two-tower's are.
import { state, on, currentModels } from './state.mjs';
import { $, el, fmtInt, nextFrame } from './ui.mjs';
import { historiesOf } from './data.mjs';

const K = 10;
const QUERIES = 300;
/** The slider's stops: from k (a narrower search returns fewer than k) up. */
const EF = [10, 12, 14, 16, 20, 24, 32, 40, 48, 64, 96, 128, 192, 256];
const EF_CONSTRUCTION = 40;
const MIN_MS = 15;
const ROUNDS = 3;
const ui = {
    intro: $('ann-intro'), model: $('ann-model'), m: $('ann-m'), ef: $('ann-ef'), efValue: $('ann-ef-value'),
    recall: $('ann-recall'), qps: $('ann-qps'), exact: $('ann-exact'), body: $('ann-body'), note: $('ann-note'),
};

/** The built index and what it was built from: { key, index, queries, exact, exactQps, rows: Map(ef -> {recall, qps}), ... }. */
let built = null;
const keyOf = (m) => `${m.origin}:${m.id}`;
const vectorCache = new WeakMap(); // model -> item vectors, or null when it has none

/** The models of this data with item vectors (asked once per model: itemVectors throws for the others). */
function vectorModels() {
    return currentModels().filter((m) => {
        if (!vectorCache.has(m.model)) {
            let v = null;
            try { v = m.model.itemVectors(); } catch { v = null; }
            vectorCache.set(m.model, v);
        }
        return vectorCache.get(m.model) !== null;
    });
}
const current = () => vectorModels().find((m) => keyOf(m) === ui.model.value) ?? vectorModels()[0] ?? null;

/**
 * Queries per second of one search call over every query at ef: the fastest of ROUNDS rounds, each
 * repeating the call for at least MIN_MS (the machine is shared: one disturbed round does not count).
 */
function timed(index, queries, ef) {
    let hits;
    let best = 0;
    for (let r = 0; r < ROUNDS; r++) {
        let n = 0;
        const t0 = performance.now();
        let dt = 0;
        do {
            hits = index.search(queries, { k: K, efSearch: ef });
            n++;
            dt = performance.now() - t0;
        } while (dt < MIN_MS);
        best = Math.max(best, (n * built.count) / (dt / 1000));
    }
    return { hits, qps: best };
}

function recallOf(hits) {
    let found = 0;
    for (let q = 0; q < hits.length; q++) {
        const truth = built.exact[q];
        for (const id of hits[q].ids) if (truth.has(id)) found++;
    }
    return found / (hits.length * K);
}

/** Builds the index for the chosen model and M, and the query vectors of QUERIES sessions. */
async function build(entry) {
    const d = state.data;
    const M = Number(ui.m.value);
    const key = `${keyOf(entry)}|${M}|${d.key}`;
    if (built?.key === key) return true;
    built?.index.free();
    built = null;
    ui.note.textContent = 'Building the index…';
    document.getElementById('stages').dataset.ann = 'building';
    await nextFrame();
    const users = await historiesOf(d);
    if (state.data !== d || current() !== entry) return false;
    const { vectors, dim, items } = vectorCache.get(entry.model);
    // the queries: QUERIES sessions spread over the data, each its whole history (and its user)
    const ids = [...users.keys()];
    const step = Math.max(1, ids.length / QUERIES);
    const picked = Array.from({ length: Math.min(QUERIES, ids.length) }, (_, i) => ids[Math.floor(i * step)]);
    const queries = new Float32Array(picked.length * dim);
    picked.forEach((u, i) => queries.set(entry.model.queryVector(users.get(u).map((e) => e.item), { user: u }), i * dim));
    const t0 = performance.now();
    const index = state.engine.index({ dim, metric: 'ip', M, efConstruction: EF_CONSTRUCTION, seed: 42, capacity: items.length });
    index.add(vectors);
    const buildMs = performance.now() - t0;
    built = { key, index, queries, count: picked.length, items: items.length, dim, M, buildMs, rows: new Map() };
    // the exact scan: the truth every width is measured against, and its own speed (after a pass
    // at each end of the slider, so the first width measured is not the one that warms the code up)
    index.search(queries, { k: K, efSearch: EF[0] });
    index.search(queries, { k: K, efSearch: EF.at(-1) });
    const exact = timed(index, queries, 0);
    built.exact = exact.hits.map((h) => new Set(h.ids));
    built.exactQps = exact.qps;
    return true;
}

function renderTable() {
    const ef = EF[Number(ui.ef.value)];
    const rows = [...built.rows].sort((a, b) => a[0] - b[0]);
    const fastest = Math.max(built.exactQps, ...rows.map(([, r]) => r.qps));
    ui.body.replaceChildren(...rows.map(([e, r]) => el('tr', { class: e === ef ? 'current' : '', dataset: { ef: String(e), recall: String(r.recall), qps: String(r.qps) } },
        el('td', { class: 'num' }, String(e)),
        el('td', {}, el('span', { class: 'ann-bar', style: { '--w': `${100 * r.recall}%` } }), el('span', { class: 'val' }, r.recall.toFixed(3))),
        el('td', {}, el('span', { class: 'ann-bar qps', style: { '--w': `${(100 * r.qps) / fastest}%` } }), el('span', { class: 'val' }, fmtInt(r.qps))))),
    el('tr', { class: 'exact', dataset: { ef: '0' } }, el('td', { class: 'num' }, 'exact'),
        el('td', {}, el('span', { class: 'ann-bar', style: { '--w': '100%' } }), el('span', { class: 'val' }, '1.000')),
        el('td', {}, el('span', { class: 'ann-bar qps', style: { '--w': `${(100 * built.exactQps) / fastest}%` } }), el('span', { class: 'val' }, fmtInt(built.exactQps)))));
}

let pending = false;
/** Measures the slider's width (once per width and index) and shows it. */
async function measure() {
    if (pending) return;
    pending = true;
    await new Promise((r) => requestAnimationFrame(r)); // one measurement per frame while the slider is dragged
    pending = false;
    const entry = current();
    if (!entry || !built) return;
    const ef = EF[Number(ui.ef.value)];
    ui.efValue.textContent = String(ef);
    if (!built.rows.has(ef)) {
        const { hits, qps } = timed(built.index, built.queries, ef);
        built.rows.set(ef, { recall: recallOf(hits), qps });
    }
    const r = built.rows.get(ef);
    ui.recall.textContent = r.recall.toFixed(3);
    ui.qps.textContent = fmtInt(r.qps);
    ui.exact.textContent = fmtInt(built.exactQps);
    const speed = r.qps / built.exactQps;
    ui.note.textContent = `${fmtInt(built.count)} query vectors (sessions of the data) against ${fmtInt(built.items)} item vectors of ${built.dim} ` +
        `dimensions, HNSW with M ${built.M} built in ${built.buildMs.toFixed(1)} ms. At ef_search ${ef} the index finds ` +
        `${(100 * r.recall).toFixed(1)}% of the exact top ${K} at ${speed.toFixed(speed < 10 ? 2 : 0)}× the exact scan’s speed. ` +
        `${built.items < 20_000 ? `With only ${fmtInt(built.items)} items the exact scan is already fast (it reads every vector at SIMD speed): ` +
        'HNSW pays off on catalogues of hundreds of thousands, where the scan grows with the catalogue and the graph search barely does. ' : ''}` +
        'A wider search (higher ef_search) visits more of the graph: recall rises, speed falls.';
    const sec = document.getElementById('stages');
    Object.assign(sec.dataset, { ann: 'ready', annEf: String(ef), annRecall: String(r.recall), annQps: String(r.qps) });
    renderTable();
}

let gen = 0;
async function render() {
    const g = ++gen;
    const models = vectorModels();
    const entry = current();
    ui.model.replaceChildren(...models.map((m) => el('option', { value: keyOf(m), selected: m === entry }, m.label)));
    for (const c of [ui.model, ui.m, ui.ef]) c.disabled = !entry;
    const hasPipeline = currentModels().some((m) => m.model.name === 'pipeline');
    if (!entry) {
        built?.index.free();
        built = null;
        ui.intro.textContent = 'A two-tower model turns every item and every query into a vector: recommending is finding the item vectors ' +
            'with the largest inner product. An index (HNSW) finds them without reading every one, at some loss of recall. ' +
            `Train a two-tower in panel 2 to look at its index here${hasPipeline ? ' (a pipeline keeps its retrieval stage’s index inside the model)' : ''}.`;
        for (const x of [ui.recall, ui.qps, ui.exact]) x.textContent = '–';
        ui.body.replaceChildren();
        ui.note.textContent = '';
        document.getElementById('stages').dataset.ann = 'empty';
        return;
    }
    ui.intro.textContent = 'Recommending with a two-tower is a nearest-neighbour search over its item vectors. HNSW, a graph index, ' +
        'answers by walking the graph from a few entry points, keeping the ef_search best items it has seen: move the slider to see how many ' +
        'of the true top 10 (the exact scan’s) it finds, and how fast.';
    if (!await build(entry) || g !== gen) return;
    await measure();
}

export function initAnn() {
    ui.ef.max = String(EF.length - 1);
    ui.ef.addEventListener('input', () => { ui.efValue.textContent = String(EF[Number(ui.ef.value)]); measure(); });
    ui.model.addEventListener('change', render);
    ui.m.addEventListener('change', render);
    on('data', render);
    on('models', render);
    render();
}
