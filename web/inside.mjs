// inside.mjs: panel 8. The item embeddings of a neural model on their first two principal
// components (model.itemMap(), computed in the engine), one colour per category, names on hover;
// and the model's loss and validation NDCG@10 per epoch.
import { state, on, currentModels } from './state.mjs';
import { $, el, categoryColours, modelColour, modelLabel } from './ui.mjs';
import { mapChart, curveChart } from './charts.mjs';

const ui = { select: $('inside-model'), note: $('inside-note'), explained: $('map-explained'), map: $('map'), legend: $('map-legend'), curve: $('inside-curve'), tooltip: $('tooltip') };
let map = null;
let curve = null;
let shownId = null;
let userPicked = false; // once someone picks a model, new models do not take the map over

const hasMap = (entry) => typeof entry.model.itemMap === 'function' && entry.model.info?.can.item_map === true;

function options() {
    const models = currentModels();
    const keep = ui.select.value;
    ui.select.replaceChildren(...models.map((m) => el('option', { value: String(m.id) },
        `${m.label} (${m.origin === 'pretrained' ? 'pretrained' : m.origin === 'file' ? 'from a file' : 'trained here'})`)));
    ui.select.disabled = models.length === 0;
    // Keep a choice someone made; otherwise the newest model with embeddings.
    const kept = models.find((m) => String(m.id) === keep);
    const pick = (userPicked && kept) || [...models].reverse().find(hasMap) || kept || models[0];
    if (pick) ui.select.value = String(pick.id);
    show();
}

function empty(box, text) {
    box.replaceChildren(el('p', { class: 'hint empty' }, text));
}

function show() {
    const entry = currentModels().find((m) => String(m.id) === ui.select.value);
    if (entry?.id === shownId && entry) return;
    shownId = entry?.id ?? null;
    map?.destroy(); map = null;
    curve?.destroy(); curve = null;
    ui.legend.replaceChildren();
    ui.note.textContent = '';
    ui.explained.textContent = '';
    if (!entry) {
        empty(ui.map, 'No model yet.');
        empty(ui.curve, 'No model yet.');
        return;
    }
    if (!hasMap(entry)) {
        // which families have a map, from their info
        const e = state.engine;
        const withMap = e ? e.modelNames().filter((n) => e.modelInfo(n).can.item_map).map((n) => modelLabel(n)) : [];
        empty(ui.map, `${entry.label} ${entry.model.info?.iterative ? 'has no item map of its own' : 'has no item embeddings: it counts clicks instead of learning vectors'}. ` +
            `Pick ${withMap.length ? withMap.join(', ') : 'a neural model'}.`);
    } else {
        try {
            const m = entry.model.itemMap();
            const byId = state.data?.byId;
            const points = m.items.map((id, i) => {
                const it = byId?.get(id);
                // the catalogue's title, else the one the model file carries, else the id
                const j = it?.titled ? -1 : entry.model.itemIndex(id);
                const t = it?.titled ? it.title : (j >= 0 && entry.model.itemTitle(j)) || it?.title || id;
                return { x: m.x[i], y: m.y[i], title: t, category: it?.category ?? '' };
            });
            const cats = [...new Set(points.map((p) => p.category))].sort((a, b) => a.localeCompare(b));
            const colours = categoryColours(cats.length);
            ui.map.replaceChildren();
            map = mapChart(ui.map, points, cats, colours, ui.tooltip);
            if (cats.length > 1 || cats[0]) {
                ui.legend.replaceChildren(...cats.map((c, i) => el('li', {}, el('span', { class: 'dot', style: { '--c': colours[i] }, 'aria-hidden': 'true' }), c || 'uncategorised')));
            }
            const shown = Math.round(100 * (m.explained[0] + m.explained[1]));
            ui.note.textContent = `${m.items.length.toLocaleString('en')} items.`;
            // what the percentage means: a projection keeps far things far, not close things close
            ui.explained.textContent = `These two axes show ${shown}% of how the ${m.items.length.toLocaleString('en')} item vectors spread out; ` +
                `the other ${100 - shown}% lies in directions a flat picture cannot show. So items far apart here really differ, ` +
                'but items that look close may still differ in those hidden directions.';
        } catch (e) {
            empty(ui.map, `The engine gives no map for this model: ${e.message}`);
        }
    }
    if (entry.curve?.length) {
        ui.curve.replaceChildren();
        curve = curveChart(ui.curve, { colour: modelColour(entry.name) });
        curve.update(entry.curve);
    } else {
        empty(ui.curve, `${entry.label} ${entry.origin === 'file' ? 'came from a file without its training history'
            : entry.model.info?.iterative ? 'kept no curve of its own (a pipeline trains its two stages one after the other)' : 'trains in one pass: no epochs'}.`);
    }
}

export function initInside() {
    ui.select.addEventListener('change', () => { userPicked = true; show(); });
    on('models', options);
    on('data', options);
    on('catalogue', () => { shownId = null; show(); });
    options();
}
