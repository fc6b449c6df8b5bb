// play.mjs: panel 3. Browse or search the catalogue, click items to build a session, and see each
// model's top 10 next items at once (main-thread models: a recommendation is a synchronous call of
// about a millisecond). "Why": item-kNN and Markov name the history item behind each suggestion;
// SASRec and BERT4Rec show their attention over the session as a heat strip.
import { state, on, emit, currentModels } from './state.mjs';
import { $, el, fmtScore, fmtMs, modelColour } from './ui.mjs';

const K = 10;
const ui = {
    category: $('category'), search: $('search'), items: $('items'), session: $('session'),
    sessionEmpty: $('session-empty'), clear: $('clear'), note: $('recs-note'), columns: $('rec-columns'),
};

const title = (id) => state.data?.byId.get(id)?.title ?? id;

// ---- catalogue ---------------------------------------------------------------------------------

function renderCategories() {
    const cats = state.data?.categories ?? [];
    const keep = ui.category.value;
    ui.category.replaceChildren(el('option', { value: '' }, 'All'),
        ...cats.filter((c) => c).map((c) => el('option', { value: c }, c)));
    ui.category.value = cats.includes(keep) ? keep : '';
    ui.category.disabled = cats.filter((c) => c).length === 0;
}

const MAX_SHOWN = 600; // a big catalogue is searched, not scrolled

function renderCatalogue() {
    if (!state.data) {
        ui.items.replaceChildren(el('p', { class: 'hint empty' }, 'Load data to see its items.'));
        return;
    }
    const cat = ui.category.value;
    const q = ui.search.value.trim().toLowerCase();
    const groups = new Map();
    let shown = 0;
    let matched = 0;
    for (const it of state.data.byId.values()) {
        if (cat && it.category !== cat) continue;
        if (q && !it.title.toLowerCase().includes(q) && !it.id.toLowerCase().includes(q)) continue;
        matched++;
        if (shown >= MAX_SHOWN) continue;
        shown++;
        if (!groups.has(it.category)) groups.set(it.category, []);
        groups.get(it.category).push(it);
    }
    const frag = document.createDocumentFragment();
    for (const [category, items] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
        const headingId = `cat-${category.replace(/[^a-z0-9]+/gi, '-') || 'none'}`;
        frag.append(el('section', { class: 'group' },
            el('h4', { id: headingId }, category || 'Items', el('span', { class: 'count' }, ` ${items.length}`)),
            el('ul', { class: 'item-grid', 'aria-labelledby': headingId }, ...items.map((it) => el('li', {},
                el('button', { type: 'button', class: 'item', dataset: { id: it.id }, title: `Add “${it.title}” to the session` }, it.title))))));
    }
    if (matched > shown) frag.append(el('p', { class: 'hint' }, `Showing ${shown} of ${matched}: search to find the others.`));
    if (!matched) frag.append(el('p', { class: 'hint empty' }, 'No item matches this filter.'));
    ui.items.replaceChildren(frag);
    markSession();
}

function markSession() {
    const inSession = new Set(state.session);
    for (const b of ui.items.querySelectorAll('button.item')) b.classList.toggle('in-session', inSession.has(b.dataset.id));
}

// ---- session ------------------------------------------------------------------------------------

function renderSession() {
    ui.session.replaceChildren(...state.session.map((id, i) => el('li', { class: 'chip' },
        el('span', { class: 'chip-n', 'aria-hidden': 'true' }, String(i + 1)), title(id))));
    ui.sessionEmpty.hidden = state.session.length > 0;
    ui.clear.disabled = state.session.length === 0;
    markSession();
}

export function addToSession(id) {
    if (!state.data?.byId.has(id) && !currentModels().some((m) => m.model.itemIndex(id) >= 0)) return;
    state.session.push(id);
    state.store?.addEvent({ session: state.sessionId, item: id }).then(() => emit('stored')).catch(() => {});
    emit('session');
}

// ---- recommendations ----------------------------------------------------------------------------

function heatStrip(entry) {
    if (!state.session.length || typeof entry.model.attention !== 'function') return null;
    let att;
    try { att = entry.model.attention(state.session); } catch { return null; }
    if (!att.items.length) return null;
    const max = Math.max(...att.mean, 1e-9);
    return el('div', { class: 'heat' },
        el('p', { class: 'heat-label' }, 'Attention over the session'),
        el('ol', { class: 'heat-strip', 'aria-label': 'Attention of the next-item position over the session items' },
            ...att.items.map((id, t) => {
                const w = att.mean[t];
                return el('li', { class: 'heat-cell', style: { '--a': String(w / max), '--c': modelColour(entry.name) },
                    title: `${title(id)}: ${(100 * w).toFixed(1)}% of the attention`,
                    'aria-label': `${title(id)}: ${(100 * w).toFixed(0)} percent` },
                el('span', { class: 'heat-name' }, title(id)), el('span', { class: 'heat-w' }, `${Math.round(100 * w)}%`));
            })));
}

/** The history item that counts most for `item` (item-kNN and Markov score by the last item). */
function because(entry, item) {
    if (!state.session.length || typeof entry.model.explain !== 'function') return null;
    try {
        const ex = entry.model.explain(state.session, item);
        let best = null;
        for (const h of ex.history) if (h.weight > 0 && (!best || h.weight > best.weight)) best = h;
        return best ? el('span', { class: 'why', title: `weight ${fmtScore(best.weight)}` }, `← ${title(best.item)}`) : null;
    } catch {
        return null;
    }
}

const EXPLAINS = new Set(['itemknn', 'markov']);

function column(entry) {
    const t0 = performance.now();
    let out;
    try {
        out = entry.model.recommendDetailed(state.session, { k: K }); // excludeSeen 'auto': the model's training data decides
    } catch (e) {
        return el('section', { class: 'rec-col', style: { '--c': modelColour(entry.name) } }, colHead(entry), el('p', { class: 'error-text' }, e.message));
    }
    const dt = performance.now() - t0;
    const recs = out.items;
    if (!state.session.length && recs.length > 1 && recs.every((r) => r.score === recs[0].score)) {
        // a sequence model has nothing to read in an empty session (every score is the same)
        return el('section', { class: 'rec-col', dataset: { model: entry.name, origin: entry.origin }, style: { '--c': modelColour(entry.name) } },
            colHead(entry), el('p', { class: 'hint empty col-empty' }, `${entry.label} reads the session click by click: click an item to start.`));
    }
    const top = recs.length ? Math.max(...recs.map((r) => Math.abs(r.score)), 1e-9) : 1;
    const explain = EXPLAINS.has(entry.name);
    const list = el('ol', { class: 'recs-list' }, ...recs.map((r, i) => {
        const bar = el('span', { class: 'bar', 'aria-hidden': 'true', style: { '--w': `${Math.max(2, (100 * Math.abs(r.score)) / top)}%` } });
        const it = state.data?.byId.get(r.item);
        return el('li', { class: 'rec' }, el('button', { type: 'button', class: 'rec-btn', dataset: { id: r.item },
            title: `Add “${it?.title ?? r.item}” to the session` },
        el('span', { class: 'rank' }, String(i + 1)),
        el('span', { class: 'rec-title' }, el('span', { class: 'rec-name' }, it?.title ?? r.item),
            el('span', { class: 'rec-meta' },
                (explain && because(entry, r.item)) || el('span', { class: 'rec-cat' }, it?.category ?? ''),
                el('span', { class: 'score', title: 'score' }, fmtScore(r.score)))),
        bar));
    }));
    const notes = [];
    if (out.unknown.length) notes.push(`${out.unknown.length} session item${out.unknown.length > 1 ? 's' : ''} unknown to this model (left out)`);
    notes.push(`${fmtMs(dt)}`);
    return el('section', { class: 'rec-col', dataset: { model: entry.name, origin: entry.origin }, style: { '--c': modelColour(entry.name) },
        'aria-label': `${entry.label} recommendations` },
    colHead(entry), heatStrip(entry), list, el('p', { class: 'hint col-foot' }, notes.join(' · ')));
}

function colHead(entry) {
    const origin = entry.origin === 'pretrained' ? 'pretrained' : entry.origin === 'file' ? `from ${entry.source ?? 'a file'}` : 'trained here';
    return el('header', { class: 'col-head' }, el('h3', {}, entry.label), el('span', { class: 'tag' }, origin));
}

function renderRecs() {
    const models = currentModels();
    if (!models.length) {
        ui.note.textContent = '';
        ui.columns.replaceChildren(el('p', { class: 'hint empty' }, state.data?.kind === 'file'
            ? 'No model knows these items yet: train one above (item-kNN takes a moment).'
            : 'Loading the pretrained models…'));
        return;
    }
    ui.note.textContent = state.session.length
        ? `Top ${K} after ${state.session.length} click${state.session.length > 1 ? 's' : ''}, items already in the session left out. Click a suggestion to follow it.`
        : 'The session is empty: each model shows what it suggests to a newcomer. Click an item to start.';
    ui.columns.replaceChildren(...models.map(column));
}

function restoreSession(items) {
    state.session = items.filter((id) => state.data?.byId.has(id));
    emit('session');
}

export function initPlay() {
    ui.items.addEventListener('click', (e) => {
        const b = e.target.closest('button[data-id]');
        if (b) addToSession(b.dataset.id);
    });
    ui.columns.addEventListener('click', (e) => {
        const b = e.target.closest('button[data-id]');
        if (b) addToSession(b.dataset.id);
    });
    ui.clear.addEventListener('click', () => {
        state.session = [];
        state.sessionId = `page-${Date.now().toString(36)}`; // later clicks are a new session in the log
        emit('session');
    });
    ui.category.addEventListener('change', renderCatalogue);
    ui.search.addEventListener('input', renderCatalogue);
    on('data', () => { state.session = []; renderCategories(); renderCatalogue(); renderSession(); renderRecs(); });
    on('catalogue', () => { renderCategories(); renderCatalogue(); renderSession(); renderRecs(); });
    on('session', () => { renderSession(); renderRecs(); });
    on('models', renderRecs);
    renderCatalogue();
    renderSession();
    renderRecs();
    return { restoreSession };
}
