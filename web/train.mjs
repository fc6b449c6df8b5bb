// train.mjs: panel 2. Picks models and settings (presets from models/*.json), trains each in its
// own worker (createWorkerEngine), at most two at once, with live curves, a progress bar, time
// left and cancel; then evaluates (leave-one-out, k = 10) in the worker, moves the model's bytes
// to the page (a main-thread Model, so the playground answers synchronously), saves them in
// IndexedDB and fills the results table.
import { createWorkerEngine } from '../wasm/worker-client.mjs';
import { state, on, emit, addModel, newId, STORE } from './state.mjs';
import { $, el, fmtMs, fmtMetric, fmtInt, download, modelColour, modelLabel, errorText } from './ui.mjs';
import { curveChart } from './charts.mjs';

const ui = {
    picker: $('model-picker'), start: $('train-start'), cancel: $('train-cancel'), note: $('train-note'),
    runs: $('runs'), body: $('results-body'), export: $('export-csv'), seen: $('results-seen'),
};

/** Two cores on the target machines: two trainings at once, the rest queue. */
const PARALLEL = Math.max(1, Math.min(2, navigator.hardwareConcurrency || 2));
/** The presets run 100-200 epochs with early stopping; 30 keeps a class demo near half a minute per model. */
const PAGE_EPOCHS = 30;

const MODELS = [
    { name: 'pop', about: 'The most clicked items, the same for everyone: the baseline to beat.', checked: true, presets: [{ label: 'defaults', params: {} }] },
    { name: 'markov', about: 'How often each item directly followed the last one clicked.', checked: false, presets: [{ label: 'defaults', params: {} }] },
    { name: 'itemknn', about: 'Items that appear in the same sessions as the last one (cosine).', checked: true, presets: [{ label: 'defaults', params: { neighbors: 100, lambda: 20 } }] },
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
        detail: el('p', { class: 'run-detail' }, '\u00a0'),
        cancel: el('button', { type: 'button', class: 'small', onclick: () => cancel(job) }, 'Cancel'),
        chart: job.neural ? el('div', { class: 'chart-box run-chart' }) : null,
    };
    job.card = el('article', { class: 'run', dataset: { model: job.name, state: 'queued', kind: job.neural ? 'epochs' : 'one-pass' }, style: { '--c': colour }, 'aria-label': `${modelLabel(job.name)} training` },
        el('header', { class: 'run-head' }, el('h4', {}, modelLabel(job.name)), job.ui.status, job.ui.cancel),
        job.ui.bar, job.ui.detail,
        job.neural ? el('p', { class: 'key', 'aria-hidden': 'true' }, el('span', { class: 'key-solid' }), 'training loss (left)',
            el('span', { class: 'key-dash' }), 'validation NDCG@10 (right)') : null,
        job.ui.chart);
    return job.card;
}

function setJobState(job, status, text) {
    job.status = status;
    job.card.dataset.state = status;
    if (text !== undefined) job.ui.status.textContent = text;
    if (status !== 'queued' && status !== 'running') job.ui.cancel.hidden = true;
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
        job.chart?.update(job.curve);
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
        worker = await createWorkerEngine();
        job.worker = worker;
        signal.throwIfAborted();
        const d = job.data;
        const ds = d.kind === 'demo'
            ? await worker.generateDataset(STORE)
            : await worker.dataset(d.bytes.slice(), d.options);
        const model = await worker.model(job.name, job.params);
        if (job.neural) job.chart = curveChart(job.ui.chart, { colour: modelColour(job.name) });
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
        job.ui.detail.textContent = job.neural
            ? `${last.epoch} epochs, best ${last.bestEpoch} (kept) · NDCG@10 ${fmtMetric(report.full['NDCG@10'])} on the test clicks`
            : `one pass over the data, no epochs · NDCG@10 ${fmtMetric(report.full['NDCG@10'])} on the test clicks`;
        setJobState(job, 'done', `done in ${fmtMs(trainMs)}`);
        finished({ job, main, bytes, report, trainMs, epochs, totalMs: performance.now() - t0 });
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

function finished({ job, main, bytes, report, trainMs, epochs }) {
    const entry = {
        id: newId(), name: job.name, label: modelLabel(job.name), origin: 'trained', dataKey: job.data.key,
        model: main, curve: job.curve.slice(), size: bytes.length, params: job.params,
    };
    addModel(entry);
    addResult({ name: job.name, origin: 'trained', dataKey: job.data.key, metrics: report.full, epochs, trainMs, params: job.params,
        seen: report.exclude_seen });
    emit('trained', { entry, bytes, report, trainMs, epochs });
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
        j.chart?.destroy();
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
    pump();
}

// ---- results ------------------------------------------------------------------------------------

export function addResult(row) {
    state.results.push({ id: newId(), label: modelLabel(row.name), ...row });
    emit('results');
}

const METRICS = ['HR@10', 'NDCG@10', 'MRR@10', 'coverage@10'];

function visibleResults() {
    return state.results.filter((r) => r.dataKey === state.data?.key);
}

function renderResults() {
    const rows = visibleResults();
    ui.export.disabled = rows.length === 0;
    if (!rows.length) {
        ui.seen.textContent = '';
        ui.body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colSpan: 8 },
            'No results yet for this data: pick models above and press “Train selected”.')));
        return;
    }
    // which seen-items rule the rows were measured under (the engine's reason, once per distinct one)
    const reasons = [...new Set(rows.filter((r) => r.seen).map((r) => r.seen.reason))];
    ui.seen.textContent = reasons.length ? `Items already in a session: ${reasons.join('; ')}.` : '';
    const best = Object.fromEntries(METRICS.slice(0, 3).map((k) => [k, Math.max(...rows.map((r) => r.metrics[k] ?? -1))]));
    ui.body.replaceChildren(...rows.map((r) => el('tr', { dataset: { model: r.name, origin: r.origin } },
        el('th', { scope: 'row' }, el('span', { class: 'dot', style: { '--c': modelColour(r.name) }, 'aria-hidden': 'true' }), r.label),
        el('td', {}, r.origin === 'pretrained' ? 'pretrained file' : r.restored ? 'in this browser, earlier' : 'in this tab'),
        ...METRICS.map((k) => el('td', { class: `num${best[k] !== undefined && r.metrics[k] === best[k] ? ' best' : ''}` }, fmtMetric(r.metrics[k]))),
        el('td', { class: 'num' }, r.epochs ?? '–'),
        el('td', { class: 'num' }, r.trainMs == null ? '–' : fmtMs(r.trainMs)))));
}

function exportCsv() {
    const q = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = [['model', 'trained', 'data', ...METRICS, 'epochs', 'train_seconds', 'params'].join(',')];
    for (const r of visibleResults()) {
        lines.push([r.name, r.origin, q(state.data.label), ...METRICS.map((k) => r.metrics[k] ?? ''),
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
    on('results', renderResults);
    on('data', () => { renderResults(); updateButtons(); });
    updateButtons();
}
