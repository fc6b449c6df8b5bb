// train.mjs: panel 2. Picks models and settings (presets from models/*.json), trains each in its
// own worker (privacy.mjs's countedWorker), at most two at once, each with a compact card
// (progress bar, time left, cancel) and every neural model's curve on one shared chart; then
// evaluates (leave-one-out, k = 10) in the worker, moves the model's bytes to the page (a
// main-thread Model, so the playground answers synchronously), saves them in IndexedDB before
// saying "done", and fills the results table: each figure with its 95% interval, and a best
// model marked only when enough users were tested and the intervals do not overlap.
import { state, on, emit, addModel, newId, STORE } from './state.mjs';
import { $, el, fmtMs, fmtMetric, fmtInt, download, modelColour, modelLabel, errorText } from './ui.mjs';
import { compareChart } from './charts.mjs';
import { countedWorker } from './privacy.mjs';

const ui = {
    picker: $('model-picker'), start: $('train-start'), cancel: $('train-cancel'), note: $('train-note'),
    live: $('live'), runs: $('runs'), chart: $('compare-chart'), legend: $('compare-legend'), caption: $('compare-caption'),
    body: $('results-body'), export: $('export-csv'), seen: $('results-seen'), warn: $('results-warn'),
};

/** Two cores on the target machines: two trainings at once, the rest queue. */
const PARALLEL = Math.max(1, Math.min(2, navigator.hardwareConcurrency || 2));
/** The presets run 100-200 epochs with early stopping; 30 keeps a class demo near half a minute per model. */
const PAGE_EPOCHS = 30;

const MODELS = [
    { name: 'pop', about: 'The most clicked items, the same for everyone: the baseline to beat.', checked: true, presets: [{ label: 'defaults', params: {} }] },
    { name: 'markov', about: 'How often each item directly followed the last one clicked.', checked: false, presets: [{ label: 'defaults', params: {} }] },
    { name: 'itemknn', about: 'Items that appear in the same sessions as the last one (cosine).', checked: true, presets: [{ label: 'defaults', params: { neighbors: 100, lambda: 20 } }] },
    { name: 'vsknn', about: 'Past sessions like this one vote for their items, recent clicks counting most.', checked: false, presets: [{ label: 'defaults', params: { k: 100, sample_size: 1000 } }] },
    { name: 'ease', about: 'Item-to-item weights in closed form (one matrix inverse): what every item in the session adds.', checked: false, presets: [{ label: 'defaults', params: { lambda: 500 } }] },
    { name: 'mf', about: 'Matrix factorisation: a vector for every shopper and item (BPR); a new session is scored by the mean of its items\' vectors.', checked: false, presets: [{ label: 'defaults', params: {} }] },
    { name: 'neumf', about: 'Neural collaborative filtering: GMF and an MLP over shopper and item vectors, one output (NCF).', checked: false, presets: [{ label: 'defaults', params: {} }] },
    { name: 'fm', about: 'A factorisation machine on the shopper and item ids: every pair of features interacts through their vectors.', checked: false, presets: [{ label: 'defaults', params: {} }] },
    { name: 'gru4rec', about: 'A recurrent network reading the session click by click.', checked: true, files: ['gru4rec.demo.json', 'gru4rec.json'] },
    { name: 'sasrec', about: 'A causal Transformer: attention over the whole session.', checked: false, files: ['sasrec.demo.json', 'sasrec.json', 'sasrec.bce.json', 'sasrec.gbce.json'] },
    { name: 'bert4rec', about: 'A bidirectional Transformer trained to fill in masked clicks.', checked: false, files: ['bert4rec.demo.json', 'bert4rec.json'] },
];

const jobs = []; // { id, name, params, status, controller, card, chart, curve, ... }

// ---- the model picker ---------------------------------------------------------------------------

async function loadPresets() {
    await Promise.all(MODELS.filter((m) => m.files).map(async (m) => {
        m.presets = [];
        for (const f of m.files) {
            try {
                const r = await fetch(`/models/${f}`);
                if (!r.ok) throw new Error(`${r.status}`);
                const j = await r.json();
                m.presets.push({ label: f.replace(/\.json$/, ''), about: j.about, params: j.params });
            } catch (e) {
                console.warn(`preset ${f} not loaded: ${e.message}`);
            }
        }
        if (!m.presets.length) m.presets.push({ label: 'defaults', params: {} });
    }));
}

function settingInputs(m, preset) {
    const grid = m.ui.settings;
    grid.replaceChildren();
    for (const [key, value] of Object.entries(preset.params)) {
        if (key === 'epochs') continue;
        const id = `set-${m.name}-${key}`;
        grid.append(el('div', { class: 'setting' }, el('label', { for: id }, key),
            el('input', { id, name: key, value: String(value), size: 6, autocomplete: 'off', spellcheck: false })));
    }
    m.ui.about.textContent = preset.about ?? '';
    if (m.ui.epochs) {
        m.ui.epochs.value = String(Math.min(PAGE_EPOCHS, preset.params.epochs ?? PAGE_EPOCHS));
        m.ui.epochsNote.textContent = preset.params.epochs ? `at most (preset ${preset.params.epochs})` : '';
    }
}

function renderPicker() {
    ui.picker.replaceChildren(...MODELS.map((m) => {
        const neural = !!m.files;
        const check = el('input', { type: 'checkbox', id: `pick-${m.name}`, checked: m.checked, dataset: { model: m.name } });
        const presetSel = el('select', { id: `preset-${m.name}` },
            ...m.presets.map((p, i) => el('option', { value: String(i) }, p.label)));
        const settings = el('div', { class: 'settings' });
        const about = el('p', { class: 'hint preset-about' });
        m.ui = { check, presetSel, settings, about };
        if (neural) {
            m.ui.epochs = el('input', { id: `epochs-${m.name}`, type: 'number', min: 1, max: 1000, step: 1, class: 'epochs', dataset: { model: m.name } });
            m.ui.epochsNote = el('span', { class: 'hint' });
        }
        presetSel.addEventListener('change', () => settingInputs(m, m.presets[Number(presetSel.value)]));
        const card = el('div', { class: 'pick', style: { '--c': modelColour(m.name) } },
            el('label', { class: 'pick-name', for: check.id }, check, ' ', modelLabel(m.name)),
            el('p', { class: 'hint about' }, m.about),
            neural ? el('div', { class: 'pick-row' }, el('label', { for: m.ui.epochs.id }, 'Epochs'), m.ui.epochs, m.ui.epochsNote) : null,
            m.presets.length > 1 || Object.keys(m.presets[0].params).length
                ? el('details', { class: 'pick-settings' }, el('summary', {}, 'All settings'),
                    el('div', { class: 'pick-row' }, el('label', { for: presetSel.id }, 'Preset'), presetSel), about, settings)
                : null);
        settingInputs(m, m.presets[0]);
        return card;
    }));
}

function chosenParams(m) {
    const params = { seed: 42 };
    for (const input of m.ui.settings.querySelectorAll('input')) {
        const v = input.value.trim();
        if (v !== '') params[input.name] = v;
    }
    if (m.ui.epochs) params.epochs = m.ui.epochs.value.trim() || String(PAGE_EPOCHS);
    return params;
}

// ---- jobs ---------------------------------------------------------------------------------------

function jobCard(job) {
    const colour = modelColour(job.name);
    job.ui = {
        status: el('span', { class: 'run-status' }, 'waiting for a free core…'),
        bar: el('progress', { max: 1, value: 0, 'aria-label': `${modelLabel(job.name)} training progress` }),
        detail: el('p', { class: 'run-detail' }, job.neural ? '\u00a0' : ''),
        cancel: el('button', { type: 'button', class: 'small', onclick: () => cancel(job) }, 'Cancel'),
    };
    // one-pass models: a name line and a result line, no bar (there is nothing to follow mid-way)
    job.card = el('article', { class: `run${job.neural ? '' : ' one-pass'}`, dataset: { model: job.name, state: 'queued', kind: job.neural ? 'epochs' : 'one-pass' },
        style: { '--c': colour }, 'aria-label': `${modelLabel(job.name)} training` },
    el('header', { class: 'run-head' }, el('h4', {}, modelLabel(job.name)), job.ui.status, job.ui.cancel),
    job.neural ? job.ui.bar : null, job.ui.detail);
    return job.card;
}

// ---- the shared chart: every neural model's curve, one colour each --------------------------------

const CURVES = {
    validNdcg: { label: 'validation NDCG@10', caption: 'Validation NDCG@10 per epoch, every neural model (higher is better)', fmt: (v) => v.toFixed(4), tick: (v) => v.toFixed(3) },
    loss: { label: 'training loss', caption: 'Training loss per epoch (lower is better; each model has its own loss: compare shapes, not heights)', fmt: (v) => v.toFixed(3), tick: (v) => v.toFixed(2) },
};
let curveKey = 'validNdcg';
let compare = null;

function renderCompare() {
    const neural = jobs.filter((j) => j.neural);
    ui.live.hidden = jobs.length === 0;
    ui.caption.textContent = CURVES[curveKey].caption;
    if (!neural.length) {
        compare?.destroy(); compare = null;
        ui.chart.replaceChildren(el('p', { class: 'hint empty' }, 'GRU4Rec, SASRec and BERT4Rec draw their curves here, one colour each, as they train.'));
        ui.legend.replaceChildren();
        return;
    }
    const series = neural.map((j) => ({
        key: String(j.id), label: modelLabel(j.name), colour: modelColour(j.name),
        points: j.curve.map((p) => [p.epoch, p[curveKey]]).filter(([, v]) => Number.isFinite(v)),
    }));
    const xMax = Math.max(2, ...neural.map((j) => Number(j.params.epochs) || 0), ...neural.map((j) => j.curve.at(-1)?.epoch ?? 0));
    if (!compare) {
        ui.chart.replaceChildren();
        compare = compareChart(ui.chart);
    }
    compare.update(series, { xMax, yLabel: CURVES[curveKey].label, fmt: CURVES[curveKey].tick });
    ui.legend.replaceChildren(...neural.map((j, i) => {
        const pts = series[i].points;
        const last = pts.at(-1);
        const best = curveKey === 'validNdcg' && pts.length ? pts.reduce((a, b) => (b[1] > a[1] ? b : a)) : null;
        const text = !last ? (j.status === 'queued' ? 'waiting' : j.status === 'running' ? 'first epoch…' : j.status)
            : `epoch ${last[0]}: ${CURVES[curveKey].fmt(last[1])}${best && best !== last ? ` (best ${CURVES[curveKey].fmt(best[1])}, epoch ${best[0]})` : ''}`;
        return el('li', { dataset: { model: j.name, points: String(pts.length), state: j.status } },
            el('span', { class: 'swatch', style: { '--c': modelColour(j.name) }, 'aria-hidden': 'true' }),
            el('strong', {}, modelLabel(j.name)), ' ', el('span', { class: 'hint' }, text));
    }));
}

function setJobState(job, status, text) {
    const changed = job.status !== status;
    job.status = status;
    job.card.dataset.state = status;
    if (text !== undefined) job.ui.status.textContent = text;
    if (status !== 'queued' && status !== 'running') job.ui.cancel.hidden = true;
    if (changed && job.neural) renderCompare();
    updateButtons();
}

function updateButtons() {
    const active = jobs.filter((j) => j.status === 'queued' || j.status === 'running');
    ui.cancel.disabled = active.length === 0;
    ui.start.disabled = !state.data;
    ui.note.textContent = active.length ? `${active.filter((j) => j.status === 'running').length} training, ` +
        `${active.filter((j) => j.status === 'queued').length} waiting.` : '';
}

/** Time left from the share of epochs done (an upper bound: early stopping may end sooner). */
function timeLeft(job, p) {
    if (!(p.epochs > 0)) return NaN;
    if (p.epoch >= 1 && p.step === 0) job.stepsPerEpoch = Math.max(job.stepsPerEpoch ?? 0, job.maxStep ?? 0);
    job.maxStep = Math.max(job.maxStep ?? 0, p.step);
    const spe = job.stepsPerEpoch || 0;
    const frac = (p.epoch + (spe ? Math.min(1, p.step / spe) : 0)) / p.epochs;
    job.ui.bar.value = frac;
    if (frac < 0.02 || p.elapsedMs < 1500) return NaN;
    return (p.elapsedMs / frac) * (1 - frac);
}

function onProgress(job, p) {
    if (p.epoch > job.lastEpoch && p.epoch > 0 && Number.isFinite(p.loss)) {
        job.curve.push({ epoch: p.epoch, loss: p.loss, validNdcg: p.validNdcg });
        renderCompare();
    }
    job.lastEpoch = p.epoch;
    if (p.epochs <= 1 && !job.curve.length) return; // one-pass models: nothing to report mid-way
    const left = timeLeft(job, p);
    const parts = [`epoch ${p.epoch} of ${p.epochs}`];
    if (Number.isFinite(p.loss) && p.loss > 0) parts.push(`loss ${p.loss.toFixed(3)}`);
    if (p.validNdcg > 0) parts.push(`valid NDCG@10 ${p.validNdcg.toFixed(4)}`);
    if (p.positionsPerSecond > 0) parts.push(`${fmtInt(p.positionsPerSecond)} positions/s`);
    job.ui.detail.textContent = parts.join(' · ');
    job.ui.status.textContent = Number.isFinite(left) ? `training · about ${fmtMs(left)} left at most` : 'training…';
}

async function run(job) {
    setJobState(job, 'running', 'starting a worker…');
    const t0 = performance.now();
    const { signal } = job.controller;
    let worker = null;
    try {
        worker = await countedWorker();
        job.worker = worker;
        signal.throwIfAborted();
        const d = job.data;
        const ds = d.kind === 'demo'
            ? await worker.generateDataset(STORE)
            : await worker.dataset(d.bytes.slice(), d.options);
        // titles added to the data go into the model file too (they come back with a saved model)
        for (const t of d.titles ?? []) await ds.loadTitles(t.bytes.slice(), { source: t.name });
        const model = await worker.model(job.name, job.params);
        setJobState(job, 'running', 'training…');
        const last = await model.fit(ds, { leaveOneOut: true, signal, onProgress: (p) => onProgress(job, p) });
        job.ui.bar.value = 1;
        setJobState(job, 'running', 'evaluating on every session’s last click…');
        const report = await model.evaluate(ds, { k: 10 });
        const bytes = await model.save();
        worker.terminate();
        const main = state.engine.loadModel(bytes.slice(), { source: `${job.name}.safetensors` });
        const trainMs = last.elapsedMs;
        const epochs = job.neural ? last.epoch : null;
        const ndcg = `test NDCG@10 ${fmtMetric(report.full['NDCG@10'])} (${fmtInt(report.full.users)} users)`;
        job.ui.detail.textContent = job.neural ? `${last.epoch} epochs, best ${last.bestEpoch} kept · ${ndcg}` : `one pass, no epochs · ${ndcg}`;
        setJobState(job, 'running', 'saving in this browser…');
        const saved = await finished({ job, main, bytes, report, trainMs, epochs });
        setJobState(job, 'done', `done in ${fmtMs(trainMs)}${saved ? ', saved' : ''}`);
        if (!saved) job.ui.detail.textContent += ' · not saved in this browser (see the privacy panel)';
    } catch (e) {
        worker?.terminate();
        if (signal.aborted) setJobState(job, 'cancelled', 'cancelled');
        else {
            setJobState(job, 'failed', 'failed');
            job.ui.detail.textContent = errorText(e);
            job.ui.detail.classList.add('error-text');
        }
    } finally {
        pump();
    }
}

/** Kept in IndexedDB for the next visit, under the data it was trained on (app.mjs restores them). */
async function save(entry, bytes, { report, trainMs, epochs }) {
    if (!state.store) return false;
    try {
        await state.store.saveModel(`${entry.dataKey}|${entry.name}`, bytes, {
            label: `${entry.label} (${entry.dataKey === 'demo' ? 'demo store' : state.data?.label ?? entry.dataKey})`,
            model: entry.name, dataKey: entry.dataKey, metrics: report.full, seen: report.exclude_seen, trainMs, epochs,
            curve: entry.curve, params: entry.params,
        });
        return true;
    } catch (e) {
        console.warn(`model not saved: ${e.message}`);
        return false;
    }
}

/** The model goes to the playground and the table, and is saved; resolves when the save is written. */
async function finished({ job, main, bytes, report, trainMs, epochs }) {
    const entry = {
        id: newId(), name: job.name, label: modelLabel(job.name), origin: 'trained', dataKey: job.data.key,
        model: main, curve: job.curve.slice(), size: bytes.length, params: job.params,
    };
    addModel(entry);
    addResult({ name: job.name, origin: 'trained', dataKey: job.data.key, metrics: report.full, epochs, trainMs, params: job.params,
        seen: report.exclude_seen });
    const saved = await save(entry, bytes, { report, trainMs, epochs });
    emit('trained', { entry, report, trainMs, epochs, saved });
    return saved;
}

/** Starts queued jobs while fewer than PARALLEL run. */
function pump() {
    let running = jobs.filter((j) => j.status === 'running').length;
    for (const j of jobs) {
        if (running >= PARALLEL) break;
        if (j.status === 'queued') { running++; run(j); }
    }
    updateButtons();
}

function cancel(job) {
    if (job.status === 'queued') setJobState(job, 'cancelled', 'cancelled before it started');
    else if (job.status === 'running') {
        job.controller.abort(new DOMException('cancelled', 'AbortError'));
        job.worker?.terminate(); // stops the worker at once, even inside a long step
    }
    pump();
}

function startSelected() {
    if (!state.data) return;
    const picked = MODELS.filter((m) => m.ui.check.checked);
    if (!picked.length) { ui.note.textContent = 'Pick at least one model.'; return; }
    // Finished cards of earlier runs make room for the new ones.
    for (const j of jobs.filter((x) => x.status !== 'queued' && x.status !== 'running')) {
        j.card.remove();
        jobs.splice(jobs.indexOf(j), 1);
    }
    for (const m of picked) {
        const job = {
            id: newId(), name: m.name, params: chosenParams(m), neural: !!m.files, data: state.data,
            status: 'queued', controller: new AbortController(), curve: [], lastEpoch: -1,
        };
        jobs.push(job);
        ui.runs.append(jobCard(job));
    }
    renderCompare();
    // the cards and the chart in view (they fit a 720-pixel screen together)
    ui.live.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    pump();
}

// ---- results ------------------------------------------------------------------------------------

export function addResult(row) {
    state.results.push({ id: newId(), label: modelLabel(row.name), ...row });
    emit('results');
}

const METRICS = ['HR@10', 'NDCG@10', 'MRR@10', 'coverage@10'];
const RANKED = METRICS.slice(0, 3);
/** Fewer test users than this: no model is called the best, whatever the figures. */
const MIN_USERS = 200;

function visibleResults() {
    return state.results.filter((r) => r.dataKey === state.data?.key);
}

const rowName = (r) => `${r.label}${r.origin === 'pretrained' ? ' (pretrained)' : ''}`;

/**
 * The 95% interval of a row's metric: the engine's (full.ci95), or for a report without one (the
 * pretrained models' manifest) the widest the normal approximation allows for that many users:
 * a per-user value in [0, 1] has variance at most m(1 - m), exactly so for HR.
 */
function interval(r, k) {
    const ci = r.metrics.ci95?.[k];
    if (Array.isArray(ci) && ci.length === 2) return { lo: ci[0], hi: ci[1], bound: false };
    const m = r.metrics[k];
    const n = r.metrics.users;
    if (!(n > 0) || !Number.isFinite(m)) return null;
    const h = 1.96 * Math.sqrt(Math.max(0, m * (1 - m)) / n);
    return { lo: Math.max(0, m - h), hi: Math.min(1, m + h), bound: true };
}

/** Which row is best per ranked metric, only when it stands clear; and the sentence why not. */
function verdict(rows, unit) {
    const best = {};
    if (rows.length < 2) return { best, warning: '' };
    const users = rows.map((r) => r.metrics.users).filter((n) => Number.isFinite(n));
    const fewest = users.length ? Math.min(...users) : 0;
    if (fewest < MIN_USERS) {
        return { best, warning: `Measured on only ${fmtInt(fewest)} test ${unit}: fewer than ${MIN_USERS}, too few to name a best model. ` +
            `Under each figure is its 95% interval; with this few ${unit} the true value could lie anywhere in it.` };
    }
    const ties = new Map(); // "A and B" -> [metric]
    for (const k of RANKED) {
        const ranked = rows.filter((r) => Number.isFinite(r.metrics[k])).sort((a, b) => b.metrics[k] - a.metrics[k]);
        if (ranked.length < 2) continue;
        const [a, b] = ranked;
        const ia = interval(a, k);
        const ib = interval(b, k);
        if (ia && ib && ia.lo > ib.hi) best[k] = a.id;
        else {
            const pair = `${rowName(a)} and ${rowName(b)}`;
            ties.set(pair, [...(ties.get(pair) ?? []), k]);
        }
    }
    if (!ties.size) return { best, warning: '' };
    const parts = [...ties].map(([pair, ks]) => `${ks.join(', ')}: ${pair}`);
    return { best, warning: `No best model marked for ${parts.join('; ')}: the 95% intervals of the top two overlap, ` +
        'so this test cannot tell them apart (more test users would narrow the intervals).' };
}

function metricCell(r, k, best) {
    const v = r.metrics[k];
    const iv = k === 'coverage@10' ? null : interval(r, k);
    return el('td', { class: `num${best[k] === r.id ? ' best' : ''}`, dataset: { metric: k } },
        el('span', { class: 'val' }, fmtMetric(v)),
        iv ? el('span', { class: 'ci', title: iv.bound
            ? `95% interval at most this wide (${fmtInt(r.metrics.users)} test users; the file keeps no per-user spread)`
            : `95% interval over the ${fmtInt(r.metrics.users)} test users` },
        `${iv.bound ? '≤ ' : ''}${iv.lo.toFixed(3)}–${iv.hi.toFixed(3)}`) : null);
}

function renderResults() {
    const rows = visibleResults();
    ui.export.disabled = rows.length === 0;
    if (!rows.length) {
        ui.seen.textContent = '';
        ui.warn.hidden = true;
        ui.body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colSpan: 9 },
            'No results yet for this data: pick models above and press “Train selected”.')));
        return;
    }
    // which seen-items rule the rows were measured under (the engine's reason, once per distinct one)
    const reasons = [...new Set(rows.filter((r) => r.seen).map((r) => r.seen.reason))];
    ui.seen.textContent = reasons.length ? `Items already in a session: ${reasons.join('; ')}.` : '';
    const fmt = state.data?.dataset?.format;
    const unit = fmt === 'movielens' || fmt === 'seq' ? 'users' : 'sessions';
    $('results-users').textContent = `Test ${unit}`;
    const { best, warning } = verdict(rows, unit);
    ui.warn.textContent = warning;
    ui.warn.hidden = !warning;
    ui.body.replaceChildren(...rows.map((r) => el('tr', { dataset: { model: r.name, origin: r.origin } },
        el('th', { scope: 'row' }, el('span', { class: 'dot', style: { '--c': modelColour(r.name) }, 'aria-hidden': 'true' }), r.label),
        el('td', {}, r.origin === 'pretrained' ? 'pretrained file' : r.restored ? 'in this browser, earlier' : 'in this tab'),
        el('td', { class: 'num', dataset: { metric: 'users' } }, Number.isFinite(r.metrics.users) ? fmtInt(r.metrics.users) : '–'),
        ...METRICS.map((k) => metricCell(r, k, best)),
        el('td', { class: 'num' }, r.epochs ?? '–'),
        el('td', { class: 'num' }, r.trainMs == null ? '–' : fmtMs(r.trainMs)))));
}

function exportCsv() {
    const q = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = [['model', 'trained', 'data', 'users', ...METRICS, ...RANKED.flatMap((k) => [`${k}_ci95_low`, `${k}_ci95_high`]),
        'epochs', 'train_seconds', 'params'].join(',')];
    for (const r of visibleResults()) {
        const cis = RANKED.flatMap((k) => { const iv = interval(r, k); return iv ? [iv.lo.toFixed(6), iv.hi.toFixed(6)] : ['', '']; });
        lines.push([r.name, r.origin, q(state.data.label), r.metrics.users ?? '', ...METRICS.map((k) => r.metrics[k] ?? ''), ...cis,
            r.epochs ?? '', r.trainMs == null ? '' : (r.trainMs / 1000).toFixed(3), q(JSON.stringify(r.params ?? {}))].join(','));
    }
    download('wasmrec-results.csv', lines.join('\n') + '\n', 'text/csv');
}

export async function initTrain() {
    await loadPresets();
    renderPicker();
    renderResults();
    ui.start.addEventListener('click', startSelected);
    ui.cancel.addEventListener('click', () => { for (const j of jobs.slice()) cancel(j); });
    ui.export.addEventListener('click', exportCsv);
    for (const radio of document.querySelectorAll('input[name="compare-metric"]')) {
        radio.addEventListener('change', () => { if (radio.checked) { curveKey = radio.value; renderCompare(); } });
    }
    on('results', renderResults);
    on('data', () => { renderResults(); updateButtons(); });
    updateButtons();
}
