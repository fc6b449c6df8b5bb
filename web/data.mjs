// data.mjs: panel 1. The demo store (generated and parsed here: a few hundred ms) or a local file
// (picker or drag-and-drop), parsed in a worker so that a big file never freezes the page; either
// gives the catalogue and the summary, and training workers parse their own copy. Bad files show
// the engine's message (file, line, field), with the offer to skip bad lines when that can help
// (not for an empty file or one that is no text at all). A titles file says how many ids it matched.
import { state, emit, STORE, DEMO_KEY } from './state.mjs';
import { $, el, fmtInt, fmtBytes, errorText, nextFrame } from './ui.mjs';
import { histogramChart } from './charts.mjs';
import { countedWorker } from './privacy.mjs';

const ui = {
    useDemo: $('use-demo'), file: $('file'), drop: $('drop'), skipBad: $('skip-bad'), format: $('format'),
    titles: $('titles'), error: $('data-error'), source: $('sum-source'), fmt: $('sum-format'),
    users: $('sum-users'), items: $('sum-items'), events: $('sum-events'), skipped: $('sum-skipped'),
    skipReason: $('sum-skip-reason'), titled: $('sum-titles'), hist: $('hist'),
};

const FORMAT_NAMES = { csv: 'CSV / TSV', movielens: 'MovieLens', seq: 'user item lines', otto: 'OTTO JSON lines' };

let histogram = null;
let parser = null; // the worker that parses local files (a promise of a WorkerEngine)
let lastFile = null; // { name, bytes } of the last file tried, to retry with other options

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
    emit('data');
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

/** Generates the demo store in the page (a few hundred ms) and makes it the current data. */
export async function loadDemo() {
    ui.error.hidden = true;
    await nextFrame();
    const csv = state.engine.generate(STORE);
    const dataset = state.engine.dataset(csv, { format: 'csv', source: 'demo-store.csv' });
    await setData({
        key: DEMO_KEY, kind: 'demo', dataset, bytes: null, options: null,
        label: `Demo store (generated here: ${fmtInt(STORE.sessions)} shoppers, seed ${STORE.seed})`,
        ...await catalogueOf(dataset),
    });
}

/** Parses a local file; on failure the current data stays and the error is shown. */
export async function loadFile(name, bytes) {
    lastFile = { name, bytes };
    ui.error.hidden = true;
    const options = { format: ui.format.value, source: name, skipBad: ui.skipBad.checked };
    emit('status', { text: `Reading ${name} (${fmtBytes(bytes.length)})…` });
    let dataset;
    try {
        parser ??= countedWorker();
        dataset = await (await parser).dataset(bytes.slice(), options); // a copy moves to the worker
    } catch (e) {
        // an empty file, or one that is no text at all: skipping lines cannot help, so no offer
        const whole = /the file is empty|this is not a text file of interactions/.test(e.message ?? '');
        lastFile = whole ? null : lastFile;
        showError(`${name} was not loaded:`, errorText(e), { canSkip: e.name === 'WasmrecError' && !whole && !options.skipBad });
        emit('status', { text: `${name} was not loaded; the ${state.data ? 'previous data stays' : 'page has no data'}.`, kind: 'error' });
        return false;
    }
    await setData({
        key: `file:${name}:${bytes.length}`, kind: 'file', dataset, bytes, options, titles: [],
        label: `${name} (${fmtBytes(bytes.length)}, read on this device)`, ...await catalogueOf(dataset),
    });
    emit('status', { text: `Loaded ${name}: ${fmtInt(dataset.users)} sessions, ${fmtInt(dataset.items)} items` +
        (dataset.skipped ? `, ${fmtInt(dataset.skipped)} bad lines skipped.` : '.'), kind: 'ready' });
    return true;
}

function retry() {
    if (lastFile) loadFile(lastFile.name, lastFile.bytes);
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
        if (d.kind === 'file') d.titles = [...(d.titles ?? []), { name: file.name, bytes }];
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
