// visitor.mjs: panel 6, "new visitor" (cold start). A visitor the models have never seen, with no
// history: a few profile choices, one per field of the data's user (session) table as the data view
// read it (data.sideFields: the demo store's device and region; a numeric field by its quantile
// bucket), give each model that reads side features and the session (their info: a two-tower, a
// pipeline) its top 10 from recommend(history, { userFeatures }). Clicking a suggestion adds it to
// the visitor's clicks, and the lists follow them. A field left "not given" is not sent.
import { state, on, currentModels } from './state.mjs';
import { $, el, fmtInt, fmtMs, fmtScore, modelColour, modelLabel } from './ui.mjs';

const K = 10;
const MAX_VALUES = 40; // a field with more values than this is left out of the profile (an id-like column)
const ui = {
    intro: $('visitor-intro'), profile: $('visitor-profile'), history: $('visitor-history'), empty: $('visitor-empty'),
    clear: $('visitor-clear'), note: $('visitor-note'), recs: $('visitor-recs'),
};

const visitor = { profile: {}, clicks: [], fieldsFor: null };

/** The models that can serve a visitor: they read user side features and the session (their info). */
const visitorModels = () => currentModels().filter((m) => m.model.info?.uses.features && m.model.info?.uses.history);

/** The bucket edges the visitor models (their Model.buckets, one object each) give a numeric
 * field: a model read from a file trained on other data means other ranges by "q3" than this
 * data's quantiles. When every model that has the field agrees; else null (the data's own edges
 * label it). */
function modelEdges(buckets, name) {
    const all = buckets.map((b) => b?.[name]).filter(Boolean);
    return all.length && all.every((e) => e.join() === all[0].join()) ? all[0] : null;
}

/** The user table's fields a profile can choose from: [{ field, kind, choices: [{ value, text }] }]. */
function profileFields() {
    const f = state.data?.sideFields?.users;
    if (!f) return [];
    const num = (x) => (Number.isFinite(x) ? x.toLocaleString('en', { maximumFractionDigits: 2 }) : '?');
    const buckets = visitorModels().map((m) => m.model.buckets); // read once: each is a call into the engine
    return f.fields.filter((x) => x.counts.length >= 2 && x.counts.length <= MAX_VALUES).map((x) => {
        let edges = x.kind === 'numeric' ? modelEdges(buckets, x.name) : null;
        if (edges && x.cuts && edges.join() === x.cuts.join()) edges = null; // trained on this data: its own labels
        return {
            field: x.name.replace(/^user\./, ''),
            kind: x.kind,
            choices: x.counts.map(([v, c]) => {
                if (x.kind !== 'numeric') return { value: v, text: `${v} (${fmtInt(c)})` };
                const b = Number(v.slice(1));
                if (edges) { // the models' ranges, no count: this data's users were cut by its own edges
                    const range = b === 0 ? `under ${num(edges[0])}` : b === 9 ? `${num(edges[8])} or more` : `${num(edges[b - 1])} to ${num(edges[b])}`;
                    return { value: v, text: `${v}: ${range}` };
                }
                const lo = b === 0 ? x.range?.[0] : x.cuts[b - 1];
                const hi = b === 9 ? x.range?.[1] : x.cuts[b];
                return { value: v, text: `${v}: ${num(lo)} to ${num(hi)} (${fmtInt(c)})` };
            }),
        };
    });
}

function renderProfile() {
    const fields = profileFields();
    const key = `${state.data?.key}|${state.data?.source?.sides?.users?.name ?? ''}|${fields.length}`; // the fields come once the data view read them
    if (visitor.fieldsFor !== key) { // new data: a new visitor, the first value of each field
        visitor.fieldsFor = key;
        visitor.clicks = [];
        visitor.profile = Object.fromEntries(fields.map((f) => [f.field, f.choices[0].value]));
    }
    if (!fields.length) {
        ui.profile.replaceChildren(el('p', { class: 'hint' }, state.data?.sideFields ? 'This data has no user (session) table: a visitor ' +
            'can only be described by their clicks. Add user features in panel 1.' : 'Reading the side tables…'));
        return;
    }
    ui.profile.replaceChildren(...fields.map((f) => {
        const id = `visitor-field-${f.field}`;
        const sel = el('select', { id, dataset: { field: f.field } },
            el('option', { value: '' }, 'not given'),
            ...f.choices.map((c) => el('option', { value: c.value, selected: visitor.profile[f.field] === c.value }, c.text)));
        sel.addEventListener('change', () => {
            if (sel.value) visitor.profile[f.field] = sel.value; else delete visitor.profile[f.field];
            renderRecs();
        });
        return el('div', { class: 'visitor-field' }, el('label', { for: id }, f.field), sel);
    }));
}

function title(id, rec) {
    const it = state.data?.byId.get(id);
    return it?.titled ? it.title : rec?.title || it?.title || id;
}

function renderClicks() {
    ui.history.replaceChildren(...visitor.clicks.map((id, i) => el('li', { class: 'chip', dataset: { id } },
        el('span', { class: 'chip-n', 'aria-hidden': 'true' }, String(i + 1)), title(id))));
    ui.empty.hidden = visitor.clicks.length > 0;
    ui.clear.disabled = visitor.clicks.length === 0;
}

function column(entry) {
    const shell = (...children) => el('section', { class: 'rec-col', dataset: { model: entry.name, origin: entry.origin },
        style: { '--c': modelColour(entry.name) }, 'aria-label': `${entry.label} for the visitor` },
    el('header', { class: 'col-head' }, el('h3', {}, entry.label)), ...children);
    const t0 = performance.now();
    let recs;
    try {
        recs = entry.model.recommend(visitor.clicks, { k: K, userFeatures: { ...visitor.profile } });
    } catch (e) {
        return shell(el('p', { class: 'error-text' }, e.message));
    }
    const dt = performance.now() - t0;
    const seen = new Set(visitor.clicks);
    const top = recs.length ? Math.max(...recs.map((r) => Math.abs(r.score)), 1e-9) : 1;
    // a model (a pipeline's ranking stage) that reads neither the profile nor an empty history scores every item alike
    const flat = recs.length > 1 && recs.every((r) => r.score === recs[0].score);
    const rankStage = entry.model.params?.rank;
    const flatNote = flat ? el('p', { class: 'hint visitor-flat' }, `Every score is the same: ${rankStage
        ? `its ranking stage (${modelLabel(rankStage)}) reads neither the profile nor, yet, any click, so this order means nothing`
        : 'this model cannot tell these items apart from the profile alone'}. Click one to give it a history.`) : null;
    return shell(flatNote, el('ol', { class: 'recs-list' }, ...recs.map((r, rank) => el('li', { class: `rec${seen.has(r.item) ? ' seen' : ''}` },
        el('button', { type: 'button', class: 'rec-btn', dataset: { id: r.item }, title: `The visitor clicks “${title(r.item, r)}”`,
            onclick: () => { visitor.clicks.push(r.item); renderClicks(); renderRecs(); } },
        el('span', { class: 'rank' }, String(rank + 1)),
        el('span', { class: 'rec-name' }, title(r.item, r)),
        el('span', { class: 'rec-cat' }, [state.data?.byId.get(r.item)?.category ?? '', seen.has(r.item) ? 'clicked' : ''].filter(Boolean).join(' · ')),
        el('span', { class: 'score', title: 'score' }, fmtScore(r.score)),
        el('span', { class: 'bar', 'aria-hidden': 'true', style: { '--w': `${Math.max(2, (100 * Math.abs(r.score)) / top)}%` } }))))),
    el('p', { class: 'hint col-foot' }, fmtMs(dt)));
}

function renderRecs() {
    const models = visitorModels();
    if (!models.length) {
        ui.recs.replaceChildren(el('p', { class: 'hint empty' }, 'No model of this data reads side features and the session yet.'));
        ui.note.textContent = '';
        ui.recs.dataset.state = 'empty';
        return;
    }
    ui.recs.replaceChildren(...models.map(column));
    const given = Object.entries(visitor.profile).map(([f, v]) => `${f} ${v}`);
    ui.note.textContent = `Top ${K} for a visitor ${given.length ? `with ${given.join(', ')}` : 'with no profile'}` +
        `${visitor.clicks.length ? ` after ${visitor.clicks.length} click${visitor.clicks.length > 1 ? 's' : ''}` : ' and no clicks'}.`;
    ui.recs.dataset.state = 'ready';
    ui.recs.dataset.profile = JSON.stringify(visitor.profile);
    ui.recs.dataset.clicks = String(visitor.clicks.length);
}

function render() {
    const names = state.engine ? state.engine.modelNames().filter((n) => {
        const u = state.engine.modelInfo(n).uses;
        return u.features && u.history;
    }) : [];
    ui.intro.textContent = 'Someone the models have never seen: no id they know and no history, only what a shop knows at once ' +
        `(here: the fields of the data's user table). The models that read side features and the session (${names.map((n) => modelLabel(n)).join(', ')}) ` +
        'turn that profile into a query; click a suggestion and the next list reads the click too.' +
        (visitorModels().length ? '' : ' Train one in panel 2 (a two-tower) to serve a visitor here.');
    renderProfile();
    renderClicks();
    renderRecs();
}

export function initVisitor() {
    ui.clear.addEventListener('click', () => { visitor.clicks = []; renderClicks(); renderRecs(); });
    on('data', render);
    on('sides', render);
    on('models', render);
    on('engine', render);
    on('catalogue', () => { renderClicks(); renderRecs(); });
    render();
}
