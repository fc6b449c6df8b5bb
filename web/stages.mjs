// stages.mjs: panel 7, first half, "the two stages". For a trained pipeline (a model with a
// retrieval and a ranking stage): pick a session of the data (or take the playground's), and see
// model.twoStage(history): the N candidates in the retrieval stage's order (left), then the same
// candidates in the ranking stage's order with its scores and how far each moved (retrievedAt ->
// its new place). The session's last click is hidden by default and marked where it lands in both
// lists. Beside it, a measurement over a few hundred sessions of the data (each one's last click
// hidden): how often it is in the retrieval's top 10, in the re-ranked top 10, and among the N
// candidates at all (the retrieval's recall@N, the ceiling of any re-ranking).
import { state, on, currentModels } from './state.mjs';
import { $, el, fmtInt, fmtScore, modelColour, modelLabel, nextFrame } from './ui.mjs';
import { historiesOf } from './data.mjs';

const K = 10;
const SHOWN = 20; // of each list, unless "every candidate"
const LISTED = 300; // sessions in the choice
const SAMPLE = 300; // sessions measured
const ui = {
    intro: $('two-intro'), model: $('two-model'), user: $('two-user'), prev: $('two-prev'), next: $('two-next'), random: $('two-random'),
    play: $('two-play'), hide: $('two-hide'), all: $('two-all'), note: $('two-note'), summary: $('two-summary'),
    candidates: $('two-candidates'), ranked: $('two-ranked'), candTitle: $('two-cand-title'), rankedTitle: $('two-ranked-title'),
};

const view = { users: null, ids: [], picked: null, source: 'user', dataKey: null, measured: new Map(), loading: null };
const keyOf = (m) => `${m.origin}:${m.id}`;

/** The pipelines of this data: the models whose twoStage answers (the binding's pipeline). */
const pipelines = () => currentModels().filter((m) => m.model.name === 'pipeline');
const current = () => pipelines().find((m) => keyOf(m) === ui.model.value) ?? pipelines()[0] ?? null;

function title(id, rec) {
    const it = state.data?.byId.get(id);
    return it?.titled ? it.title : rec?.title || it?.title || id;
}

async function ensureUsers() {
    const d = state.data;
    if (!d) return false;
    if (view.dataKey === d.key && view.users && view.d === d) return true;
    const users = await historiesOf(d);
    if (state.data !== d) return false;
    view.d = d;
    view.dataKey = d.key;
    view.users = users;
    const collator = new Intl.Collator('en', { numeric: true });
    view.ids = [...users.keys()].sort(collator.compare);
    if (!users.has(view.picked)) view.picked = view.ids[0] ?? null;
    view.measured.clear();
    return true;
}

/** The query: a user's events (the last one hidden, as the target) or the playground's session. */
function query() {
    if (view.source === 'session') return { history: state.session.slice(), target: null, user: undefined, label: 'the playground’s session' };
    const items = (view.users.get(view.picked) ?? []).map((e) => e.item);
    const hide = ui.hide.checked && items.length > 1;
    return { history: hide ? items.slice(0, -1) : items, target: hide ? items.at(-1) : null, user: view.picked, label: `session ${view.picked}` };
}

function moveText(from, to) {
    const d = from - to;
    return d > 0 ? { text: `↑${d}`, cls: 'up' } : d < 0 ? { text: `↓${-d}`, cls: 'down' } : { text: '=', cls: 'same' };
}

function row(r, place, { target, extra, score, cls = '' }) {
    return el('li', { class: `two-item${r.item === target ? ' target' : ''}${cls}`, dataset: { id: r.item, place: String(place + 1) } },
        el('span', { class: 'rank' }, String(place + 1)),
        el('span', { class: 'rec-name' }, title(r.item, r)),
        el('span', { class: 'rec-cat' }, [state.data?.byId.get(r.item)?.category ?? '', r.item === target ? 'the hidden last click' : ''].filter(Boolean).join(' · ')),
        extra ?? el('span', { class: 'to' }),
        el('span', { class: 'score', title: score }, fmtScore(r.score)));
}

function render() {
    const entry = current();
    ui.model.replaceChildren(...pipelines().map((m) => el('option', { value: keyOf(m), selected: m === entry }, m.label)));
    const off = !entry || !view.users;
    for (const c of [ui.model, ui.user, ui.prev, ui.next, ui.random, ui.play, ui.hide, ui.all]) c.disabled = off;
    ui.play.disabled = off || !state.session.length;
    if (!entry) {
        ui.intro.textContent = 'A pipeline retrieves candidates with one model (a two-tower through its index, or any model) and orders ' +
            'them with another. Train one in panel 2 (“Pipeline”) to see both stages for a session here.';
        ui.note.textContent = '';
        ui.summary.textContent = '';
        ui.user.replaceChildren();
        ui.candidates.replaceChildren(el('li', { class: 'hint empty' }, 'No pipeline of this data yet.'));
        ui.ranked.replaceChildren();
        document.getElementById('stages').dataset.two = 'empty';
        return;
    }
    ui.intro.textContent = 'Stage 1 hands its best candidates to stage 2, which orders only those: what stage 1 missed, ' +
        'stage 2 never sees. Hover an item to find it in the other list.';
    if (!view.users) return;
    ui.user.replaceChildren(...view.ids.slice(0, LISTED).map((id) => el('option', { value: id, selected: id === view.picked },
        `${id} (${view.users.get(id).length} events)`)));
    if (!view.ids.slice(0, LISTED).includes(view.picked)) ui.user.prepend(el('option', { value: view.picked, selected: true }, view.picked));
    const q = query();
    let out;
    try {
        out = entry.model.twoStage(q.history, q.user === undefined ? {} : { user: q.user });
    } catch (e) {
        ui.note.textContent = e.message;
        ui.note.classList.add('error-text');
        return;
    }
    ui.note.classList.remove('error-text');
    const n = out.candidates.length;
    const shown = ui.all.checked ? n : Math.min(SHOWN, n);
    const top = new Map(out.ranked.slice(0, K).map((r, i) => [r.item, i]));
    ui.candTitle.textContent = `Stage 1, ${modelLabel(out.retrieve)}: ${fmtInt(n)} candidates in the retrieval order`;
    ui.rankedTitle.textContent = `Stage 2, ${modelLabel(out.rank)}: the same ${fmtInt(n)}, re-ranked (score, and the move from the retrieval place)`;
    ui.candidates.replaceChildren(...out.candidates.slice(0, shown).map((r, i) => row(r, i, {
        target: q.target, score: `${modelLabel(out.retrieve)} score`, cls: top.has(r.item) ? ' kept' : '',
        extra: top.has(r.item) ? el('span', { class: 'to', title: 're-ranked place' }, `→ ${top.get(r.item) + 1}`) : null,
    })));
    ui.ranked.replaceChildren(...out.ranked.slice(0, shown).map((r, i) => {
        const mv = moveText(r.retrievedAt, i);
        return row(r, i, {
            target: q.target, score: `${modelLabel(out.rank)} score`, cls: i < K ? ' kept' : '',
            extra: el('span', { class: `move ${mv.cls}`, title: `place ${r.retrievedAt + 1} in the retrieval order` }, `from ${r.retrievedAt + 1} ${mv.text}`),
        });
    }));
    if (n > shown) for (const list of [ui.candidates, ui.ranked]) list.append(el('li', { class: 'hint more' }, `… ${fmtInt(n - shown)} more (tick “every candidate”)`));
    // a sentence on what moved
    const fromBelow = out.ranked.slice(0, K).filter((r) => r.retrievedAt >= K).length;
    const biggest = out.ranked.slice(0, K).reduce((a, r, i) => (r.retrievedAt - i > (a ? a.retrievedAt - a.at : 0) ? { ...r, at: i } : a), null);
    const parts = [`For ${q.label} (${fmtInt(q.history.length)} clicks${q.target ? `, its last one hidden` : ''}): ${fromBelow} of the re-ranked top ${K} came from below the retrieval’s top ${K}`];
    if (biggest) parts.push(`the biggest move: ${title(biggest.item, biggest)} from ${biggest.retrievedAt + 1} to ${biggest.at + 1}`);
    if (q.target) {
        const a = out.candidates.findIndex((r) => r.item === q.target);
        const b = out.ranked.findIndex((r) => r.item === q.target);
        parts.push(a < 0 ? `the hidden last click is not among the ${fmtInt(n)} candidates, so no re-ranking can reach it`
            : `the hidden last click is at ${a + 1} in the retrieval order and at ${b + 1} after re-ranking`);
    }
    ui.note.textContent = `${parts.join('; ')}.`;
    const sec = document.getElementById('stages');
    sec.dataset.two = 'ready';
    sec.dataset.twoQuery = q.user ?? 'session';
    sec.style.setProperty('--c', modelColour(entry.name));
    measure(entry).catch((e) => console.warn(`two stages: ${e.message}`));
}

/**
 * Over SAMPLE sessions of the data (evenly spaced, each with at least two events; the last one
 * hidden): the share whose last click is in the retrieval's top 10, in the re-ranked top 10, and
 * among the candidates. In chunks, so the page stays responsive; once per model.
 */
async function measure(entry) {
    const key = keyOf(entry);
    const done = view.measured.get(key);
    if (done) { ui.summary.textContent = done; return; }
    if (view.loading === key) return;
    view.loading = key;
    ui.summary.textContent = `Measuring on ${SAMPLE} sessions…`;
    const ids = view.ids.filter((id) => view.users.get(id).length >= 2);
    const step = Math.max(1, ids.length / SAMPLE);
    const picked = Array.from({ length: Math.min(SAMPLE, ids.length) }, (_, i) => ids[Math.floor(i * step)]);
    let before = 0, after = 0, found = 0, n = 0;
    try {
        for (let i = 0; i < picked.length; i++) {
            if (i % 25 === 0) await nextFrame();
            if (current() !== entry || entry.model.disposed) return;
            const items = view.users.get(picked[i]).map((e) => e.item);
            const target = items.at(-1);
            const out = entry.model.twoStage(items.slice(0, -1), { user: picked[i] });
            const a = out.candidates.findIndex((r) => r.item === target);
            const b = out.ranked.findIndex((r) => r.item === target);
            n++;
            if (a >= 0) found++;
            if (a >= 0 && a < K) before++;
            if (b >= 0 && b < K) after++;
        }
    } finally {
        if (view.loading === key) view.loading = null;
    }
    const pct = (x) => `${((100 * x) / n).toFixed(1)}%`;
    const text = `Over ${n} sessions of the data, each one’s last click hidden: it is in the retrieval’s top ${K} for ${pct(before)}, ` +
        `in the re-ranked top ${K} for ${pct(after)}, and among the ${fmtInt(entry.model.params.candidates ?? 0) || 'N'} candidates for ${pct(found)} ` +
        '(the retrieval’s recall: no re-ranking goes above it). ' +
        (protocolOf(entry) === 'loo' ? 'Trained leave-one-out, the model never saw these last clicks.'
            : 'Trained on held-out events, the model saw some of these last clicks: the figures flatter it.');
    view.measured.set(key, text);
    ui.summary.textContent = text;
    Object.assign(ui.summary.dataset, { before: String(before / n), after: String(after / n), found: String(found / n), n: String(n) });
}

/** The protocol a model was trained under (train.mjs keeps its setup on the entry), or null. */
function protocolOf(entry) {
    try { return entry.setup ? JSON.parse(entry.setup).protocol : null; } catch { return null; }
}

async function refresh() {
    if (pipelines().length && !await ensureUsers()) return;
    render();
}

function step(dir) {
    const i = view.ids.indexOf(view.picked) + dir;
    if (i >= 0 && i < view.ids.length) { view.picked = view.ids[i]; view.source = 'user'; render(); }
}

/** Hovering an item marks it in both lists. */
function hover(e) {
    const li = e.target?.closest?.('.two-item');
    for (const x of document.querySelectorAll('.two-item.hover')) x.classList.remove('hover');
    if (!li) return;
    for (const x of document.querySelectorAll(`.two-item[data-id="${CSS.escape(li.dataset.id)}"]`)) x.classList.add('hover');
}

export function initStages() {
    ui.model.addEventListener('change', render);
    ui.user.addEventListener('change', () => { view.picked = ui.user.value; view.source = 'user'; render(); });
    ui.prev.addEventListener('click', () => step(-1));
    ui.next.addEventListener('click', () => step(1));
    ui.random.addEventListener('click', () => {
        if (!view.ids.length) return;
        view.picked = view.ids[Math.floor(Math.random() * view.ids.length)];
        view.source = 'user';
        render();
    });
    ui.play.addEventListener('click', () => { view.source = 'session'; render(); });
    ui.hide.addEventListener('change', render);
    ui.all.addEventListener('change', render);
    for (const list of [ui.candidates, ui.ranked]) {
        list.addEventListener('mouseover', hover);
        list.addEventListener('mouseleave', () => hover({ target: null }));
    }
    on('data', () => { view.users = null; view.measured.clear(); refresh(); });
    on('models', refresh);
    on('catalogue', refresh);
    on('session', () => { if (view.source === 'session') render(); else ui.play.disabled = !current() || !state.session.length; });
    refresh();
}
