// play.mjs: panel 4. Browse or search the catalogue, click items to build a session, and see each
// model's top 10 next items at once (main-thread models: a recommendation is a synchronous call of
// about a millisecond). "Why": item-kNN and Markov name the history item behind each suggestion;
// SASRec and BERT4Rec show their attention over the session as a heat strip. The columns sit in
// one row that scrolls sideways; each can be moved left or right or hidden (and shown again from
// the bar above them); the session stays in view (sticky) while the columns scroll by.
import { state, on, emit, currentModels, knownItems } from './state.mjs';
import { $, el, fmtScore, fmtMs, fmtInt, modelColour } from './ui.mjs';

const K = 10;
const ui = {
    category: $('category'), search: $('search'), items: $('items'), session: $('session'),
    sessionEmpty: $('session-empty'), clear: $('clear'), note: $('recs-note'), columns: $('rec-columns'), bar: $('col-bar'),
};

/**
 * An item's name: the catalogue's title; else the one a model file carries (its training data's,
 * e.g. after a reload without the titles file), from the recommendation or the models; else the id.
 */
function title(id, rec) {
    const it = state.data?.byId.get(id);
    if (it?.titled) return it.title;
    if (rec?.title) return rec.title;
    for (const m of currentModels()) {
        const i = m.model.itemIndex(id);
        const t = i >= 0 ? m.model.itemTitle(i) : '';
        if (t) return t;
    }
    return it?.title ?? id;
}

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
                const name = title(id);
                return el('li', { class: 'heat-cell', style: { '--a': String(w / max), '--c': modelColour(entry.name) },
                    title: `${name}: ${(100 * w).toFixed(1)}% of the attention`,
                    'aria-label': `${name}: ${(100 * w).toFixed(0)} percent` },
                el('span', { class: 'heat-name' }, name), el('span', { class: 'heat-w' }, `${Math.round(100 * w)}%`));
            })));
}

/** The history item that counts most for `item` (item-kNN and Markov score by the last item). */
function because(entry, item) {
    if (!state.session.length || typeof entry.model.explain !== 'function') return null;
    try {
        const ex = entry.model.explain(state.session, item);
        let best = null;
        for (const h of ex.history) if (h.weight > 0 && (!best || h.weight > best.weight)) best = h;
        return best ? el('span', { class: 'why', title: `because of ${title(best.item)} (weight ${fmtScore(best.weight)})` }, `← ${title(best.item)}`) : null;
    } catch {
        return null;
    }
}

const seenApplied = new Set(); // excludeSeen.applied of the columns just drawn

// ---- columns: order and visibility ----------------------------------------------------------------

const cols = { order: [], hidden: new Set() };
const keyOf = (entry) => `${entry.origin}:${entry.name}:${entry.source ?? entry.dataKey ?? ''}`;
const originText = (entry) => (entry.origin === 'pretrained' ? 'pretrained' : entry.origin === 'file' ? `from ${entry.source ?? 'a file'}` : 'trained here');
const fullName = (entry) => `${entry.label} (${originText(entry)})`;

/** The models in the order the columns were arranged (new ones at the end). */
function ordered(models) {
    for (const m of models) if (!cols.order.includes(keyOf(m))) cols.order.push(keyOf(m));
    return [...models].sort((a, b) => cols.order.indexOf(keyOf(a)) - cols.order.indexOf(keyOf(b)));
}

function move(key, dir) {
    const visible = ordered(currentModels()).map(keyOf).filter((k) => !cols.hidden.has(k));
    const i = visible.indexOf(key);
    const j = i + dir;
    if (i < 0 || j < 0 || j >= visible.length) return;
    const a = cols.order.indexOf(key);
    const b = cols.order.indexOf(visible[j]);
    [cols.order[a], cols.order[b]] = [cols.order[b], cols.order[a]];
    renderRecs({ focus: { key, act: dir < 0 ? 'left' : 'right' } });
}

function hide(key) {
    cols.hidden.add(key);
    renderRecs({ focus: { key, act: 'show' } });
}

function show(key) {
    cols.hidden.delete(key);
    renderRecs({ focus: { key, act: 'hide' } });
}

function colTools(entry, i, n) {
    const key = keyOf(entry);
    const name = fullName(entry);
    const tool = (act, text, label, off) => el('button', { type: 'button', class: 'tool', dataset: { key, act },
        'aria-label': label, title: label, 'aria-disabled': off ? 'true' : null }, text);
    return el('div', { class: 'col-tools', role: 'group', 'aria-label': `${name} column` },
        tool('left', '←', `Move ${name} left`, i === 0),
        tool('right', '→', `Move ${name} right`, i === n - 1),
        tool('hide', '✕', `Hide ${name}`, false));
}

function colHead(entry, i, n) {
    return el('header', { class: 'col-head' }, el('h3', {}, entry.label),
        el('div', { class: 'col-sub' }, el('span', { class: 'tag' }, originText(entry)), colTools(entry, i, n)));
}

function colShell(entry, i, n, ...children) {
    return el('section', { class: 'rec-col', dataset: { model: entry.name, origin: entry.origin, key: keyOf(entry) },
        style: { '--c': modelColour(entry.name) }, 'aria-label': `${fullName(entry)} recommendations` },
    colHead(entry, i, n), ...children);
}

/** For a model loaded from a file: how many of this data's items it knows (cached per data set). */
function knownNote(entry) {
    if (entry.origin !== 'file' || !state.data) return null;
    if (entry.knownFor?.key !== state.data.key) entry.knownFor = { key: state.data.key, n: knownItems(entry.model) };
    const n = entry.knownFor.n;
    if (n === null) return null;
    return n === 0 ? `knows none of the ${fmtInt(state.data.byId.size)} items of this data (another catalogue)`
        : `knows ${fmtInt(n)} of the ${fmtInt(state.data.byId.size)} items of this data`;
}

function column(entry, i, n) {
    const t0 = performance.now();
    let out;
    try {
        out = entry.model.recommendDetailed(state.session, { k: K }); // excludeSeen 'auto': the model's training data decides
        seenApplied.add(out.excludeSeen.applied);
    } catch (e) {
        return colShell(entry, i, n, el('p', { class: 'error-text' }, e.message));
    }
    const dt = performance.now() - t0;
    const recs = out.items;
    if (!state.session.length && recs.length > 1 && recs.every((r) => r.score === recs[0].score)) {
        // a sequence model has nothing to read in an empty session (every score is the same)
        return colShell(entry, i, n, el('p', { class: 'hint empty col-empty' }, `${entry.label} reads the session click by click: click an item to start.`));
    }
    const top = recs.length ? Math.max(...recs.map((r) => Math.abs(r.score)), 1e-9) : 1;
    const explain = entry.model.info?.can.explain === true;
    const list = el('ol', { class: 'recs-list' }, ...recs.map((r, rank) => {
        const bar = el('span', { class: 'bar', 'aria-hidden': 'true', style: { '--w': `${Math.max(2, (100 * Math.abs(r.score)) / top)}%` } });
        const it = state.data?.byId.get(r.item);
        const name = title(r.item, r);
        return el('li', { class: 'rec' }, el('button', { type: 'button', class: 'rec-btn', dataset: { id: r.item },
            title: `Add “${name}” to the session` },
        el('span', { class: 'rank' }, String(rank + 1)),
        el('span', { class: 'rec-name' }, name),
        (explain && because(entry, r.item)) || el('span', { class: 'rec-cat' }, it?.category ?? ''),
        el('span', { class: 'score', title: 'score' }, fmtScore(r.score)),
        bar));
    }));
    const notes = [];
    const known = knownNote(entry);
    if (known) notes.push(known);
    if (out.unknown.length) notes.push(`${out.unknown.length} session item${out.unknown.length > 1 ? 's' : ''} unknown to this model (left out)`);
    // a model that scores users, not histories (its info says so): the session does not move it
    if (entry.model.info?.uses.history === false) notes.push('scores users, not sessions: see “Pick a user”');
    notes.push(`${fmtMs(dt)}`);
    return colShell(entry, i, n, heatStrip(entry), list, el('p', { class: 'hint col-foot' }, notes.join(' · ')));
}

/** The bar above the columns: the hidden ones, each with a button to show it again. */
function renderBar(models) {
    const hidden = models.filter((m) => cols.hidden.has(keyOf(m)));
    const shown = models.length - hidden.length;
    const parts = [el('span', { class: 'hint' }, `${shown} of ${models.length} columns${shown > 3 ? ' (scroll sideways)' : ''} · ← → move one, ✕ hides it`)];
    if (hidden.length) {
        parts.push(el('span', { class: 'col-hidden', role: 'group', 'aria-label': 'Hidden columns' }, 'Hidden:',
            ...hidden.map((m) => el('button', { type: 'button', class: 'small show-col', dataset: { key: keyOf(m), act: 'show' },
                'aria-label': `Show ${fullName(m)}` }, `+ ${fullName(m)}`))));
    }
    ui.bar.replaceChildren(...parts);
}

function renderRecs({ focus } = {}) {
    // keep the keyboard where it was: the same button of the same column after a re-render
    const active = document.activeElement;
    const keep = focus ?? (active?.dataset?.act && (ui.columns.contains(active) || ui.bar.contains(active))
        ? { key: active.dataset.key, act: active.dataset.act } : null);
    const scroll = ui.columns.scrollLeft;
    const models = ordered(currentModels());
    if (!models.length) {
        ui.note.textContent = '';
        ui.bar.replaceChildren();
        ui.columns.replaceChildren(el('p', { class: 'hint empty' }, state.data?.kind === 'file'
            ? 'No model knows these items yet: train one above (item-kNN takes a moment).'
            : 'Loading the pretrained models…'));
        return;
    }
    const visible = models.filter((m) => !cols.hidden.has(keyOf(m)));
    renderBar(models);
    seenApplied.clear();
    ui.columns.replaceChildren(...(visible.length ? visible.map((m, i) => column(m, i, visible.length))
        : [el('p', { class: 'hint empty' }, 'Every column is hidden: show one again from the bar above.')]));
    // what the models' excludeSeen 'auto' decided: left out where the training data never repeats items
    const seen = seenApplied.size === 2 ? 'session items left out by the models whose data never repeats items'
        : seenApplied.has(true) ? 'session items left out: this data never repeats them' : 'session items can come back: this data repeats items';
    ui.note.textContent = state.session.length
        ? `Top ${K} after ${state.session.length} click${state.session.length > 1 ? 's' : ''} (${seen}); click one to follow it.`
        : 'Empty session: each model shows what it suggests to a newcomer (the most popular items). Click an item to start.';
    ui.columns.scrollLeft = scroll;
    if (keep) {
        const target = [...document.querySelectorAll('#rec-columns button[data-act], #col-bar button[data-act]')]
            .find((b) => b.dataset.key === keep.key && b.dataset.act === keep.act)
            ?? ui.columns.querySelector(`.rec-col[data-key="${CSS.escape(keep.key)}"] button[data-act]`)
            ?? ui.columns.querySelector('button[data-act]');
        target?.focus();
        target?.closest('.rec-col')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
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
        const t = e.target.closest('button[data-act]');
        if (!t || t.getAttribute('aria-disabled') === 'true') return;
        if (t.dataset.act === 'left') move(t.dataset.key, -1);
        else if (t.dataset.act === 'right') move(t.dataset.key, 1);
        else if (t.dataset.act === 'hide') hide(t.dataset.key);
    });
    ui.bar.addEventListener('click', (e) => {
        const t = e.target.closest('button[data-act="show"]');
        if (t) show(t.dataset.key);
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
    on('models', () => renderRecs());
    renderCatalogue();
    renderSession();
    renderRecs();
    return { restoreSession };
}
