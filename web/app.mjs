// app.mjs: the first demo page. Loads the engine, generates the demo store, trains item-kNN (and
// most-popular for the empty session), lists the catalogue by category, and recommends the next
// items after every click. Everything runs in this tab; the page fetches nothing but its own files.
import { loadEngine } from '../wasm/wasmrec.mjs';

const STORE = { sessions: 5000, items: 400, seed: 42 };
const K = 10;

const $ = (id) => document.getElementById(id);
const ui = {
    status: $('status'), category: $('category'), search: $('search'), items: $('items'),
    session: $('session'), sessionEmpty: $('session-empty'), clear: $('clear'),
    recs: $('recs'), recsNote: $('recs-note'), footerCounts: $('footer-counts'),
};

const state = { engine: null, data: null, knn: null, pop: null, byId: new Map(), session: [] };

function setStatus(text, kind = 'busy') {
    ui.status.textContent = text;
    ui.status.dataset.state = kind;
    ui.status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
const ms = (t) => (t < 10 ? t.toFixed(1) : Math.round(t).toLocaleString('en'));
const fmt = (n) => n.toLocaleString('en');

function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
        if (k === 'class') e.className = v;
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else if (k.startsWith('aria-') || k === 'role') e.setAttribute(k, v);
        else e[k] = v;
    }
    for (const c of children) e.append(c);
    return e;
}

// ---- catalogue ---------------------------------------------------------------------------------

function renderCatalogue() {
    const cat = ui.category.value;
    const q = ui.search.value.trim().toLowerCase();
    const groups = new Map();
    for (const it of state.byId.values()) {
        if (cat && it.category !== cat) continue;
        if (q && !it.title.toLowerCase().includes(q) && !it.id.toLowerCase().includes(q)) continue;
        if (!groups.has(it.category)) groups.set(it.category, []);
        groups.get(it.category).push(it);
    }
    const frag = document.createDocumentFragment();
    for (const [category, items] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
        const headingId = `cat-${category.replace(/[^a-z0-9]+/gi, '-')}`;
        const list = el('ul', { class: 'item-grid', 'aria-labelledby': headingId });
        for (const it of items) {
            list.append(el('li', {}, el('button', {
                type: 'button', class: 'item', dataset: { id: it.id },
                title: `Add “${it.title}” to the session`,
            }, it.title)));
        }
        frag.append(el('section', { class: 'group' },
            el('h3', { id: headingId }, category || 'Uncategorised', el('span', { class: 'count' }, ` ${items.length}`)),
            list));
    }
    if (!groups.size) frag.append(el('p', { class: 'muted' }, 'No item matches this filter.'));
    ui.items.replaceChildren(frag);
    renderSessionMarks();
}

function renderSessionMarks() {
    const inSession = new Set(state.session);
    for (const b of ui.items.querySelectorAll('button.item')) b.classList.toggle('in-session', inSession.has(b.dataset.id));
}

// ---- session and recommendations ----------------------------------------------------------------

function renderSession() {
    const chips = state.session.map((id, i) => el('li', { class: 'chip' },
        el('span', { class: 'chip-n', 'aria-hidden': 'true' }, String(i + 1)),
        state.byId.get(id)?.title ?? id));
    ui.session.replaceChildren(...chips);
    renderSessionMarks();
    ui.sessionEmpty.hidden = state.session.length > 0;
    ui.clear.disabled = state.session.length === 0;
}

function renderRecs() {
    const empty = state.session.length === 0;
    const model = empty ? state.pop : state.knn;
    const t0 = performance.now();
    const recs = model.recommend(state.session, { k: K, excludeSeen: !empty });
    const dt = performance.now() - t0;
    ui.recsNote.textContent = empty
        ? 'Most popular items (the session is empty). Click one to start.'
        : `Top ${recs.length} after ${state.session.length} item${state.session.length > 1 ? 's' : ''}, in ${ms(dt)} ms.`;
    const top = recs.length ? recs[0].score : 1;
    ui.recs.replaceChildren(...recs.map((r, i) => {
        const it = state.byId.get(r.item);
        const bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
        bar.style.setProperty('--w', `${top > 0 ? Math.max(2, (100 * r.score) / top) : 0}%`);
        return el('li', { class: 'rec' },
            el('button', { type: 'button', class: 'rec-btn', dataset: { id: r.item },
                title: `Add “${it?.title ?? r.item}” to the session` },
            el('span', { class: 'rank' }, String(i + 1)),
            el('span', { class: 'rec-title' }, it?.title ?? r.item,
                el('span', { class: 'rec-cat' }, it?.category ?? '')),
            el('span', { class: 'score', title: 'score' }, formatScore(r.score)),
            bar));
    }));
}

function formatScore(s) {
    if (!Number.isFinite(s)) return String(s);
    const a = Math.abs(s);
    return a >= 1000 ? s.toFixed(0) : a >= 1 ? s.toFixed(2) : s.toFixed(3);
}

function addToSession(id) {
    if (!state.knn || !state.byId.has(id)) return;
    state.session.push(id);
    renderSession();
    renderRecs();
}

// ---- start-up -----------------------------------------------------------------------------------

async function main() {
    const t0 = performance.now();
    setStatus('Loading the engine…');
    state.engine = await loadEngine();

    setStatus('Generating the demo store…');
    await nextFrame();
    const csv = state.engine.generate(STORE);
    state.data = state.engine.dataset(csv, { format: 'csv', source: 'demo-store.csv' });
    const d = state.data;
    for (const it of d.catalogue()) state.byId.set(it.id, { ...it, title: it.title || it.id });
    ui.footerCounts.textContent = `${fmt(d.users)} sessions, ${fmt(d.items)} items and ${fmt(d.events)} clicks`;

    const categories = [...new Set([...state.byId.values()].map((it) => it.category))].sort();
    ui.category.append(...categories.map((c) => el('option', { value: c }, c || 'Uncategorised')));
    ui.category.disabled = ui.search.disabled = false;
    renderCatalogue();

    setStatus('Training item-kNN…');
    await nextFrame();
    const t1 = performance.now();
    state.knn = state.engine.model('itemknn').fit(d);
    state.pop = state.engine.model('pop').fit(d);
    const trainMs = performance.now() - t1;

    renderSession();
    renderRecs();
    setStatus(`Ready. Trained item-kNN on ${fmt(d.events)} clicks in ${ms(trainMs)} ms ` +
        `(page ready in ${ms(performance.now() - t0)} ms).`, 'ready');
    document.body.dataset.ready = 'true';
}

ui.items.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-id]');
    if (b) addToSession(b.dataset.id);
});
ui.recs.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-id]');
    if (b) addToSession(b.dataset.id);
});
ui.clear.addEventListener('click', () => {
    state.session = [];
    renderSession();
    renderRecs();
});
ui.category.addEventListener('change', renderCatalogue);
ui.search.addEventListener('input', renderCatalogue);

main().catch((e) => {
    console.error(e);
    setStatus(`Could not start: ${e.message}`, 'error');
    ui.recsNote.textContent = 'No model.';
});
