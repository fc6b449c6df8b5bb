// experiment.mjs: panel 3, a simulated online experiment between two models (engine.experiment),
// and the worker runs that train.mjs's significance marks use (engine.compare). Both run in a
// worker of their own (privacy.mjs's countedWorker), on a copy of the data and of the models'
// bytes, so the page stays responsive; the worker ends when the answer is back.
//
// The panel: pick model A and model B (those trained here or shipped for this data under
// leave-one-out, or most-popular, Markov or item-kNN trained on the spot, one pass each); every
// held-out user's last click is what they want next, and each arm shows its top 10. It shows per
// arm users, clicks and CTR with its 95% interval; Welch's and Mann-Whitney's p; the users needed
// for 80% power; the interleaving's wins, ties and p; Welch's p as users arrive (ab.p_by_users)
// on a chart with a line at 0.05; and the A/A rates that make the peeking lesson.
import { state, on, currentModels } from './state.mjs';
import { $, el, fmtInt, modelLabel, modelColour, errorText } from './ui.mjs';
import { pValueChart } from './charts.mjs';
import { countedWorker } from './privacy.mjs';

const ui = {
    a: $('exp-a'), b: $('exp-b'), click: $('exp-click'), seed: $('exp-seed'), run: $('exp-run'), note: $('exp-note'),
    out: $('exp-out'), arms: $('exp-arms-body'), tests: $('exp-tests'), inter: $('exp-inter'), chart: $('exp-chart'),
    chartNote: $('exp-chart-note'), aa: $('exp-aa'),
};

/** Models that train in one pass, offered even when nobody trained them yet. */
const QUICK = ['markov', 'pop', 'itemknn'];

/** A p-value for people: "p < 0.001", else three decimals. */
export function fmtP(p) {
    if (p === null || p === undefined || !Number.isFinite(p)) return 'p not defined (no clicks to compare)';
    return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}
const pct = (x) => `${(100 * x).toFixed(1)}%`;

/** The data as the worker parses it: the demo store's text or the file's bytes; no label under leave-one-out. */
function workerInput(d, { labelled = false } = {}) {
    const o = { ...d.options };
    if (!labelled) delete o.label;
    return [d.source.kind === 'demo' ? d.source.text : d.bytes.slice(), o];
}

/** A worker with the data and copies of the models (page entries, or a QUICK name to train there, leave-one-out). */
async function inWorker(d, models, { labelled = false } = {}, fn) {
    const worker = await countedWorker();
    try {
        const ds = await worker.dataset(...workerInput(d, { labelled }));
        for (const t of d.titles ?? []) await ds.loadTitles(t.bytes.slice(), { source: t.name });
        const copies = [];
        for (const m of models) {
            if (typeof m === 'string') {
                const wm = await worker.model(m, { seed: 42 });
                await wm.fit(ds, { leaveOneOut: true });
                copies.push(wm);
            } else {
                copies.push(await worker.loadModel(m.model.save(), { source: `${m.name}.safetensors` }));
            }
        }
        return await fn(worker, ds, copies);
    } finally {
        worker.terminate();
    }
}

/**
 * engine.compare in a worker: entries (page models trained under setup) on the current data;
 * setup as train.mjs's (protocol, fractions, seed, labelled). Resolves to compare's report.
 */
export async function compareInWorker(d, entries, setup) {
    const opts = setup.heldOut ? { protocol: setup.protocol, fractions: setup.fractions, seed: setup.seed } : {};
    return inWorker(d, entries, { labelled: setup.labelled }, async (worker, ds, ms) => (await worker.compare(ds, ms, opts)).report);
}

// ---- the model choice -----------------------------------------------------------------------------

/** The page's models that can take part: this data's, measured under leave-one-out (the experiment's split). */
function candidates() {
    return currentModels().filter((m) => m.origin === 'file' || m.setup === undefined || JSON.parse(m.setup).protocol === 'loo');
}

const ORIGIN = { pretrained: 'pretrained', trained: 'trained here', file: 'from a file' };

/** The options: the page's models, then the one-pass ones not among them (trained when the experiment runs). */
function options() {
    const models = candidates();
    const opts = models.map((m) => ({ value: `m:${m.id}`, label: `${m.label} (${ORIGIN[m.origin] ?? m.origin})`, entry: m }));
    for (const name of QUICK) {
        if (!state.engine?.modelNames().includes(name) || models.some((m) => m.name === name)) continue;
        opts.push({ value: `new:${name}`, label: `${modelLabel(name)} (trains on Run)`, name });
    }
    return opts;
}

/** The result row of a page model (its NDCG@10 under leave-one-out), if any. */
function ndcgOf(entry) {
    const r = state.results.filter((x) => x.name === entry.name && x.origin === entry.origin && x.dataKey === entry.dataKey
        && (x.setup ?? undefined) === entry.setup).at(-1);
    return r?.metrics?.['NDCG@10'] ?? -Infinity;
}

/** The default pair: the two best (NDCG@10) of the models trained here, else Markov against most-popular. */
function defaults(opts) {
    const trained = opts.filter((o) => o.entry?.origin === 'trained').sort((x, y) => ndcgOf(y.entry) - ndcgOf(x.entry));
    if (trained.length >= 2) return [trained[0].value, trained[1].value];
    const named = (name) => opts.find((o) => (o.entry?.name ?? o.name) === name)?.value;
    const a = named('markov') ?? opts[0]?.value;
    const b = named('pop') ?? opts.find((o) => o.value !== a)?.value;
    return [a, b];
}

let touched = false;
let lastOpts = [];

function renderChoice() {
    const opts = options();
    lastOpts = opts;
    const [da, db] = defaults(opts);
    for (const [sel, def] of [[ui.a, da], [ui.b, db]]) {
        const keep = touched && opts.some((o) => o.value === sel.value) ? sel.value : def;
        sel.replaceChildren(...opts.map((o) => el('option', { value: o.value, selected: o.value === keep }, o.label)));
        if (keep) sel.value = keep;
    }
    ui.run.disabled = !state.data || opts.length < 2 || running;
}

// ---- running it ---------------------------------------------------------------------------------

let running = false;

/** What the test and the closing note read: the last report and the models' names. */
export const last = { report: null, a: null, b: null, seed: null, click: null };

async function run() {
    const d = state.data;
    if (!d) return;
    if (ui.a.value === ui.b.value) { ui.note.textContent = 'Pick two different models: the same one twice is the A/A test below.'; return; }
    const pick = (v) => lastOpts.find((o) => o.value === v);
    const [pa, pb] = [pick(ui.a.value), pick(ui.b.value)];
    if (!pa || !pb) return;
    const seed = Number(ui.seed.value);
    if (!Number.isInteger(seed) || seed < 0) { ui.note.textContent = 'The seed must be a whole number, 0 or more.'; return; }
    const click = ui.click.value;
    running = true;
    ui.run.disabled = true;
    ui.note.textContent = `Serving every held-out ${unitOf(d)}… (A/A: 1,000 more runs)`;
    const t0 = performance.now();
    try {
        const report = await inWorker(d, [pa.entry ?? pa.name, pb.entry ?? pb.name], {},
            (worker, ds, [ma, mb]) => worker.experiment(ds, ma, mb, { click, seed }));
        if (state.data !== d) return; // the data changed meanwhile
        Object.assign(last, { report, a: pa.entry?.name ?? pa.name, b: pb.entry?.name ?? pb.name, seed, click });
        render(report, pa, pb, d);
        ui.note.textContent = `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s, in a worker.`;
    } catch (e) {
        ui.note.textContent = `The experiment failed: ${errorText(e)}`;
    } finally {
        running = false;
        ui.run.disabled = !state.data;
    }
}

const unitOf = (d) => (d.dataset.format === 'movielens' || d.dataset.format === 'seq' ? 'user' : 'session');

let chart = null;

function render(r, pa, pb, d) {
    const unit = unitOf(d);
    const names = [pa, pb].map((o) => (o.entry ? o.entry.label : modelLabel(o.name)));
    ui.out.hidden = false;
    ui.out.dataset.users = String(r.users);
    // (a) the A/B test
    ui.arms.replaceChildren(...r.ab.arms.map((arm, i) => el('tr', { dataset: { arm: String(i), model: arm.model } },
        el('th', { scope: 'row' }, el('span', { class: 'dot', style: { '--c': modelColour(arm.model) }, 'aria-hidden': 'true' }), `${'AB'[i]}: ${names[i]}`),
        el('td', { class: 'num', dataset: { col: 'users' } }, fmtInt(arm.users)),
        el('td', { class: 'num', dataset: { col: 'clicks' } }, fmtInt(arm.clicks)),
        el('td', { class: 'num', dataset: { col: 'ctr' } }, el('span', { class: 'val' }, pct(arm.ctr)),
            el('span', { class: 'ci' }, `${pct(arm.ci95[0])}–${pct(arm.ci95[1])}`)))));
    const sig = (p) => (Number.isFinite(p) && p < 0.05 ? 'below 0.05: a real difference, by the usual bar' : 'not below 0.05: this could be chance');
    const need = r.ab.users_for_80_power;
    ui.tests.replaceChildren(
        el('li', { dataset: { key: 'welch_p' } }, el('strong', {}, 'Welch’s t-test: '), fmtP(r.ab.welch_p), ` (${sig(r.ab.welch_p)}). `,
            el('span', { class: 'hint' }, 'It compares the two arms’ click rates, allowing their spreads to differ.')),
        el('li', { dataset: { key: 'mannwhitney_p' } }, el('strong', {}, 'Mann-Whitney U test: '), fmtP(r.ab.mannwhitney_p), '. ',
            el('span', { class: 'hint' }, 'The same question by ranks instead of averages (no assumption about the shape of the data).')),
        el('li', { dataset: { key: 'users_for_80_power', value: String(need) } }, el('strong', {}, 'Users needed: '),
            need ? `${fmtInt(need)} ${unit}s in all` : 'none can tell (the two rates are the same)',
            ` (this test has ${fmtInt(r.users)}). `,
            el('span', { class: 'hint' }, 'How many it takes to catch a difference this size 8 times in 10 (“80% power”).')));
    // (b) interleaving
    const it = r.interleaving;
    ui.inter.replaceChildren(
        el('span', { dataset: { key: 'wins_a' } }, `${names[0]} wins ${fmtInt(it.wins_a)}`), ', ',
        el('span', { dataset: { key: 'wins_b' } }, `${names[1]} wins ${fmtInt(it.wins_b)}`), ', ',
        el('span', { dataset: { key: 'ties' } }, `${fmtInt(it.ties)} ties (no click)`), '; ',
        el('span', { dataset: { key: 'p' } }, fmtP(it.p)), '. ',
        el('span', { dataset: { key: 'users_for_80_power', value: String(it.users_for_80_power) } }, it.users_for_80_power
            ? `It needs about ${fmtInt(it.users_for_80_power)} ${unit}s for 80% power, against ${need ? fmtInt(need) : '–'} for the A/B test.`
            : 'Neither model wins more often: no number of users would tell them apart.'));
    // (c) the p-value as users arrive, and the A/A runs
    const pts = r.ab.p_by_users;
    chart?.destroy();
    ui.chart.replaceChildren();
    chart = pts.length ? pValueChart(ui.chart, pts) : null;
    ui.chart.dataset.points = String(pts.length);
    const under = pts.filter(([, p]) => Number.isFinite(p) && p < 0.05).length;
    const first = pts.find(([, p]) => Number.isFinite(p) && p < 0.05);
    ui.chartNote.textContent = !pts.length ? `Fewer than 100 ${unit}s: nothing to draw.`
        : `Welch’s p after every 100 ${unit}s (the dashed line is 0.05): under the line at ${under} of ${pts.length} looks` +
            `${first ? `, first after ${fmtInt(first[0])}` : ''}.`;
    const aa = r.aa;
    ui.aa.replaceChildren(
        el('p', {}, `An A/A test puts ${names[0]} in both arms, so any “difference” is luck; a test at the 5% level should be fooled about 5% of the time. Over ${fmtInt(aa.runs)} A/A runs on these ${unit}s it was fooled:`),
        el('ul', {},
            el('li', { dataset: { key: 'fixed_horizon_rejections' } }, el('strong', {}, pct(aa.fixed_horizon_rejections)), ' looking once, at the end (fixed horizon)'),
            el('li', { dataset: { key: 'peeking_every_100_rejections' } }, el('strong', {}, pct(aa.peeking_every_100_rejections)),
                ` looking after every 100 ${unit}s and stopping at the first p < 0.05 (peeking)`),
            el('li', { dataset: { key: 'msprt_every_100_rejections' } }, el('strong', {}, pct(aa.msprt_every_100_rejections)),
                ' with a test made to be checked that often (mSPRT, an “always-valid” test)')),
        el('p', { class: 'lesson' }, el('strong', {}, 'The peeking lesson: '),
            'if you watch the p-value as users arrive and stop the first time it dips under 0.05, you will “find” differences that are not there far more often than 5%; decide the number of users before you start, or use a test built for watching.'));
}

export function initExperiment() {
    if (window.wasmrecDemo) window.wasmrecDemo.experiment = last;
    ui.run.addEventListener('click', run);
    for (const sel of [ui.a, ui.b]) sel.addEventListener('change', () => { touched = true; });
    on('models', renderChoice);
    on('results', renderChoice);
    on('engine', renderChoice);
    on('data', () => {
        touched = false;
        ui.out.hidden = true;
        chart?.destroy(); chart = null;
        renderChoice();
    });
    renderChoice();
}
