// data.mjs: panel 1. The demo store (generated and parsed here: a few hundred ms) or a local file
// (picker or drag-and-drop), parsed in a worker so that a big file never freezes the page; either
// gives the catalogue and the summary, and training workers parse their own copy. Bad files show
// the engine's message (file, line, field), with the offer to skip bad lines when that can help
// (not for an empty file or one that is no text at all). A titles file says how many ids it matched.
// Features and labels: the demo store comes with its side tables (a session's device and region,
// an item's category, group and price) and a purchase label; a file can get user and item tables
// and a label or drop condition on its rating column. Each change parses the data again (the
// engine's own check of every line), and the data view lists what the engine will use: each field
// of the side tables and of the events' context with its kind, number of values and examples (the
// engine's own encoding, Dataset.fields), the rating column's values and the label's positive
// share (read from the text by datatext.mjs). A field's kind can be set (user.age=categorical), and
// the timestamps can give each event's hour and weekday as context.
import { state, emit, STORE, DEMO_KEY } from './state.mjs';
import { $, el, fmtInt, fmtBytes, errorText, nextFrame } from './ui.mjs';
import { histogramChart } from './charts.mjs';
import { countedWorker } from './privacy.mjs';
import { summarize, histories, parseCondition } from './datatext.mjs';

const ui = {
    useDemo: $('use-demo'), file: $('file'), drop: $('drop'), skipBad: $('skip-bad'), format: $('format'),
    titles: $('titles'), error: $('data-error'), source: $('sum-source'), fmt: $('sum-format'),
    users: $('sum-users'), items: $('sum-items'), events: $('sum-events'), skipped: $('sum-skipped'),
    skipReason: $('sum-skip-reason'), titled: $('sum-titles'), hist: $('hist'),
    ratingInfo: $('rating-info'), labelExpr: $('label-expr'), dropExpr: $('drop-expr'), labelApply: $('label-apply'),
    labelInfo: $('label-info'), usersFile: $('users-file'), itemsFile: $('items-file'), featuresNote: $('features-note'),
    featuresBody: $('features-body'), kindsExpr: $('kinds-expr'), timeHour: $('time-hour'), timeWeekday: $('time-weekday'),
    kindsApply: $('kinds-apply'),
};

/** The demo store's purchase label (the generator's label column: 1 = bought). */
const DEMO_LABEL = 'label==1';
const SIDES = ['users', 'items'];

const FORMAT_NAMES = { csv: 'CSV / TSV', movielens: 'MovieLens', seq: 'user item lines', otto: 'OTTO JSON lines' };

let histogram = null;
let parser = null; // the worker that parses local files (a promise of a WorkerEngine)
let lastFile = null; // the source of the last file tried, to retry with other options

function showError(title, message, { canSkip = false } = {}) {
    ui.error.replaceChildren(el('p', {}, el('strong', {}, title)), el('p', { class: 'error-message' }, message));
    if (canSkip) {
        ui.error.append(el('p', {},
            'Fix that line, or load the rest and count what is skipped: ',
            el('button', { type: 'button', class: 'small', onclick: () => { ui.skipBad.checked = true; retry(); } }, 'Skip bad lines and retry')));
    }
    ui.error.hidden = false;
}

// dataset is a Dataset (demo store) or a WorkerDataset (local file): awaiting covers both
async function catalogueOf(dataset) {
    const byId = new Map();
    for (const it of await dataset.catalogue()) byId.set(it.id, { ...it, title: it.title || it.id, titled: !!it.title });
    const categories = [...new Set([...byId.values()].map((it) => it.category))].sort((a, b) => a.localeCompare(b));
    return { byId, categories };
}

async function setData(next) {
    next.lengths = await next.dataset.lengths();
    const old = state.data;
    state.data = next;
    old?.dataset.dispose();
    renderSummary();
    renderDataView();
    emit('data');
    describe(next).catch((e) => console.warn(`data view: ${e.message}`));
}

/**
 * The engine's options for a source: format, side tables, label and drop (the training workers
 * parse their own copy with the same options; under leave-one-out without the label).
 */
function datasetOptions(src) {
    const o = { format: src.format, source: src.name, skipBad: src.skipBad };
    for (const side of SIDES) if (src.sides[side]) o[side] = src.sides[side].text;
    if (src.label) o.label = src.label;
    if (src.drop) o.drop = src.drop;
    if (src.featureKinds) o.featureKinds = parseKinds(src.featureKinds);
    if (src.timeContext?.length) o.timeContext = src.timeContext;
    return o;
}

/** 'user.age=categorical, ctx.hour=numeric' as the engine's featureKinds; the engine checks the fields and kinds. */
function parseKinds(text) {
    const kinds = {};
    for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
        const eq = part.indexOf('=');
        if (eq <= 0) throw new RangeError(`feature kinds: "${part}" is not field=kind (like user.age=categorical)`);
        kinds[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    return kinds;
}

/** Parses a source: the demo store here (a few hundred ms), a file in the parser worker. */
async function parse(src) {
    if (src.kind === 'demo') return state.engine.dataset(src.text, datasetOptions(src));
    parser ??= countedWorker();
    return (await parser).dataset(src.bytes.slice(), datasetOptions(src)); // a copy moves to the worker
}

/** The data's text (the demo store's, or the file's decoded once): what datatext.mjs reads. */
export async function textOf(d) {
    if (d.source.text === undefined) {
        await nextFrame();
        d.source.text = new TextDecoder().decode(d.source.bytes);
    }
    return d.source.text;
}

/** Each user's events in time order ({ item, ts, rating }), read once per data set on first use. */
export function historiesOf(d) {
    d.histories ??= textOf(d).then((text) => histories(text, d.dataset.format, { drop: d.source.drop }));
    return d.histories;
}

function renderSummary() {
    const d = state.data;
    const ds = d.dataset;
    ui.source.textContent = d.label;
    ui.fmt.textContent = FORMAT_NAMES[ds.format] ?? ds.format;
    ui.users.textContent = fmtInt(ds.users);
    // MovieLens and "user item" files group by user; shop logs and OTTO by session
    const byUser = ds.format === 'movielens' || ds.format === 'seq';
    $('sum-users-label').textContent = byUser ? 'Users' : 'Sessions';
    $('hist-caption').textContent = byUser ? 'Events per user' : 'Events per session';
    ui.items.textContent = fmtInt(ds.items);
    ui.events.textContent = fmtInt(ds.events);
    ui.skipped.textContent = fmtInt(ds.skipped);
    ui.skipped.classList.toggle('warn', ds.skipped > 0);
    ui.skipReason.textContent = ds.skipped > 0 ? `First skipped line: ${ds.skipReason}` : '';
    renderTitled();
    histogram?.destroy();
    histogram = null;
    ui.hist.replaceChildren();
    histogram = histogramChart(ui.hist, d.lengths);
}

/** How many items have a title, after a titles file: what it matched. */
function renderTitled() {
    const d = state.data;
    const t = d?.titlesAdded;
    ui.titled.classList.remove('warn');
    if (!t) { ui.titled.textContent = ''; return; }
    const items = d.dataset.items;
    if (d.dataset.titled === 0) {
        ui.titled.textContent = `Titles: none of the ids in ${t} is an item of this data (0 of the ${fmtInt(items)} items matched): ` +
            'is it the titles file of another data set?';
        ui.titled.classList.add('warn');
    } else {
        ui.titled.textContent = `Titles: ${fmtInt(d.dataset.titled)} of ${fmtInt(items)} items matched (${t}).`;
        ui.titled.classList.toggle('warn', d.dataset.titled < items);
    }
}

// ---- the data view: features and labels ---------------------------------------------------------

const KIND_NAMES = { categorical: 'categorical', multi: 'multi-valued', numeric: 'numeric, bucketed' };
const pct = (a, b) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '–');
const fmtNum = (x) => (!Number.isFinite(x) ? '–' : x.toLocaleString('en', { maximumFractionDigits: 3, useGrouping: false }));

/** The models whose info says they use side features (the page names them from the engine, not a list). */
function featureModels() {
    const e = state.engine;
    return e ? e.modelNames().filter((n) => e.modelInfo(n).uses.features) : [];
}

/** What can be said at once (the engine's flags and counts); describe() fills in the rest. */
function renderDataView() {
    const d = state.data;
    const ds = d.dataset;
    ui.labelExpr.disabled = ui.dropExpr.disabled = ui.labelApply.disabled = !ds.hasRatings;
    ui.ratingInfo.textContent = ds.hasRatings ? 'Reading the rating column…'
        : 'No rating or label column: every event is an interaction (implicit feedback). A label needs one ' +
          '(MovieLens ratings, or a CSV column named rating, label, score, click or clicked).';
    ui.labelInfo.textContent = '';
    ui.labelInfo.classList.remove('warn');
    showOptions(d.source);
    renderFields(d);
    document.getElementById('data').dataset.view = 'pending';
}

/** The options in use, in their inputs. */
function showOptions(src) {
    ui.labelExpr.value = src.label;
    ui.dropExpr.value = src.drop;
    ui.kindsExpr.value = src.featureKinds ?? '';
    ui.timeHour.checked = !!src.timeContext?.includes('hour');
    ui.timeWeekday.checked = !!src.timeContext?.includes('weekday');
}

/** The fields as the engine encoded them (Dataset.fields): the table, the note, and d.sideFields for the panels that read them. */
function renderFields(d) {
    const ds = d.dataset;
    const byUser = ds.format === 'movielens' || ds.format === 'seq';
    const fields = ds.fields.map((f) => ({ ...f, name: f.field, examples: f.kind === 'numeric' ? [] : f.counts.slice(0, 4) }));
    d.sideFields = {}; // each side table's fields, for the new-visitor and new-item panels
    const notes = [];
    for (const side of SIDES) {
        const t = d.source.sides[side];
        const own = fields.filter((f) => f.side === side);
        if (!t || !own.length) continue;
        const matched = Math.max(...own.map((f) => f.rows));
        d.sideFields[side] = { matched, fields: own };
        const unit = side === 'items' ? 'items' : byUser ? 'users' : 'sessions';
        notes.push(`${t.name}: ${fmtInt(matched)} of ${fmtInt(side === 'users' ? ds.users : ds.items)} ${unit} have features`);
    }
    if (ds.context) notes.unshift(contextNote(ds));
    if (fields.length) {
        notes.push(`${fmtInt(ds.features)} feature values in all, used by ${featureModels().join(', ')}.`);
    } else {
        notes.push(`No side features: add a ${byUser ? 'user' : 'user (session)'} or an item table. ` +
            `${featureModels().join(', ')} use them; without, they learn from the ids alone.`);
    }
    ui.featuresNote.textContent = notes.join(' · ');
    ui.featuresBody.replaceChildren(...(fields.length ? fields.map((x) => el('tr', { dataset: { field: x.name, kind: x.kind, side: x.side } },
        el('th', { scope: 'row' }, el('code', {}, x.name)),
        el('td', { dataset: { col: 'kind' } }, KIND_NAMES[x.kind]),
        el('td', { class: 'num', dataset: { col: 'values' } }, fmtInt(x.values)),
        el('td', { class: 'examples', dataset: { col: 'examples' } }, x.kind === 'numeric'
            ? `${fmtNum(x.range?.[0] ?? NaN)}–${fmtNum(x.range?.[1] ?? NaN)} in ${x.values} quantile buckets (q0–q9)`
            : x.examples.map(([v, c]) => `${v} (${fmtInt(c)})`).join(', ') + (x.values > x.examples.length ? ', …' : ''))))
        : [el('tr', { class: 'empty' }, el('td', { colSpan: 4 }, 'No side tables or context.'))]));
    emit('sides');
}

/** What a CSV's extra columns became: each event's context, as the engine encoded it. */
const contextNote = (ds) => `Events: ${ds.context} (read by ${featureModels().join(', ')})`;

/** The rating values and the label's share, from the data's text (async, chunked). */
async function describe(d) {
    const ds = d.dataset;
    if (ds.hasRatings) {
        const summary = d.summary ?? await summarize(await textOf(d), ds.format);
        d.summary = summary;
        if (state.data !== d) return;
        if (summary.ratings) renderRatings(d, summary);
    }
    document.getElementById('data').dataset.view = 'ready';
}

/** The rating column's values (few: each with its share, or their range), the drop and the label's share. */
function renderRatings(d, summary) {
    const ds = d.dataset;
    const values = [...summary.ratings].sort((a, b) => a[0] - b[0]);
    const total = values.reduce((a, [, c]) => a + c, 0);
    const name = summary.ratingName;
    ui.ratingInfo.replaceChildren(`Rating column `, el('code', {}, name), ': ',
        values.length <= 12
            ? `${values.length} values: ${values.map(([v, c]) => `${fmtNum(v)} (${pct(c, total)})`).join(' · ')}`
            : `${fmtInt(values.length)} values from ${fmtNum(values[0][0])} to ${fmtNum(values.at(-1)[0])}, ` +
              `mean ${fmtNum(values.reduce((a, [v, c]) => a + v * c, 0) / total)}`,
        '.');
    const label = parseCondition(d.source.label);
    const drop = parseCondition(d.source.drop);
    const kept = values.filter(([v]) => !drop?.test(v));
    const keptN = kept.reduce((a, [, c]) => a + c, 0);
    const parts = [];
    if (drop) parts.push(el('span', {}, 'Drop ', el('code', {}, d.source.drop), `: ${fmtInt(total - keptN)} events left out, ${fmtInt(ds.events)} kept. `));
    if (label && ds.labelled) {
        const pos = kept.filter(([v]) => label.test(v)).reduce((a, [, c]) => a + c, 0);
        d.positiveShare = keptN ? pos / keptN : undefined; // train.mjs estimates a pipeline's steps with it
        parts.push(el('span', { id: 'label-share', dataset: { positive: String(pos), events: String(keptN) } }, 'Label ', el('code', {}, d.source.label),
            `: ${pct(pos, keptN)} positive (${fmtInt(pos)} of ${fmtInt(keptN)} events). `));
        parts.push('Leave-one-out ranks each user\'s last event and leaves the label out; the held-out protocols (Train and compare) ' +
            'rank the positive events and measure AUC, GAUC and logloss on every labelled one.');
    } else {
        parts.push(`No label: give one (${name}>=4, ${name}==1, …) for the CTR models and AUC and logloss.`);
    }
    ui.labelInfo.replaceChildren(...parts);
}

/** Generates the demo store in the page (a few hundred ms) and makes it the current data. */
export async function loadDemo() {
    ui.error.hidden = true;
    await nextFrame();
    const { events, users, items } = state.engine.generate({ ...STORE, features: true });
    const src = {
        kind: 'demo', name: 'demo-store.csv', text: events, format: 'csv', skipBad: false, label: DEMO_LABEL, drop: '',
        sides: { users: { name: 'sessions.csv', text: users }, items: { name: 'items.csv', text: items } },
    };
    await useSource(src, parse(src), {
        key: DEMO_KEY, kind: 'demo', titles: [],
        label: `Demo store (generated here: ${fmtInt(STORE.sessions)} shoppers, seed ${STORE.seed})`,
    });
}

/** Makes a parsed source the current data. */
async function useSource(src, parsed, fields) {
    const dataset = await parsed;
    await setData({ ...fields, dataset, source: src, bytes: src.bytes ?? null,
        options: datasetOptions(src), ...await catalogueOf(dataset) });
}

/**
 * Parses the current data again with other side tables, label or drop; on failure the data stays
 * as it was and the error is shown. Titles added before are added again.
 */
async function reparse(changes, what) {
    const d = state.data;
    if (!d) return false;
    const src = { ...d.source, ...changes, sides: { ...d.source.sides, ...changes.sides } };
    ui.error.hidden = true;
    emit('status', { text: `Reading ${d.source.name} again with ${what}…` });
    let dataset;
    try {
        dataset = await parse(src);
        for (const t of d.titles ?? []) await dataset.loadTitles(t.bytes.slice(), { source: t.name });
    } catch (e) {
        dataset?.dispose();
        showError(`${what} not applied:`, errorText(e));
        emit('status', { text: `${what} not applied; the data stays as it was.`, kind: 'error' });
        showOptions(d.source);
        return false;
    }
    await useSource(src, dataset, { key: d.key, kind: d.kind, label: d.label, titles: d.titles, titlesAdded: d.titlesAdded });
    emit('status', { text: `${d.source.name}: ${what} applied.`, kind: 'ready' });
    return true;
}

/** Parses a local file; on failure the current data stays and the error is shown. */
export async function loadFile(name, bytes) {
    const src = { kind: 'file', name, bytes, format: ui.format.value, skipBad: ui.skipBad.checked, label: '', drop: '', sides: {} };
    lastFile = src;
    ui.error.hidden = true;
    emit('status', { text: `Reading ${name} (${fmtBytes(bytes.length)})…` });
    let dataset;
    try {
        dataset = await parse(src);
    } catch (e) {
        // an empty file, or one that is no text at all: skipping lines cannot help, so no offer
        const whole = /the file is empty|this is not a text file of interactions/.test(e.message ?? '');
        lastFile = whole ? null : lastFile;
        showError(`${name} was not loaded:`, errorText(e), { canSkip: e.name === 'WasmrecError' && !whole && !src.skipBad });
        emit('status', { text: `${name} was not loaded; the ${state.data ? 'previous data stays' : 'page has no data'}.`, kind: 'error' });
        return false;
    }
    await useSource(src, dataset, {
        key: `file:${name}:${bytes.length}`, kind: 'file', titles: [],
        label: `${name} (${fmtBytes(bytes.length)}, read on this device)`,
    });
    emit('status', { text: `Loaded ${name}: ${fmtInt(dataset.users)} sessions, ${fmtInt(dataset.items)} items` +
        (dataset.skipped ? `, ${fmtInt(dataset.skipped)} bad lines skipped.` : '.'), kind: 'ready' });
    return true;
}

function retry() {
    if (lastFile) loadFile(lastFile.name, lastFile.bytes);
}

/** A user or item table from a file: the data is parsed again with it (the engine checks it). */
async function addSide(side, file) {
    if (!state.data) return;
    const text = new TextDecoder().decode(await readFile(file));
    await reparse({ sides: { [side]: { name: file.name, text } } }, `${side === 'users' ? 'user' : 'item'} features from ${file.name}`);
}

function applyKinds() {
    const d = state.data;
    if (!d) return;
    const featureKinds = ui.kindsExpr.value.trim();
    const timeContext = [ui.timeHour.checked && 'hour', ui.timeWeekday.checked && 'weekday'].filter(Boolean);
    const was = d.source.timeContext ?? [];
    if (featureKinds === (d.source.featureKinds ?? '') && timeContext.join() === was.join()) return;
    const what = [featureKinds !== (d.source.featureKinds ?? '') ? (featureKinds ? `the kinds ${featureKinds}` : 'the detected kinds') : '',
        timeContext.join() !== was.join() ? (timeContext.length ? `the time context ${timeContext.join(', ')}` : 'no time context') : ''].filter(Boolean).join(' and ');
    reparse({ featureKinds, timeContext }, what);
}

function applyLabel() {
    const d = state.data;
    if (!d) return;
    const label = ui.labelExpr.value.trim();
    const drop = ui.dropExpr.value.trim();
    if (label === d.source.label && drop === d.source.drop) return;
    const what = [label !== d.source.label ? (label ? `the label ${label}` : 'no label') : '',
        drop !== d.source.drop ? (drop ? `drop ${drop}` : 'nothing dropped') : ''].filter(Boolean).join(' and ');
    reparse({ label, drop }, what);
}

async function readFile(file) {
    return new Uint8Array(await file.arrayBuffer());
}

async function loadTitles(file) {
    const d = state.data;
    if (!d) return;
    try {
        const bytes = await readFile(file);
        await d.dataset.loadTitles(bytes.slice(), { source: file.name });
        // the training workers parse their own copy of the data: they add the same titles
        d.titles = [...(d.titles ?? []), { name: file.name, bytes }];
        d.titlesAdded = file.name;
        Object.assign(d, await catalogueOf(d.dataset));
        ui.error.hidden = true;
        renderTitled();
        emit('catalogue');
        emit('status', { text: `Titles from ${file.name}: ${fmtInt(d.dataset.titled)} of ${fmtInt(d.dataset.items)} items matched.`,
            kind: d.dataset.titled ? 'ready' : 'error' });
    } catch (e) {
        showError(`No titles from ${file.name}:`, errorText(e));
    }
}

export function initData() {
    ui.useDemo.addEventListener('click', () => loadDemo().then(() => emit('status', { text: 'Demo store loaded.', kind: 'ready' })));
    ui.file.addEventListener('change', async () => {
        const f = ui.file.files[0];
        if (f) await loadFile(f.name, await readFile(f));
        ui.file.value = ''; // the same file can be chosen again
    });
    ui.titles.addEventListener('change', async () => {
        const f = ui.titles.files[0];
        if (f) await loadTitles(f);
        ui.titles.value = '';
    });
    ui.skipBad.addEventListener('change', () => { if (lastFile && !ui.error.hidden) retry(); });
    for (const side of SIDES) {
        const input = side === 'users' ? ui.usersFile : ui.itemsFile;
        input.addEventListener('change', async () => {
            const f = input.files[0];
            if (f) await addSide(side, f);
            input.value = '';
        });
    }
    ui.labelApply.addEventListener('click', applyLabel);
    ui.kindsApply.addEventListener('click', applyKinds);
    ui.kindsExpr.addEventListener('keydown', (e) => { if (e.key === 'Enter') applyKinds(); });
    for (const input of [ui.labelExpr, ui.dropExpr]) input.addEventListener('keydown', (e) => { if (e.key === 'Enter') applyLabel(); });
    // Drag and drop anywhere on the page; the drop zone lights up.
    let depth = 0;
    const over = (on) => document.body.classList.toggle('dragging', on);
    window.addEventListener('dragenter', (e) => { if (e.dataTransfer?.types.includes('Files')) { depth++; over(true); } });
    window.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; over(false); } });
    window.addEventListener('dragover', (e) => { if (e.dataTransfer?.types.includes('Files')) e.preventDefault(); });
    window.addEventListener('drop', async (e) => {
        depth = 0; over(false);
        const f = e.dataTransfer?.files?.[0];
        if (!f) return;
        e.preventDefault();
        document.getElementById('data').scrollIntoView({ behavior: 'smooth' });
        await loadFile(f.name, await readFile(f));
    });
}
