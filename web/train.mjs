// train.mjs: panel 2. Picks models and settings (presets from models/*.json; the other models'
// settings from the engine's model info) and the evaluation protocol (leave-one-out, or held-out
// events: random, temporal, cold users or items, with their fractions and seed), trains each model
// in its own worker (privacy.mjs's countedWorker), at most two at once, each with a compact card
// (progress bar, time left, cancel) and every epoch-trained model's curve on one shared chart;
// then evaluates under the same protocol in the worker, moves the model's bytes to the page (a
// main-thread Model, so the playgrounds answer synchronously), saves them in IndexedDB before
// saying "done", and fills the results table: each figure with its 95% interval, a best model
// marked only when enough users were tested and the intervals do not overlap, and the AUC, GAUC
// and logloss columns (labelled data, held out) and RMSE and MAE (rated data) where they apply.
// What a model is and can do (trains in epochs, uses users, labels, features; what it predicts)
// comes from engine.modelInfo, not from its name.
import { state, on, emit, addModel, newId } from './state.mjs';
import { $, el, fmtMs, fmtMetric, fmtInt, download, modelColour, modelLabel, errorText } from './ui.mjs';
import { compareChart } from './charts.mjs';
import { countedWorker } from './privacy.mjs';
import { compareInWorker, fmtP } from './experiment.mjs';

const ui = {
    picker: $('model-picker'), start: $('train-start'), cancel: $('train-cancel'), note: $('train-note'),
    live: $('live'), runs: $('runs'), chart: $('compare-chart'), legend: $('compare-legend'), caption: $('compare-caption'),
    body: $('results-body'), export: $('export-csv'), seen: $('results-seen'), warn: $('results-warn'),
    protocol: $('protocol'), splitBox: $('split-box'), fracTrain: $('frac-train'), fracValid: $('frac-valid'), fracTest: $('frac-test'),
    splitSeed: $('split-seed'), protocolNote: $('protocol-note'), head: $('results-cols'), hint: $('results-hint'),
    threads: $('train-threads'),
};

/** Two cores on the target machines: two trainings at once, the rest queue. */
const PARALLEL = Math.max(1, Math.min(2, navigator.hardwareConcurrency || 2));
/** The presets run 100-200 epochs with early stopping; 30 keeps a class demo near half a minute per model. */
const PAGE_EPOCHS = 30;

// `epochs`: the page's default for a model that trains in epochs (the engine's defaults run 100-200
// with early stopping); these few let the collaborative and CTR models train together, two at a
// time, in well under a minute on the demo store. `params`: the page's values where they differ
// from the engine's (shown and editable under "All settings").
const MODELS = [
    { name: 'pop', about: 'The most clicked items, the same for everyone: the baseline to beat.', checked: true },
    { name: 'markov', about: 'How often each item directly followed the last one clicked.', checked: false },
    { name: 'itemknn', about: 'Items that appear in the same sessions as the last one (cosine).', checked: true, params: { neighbors: 100, lambda: 20 } },
    { name: 'vsknn', about: 'Past sessions like this one vote for their items, recent clicks counting most.', checked: false, params: { k: 100, sample_size: 1000 } },
    { name: 'ease', about: 'Item-to-item weights in closed form (one matrix inverse): what every item in the session adds.', checked: false, params: { lambda: 500 } },
    { name: 'gru4rec', about: 'A recurrent network reading the session click by click.', checked: true, files: ['gru4rec.demo.json', 'gru4rec.json'] },
    { name: 'sasrec', about: 'A causal Transformer: attention over the whole session.', checked: false, files: ['sasrec.demo.json', 'sasrec.json', 'sasrec.bce.json', 'sasrec.gbce.json'] },
    { name: 'bert4rec', about: 'A bidirectional Transformer trained to fill in masked clicks.', checked: false, files: ['bert4rec.demo.json', 'bert4rec.json'] },
    { name: 'mf', about: 'Matrix factorisation: a vector for every shopper and item (BPR, or BCE on labels); a new session is scored by the mean of its items\' vectors.', checked: false, epochs: 20 },
    { name: 'gmf', about: 'Generalised matrix factorisation (NCF): the product of shopper and item vectors, weighted into one logit.', checked: false, epochs: 10 },
    // the NCF towers with two layers here (the engine's three cost four times as much per epoch)
    { name: 'mlp', about: 'NCF\'s MLP tower over the shopper and item vectors side by side, halving to the output.', checked: false, epochs: 3, params: { layers: 2 } },
    { name: 'neumf', about: 'Neural collaborative filtering: GMF and an MLP over shopper and item vectors, one output (NCF).', checked: false, epochs: 3, params: { layers: 2 } },
    { name: 'lr', about: 'Logistic regression on the pair\'s features (the ids and the side features): no interactions.', checked: false, epochs: 10 },
    { name: 'fm', about: 'A factorisation machine: every pair of features (ids and side features) interacts through their vectors.', checked: false, epochs: 10 },
    { name: 'ffm', about: 'Field-aware FM: a vector per feature and field, so each pair meets through the vectors meant for each other.', checked: false, epochs: 6 },
    { name: 'deepfm', about: 'DeepFM: an FM and an MLP over the same feature vectors, added into one logit.', checked: false, epochs: 3 },
    // stageEpochs: the page's epochs for a family as a pipeline stage. `stages`: the page's family per
    // stage where it should differ from the engine's default (none: its info's). On the demo store
    // (leave-one-out), two-tower (3 epochs) retrieving 100 candidates for DeepFM (2 epochs) trains in
    // about 12 s alone, NDCG@10 0.211 against 0.219 in the retrieved order; for SASRec (8 epochs, its
    // demo preset's lr and max_len) in about 22 s, 0.225. DeepFM reads side features, so it also
    // orders a new visitor's and a cold user's candidates, which SASRec scores alike (no history).
    { name: 'twotower', about: 'Two towers: a query vector from the shopper (id, side features, their recent clicks) and an item vector from the item (id, side features); the nearest items are the suggestions. In-batch softmax with the log-Q correction.', checked: false, epochs: 5, stageEpochs: 3 },
    { name: 'pipeline', about: 'Retrieve, then rank: a first model hands its best candidates to a second, which orders them.', checked: false, stages: {} },
];
/** The epochs of a pipeline stage whose family has none of the page's own. */
const STAGE_EPOCHS = 5;
MODELS.find((m) => m.name === 'sasrec').stageEpochs = 8;
MODELS.find((m) => m.name === 'deepfm').stageEpochs = 2;

/** What the engine says a model is and can do (uses, iterative, predicts, params). */
const infoOf = (name) => state.engine.modelInfo(name);

const jobs = []; // { id, name, params, status, controller, card, chart, curve, ... }

// ---- the model picker ---------------------------------------------------------------------------

async function loadPresets() {
    for (const m of MODELS) if (!m.files) m.presets = [{ label: 'defaults', params: m.params ?? {} }];
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

/**
 * A preset's settings as inputs. A model with preset files shows the preset's values; the others
 * every parameter the engine lists (enum ones as a choice), at the engine's default unless the
 * page's preset names a value. What is sent: the values a preset names, and any that differ from
 * the engine's default.
 */
function settingInputs(m, preset) {
    const grid = m.ui.settings;
    grid.replaceChildren();
    const info = infoOf(m.name);
    const specs = m.files
        ? Object.entries(preset.params).map(([name, value]) => ({ name, value: String(value), preset: true }))
        : info.params.map((p) => {
            const choices = p.type === 'enum' ? p.choices.split('|') : null;
            const def = choices ? choices[p.default] : String(p.default);
            return { name: p.name, value: p.name in preset.params ? String(preset.params[p.name]) : def, def, help: p.help, choices, preset: p.name in preset.params };
        });
    for (const spec of specs) {
        if (spec.name === 'epochs' || (m.stages && STAGES.includes(spec.name))) continue; // the stages' row has these
        const id = `set-${m.name}-${spec.name}`;
        // a loss that can learn labels but by default does not (mf's BPR): "auto" is BCE on labelled data (chosenParams)
        const auto = spec.name === 'loss' && spec.choices && autoBce(info) && !spec.preset;
        const dataset = spec.preset ? { default: spec.def, preset: '1' } : { default: auto ? '' : spec.def };
        if (spec.def === undefined) delete dataset.default;
        const common = { id, name: spec.name, dataset };
        const input = spec.choices
            ? el('select', common, auto ? el('option', { value: '', selected: true }, `auto: bce on labels, else ${spec.def}`) : null,
                ...spec.choices.map((c) => el('option', { value: c, selected: !auto && c === spec.value }, c)))
            : el('input', { ...common, value: spec.value, size: 6, autocomplete: 'off', spellcheck: false });
        grid.append(el('div', { class: 'setting' }, el('label', { for: id, title: spec.help }, spec.name), input));
    }
    if (m.stages) grid.append(m.ui.stageSets.closest('.setting') ?? el('div', { class: 'setting stage-sets' },
        el('label', { for: m.ui.stageSets.id, title: 'Each stage\'s own settings, as retrieve.NAME=value or rank.NAME=value (space separated)' }, 'stage settings'),
        m.ui.stageSets));
    m.ui.about.textContent = preset.about ?? '';
    if (m.ui.epochs) {
        const engineDefault = info.params.find((p) => p.name === 'epochs')?.default;
        const cap = preset.params.epochs ?? engineDefault ?? PAGE_EPOCHS;
        m.ui.epochs.value = String(m.epochs ?? Math.min(PAGE_EPOCHS, cap));
        m.ui.epochsNote.textContent = preset.params.epochs ? `at most (preset ${preset.params.epochs})`
            : engineDefault ? `at most (default ${engineDefault})` : '';
    }
}

/** What a model uses and what its scores are, from its info. */
function capsText(info) {
    const uses = [info.uses.history && 'history', info.uses.users && 'users', info.uses.labels && 'labels', info.uses.features && 'side features'].filter(Boolean);
    return `Uses ${uses.join(', ')}${info.uses.history ? '' : ' (no history)'}; ${info.predicts === 'probability' ? 'predicts a probability' : 'ranks by a score'}.`;
}

// ---- a pipeline's two stages ---------------------------------------------------------------------

/** A pipeline's stage parameters: enums in its info whose choices are the model families. */
const STAGES = ['retrieve', 'rank'];
const STAGE_LABEL = { retrieve: 'Stage 1 retrieves with', rank: 'stage 2 ranks with' };
const entryOf = (name) => MODELS.find((x) => x.name === name);

/** The epochs the page gives a family as a stage. */
const stageEpochsOf = (name) => entryOf(name)?.stageEpochs ?? entryOf(name)?.epochs ?? STAGE_EPOCHS;

/**
 * A family's page settings as a stage ('rank.lr=0.003'): its first preset's (or the page's own
 * values), those that differ from the engine's defaults, without epochs (the stage row has them).
 */
function stagePreset(stage, name) {
    const e = entryOf(name);
    const params = e?.presets?.[0]?.params ?? e?.params ?? {};
    const info = state.engine.modelInfo(name);
    const def = (k) => {
        const p = info.params.find((x) => x.name === k);
        return !p ? undefined : p.type === 'enum' ? p.choices.split('|')[p.default] : String(p.default);
    };
    return Object.entries(params).filter(([k, v]) => k !== 'epochs' && String(v) !== def(k)).map(([k, v]) => `${stage}.${k}=${v}`);
}

/** The stage row of a pipeline's card: each stage's family (its info's choices) and epochs. */
function stageRow(m, info) {
    const names = state.engine.modelNames();
    m.ui.stages = {};
    const parts = STAGES.map((stage) => {
        const p = info.params.find((x) => x.name === stage);
        const all = p.choices.split('|');
        const offered = all.filter((c) => names.includes(c));
        const chosen = offered.includes(m.stages[stage]) ? m.stages[stage] : all[p.default];
        const sel = el('select', { id: `stage-${stage}`, dataset: { stage } },
            ...offered.map((c) => el('option', { value: c, selected: c === chosen }, modelLabel(c))));
        const epochs = el('input', { id: `stage-${stage}-epochs`, type: 'number', min: 1, max: 1000, step: 1, class: 'epochs', dataset: { stage } });
        const epochsBox = el('span', { class: 'stage-epochs' }, el('label', { for: epochs.id }, 'epochs'), epochs);
        m.ui.stages[stage] = { sel, epochs, epochsBox };
        const family = () => {
            epochs.value = String(stageEpochsOf(sel.value));
            epochsBox.hidden = !infoOf(sel.value).iterative;
        };
        family();
        sel.addEventListener('change', () => {
            family();
            // the other stage's settings stay; this stage's become its new family's
            const kept = m.ui.stageSets.value.split(/\s+/).filter((t) => t && !t.startsWith(`${stage}.`));
            m.ui.stageSets.value = [...(stage === 'retrieve' ? [] : kept), ...stagePreset(stage, sel.value), ...(stage === 'retrieve' ? kept : [])].join(' ');
        });
        return el('span', { class: 'stage-pick' }, el('label', { for: sel.id }, STAGE_LABEL[stage]), sel, epochsBox);
    });
    m.ui.stageSets = el('input', { id: 'set-pipeline-stages', size: 28, autocomplete: 'off', spellcheck: false, dataset: { stages: '1' },
        value: STAGES.flatMap((st) => stagePreset(st, m.ui.stages[st].sel.value)).join(' ') });
    return el('div', { class: 'pick-row stage-row' }, ...parts);
}

/** The settings a pipeline's stage row and stage settings send. */
function stageParams(m) {
    const params = {};
    for (const stage of STAGES) {
        const { sel, epochs, epochsBox } = m.ui.stages[stage];
        params[stage] = sel.value;
        if (!epochsBox.hidden) params[`${stage}.epochs`] = epochs.value.trim() || String(stageEpochsOf(sel.value));
    }
    for (const t of m.ui.stageSets.value.split(/\s+/)) {
        const eq = t.indexOf('=');
        if (eq > 0) params[t.slice(0, eq)] = t.slice(eq + 1); // the engine checks each (a wrong one fails the card with its message)
    }
    return params;
}

/**
 * A pipeline's stages with their estimated steps: the engine counts a pipeline's steps but reports
 * neither the stage under way nor how many steps each takes, so the card estimates them from the
 * data: per epoch, a stage's training units over its batch (the training events, the positive ones
 * on labelled data held out; windows of max_len for the attention models, which batch sequences;
 * a model that learns in one pass takes one step). Returns [{ stage, name, epochs, perEpoch, steps }].
 */
function stagePlan(job) {
    const d = job.data;
    const s = job.setup;
    const [tr, va] = s.fractions ?? [1, 0];
    // the training part (a split without validation holds 10% of it out to stop early)
    const part = s.heldOut ? (va > 0 ? tr : tr * 0.9) : 1;
    const cold = s.protocol === 'cold-users'; // whole users held out: the others keep every event
    const positives = s.labelled ? d.positiveShare ?? 0.5 : 1;
    const trainLen = (n) => (!s.heldOut ? (n >= 3 ? n - 2 : n) : (cold ? n : n * part) * positives);
    return STAGES.map((stage) => {
        const name = job.params[stage];
        const info = infoOf(name);
        const setting = (k) => {
            const v = Number(job.params[`${stage}.${k}`] ?? info.params.find((x) => x.name === k)?.default);
            return Number.isFinite(v) && v > 0 ? v : 1;
        };
        const epochs = info.iterative ? setting('epochs') : 1;
        let units = 0;
        if (info.can.attention) {
            const len = setting('max_len');
            for (const n of d.lengths) { const t = trainLen(n); if (t >= 2) units += Math.ceil(t / len); }
        } else {
            for (const n of d.lengths) units += trainLen(n);
        }
        if (cold) units *= part;
        const perEpoch = info.iterative ? Math.max(1, Math.ceil(units / setting('batch'))) : 1;
        return { stage, name, epochs, perEpoch, steps: perEpoch * epochs };
    });
}

/** A pipeline's progress: the stage under way and its epoch, estimated from the steps done (stagePlan). */
function onStagedProgress(job, p) {
    const plan = job.plan;
    const total = plan[0].steps + plan[1].steps;
    if (p.done) {
        job.ui.bar.value = 1;
        job.ui.detail.textContent = `both stages trained: ${plan.map((st) => modelLabel(st.name)).join(' → ')}`;
        return;
    }
    const i = p.step < plan[0].steps ? 0 : 1;
    const st = plan[i];
    const into = Math.max(0, p.step - (i ? plan[0].steps : 0));
    const epoch = Math.min(st.epochs, Math.floor(into / st.perEpoch) + 1);
    job.ui.bar.value = Math.min(0.97, p.step / total);
    job.card.dataset.stage = st.stage;
    const parts = [`stage ${i + 1} of 2: ${modelLabel(st.name)}${st.epochs > 1 ? `, about epoch ${epoch} of ${st.epochs}` : ''}`,
        `step ${fmtInt(p.step)} of about ${fmtInt(total)}`];
    if (Number.isFinite(p.loss) && p.loss > 0) parts.push(`loss ${p.loss.toFixed(3)}`);
    job.ui.detail.textContent = parts.join(' · ');
    job.ui.status.textContent = `training stage ${i + 1} of 2…`;
}

function pickCard(m) {
    const info = infoOf(m.name);
    const check = el('input', { type: 'checkbox', id: `pick-${m.name}`, checked: m.ui?.check.checked ?? m.checked, dataset: { model: m.name } });
    const presetSel = el('select', { id: `preset-${m.name}` },
        ...m.presets.map((p, i) => el('option', { value: String(i) }, p.label)));
    const settings = el('div', { class: 'settings' });
    const about = el('p', { class: 'hint preset-about' });
    m.ui = { check, presetSel, settings, about };
    const stages = m.stages ? stageRow(m, info) : null;
    if (info.iterative && !m.stages) {
        m.ui.epochs = el('input', { id: `epochs-${m.name}`, type: 'number', min: 1, max: 1000, step: 1, class: 'epochs', dataset: { model: m.name } });
        m.ui.epochsNote = el('span', { class: 'hint' });
    }
    presetSel.addEventListener('change', () => settingInputs(m, m.presets[Number(presetSel.value)]));
    const card = el('div', { class: 'pick', style: { '--c': modelColour(m.name) }, dataset: { model: m.name } },
        el('label', { class: 'pick-name', for: check.id }, check, ' ', modelLabel(m.name)),
        // what a model uses beyond the session (users, labels, side features), from its info
        el('p', { class: 'hint about' }, m.about, info.uses.users || info.uses.labels || info.uses.features ? [' ', el('span', { class: 'caps' }, capsText(info))] : null),
        m.ui.epochs ? el('div', { class: 'pick-row' }, el('label', { for: m.ui.epochs.id }, 'Epochs'), m.ui.epochs, m.ui.epochsNote) : null,
        stages,
        m.presets.length > 1 || info.params.some((p) => p.name !== 'epochs') || Object.keys(m.presets[0].params).length
            ? el('details', { class: 'pick-settings' }, el('summary', {}, 'All settings'),
                m.presets.length > 1 ? el('div', { class: 'pick-row' }, el('label', { for: presetSel.id }, 'Preset'), presetSel) : null, about, settings)
            : null);
    settingInputs(m, m.presets[0]);
    return card;
}

/** The picker in two groups by what the models use: the session, or the users (collaborative and CTR). */
function renderPicker() {
    const names = state.engine.modelNames();
    const known = MODELS.filter((m) => names.includes(m.name));
    // the retrieval models read the session and side features both (their info); a pipeline too
    const retrieval = (m) => { const u = infoOf(m.name).uses; return u.history && u.features; };
    const groups = [
        { key: 'session', title: 'Session and item models: they read the session', models: known.filter((m) => !infoOf(m.name).uses.users) },
        { key: 'users', title: 'Collaborative and CTR models: they know their users (and labels, side features)', models: known.filter((m) => infoOf(m.name).uses.users && !retrieval(m)) },
        { key: 'retrieval', title: 'Retrieval and two stages: the session, the user and side features; a pipeline retrieves with one model and ranks with another', models: known.filter(retrieval) },
    ];
    ui.picker.replaceChildren(...groups.filter((g) => g.models.length).map((g) => el('div', { class: 'pick-group', dataset: { group: g.key } },
        el('h4', { class: 'pick-group-title' }, g.title), ...g.models.map(pickCard))));
}

/** Whether a model learns labels (its info) with a loss that can be BCE but by default is not. */
function autoBce(info) {
    const loss = info.params.find((p) => p.name === 'loss' && p.type === 'enum');
    const choices = loss?.choices.split('|') ?? [];
    return info.uses.labels && !!loss && choices[loss.default] !== 'bce' && choices.includes('bce');
}

/**
 * The settings a job sends. On labelled data held out, a model that learns from labels and whose
 * loss can be BCE (mf's default is BPR, which ignores them) trains with loss bce unless its loss
 * is chosen ("auto" in its settings).
 */
function chosenParams(m, setup) {
    const params = { seed: 42 };
    for (const input of m.ui.settings.querySelectorAll('input, select')) {
        if (input.dataset.stages) continue; // stageParams
        const v = input.value.trim();
        if (v === '' || (input.dataset.default !== undefined && v === input.dataset.default && !input.dataset.preset)) continue;
        params[input.name] = v;
    }
    if (m.ui.epochs) params.epochs = m.ui.epochs.value.trim() || String(PAGE_EPOCHS);
    if (setup.labelled && params.loss === undefined && autoBce(infoOf(m.name))) params.loss = 'bce';
    if (m.stages) Object.assign(params, stageParams(m));
    return params;
}

// ---- the protocol -----------------------------------------------------------------------------------

const PROTOCOL_TEXT = {
    loo: 'leave-one-out', random: 'random held-out events', temporal: 'temporal held-out events', 'cold-users': 'cold users', 'cold-items': 'cold items',
};

/** The key of a setup; leave-one-out without a drop is what the pretrained models were measured under. */
export function setupKey({ protocol = 'loo', fractions, seed, label = '', drop = '' } = {}) {
    return JSON.stringify(protocol === 'loo' ? { protocol, drop } : { protocol, fractions, seed, label, drop });
}

/**
 * The evaluation chosen above: { protocol, heldOut, fractions, seed, label, drop, labelled, key }.
 * The label is used by the held-out protocols only (the engine evaluates labels on held-out
 * events); key names the setup a result was measured under (the table shows one setup at a time).
 */
function currentSetup() {
    const d = state.data;
    const protocol = ui.protocol.value;
    const heldOut = protocol !== 'loo';
    const fractions = heldOut ? [ui.fracTrain, ui.fracValid, ui.fracTest].map((x) => Number(x.value)) : undefined;
    const seed = heldOut ? Number(ui.splitSeed.value) : undefined;
    const label = heldOut && d?.dataset.labelled ? d.source.label : '';
    const drop = d?.source?.drop ?? '';
    return { protocol, heldOut, fractions, seed, label, drop, labelled: !!label, key: setupKey({ protocol, fractions, seed, label, drop }) };
}

/** Why a setup cannot run (fractions that are not positive or add up to more than 1), or ''. */
function setupProblem(s) {
    if (!s.heldOut) return '';
    // validation may be 0: the engine then holds part of the training data out to stop early
    const [tr, va, te] = s.fractions;
    if (![tr, va, te].every((f) => Number.isFinite(f) && f >= 0 && f < 1) || !(tr > 0 && te > 0) || tr + va + te > 1 + 1e-9)
        return 'The train and test fractions must be between 0 and 1, validation 0 or more, and all three add up to at most 1.';
    if (!Number.isInteger(s.seed) || s.seed < 0) return 'The seed must be a whole number, 0 or more.';
    return '';
}

function describeSetup(s) {
    if (!s.heldOut) return 'leave-one-out, full ranking over every item, k = 10; under each figure, its 95% interval';
    const f = s.fractions.map((x) => Math.round(100 * x)).join('/');
    return `${PROTOCOL_TEXT[s.protocol]} (${f} train/valid/test, seed ${s.seed})${s.labelled ? `, label ${s.label}` : ''}: ` +
        `each test event${s.labelled ? ' with a positive label' : ''} ranked against every item, k = 10` +
        `${s.labelled ? '; AUC, GAUC and logloss over every labelled test event' : ''}; under each figure, its 95% interval (≤: at most that wide)`;
}

function renderProtocol() {
    const s = currentSetup();
    ui.splitBox.hidden = !s.heldOut;
    const d = state.data;
    const labelled = d?.dataset.labelled;
    const unit = d && (d.dataset.format === 'movielens' || d.dataset.format === 'seq') ? 'user' : 'session';
    let text = 'Each model trains in its own worker, two at a time (the rest wait in line), ';
    if (!s.heldOut) {
        text += `on all but each ${unit}’s last two events; the second-last picks the best epoch, the last one is the test.`;
        if (labelled) text += ` This data has a label (${d.source.label}), which leave-one-out leaves out: choose held-out events for AUC and logloss.`;
    } else {
        const what = { random: 'events drawn at random', temporal: 'the latest events', 'cold-users': `whole ${unit}s`, 'cold-items': 'whole items' }[s.protocol];
        text += `on what is left once ${what} are held out by the fractions (validation picks the best epoch, the test measures). `;
        text += labelled ? `With the label ${d.source.label}, histories and ranking targets are the positive events; AUC and logloss use every labelled one.`
            : 'Without a label every held-out event is a ranking target (no AUC or logloss: give a label in the data panel).';
    }
    ui.protocolNote.textContent = text;
}

/** The worker's parse of the data: the page's options, without the label under leave-one-out. */
function workerOptions(d, setup) {
    const o = { ...d.options };
    if (!setup.label) delete o.label;
    return o;
}

// ---- jobs ---------------------------------------------------------------------------------------

function jobCard(job) {
    const colour = modelColour(job.name);
    job.ui = {
        status: el('span', { class: 'run-status' }, 'waiting for a free core…'),
        bar: el('progress', { max: 1, value: 0, 'aria-label': `${modelLabel(job.name)} training progress` }),
        detail: el('p', { class: 'run-detail' }, job.iterative ? '\u00a0' : ''),
        cancel: el('button', { type: 'button', class: 'small', onclick: () => cancel(job) }, 'Cancel'),
    };
    // one-pass models: a name line and a result line, no bar (there is nothing to follow mid-way)
    job.card = el('article', { class: `run${job.iterative ? '' : ' one-pass'}`, dataset: { model: job.name, state: 'queued', kind: job.staged ? 'stages' : job.iterative ? 'epochs' : 'one-pass' },
        style: { '--c': colour }, 'aria-label': `${modelLabel(job.name)} training` },
    el('header', { class: 'run-head' }, el('h4', {}, modelLabel(job.name, job.params)), job.ui.status, job.ui.cancel),
    job.iterative ? job.ui.bar : null, job.ui.detail);
    return job.card;
}

// ---- the shared chart: the curve of every model that trains in epochs, one colour each -------------

/** The validation metric of a job: AUC on labelled data held out, else NDCG@10 (the engine's early-stopping metric). */
const validName = (job) => (job.setup.labelled ? 'AUC' : 'NDCG@10');

const CURVES = {
    validNdcg: { label: 'validation NDCG@10', caption: 'Validation NDCG@10 per epoch, every model that trains in epochs (higher is better)', fmt: (v) => v.toFixed(4), tick: (v) => v.toFixed(3) },
    loss: { label: 'training loss', caption: 'Training loss per epoch (lower is better; each model has its own loss: compare shapes, not heights)', fmt: (v) => v.toFixed(3), tick: (v) => v.toFixed(2) },
};
let curveKey = 'validNdcg';
let compare = null;

/** The validation curve's name and caption for the jobs on the chart (NDCG@10, AUC, or both). */
function validCurve(iterative) {
    const names = [...new Set(iterative.map(validName))];
    if (names.length === 1 && names[0] === 'NDCG@10') return CURVES.validNdcg;
    const name = names.length === 1 ? names[0] : names.join(' or ');
    return { ...CURVES.validNdcg, label: `validation ${name}`, caption: `Validation ${name} per epoch, every model that trains in epochs (higher is better)` };
}

function renderCompare() {
    // a pipeline's progress has no epochs of its own (its card follows its stages)
    const iterative = jobs.filter((j) => j.iterative && !j.staged);
    const curve = curveKey === 'validNdcg' ? validCurve(iterative) : CURVES.loss;
    ui.live.hidden = jobs.length === 0;
    ui.caption.textContent = curve.caption;
    const radio = document.querySelector('input[name="compare-metric"][value="validNdcg"]');
    if (radio) radio.nextSibling.textContent = ` ${validCurve(iterative).label}`;
    if (!iterative.length) {
        compare?.destroy(); compare = null;
        ui.chart.replaceChildren(el('p', { class: 'hint empty' }, 'Every model that trains in epochs (GRU4Rec, SASRec, MF, FM, …) draws its curve here, one colour each, as it trains.'));
        ui.legend.replaceChildren();
        return;
    }
    const series = iterative.map((j) => ({
        key: String(j.id), label: modelLabel(j.name), colour: modelColour(j.name),
        points: j.curve.map((p) => [p.epoch, p[curveKey]]).filter(([, v]) => Number.isFinite(v)),
    }));
    const xMax = Math.max(2, ...iterative.map((j) => Number(j.params.epochs) || 0), ...iterative.map((j) => j.curve.at(-1)?.epoch ?? 0));
    if (!compare) {
        ui.chart.replaceChildren();
        compare = compareChart(ui.chart);
    }
    compare.update(series, { xMax, yLabel: curve.label, fmt: curve.tick });
    ui.legend.replaceChildren(...iterative.map((j, i) => {
        const pts = series[i].points;
        const last = pts.at(-1);
        const best = curveKey === 'validNdcg' && pts.length ? pts.reduce((a, b) => (b[1] > a[1] ? b : a)) : null;
        const text = !last ? (j.status === 'queued' ? 'waiting' : j.status === 'running' ? 'first epoch…' : j.status)
            : `epoch ${last[0]}: ${curve.fmt(last[1])}${best && best !== last ? ` (best ${curve.fmt(best[1])}, epoch ${best[0]})` : ''}`;
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
    if (changed && job.iterative) renderCompare();
    updateButtons();
}

function updateButtons() {
    const active = jobs.filter((j) => j.status === 'queued' || j.status === 'running');
    ui.cancel.disabled = active.length === 0;
    ui.start.disabled = !state.data;
    ui.note.textContent = active.length ? `${active.filter((j) => j.status === 'running').length} training, ` +
        `${active.filter((j) => j.status === 'queued').length} waiting.` : '';
}

/**
 * The threads of one training worker: the cores, shared by the trainings that run at once (so
 * two trainings on two cores take one each rather than four threads fighting for two cores).
 */
function threadsPerTraining() {
    const cores = navigator.hardwareConcurrency || 1;
    const together = Math.min(PARALLEL, jobs.filter((j) => j.status === 'queued' || j.status === 'running').length);
    return Math.max(1, Math.min(8, Math.floor(cores / Math.max(1, together))));
}

/**
 * Where the models train: the threads of a worker's engine and its module (the page's own engine
 * until a worker has started: it loads the same way). The threaded module needs a cross-origin
 * isolated page (serve.mjs's COOP/COEP headers) for its shared memory.
 */
function showThreads({ threads, build }, wanted) {
    const n = `${threads} thread${threads === 1 ? '' : 's'}`;
    const cores = navigator.hardwareConcurrency || 1;
    const why = build === 'threads' ? 'threaded module'
        : !globalThis.crossOriginIsolated ? 'single-thread module: this page is not cross-origin isolated'
            : cores < 2 ? 'single-thread module: this device reports one core'
                : wanted === 1 ? `single-thread module: ${PARALLEL} trainings at once share the ${cores} cores`
                    : 'single-thread module: the helper threads did not start';
    ui.threads.textContent = `Training on ${n} per model (${why})`;
    ui.threads.dataset.threads = String(threads);
    ui.threads.dataset.build = build;
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
    if (job.staged) { onStagedProgress(job, p); return; }
    if (p.epoch > job.lastEpoch && p.epoch > 0 && Number.isFinite(p.loss)) {
        job.curve.push({ epoch: p.epoch, loss: p.loss, validNdcg: p.validNdcg });
        renderCompare();
    }
    job.lastEpoch = p.epoch;
    if (p.epochs <= 1 && !job.curve.length) return; // one-pass models: nothing to report mid-way
    const left = timeLeft(job, p);
    const parts = [`epoch ${p.epoch} of ${p.epochs}`];
    if (Number.isFinite(p.loss) && p.loss > 0) parts.push(`loss ${p.loss.toFixed(3)}`);
    if (p.validNdcg > 0) parts.push(`valid ${validName(job)} ${p.validNdcg.toFixed(4)}`);
    if (p.positionsPerSecond > 0) parts.push(`${fmtInt(p.positionsPerSecond)} positions/s`);
    job.ui.detail.textContent = parts.join(' · ');
    job.ui.status.textContent = Number.isFinite(left) ? `training · about ${fmtMs(left)} left at most` : 'training…';
}

async function run(job) {
    setJobState(job, 'running', 'starting a worker…');
    const { signal } = job.controller;
    const s = job.setup;
    const split = s.heldOut ? { protocol: s.protocol, fractions: s.fractions, seed: s.seed } : {};
    let worker = null;
    try {
        const threads = threadsPerTraining();
        worker = await countedWorker({ threads });
        job.worker = worker;
        showThreads(worker, threads);
        signal.throwIfAborted();
        const d = job.data;
        // the worker parses its own copy: the demo store's text, or the file's bytes (moved there)
        const ds = await worker.dataset(d.source.kind === 'demo' ? d.source.text : d.bytes.slice(), workerOptions(d, s));
        // titles added to the data go into the model file too (they come back with a saved model)
        for (const t of d.titles ?? []) await ds.loadTitles(t.bytes.slice(), { source: t.name });
        const model = await worker.model(job.name, job.params);
        setJobState(job, 'running', 'training…');
        const last = await model.fit(ds, { ...(s.heldOut ? split : { leaveOneOut: true }), signal, onProgress: (p) => onProgress(job, p) });
        job.ui.bar.value = 1;
        setJobState(job, 'running', s.heldOut ? 'evaluating on the held-out test events…' : 'evaluating on every session’s last click…');
        const report = await model.evaluate(ds, { k: 10, ...split });
        const bytes = await model.save();
        worker.terminate();
        const main = state.engine.loadModel(bytes.slice(), { source: `${job.name}.safetensors` });
        const trainMs = last.elapsedMs;
        const plan = job.plan;
        const epochs = job.staged ? plan.map((st) => st.epochs).join(' + ') : job.iterative ? last.epoch : null;
        const f = report.full;
        const n = f.users ?? f.queries;
        const test = s.labelled && Number.isFinite(f.AUC) ? `test AUC ${fmtMetric(f.AUC)} · NDCG@10 ${fmtMetric(f['NDCG@10'])}` : `test NDCG@10 ${fmtMetric(f['NDCG@10'])}`;
        const ndcg = `${test} (${fmtInt(n)} ${s.heldOut ? 'test events' : 'users'})`;
        const loss = job.params.loss && s.labelled ? ` · loss ${job.params.loss}` : '';
        // cold users come with no session: a ranking stage that reads nothing else scores their candidates alike
        const blind = job.staged && s.protocol === 'cold-users' && !infoOf(plan[1].name).uses.features
            ? ` · cold users have no session and ${modelLabel(plan[1].name)} reads nothing else, so it scores their candidates alike: choose a ranking stage that reads side features` : '';
        job.ui.detail.textContent = job.staged
            ? `${plan.map((st) => `${modelLabel(st.name)}${infoOf(st.name).iterative ? ` (${st.epochs} epochs)` : ''}`).join(' → ')}, ${job.params.candidates ?? infoOf(job.name).params.find((x) => x.name === 'candidates')?.default} candidates · ${ndcg}${blind}`
            : job.iterative ? `${last.epoch} epochs, best ${last.bestEpoch} kept · ${ndcg}${loss}` : `one pass, no epochs · ${ndcg}`;
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
async function save(entry, bytes, { report, trainMs, epochs, setup }) {
    if (!state.store) return false;
    try {
        // one saved model per data, name and protocol (leave-one-out keeps the plain name)
        await state.store.saveModel(`${entry.dataKey}|${entry.name}${setup.heldOut ? `|${setup.protocol}` : ''}`, bytes, {
            label: `${entry.label} (${entry.dataKey === 'demo' ? 'demo store' : state.data?.label ?? entry.dataKey})`,
            model: entry.name, dataKey: entry.dataKey, metrics: report.full, seen: report.exclude_seen, trainMs, epochs,
            curve: entry.curve, params: entry.params, setup: setup.key,
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
        id: newId(), name: job.name, label: modelLabel(job.name, job.params), origin: 'trained', dataKey: job.data.key,
        model: main, curve: job.curve.slice(), size: bytes.length, params: job.params, setup: job.setup.key,
    };
    addModel(entry);
    addResult({ name: job.name, origin: 'trained', dataKey: job.data.key, metrics: report.full, epochs, trainMs, params: job.params,
        seen: report.exclude_seen, setup: job.setup.key });
    const saved = await save(entry, bytes, { report, trainMs, epochs, setup: job.setup });
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
    if (!running) renderResults(); // the significance tests wait for this
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
    const picked = MODELS.filter((m) => m.ui?.check.checked);
    if (!picked.length) { ui.note.textContent = 'Pick at least one model.'; return; }
    const setup = currentSetup();
    const problem = setupProblem(setup);
    if (problem) { ui.note.textContent = problem; return; }
    // Finished cards of earlier runs make room for the new ones.
    for (const j of jobs.filter((x) => x.status !== 'queued' && x.status !== 'running')) {
        j.card.remove();
        jobs.splice(jobs.indexOf(j), 1);
    }
    for (const m of picked) {
        const job = {
            id: newId(), name: m.name, params: chosenParams(m, setup), iterative: infoOf(m.name).iterative, data: state.data, setup,
            status: 'queued', controller: new AbortController(), curve: [], lastEpoch: -1, staged: !!m.stages,
        };
        if (job.staged) job.plan = stagePlan(job);
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
    state.results.push({ id: newId(), label: modelLabel(row.name, row.params), ...row });
    emit('results');
}

/**
 * The metric columns. The ranking ones always show; coverage where the report has it (leave-one-out);
 * AUC, GAUC and logloss where rows were measured on labelled events, RMSE and MAE where on rated
 * ones (held-out protocols): a model whose report has none of them there shows "–", with the reason
 * its info gives.
 */
const COLUMNS = [
    { key: 'HR@10', ranked: true },
    { key: 'NDCG@10', ranked: true },
    { key: 'MRR@10', ranked: true },
    { key: 'coverage@10', label: 'Coverage@10', when: (rows) => rows.some((r) => Number.isFinite(r.metrics['coverage@10'])) },
    { key: 'AUC', when: (rows) => rows.some((r) => r.metrics.labelled > 0), why: 'not measured' },
    { key: 'GAUC', when: (rows) => rows.some((r) => r.metrics.labelled > 0), why: 'no test user with both a positive and a negative event' },
    { key: 'logloss', label: 'Logloss', when: (rows) => rows.some((r) => r.metrics.labelled > 0), lowerBetter: true,
        why: (info) => (info?.predicts === 'probability' ? 'not measured' : 'its scores are not probabilities (it ranks by a score), so logloss does not apply') },
    { key: 'RMSE', when: (rows) => rows.some((r) => r.metrics.rated > 0), lowerBetter: true,
        why: () => 'it does not predict ratings (a model trained with loss mse does)' },
    { key: 'MAE', when: (rows) => rows.some((r) => r.metrics.rated > 0), lowerBetter: true,
        why: () => 'it does not predict ratings (a model trained with loss mse does)' },
];
const RANKED = COLUMNS.filter((c) => c.ranked).map((c) => c.key);
/** Fewer test users than this: no model is called the best, whatever the figures. */
const MIN_USERS = 200;
const LOO_KEY = setupKey();

/** The rows of the current data measured under the setup chosen above. */
function visibleResults() {
    const key = currentSetup().key;
    return state.results.filter((r) => r.dataKey === state.data?.key && (r.setup ?? LOO_KEY) === key);
}

const rowName = (r) => `${r.label}${r.origin === 'pretrained' ? ' (pretrained)' : ''}`;
/** Test users (leave-one-out) or test queries (held-out events): how many were ranked. */
const tested = (r) => r.metrics.users ?? r.metrics.queries;

/**
 * The 95% interval of a row's metric: the engine's (full.ci95), or for a report without one (the
 * pretrained models' manifest, the held-out protocols' HR and MRR) the widest the normal
 * approximation allows for that many users: a per-user value in [0, 1] has variance at most
 * m(1 - m), exactly so for HR.
 */
function interval(r, k) {
    const ci = r.metrics.ci95?.[k];
    if (Array.isArray(ci) && ci.length === 2) return { lo: ci[0], hi: ci[1], bound: false };
    const m = r.metrics[k];
    const n = tested(r);
    if (!(n > 0) || !Number.isFinite(m)) return null;
    const h = 1.96 * Math.sqrt(Math.max(0, m * (1 - m)) / n);
    return { lo: Math.max(0, m - h), hi: Math.min(1, m + h), bound: true };
}

/** Which row is best per ranked metric, only when it stands clear; and the sentence why not. */
function verdict(rows, unit) {
    const best = {};
    if (rows.length < 2) return { best, warning: '' };
    const users = rows.map(tested).filter((n) => Number.isFinite(n));
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

function metricCell(r, col, best, unit) {
    const k = col.key;
    const v = r.metrics[k];
    if (!col.ranked) {
        const why = typeof col.why === 'function' ? col.why(state.engine?.modelInfo(r.name)) : col.why;
        return el('td', { class: 'num', dataset: { metric: k }, title: Number.isFinite(v) ? null : why && `${r.label}: ${why}` },
            el('span', { class: 'val' }, k === 'coverage@10' || !Number.isFinite(v) ? fmtMetric(v) : v.toFixed(4)));
    }
    const iv = interval(r, k);
    return el('td', { class: `num${best[k] === r.id ? ' best' : ''}`, dataset: { metric: k } },
        el('span', { class: 'val' }, fmtMetric(v)),
        iv ? el('span', { class: 'ci', title: iv.bound
            ? `95% interval at most this wide (${fmtInt(tested(r))} test ${unit}; the report keeps no per-${unit.replace(/s$/, '')} spread)`
            : `95% interval over the ${fmtInt(tested(r))} test ${unit}` },
        `${iv.bound ? '≤ ' : ''}${iv.lo.toFixed(3)}–${iv.hi.toFixed(3)}`) : null);
}

/** The columns of the rows shown, and the name of what was tested (users, sessions, or held-out events). */
function layout(rows) {
    const setup = currentSetup();
    const fmt = state.data?.dataset?.format;
    const unit = setup.heldOut ? 'events' : fmt === 'movielens' || fmt === 'seq' ? 'users' : 'sessions';
    return { setup, unit, cols: COLUMNS.filter((c) => c.ranked || c.when(rows)) };
}

function renderHead(cols, setup, unit) {
    const th = (text, props = {}) => el('th', { scope: 'col', ...props }, text);
    ui.head.closest('table').classList.toggle('wide', cols.length > 4);
    ui.head.replaceChildren(th('Model'), th('Trained'),
        th(`Test ${unit}`, { class: 'num', id: 'results-users', title: setup.heldOut
            ? `The held-out test events ranked${setup.labelled ? ' (those with a positive label)' : ''}`
            : 'The users (or sessions) whose last click was the test' }),
        ...cols.map((c) => th(c.label ?? c.key, { class: 'num', dataset: { metric: c.key },
            title: c.lowerBetter ? 'lower is better' : c.ranked ? null : 'higher is better' })),
        th('Epochs', { class: 'num' }), th('Training time', { class: 'num' }));
    ui.hint.textContent = describeSetup(setup);
}

function renderResults() {
    const rows = visibleResults();
    const { setup, unit, cols } = layout(rows);
    renderHead(cols, setup, unit);
    ui.export.disabled = rows.length === 0;
    const others = state.results.filter((r) => r.dataKey === state.data?.key).length - rows.length;
    const otherNote = others > 0 ? ` ${others} more result${others > 1 ? 's' : ''} for this data under another evaluation (choose it above to see ${others > 1 ? 'them' : 'it'}).` : '';
    if (!rows.length) {
        ui.seen.textContent = otherNote.trim();
        ui.warn.hidden = true;
        ui.body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colSpan: 5 + cols.length },
            'No results yet for this data and evaluation: pick models above and press “Train selected”.')));
        return;
    }
    // which seen-items rule the rows were measured under (the engine's reason, once per distinct one)
    const reasons = [...new Set(rows.filter((r) => r.seen).map((r) => r.seen.reason))];
    ui.seen.textContent = (reasons.length ? `Items already in a session: ${reasons.join('; ')}.` : '') + otherNote;
    const { best, warning } = verdict(rows, unit);
    const marks = significance(rows, setup, unit);
    ui.warn.textContent = warning;
    ui.warn.hidden = !warning;
    ui.body.replaceChildren(...rows.map((r) => el('tr', { dataset: { model: r.name, origin: r.origin } },
        el('th', { scope: 'row' }, el('span', { class: 'dot', style: { '--c': modelColour(r.name) }, 'aria-hidden': 'true' }), r.label, marksOf(r, marks)),
        el('td', {}, r.origin === 'pretrained' ? 'pretrained file' : r.restored ? 'in this browser, earlier' : 'in this tab'),
        el('td', { class: 'num', dataset: { metric: setup.heldOut ? 'queries' : 'users' } }, Number.isFinite(tested(r)) ? fmtInt(tested(r)) : '–'),
        ...cols.map((c) => metricCell(r, c, best, unit)),
        el('td', { class: 'num' }, r.epochs ?? '–'),
        el('td', { class: 'num' }, r.trainMs == null ? '–' : fmtMs(r.trainMs)))));
}

// ---- significance: the paired tests of engine.compare between the rows' models ----------------------

/** compare's reports by the rows they cover (data, setup and row ids); a pending one is a promise. */
const compared = new Map();
const sigNote = $('results-signif');

/** The page model behind a result row (the same name, origin, data and setup), if it is still there. */
function modelOfRow(r) {
    return state.models.find((m) => m.name === r.name && m.origin === r.origin && m.dataKey === r.dataKey && (m.setup ?? LOO_KEY) === (r.setup ?? LOO_KEY));
}

/**
 * Once two or more rows of this table were measured on the same split and one was trained here,
 * engine.compare (in a worker) tests each pair's NDCG@10 on the same test users, Holm-corrected
 * across the pairs. Returns { [row id]: [{ other, better, p }] } for the pairs where the row has
 * the higher mean (each pair is told once), or null while there is nothing (yet).
 */
function significance(rows, setup, unit) {
    // one row per model (a model trained again replaces the page's copy: its newest row speaks for it)
    const usable = rows.map((r) => ({ r, m: modelOfRow(r) })).filter((x, i, all) => x.m && !all.slice(i + 1).some((y) => y.m === x.m));
    if (usable.length < 2 || !usable.some((x) => x.r.origin === 'trained')) {
        sigNote.textContent = '';
        return null;
    }
    if (usable.length > 8) { // engine.compare takes at most 8 models
        sigNote.textContent = `Which differences are real: the paired tests compare up to 8 models at once, and this table has ${usable.length}.`;
        return null;
    }
    // while models train, the tests wait (they would take cores from the trainings)
    if (jobs.some((j) => j.status === 'queued' || j.status === 'running')) {
        sigNote.textContent = `Which differences are real: tested once the trainings finish.`;
        return null;
    }
    const key = JSON.stringify([state.data.key, setup.key, usable.map((x) => x.r.id)]);
    const got = compared.get(key);
    if (!got) {
        const d = state.data;
        const p = compareInWorker(d, usable.map((x) => x.m), setup)
            .then((report) => { compared.set(key, { report, usable }); })
            .catch((e) => { compared.set(key, { error: errorText(e) }); })
            .finally(() => { if (state.data === d) renderResults(); });
        compared.set(key, { pending: p });
    }
    if (!got || got.pending) {
        sigNote.textContent = `Testing which differences are real (paired tests on the same test ${unit}, in a worker)…`;
        return null;
    }
    if (got.error) { sigNote.textContent = `The significance tests failed: ${got.error}`; return null; }
    const pairs = got.report.pairs.filter((p) => p.metric === 'NDCG@10');
    const out = {};
    let i = 0;
    for (let a = 0; a < got.usable.length; a++) {
        for (let b = a + 1; b < got.usable.length; b++, i++) {
            const p = pairs[i];
            if (!p) continue;
            const [hi, lo] = p.diff >= 0 ? [got.usable[a].r, got.usable[b].r] : [got.usable[b].r, got.usable[a].r];
            (out[hi.id] ??= []).push({ other: lo, better: Number.isFinite(p.holm_p) && p.holm_p < 0.05, p: p.holm_p });
        }
    }
    sigNote.textContent = `Under each model: whether its NDCG@10 is really above each model with a lower one, by a paired t-test on the same ` +
        `${fmtInt(got.report.queries)} test ${unit} (Holm-corrected for testing ${pairs.length} pair${pairs.length > 1 ? 's' : ''} at once: ` +
        'each p is raised so that, all pairs together, chance alone passes 0.05 at most one time in 20). ' +
        `Pairing the same test ${unit} makes it more sensitive than comparing two intervals: it can find a real difference where the intervals overlap.`;
    return out;
}

function marksOf(r, marks) {
    const list = marks?.[r.id];
    if (!list?.length) return null;
    // "better than A (p < 0.001), B (p = 0.012); not distinguishable from C (p = 0.4)"
    const group = (better, lead) => {
        const xs = list.filter((x) => x.better === better);
        return xs.length ? [lead, ...xs.flatMap((x, i) => [i ? ', ' : '',
            el('span', { class: better ? 'yes' : 'no', dataset: { other: x.other.name, better: String(better), p: String(x.p) } },
                `${x.other.label} (${fmtP(x.p)})`)])] : [];
    };
    const yes = group(true, 'better than ');
    const no = group(false, 'not distinguishable from ');
    return el('span', { class: 'sig', dataset: { marks: String(list.length) } }, ...yes, yes.length && no.length ? '; ' : '', ...no);
}

/** The table as CSV: its columns (leave-one-out: users, HR, NDCG, MRR, coverage), intervals, epochs, time, settings. */
function exportCsv() {
    const q = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const rows = visibleResults();
    const { setup, cols } = layout(rows);
    const keys = cols.map((c) => c.key);
    const lines = [['model', 'trained', 'data', ...(setup.heldOut ? ['protocol', 'queries'] : ['users']), ...keys,
        ...RANKED.flatMap((k) => [`${k}_ci95_low`, `${k}_ci95_high`]), 'epochs', 'train_seconds', 'params'].join(',')];
    for (const r of rows) {
        const cis = RANKED.flatMap((k) => { const iv = interval(r, k); return iv ? [iv.lo.toFixed(6), iv.hi.toFixed(6)] : ['', '']; });
        lines.push([r.name, r.origin, q(state.data.label), ...(setup.heldOut ? [q(describeSetup(setup).split(':')[0])] : []), tested(r) ?? '',
            ...keys.map((k) => r.metrics[k] ?? ''), ...cis,
            r.epochs ?? '', r.trainMs == null ? '' : (r.trainMs / 1000).toFixed(3), q(JSON.stringify(r.params ?? {}))].join(','));
    }
    download('wasmrec-results.csv', lines.join('\n') + '\n', 'text/csv');
}

let presetsLoaded = false;
/** The picker needs the presets and the engine's model info: drawn when both are there. */
function pickerReady() {
    if (presetsLoaded && state.engine && !ui.picker.childElementCount) renderPicker();
}

export async function initTrain() {
    on('engine', () => showThreads(state.engine)); // before the presets: the engine may come first
    await loadPresets();
    presetsLoaded = true;
    pickerReady();
    renderResults();
    ui.start.addEventListener('click', startSelected);
    ui.cancel.addEventListener('click', () => { for (const j of jobs.slice()) cancel(j); });
    ui.export.addEventListener('click', exportCsv);
    for (const radio of document.querySelectorAll('input[name="compare-metric"]')) {
        radio.addEventListener('change', () => { if (radio.checked) { curveKey = radio.value; renderCompare(); } });
    }
    const changed = () => { renderProtocol(); renderResults(); };
    ui.protocol.addEventListener('change', changed);
    for (const input of [ui.fracTrain, ui.fracValid, ui.fracTest, ui.splitSeed]) input.addEventListener('change', changed);
    on('engine', pickerReady);
    on('results', renderResults);
    on('data', () => { renderProtocol(); renderResults(); updateButtons(); });
    renderProtocol();
    updateButtons();
}
