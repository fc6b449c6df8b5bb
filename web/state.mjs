// state.mjs: what the demo page's panels share, and a tiny event bus between them.
//   data:    the current data set (one main-thread Dataset for the catalogue and the summary)
//   models:  the models the playground uses (main-thread Models: recommendations are synchronous)
//   results: one row per finished training (and one per pretrained model)
//   session: the item ids clicked so far, oldest first

/** The bundled demo store; the pretrained models in models/ were trained on exactly this. */
export const STORE = { sessions: 5000, items: 400, seed: 42 };
export const DEMO_KEY = 'demo';

export const state = {
    engine: null,
    store: null,
    /** { key, label, kind: 'demo' | 'file', dataset, bytes, options, byId: Map, categories: [] } */
    data: null,
    /** [{ id, name, label, origin: 'pretrained' | 'trained' | 'file', dataKey, model, curve, size }] */
    models: [],
    /** [{ id, name, label, origin, dataKey, metrics, epochs, trainMs, params }] */
    results: [],
    session: [],
    sessionId: `page-${Date.now().toString(36)}`,
};

let nextId = 1;
export const newId = () => nextId++;

const listeners = new Map();
/** Events: 'data' (new data set), 'catalogue' (titles added), 'sides' (the side tables' fields read: data.sideFields),
 * 'models', 'results', 'session', 'stored'. */
export function on(event, fn) {
    if (!listeners.has(event)) listeners.set(event, []);
    listeners.get(event).push(fn);
}
export function emit(event, detail) {
    for (const fn of listeners.get(event) ?? []) {
        try { fn(detail); } catch (e) { console.error(e); }
    }
}

/** The models that fit the current data (a model file loaded by hand is always offered). */
export function currentModels() {
    const key = state.data?.key;
    return state.models.filter((m) => m.origin === 'file' || m.dataKey === key);
}

/** Adds a model for the playground; a newer one of the same name, origin and data replaces it. */
export function addModel(entry) {
    const old = state.models.findIndex((m) => m.name === entry.name && m.origin === entry.origin && m.dataKey === entry.dataKey);
    if (old >= 0) {
        state.models[old].model.dispose();
        state.models.splice(old, 1, entry);
    } else {
        state.models.push(entry);
    }
    emit('models');
}

/**
 * How many of the current data's items a model knows (0: it was trained on another catalogue):
 * model.knownItems on the page's own Dataset; a file's Dataset lives in the parser worker, so
 * there the model is asked about each id of the catalogue. null without data.
 */
export function knownItems(model) {
    const d = state.data;
    if (!d) return null;
    if (d.kind === 'demo') return model.knownItems(d.dataset);
    let n = 0;
    for (const id of d.byId.keys()) if (model.itemIndex(id) >= 0) n++;
    return n;
}
