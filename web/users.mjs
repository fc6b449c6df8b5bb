// users.mjs: panel 5, "pick a user". For the models whose info says they know their users
// (collaborative and CTR models: mf, the NCF family, lr, fm, ...; read from model.info, not from
// names): choose a user of the data (search by id, step through them, or draw one at random), see
// their history in time order (titles where known, and each event's label or rating), and every
// such model's top 10 for that user side by side, from recommend(history, { user }). Items
// already in the history are marked; each column says how many of its ten the first column shares.
// The histories are read from the data's own text (data.mjs historiesOf), once, on first use.
import { state, on, currentModels } from './state.mjs';
import { $, el, fmtInt, fmtScore, fmtMs, modelColour } from './ui.mjs';
import { historiesOf } from './data.mjs';
import { parseCondition } from './datatext.mjs';

const K = 10;
const LISTED = 300; // users in the choice at once: a big data set is searched
const SHOWN_HISTORY = 40;
const ui = {
    intro: $('users-intro'), search: $('user-search'), pick: $('user-pick'), random: $('user-random'), prev: $('user-prev'),
    next: $('user-next'), count: $('user-count'), history: $('user-history'), historyTitle: $('user-history-title'),
    models: $('user-models'), note: $('user-note'), recs: $('user-recs'),
};

const view = { dataKey: null, users: null, ids: [], picked: null, hidden: new Set(), loading: null };
const keyOf = (m) => `${m.origin}:${m.name}:${m.source ?? m.dataKey ?? ''}`;
const originText = (m) => (m.origin === 'pretrained' ? 'pretrained' : m.origin === 'file' ? `from ${m.source ?? 'a file'}` : 'trained here');

/** The models of this data that know their users (their info says uses.users). */
const userModels = () => currentModels().filter((m) => m.model.info?.uses.users);

/** The model families that know their users, named from the engine's info (for the hint). */
function userFamilies() {
    const e = state.engine;
    return e ? e.modelNames().filter((n) => e.modelInfo(n).uses.users) : [];
}

function title(id) {
    const it = state.data?.byId.get(id);
    return it?.title ?? id;
}

/** The user ids of the data, read once per data set (when a model that knows users is there). */
async function ensureUsers() {
    const d = state.data;
    if (!d) return false;
    if (view.dataKey === d.key && view.source === d.source && view.users) return true;
    if (view.loading?.d === d) { await view.loading.p; return view.users !== null && state.data === d; }
    const p = historiesOf(d).then((users) => {
        if (state.data !== d) return;
        view.dataKey = d.key;
        view.source = d.source;
        view.users = users;
        const collator = new Intl.Collator('en', { numeric: true });
        view.ids = [...users.keys()].sort(collator.compare);
        if (!users.has(view.picked)) view.picked = view.ids[0] ?? null;
    });
    view.loading = { d, p };
    await p;
    return state.data === d && view.users !== null;
}

function renderChoice() {
    const q = ui.search.value.trim().toLowerCase();
    const matches = q ? view.ids.filter((id) => id.toLowerCase().includes(q)) : view.ids;
    const listed = matches.slice(0, LISTED);
    if (view.picked && !listed.includes(view.picked) && matches.includes(view.picked)) listed.unshift(view.picked);
    ui.pick.replaceChildren(...listed.map((id) => el('option', { value: id, selected: id === view.picked },
        `${id} (${view.users.get(id).length} event${view.users.get(id).length === 1 ? '' : 's'})`)));
    if (!listed.includes(view.picked) && listed.length) view.picked = listed[0];
    ui.pick.value = view.picked ?? '';
    const unit = state.data.dataset.format === 'movielens' || state.data.dataset.format === 'seq' ? 'users' : 'sessions (a user each)';
    ui.count.textContent = q
        ? `${fmtInt(matches.length)} of ${fmtInt(view.ids.length)} ${unit} match${matches.length > LISTED ? `; the first ${LISTED} listed` : ''}.`
        : `${fmtInt(view.ids.length)} ${unit}${view.ids.length > LISTED ? `; the first ${LISTED} listed: search for the others` : ''}.`;
}

/** The user's events, oldest first: title, category, and the label or rating of each. */
function renderHistory(events) {
    const d = state.data;
    const label = d.dataset.labelled ? parseCondition(d.source.label) : null;
    const from = Math.max(0, events.length - SHOWN_HISTORY);
    ui.historyTitle.textContent = `History of ${view.picked}: ${events.length} event${events.length === 1 ? '' : 's'}, oldest first`;
    ui.history.replaceChildren(...(from ? [el('li', { class: 'hint more' }, `… ${from} earlier`)] : []),
        ...events.slice(from).map((e, i) => {
            const it = d.byId.get(e.item);
            const mark = Number.isNaN(e.rating) ? null : label
                ? el('span', { class: `mark ${label.test(e.rating) ? 'pos' : 'neg'}`, title: `${d.source.label}: ${label.test(e.rating) ? 'yes' : 'no'}` },
                    label.test(e.rating) ? '✓' : '·')
                : el('span', { class: 'mark', title: 'rating' }, `★${e.rating}`);
            return el('li', { class: 'hist-item', dataset: { id: e.item } },
                el('span', { class: 'chip-n', 'aria-hidden': 'true' }, String(from + i + 1)),
                el('span', { class: 'hist-name' }, title(e.item)),
                it?.category ? el('span', { class: 'rec-cat' }, it.category) : null, mark);
        }));
}

function column(entry, history, first) {
    const t0 = performance.now();
    let out;
    try {
        out = entry.model.recommendDetailed(history, { k: K, user: view.picked });
    } catch (e) {
        return el('section', { class: 'rec-col', dataset: { model: entry.name, key: keyOf(entry) }, style: { '--c': modelColour(entry.name) } },
            el('header', { class: 'col-head' }, el('h3', {}, entry.label)), el('p', { class: 'error-text' }, e.message));
    }
    const dt = performance.now() - t0;
    const seen = new Set(history);
    const recs = out.items;
    const top = recs.length ? Math.max(...recs.map((r) => Math.abs(r.score)), 1e-9) : 1;
    const notes = [];
    if (first && first !== recs) {
        const shared = recs.filter((r) => first.some((f) => f.item === r.item)).length;
        notes.push(`${shared} of ${recs.length} also in the first column`);
    }
    notes.push(fmtMs(dt));
    const col = el('section', { class: 'rec-col', dataset: { model: entry.name, origin: entry.origin, key: keyOf(entry), user: view.picked },
        style: { '--c': modelColour(entry.name) }, 'aria-label': `${entry.label} (${originText(entry)}) for ${view.picked}` },
    el('header', { class: 'col-head' }, el('h3', {}, entry.label), el('div', { class: 'col-sub' }, el('span', { class: 'tag' }, originText(entry)))),
    el('ol', { class: 'recs-list' }, ...recs.map((r, rank) => {
        const it = state.data?.byId.get(r.item);
        return el('li', { class: `rec${seen.has(r.item) ? ' seen' : ''}`, dataset: { id: r.item } }, el('div', { class: 'rec-row' },
            el('span', { class: 'rank' }, String(rank + 1)),
            el('span', { class: 'rec-name' }, it?.titled ? it.title : r.title || title(r.item)),
            el('span', { class: 'rec-cat' }, [it?.category ?? '', seen.has(r.item) ? 'in the history' : ''].filter(Boolean).join(' · ')),
            el('span', { class: 'score', title: 'score' }, fmtScore(r.score)),
            el('span', { class: 'bar', 'aria-hidden': 'true', style: { '--w': `${Math.max(2, (100 * Math.abs(r.score)) / top)}%` } })));
    })),
    el('p', { class: 'hint col-foot' }, notes.join(' · ')));
    return { col, recs };
}

function renderToggles(models) {
    ui.models.replaceChildren(el('span', { class: 'hint' }, 'Models:'), ...models.map((m) => {
        const key = keyOf(m);
        const on = !view.hidden.has(key);
        return el('button', { type: 'button', class: 'small model-toggle', 'aria-pressed': on ? 'true' : 'false', dataset: { key, model: m.name },
            style: { '--c': modelColour(m.name) }, onclick: () => { if (on) view.hidden.add(key); else view.hidden.delete(key); render(); } },
        `${m.label} (${originText(m)})`);
    }));
}

let renderGen = 0;
async function render() {
    const gen = ++renderGen;
    const models = userModels();
    const families = userFamilies();
    if (!state.data || !models.length) {
        ui.intro.textContent = `The models that know their users (${families.join(', ')}) score a user by what they learnt of that user, ` +
            'not by a session: train one in panel 2 to pick a user here.';
        for (const c of [ui.pick, ui.search, ui.random, ui.prev, ui.next]) c.disabled = true;
        ui.pick.replaceChildren();
        ui.count.textContent = '';
        ui.history.replaceChildren();
        ui.historyTitle.textContent = 'History';
        ui.models.replaceChildren();
        ui.note.textContent = '';
        ui.recs.replaceChildren(el('p', { class: 'hint empty' }, 'No model of this data knows its users yet.'));
        return;
    }
    ui.intro.textContent = 'Each model that knows its users gives its top 10 for the user you pick, from that user\'s own ' +
        'vector (a user it never trained on is scored from the history, or gets the most popular items). Switch users and compare.';
    if (!await ensureUsers() || gen !== renderGen) return;
    for (const c of [ui.pick, ui.search, ui.random, ui.prev, ui.next]) c.disabled = false;
    renderChoice();
    const events = view.users.get(view.picked) ?? [];
    renderHistory(events);
    renderToggles(models);
    const history = events.map((e) => e.item);
    const shown = models.filter((m) => !view.hidden.has(keyOf(m)));
    let first = null;
    const cols = shown.map((m) => {
        const c = column(m, history, first);
        if (c.recs && !first) first = c.recs;
        return c.col ?? c;
    });
    ui.recs.replaceChildren(...(cols.length ? cols : [el('p', { class: 'hint empty' }, 'Every model is switched off: switch one on above.')]));
    ui.recs.dataset.user = view.picked ?? '';
    ui.note.textContent = `Top ${K} for ${view.picked}, who has ${events.length} event${events.length === 1 ? '' : 's'}` +
        `${shown.length > 1 ? '; each column counts what it shares with the first' : ''}.`;
}

function step(dir) {
    const options = [...ui.pick.options].map((o) => o.value);
    const i = options.indexOf(view.picked);
    const j = i + dir;
    if (j >= 0 && j < options.length) { view.picked = options[j]; render(); }
}

export function initUsers() {
    ui.pick.addEventListener('change', () => { view.picked = ui.pick.value; render(); });
    ui.search.addEventListener('input', () => render());
    ui.random.addEventListener('click', () => {
        if (!view.ids.length) return;
        view.picked = view.ids[Math.floor(Math.random() * view.ids.length)];
        ui.search.value = '';
        render();
    });
    ui.prev.addEventListener('click', () => step(-1));
    ui.next.addEventListener('click', () => step(1));
    on('data', () => { ui.search.value = ''; render(); });
    on('models', render);
    on('catalogue', render);
    render();
}
