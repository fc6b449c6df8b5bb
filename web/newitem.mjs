// newitem.mjs: panel 6, second half, "a new item" (cold start for items). An item no model has
// seen, described by the fields of the data's item table (data.sideFields.items: the demo store's
// category, group and price): model.itemVectorFor(features) gives the vector a two-tower's item
// tower makes of those features alone. Where it lands: its nearest items (inner product, as the
// towers score), and a map of every item vector on their first two principal components (computed
// here over itemVectors(); the new vector projected on the same axes). Who gets it recommended: for
// the query vectors of a few hundred sessions of the data (queryVector), the new item enters a
// session's top 10 when its score beats that session's 10th best existing item; the share overall
// and by each field of the user (session) table, as the data view read it.
import { state, on, currentModels } from './state.mjs';
import { $, el, fmtInt, modelColour } from './ui.mjs';
import { mapChart } from './charts.mjs';
import { historiesOf } from './data.mjs';

const K = 10;
const NEAR = 8;
const QUERIES = 300;
const MAX_VALUES = 40; // fields with more values (id-like columns) are left out
const NEW = 'the new item';
const ui = {
    intro: $('newitem-intro'), model: $('newitem-model'), profile: $('newitem-profile'), near: $('newitem-near'),
    map: $('newitem-map'), legend: $('newitem-legend'), who: $('newitem-who'), groups: $('newitem-groups-body'), tooltip: $('tooltip'),
};

const view = { features: {}, fieldsFor: null };
/** Per model: { vectors, dim, items, pcs: [mean, a, b], queries, tenth, users } (computed on first use). */
const cache = new WeakMap();
let chart = null;
const keyOf = (m) => `${m.origin}:${m.id}`;

/** The models that make an item vector from features: a two-tower with item features (itemVectorFor answers). */
function featureModels() {
    return currentModels().filter((m) => {
        if (!m.model.info?.uses.features) return false;
        try { m.model.itemVectors(); } catch { return false; }
        return true;
    });
}
const current = () => featureModels().find((m) => keyOf(m) === ui.model.value) ?? featureModels()[0] ?? null;

/** The item table's fields a new item can be described by: [{ field, choices: [{ value, text }] }]. */
function itemFields() {
    const f = state.data?.sideFields?.items;
    if (!f) return [];
    return f.fields.filter((x) => x.counts.length >= 2 && x.counts.length <= MAX_VALUES && x.kind !== 'numeric').map((x) => ({
        field: x.name.replace(/^item\./, ''),
        choices: x.counts.map(([v, c]) => ({ value: v, text: `${v} (${fmtInt(c)} items)` })),
    }));
}

const dot = (a, ao, b, bo, n) => { let s = 0; for (let j = 0; j < n; j++) s += a[ao + j] * b[bo + j]; return s; };

/** The first two principal components of the rows of v (n x dim), by power iteration on the covariance. */
function principal(v, n, dim) {
    const mean = new Float64Array(dim);
    for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += v[i * dim + j] / n;
    const cov = new Float64Array(dim * dim);
    const c = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
        for (let j = 0; j < dim; j++) c[j] = v[i * dim + j] - mean[j];
        for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) cov[a * dim + b] += c[a] * c[b];
    }
    const pcs = [];
    for (let p = 0; p < 2; p++) {
        let x = Float64Array.from({ length: dim }, (_, j) => Math.sin(j + 1 + p));
        for (let it = 0; it < 100; it++) {
            for (const q of pcs) { const d = dot(x, 0, q, 0, dim); for (let j = 0; j < dim; j++) x[j] -= d * q[j]; }
            const y = new Float64Array(dim);
            for (let a = 0; a < dim; a++) y[a] = dot(cov, a * dim, x, 0, dim);
            const norm = Math.hypot(...y) || 1;
            x = y.map((t) => t / norm);
        }
        pcs.push(x);
    }
    return { mean, pcs };
}

/** What a model needs once: its vectors, their axes, and the sessions' query vectors with their 10th best score. */
async function prepare(entry) {
    const have = cache.get(entry.model);
    if (have) return have;
    const d = state.data;
    const { vectors, dim, items } = entry.model.itemVectors();
    const users = await historiesOf(d);
    const ids = [...users.keys()];
    const step = Math.max(1, ids.length / QUERIES);
    const picked = Array.from({ length: Math.min(QUERIES, ids.length) }, (_, i) => ids[Math.floor(i * step)]);
    const queries = picked.map((u) => entry.model.queryVector(users.get(u).map((e) => e.item), { user: u }));
    // each session's 10th best score over the existing items: the bar a new item must clear
    const tenth = queries.map((q) => {
        const s = new Float32Array(items.length);
        for (let i = 0; i < items.length; i++) s[i] = dot(q, 0, vectors, i * dim, dim);
        s.sort();
        return s[Math.max(0, items.length - K)];
    });
    // the engine's encoding of each session (who gets it, by field) and item (which share the new item's fields)
    const [profiles, itemRows] = await Promise.all(['users', 'items'].map((side) => d.dataset.sideFeatures(side)));
    const out = { vectors, dim, items, axes: principal(vectors, items.length, dim), picked, queries, tenth, profiles, itemRows };
    cache.set(entry.model, out);
    return out;
}

function renderProfile() {
    const fields = itemFields();
    const key = `${state.data?.key}|${state.data?.source?.sides?.items?.name ?? ''}|${fields.length}`; // the fields come once the data view read them
    if (view.fieldsFor !== key) {
        view.fieldsFor = key;
        view.features = fields.length ? { [fields[0].field]: fields[0].choices[0].value } : {};
    }
    ui.profile.replaceChildren(...fields.map((f) => {
        const id = `newitem-field-${f.field}`;
        const sel = el('select', { id, dataset: { field: f.field } }, el('option', { value: '' }, 'not given'),
            ...f.choices.map((c) => el('option', { value: c.value, selected: view.features[f.field] === c.value }, c.text)));
        sel.addEventListener('change', () => {
            if (sel.value) view.features[f.field] = sel.value; else delete view.features[f.field];
            show();
        });
        return el('div', { class: 'visitor-field' }, el('label', { for: id }, f.field), sel);
    }));
    return fields.length > 0;
}

let gen = 0;
async function show() {
    const g = ++gen;
    const entry = current();
    const sec = document.getElementById('visitor');
    const clear = (text) => {
        chart?.destroy(); chart = null;
        ui.map.replaceChildren(el('p', { class: 'hint empty' }, text));
        ui.legend.replaceChildren();
        ui.near.replaceChildren();
        ui.who.textContent = '';
        ui.groups.replaceChildren();
        sec.dataset.newitem = 'empty';
    };
    if (!entry) return clear('Train a two-tower (panel 2) on data with an item table.');
    const prepared = await prepare(entry);
    if (g !== gen || current() !== entry) return;
    const given = Object.entries(view.features);
    if (!given.length) return clear('Give the new item at least one feature.');
    let v;
    try {
        v = entry.model.itemVectorFor(Object.fromEntries(given));
    } catch (e) {
        return clear(e.message);
    }
    const { vectors, dim, items, axes, queries, tenth, picked, profiles, itemRows } = prepared;
    // where it lands: its nearest items, and the map
    const scores = items.map((id, i) => [dot(v, 0, vectors, i * dim, dim), id]).sort((a, b) => b[0] - a[0]);
    ui.near.replaceChildren(...scores.slice(0, NEAR).map(([s, id], i) => {
        const it = state.data?.byId.get(id);
        return el('li', { class: 'near-item', dataset: { id, category: it?.category ?? '' } },
            el('span', { class: 'rank' }, String(i + 1)), el('span', { class: 'rec-name' }, it?.title ?? id),
            el('span', { class: 'score', title: 'inner product' }, s.toFixed(2)), el('span', { class: 'rec-cat' }, it?.category ?? ''));
    }));
    // the map: every item grey, those with the new item's features coloured, its nearest larger, the new item black
    const project = (x, o) => axes.pcs.map((pc) => { let s = 0; for (let j = 0; j < dim; j++) s += (x[o + j] - axes.mean[j]) * pc[j]; return s; });
    const label = given.map(([f, val]) => `${f} ${val}`).join(', ');
    const nearest = new Set(scores.slice(0, NEAR).map(([, id]) => id));
    const same = (id) => given.every(([f, val]) => itemRows.get(id)?.[`item.${f}`]?.includes(val));
    const groups = ['other items', `items with ${label}`, `its ${NEAR} nearest`, NEW];
    const points = items.map((id, i) => {
        const [x, y] = project(vectors, i * dim);
        return { x, y, title: state.data?.byId.get(id)?.title ?? id, category: groups[nearest.has(id) ? 2 : same(id) ? 1 : 0] };
    });
    const [nx, ny] = project(v, 0);
    points.push({ x: nx, y: ny, title: `the new item (${label})`, category: NEW });
    const colours = ['#c9ced8', '#2f5fd0', '#e07a10', '#111'];
    chart?.destroy();
    ui.map.replaceChildren();
    chart = mapChart(ui.map, points, groups, colours, ui.tooltip, { sizes: { 0: 7, 2: 13, 3: 22 } });
    ui.legend.replaceChildren(...groups.map((g, i) => el('li', {}, el('span', { class: 'dot', style: { '--c': colours[i] }, 'aria-hidden': 'true' }), g)));
    // who gets it: the sessions whose 10th best existing item it beats
    const gets = queries.map((q, i) => dot(q, 0, v, 0, dim) > tenth[i]);
    const n = gets.filter(Boolean).length;
    ui.who.textContent = `Of ${fmtInt(queries.length)} sessions of the data, ${fmtInt(n)} (${((100 * n) / queries.length).toFixed(1)}%) ` +
        `would get it in their top ${K} (its score above their 10th best item’s), from its features alone: nobody has clicked it yet.`;
    Object.assign(sec.dataset, { newitem: 'ready', newitemGets: String(n), newitemOf: String(queries.length), newitemFeatures: JSON.stringify(view.features) });
    // by each field of the user table (the data view's kinds: categorical fields with few values)
    const rows = [];
    const userFields = (state.data?.sideFields?.users?.fields ?? []).filter((f) => f.kind === 'categorical' && f.counts.length <= 12);
    if (profiles.size) {
        for (const f of userFields) {
            const name = f.name.replace(/^user\./, '');
            for (const [value] of f.counts) {
                const idx = picked.map((u, i) => (profiles.get(u)?.[f.name]?.includes(value) ? i : -1)).filter((i) => i >= 0);
                if (!idx.length) continue;
                const got = idx.filter((i) => gets[i]).length;
                const share = got / idx.length;
                rows.push(el('tr', { dataset: { field: name, value, sessions: String(idx.length), gets: String(got) } },
                    el('td', {}, `${name} ${value}`), el('td', { class: 'num' }, fmtInt(idx.length)),
                    el('td', {}, el('span', { class: 'ann-bar', style: { '--w': `${100 * share}%` } }), el('span', { class: 'val' }, `${fmtInt(got)} (${(100 * share).toFixed(0)}%)`))));
            }
        }
    }
    ui.groups.replaceChildren(...(rows.length ? rows : [el('tr', { class: 'empty' }, el('td', { colSpan: 3 }, 'No user table to break this down by.'))]));
}

function render() {
    const models = featureModels();
    const entry = current();
    ui.model.replaceChildren(...models.map((m) => el('option', { value: keyOf(m), selected: m === entry }, m.label)));
    ui.model.disabled = !entry;
    ui.intro.textContent = 'An item nobody has clicked yet, described only by its fields in the item table: the two-tower’s item tower ' +
        'turns them into a vector, so the item can be recommended from day one. See where it lands among the others, and whom it would reach.';
    if (entry) document.getElementById('newitem-map').style.setProperty('--c', modelColour(entry.name));
    if (!renderProfile()) {
        ui.profile.replaceChildren(el('p', { class: 'hint' }, state.data?.sideFields ? 'This data has no item table: add item features in panel 1.' : 'Reading the side tables…'));
    }
    show().catch((e) => console.warn(`new item: ${e.message}`));
}

export function initNewItem() {
    ui.model.addEventListener('change', () => show());
    on('data', render);
    on('sides', render);
    on('models', render);
    on('catalogue', render);
    render();
}
