// personal.mjs: on-device personalisation. A Recommender starts from a pretrained model file
// shipped with the page, records the visitor's clicks in IndexedDB (store.mjs), recommends from
// the current session, and fine-tunes on the visitor's own history in a Web Worker. Nothing is
// sent anywhere.
//
//   import { createRecommender } from 'wasmrec/personal';
//   const rec = await createRecommender({ model: new URL('./models/demo-vsknn.safetensors', location.href) });
//   await rec.observe('item-12');                 // a click: stored locally, in the current session
//   const { items, unknown } = await rec.recommend({ k: 10 });
//   const report = await rec.fineTune();          // { action, message, ... }
//   await rec.forget();                           // deletes the stored history and models
//
// Sessions: a click more than sessionGapMs (30 minutes) after the previous one starts a new
// session; endSession() starts one at once. Fine-tuning, by model family:
//   - session kNN (sknn, vsknn, stan, vstan): the visitor's finished sessions that the model has
//     not seen yet are added to it with addSession (no refit; the pretrained sessions stay);
//   - neural models (gru4rec, sasrec, bert4rec): training continues from the pretrained weights
//     (Model.fineTune: a third of the model's learning rate, at most 10 epochs) on the finished
//     sessions it has not learned yet, once they hold at least minEvents clicks; clicks on items
//     the model does not know are left out and counted;
//   - one-pass models (pop, markov, itemknn) cannot continue: they are trained again, with the
//     same hyper-parameters, on the local history alone, if it has at least minEvents events in
//     at least minSessions sessions; otherwise nothing changes (the refit forgets the pretrained
//     model and knows only the items clicked here; the report says so).
// The fine-tuned model is saved in the store (atomically) and used the next time the page opens.
import { checkOptions, posInt, show } from './check.mjs';
import { createWorkerEngine } from './worker-client.mjs';
import { openStore } from './store.mjs';

const PERSONAL = 'personal';     // the store's name of the fine-tuned model
const SESSION_KEY = 'personal.session';

function newSessionId() {
    const rnd = globalThis.crypto?.randomUUID ? crypto.randomUUID().slice(0, 8) : Math.random().toString(36).slice(2, 10);
    return `s-${Date.now().toString(36)}-${rnd}`;
}

async function readModelBytes(model) {
    if (model instanceof Uint8Array) return model.slice();
    if (model instanceof ArrayBuffer) return new Uint8Array(model.slice(0));
    if (typeof model !== 'string' && !(model instanceof URL)) {
        throw new TypeError(`model must be a URL (string or URL) of a .safetensors file, or its bytes, got ${show(model)}`);
    }
    const base = globalThis.location?.href;
    const url = base ? new URL(String(model), base) : new URL(String(model));
    if (url.protocol === 'file:') {
        const { readFile } = await import('node:fs/promises');
        return new Uint8Array(await readFile(url));
    }
    const res = await fetch(url);
    if (!res.ok) throw new Error(`model: could not fetch ${url}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
}

/**
 * Options: model (URL or bytes of the pretrained model; required), engine (a WorkerEngine,
 * default: a new one, terminated by dispose()), store (a Store, default openStore()), storeName,
 * sessionGapMs (default 30 minutes), k (default 10).
 */
export async function createRecommender(opts) {
    const o = checkOptions('createRecommender', opts, ['model', 'engine', 'store', 'storeName', 'sessionGapMs', 'k']);
    if (o.model === undefined) throw new TypeError('model is required: the URL or the bytes of a pretrained .safetensors file');
    const k = posInt('k', o.k ?? 10);
    const gap = o.sessionGapMs ?? 30 * 60_000;
    if (typeof gap !== 'number' || !(gap > 0)) throw new RangeError(`sessionGapMs must be a positive number, got ${show(gap)}`);
    const base = await readModelBytes(o.model);
    const ownEngine = o.engine === undefined;
    const engine = o.engine ?? await createWorkerEngine();
    try {
        const store = o.store ?? await openStore(o.storeName === undefined ? undefined : { name: o.storeName });
        const rec = new Recommender(engine, ownEngine, store, base, { k, gap });
        await rec._start();
        return rec;
    } catch (e) {
        if (ownEngine) engine.terminate();
        throw e;
    }
}

export class Recommender {
    constructor(engine, ownEngine, store, baseBytes, { k, gap }) {
        this.engine = engine;
        this.store = store;
        this._own = ownEngine;
        this._base = baseBytes;        // kept: forget() goes back to it
        this._k = k;
        this._gap = gap;
        this.model = null;             // a WorkerModel
        /** 'pretrained' or 'personal' (a fine-tuned model from the store). */
        this.modelSource = 'pretrained';
        this.session = { id: newSessionId(), items: [], lastTs: 0 };
        this._added = [];              // session ids the model has learned (session kNN, neural fine-tuning)
        /** The last storage failure (a StoreError), or null; the recommender keeps working in memory. */
        this.storageError = store.error;
    }
    /** True while clicks and models are kept in IndexedDB. */
    get persistent() { return this.store.persistent && !this.storageError; }

    async _safe(fn, fallback) {
        try { return await fn(); } catch (e) {
            if (e?.name !== 'StoreError') throw e;
            this.storageError = e;
            return fallback;
        }
    }

    async _start() {
        const saved = await this._safe(() => this.store.loadModel(PERSONAL), null);
        if (saved) {
            try {
                this.model = await this.engine.loadModel(saved.bytes, { source: 'personal model (IndexedDB)' });
                this.modelSource = 'personal';
                this._added = Array.isArray(saved.meta?.addedSessions) ? saved.meta.addedSessions : [];
            } catch (e) {
                this.storageError = e; // a damaged personal model: fall back to the pretrained one
            }
        }
        if (!this.model) this.model = await this.engine.loadModel(this._base.slice(), { source: 'pretrained model' });
        // resume the current session if the last click was recent
        const cur = await this._safe(() => this.store.getMeta(SESSION_KEY), undefined);
        if (cur && Date.now() - cur.lastTs < this._gap) {
            const events = await this._safe(() => this.store.events(), []);
            this.session = { id: cur.id, items: events.filter((e) => e.session === cur.id).map((e) => e.item), lastTs: cur.lastTs };
        }
    }

    /** The model's name (e.g. 'vsknn'). */
    get modelName() { return this.model.name; }

    /**
     * Records a click on itemId in the current session (IndexedDB, or memory when storage fails).
     * Returns { session, known }: known is false when the model does not know the item (it is
     * still recorded; it can be learned by fineTune()).
     */
    async observe(itemId, opts) {
        const { ts = Date.now() } = checkOptions('observe', opts, ['ts']);
        if (typeof itemId !== 'string' || itemId === '') throw new TypeError(`itemId must be a non-empty string, got ${show(itemId)}`);
        if (typeof ts !== 'number' || !Number.isFinite(ts)) throw new TypeError(`ts must be a number of milliseconds, got ${show(ts)}`);
        if (this.session.items.length && ts - this.session.lastTs >= this._gap) this.endSession();
        this.session.items.push(itemId);
        this.session.lastTs = ts;
        const id = this.session.id;
        await this._safe(async () => {
            await this.store.addEvent({ session: id, item: itemId, ts });
            await this.store.setMeta(SESSION_KEY, { id, lastTs: ts });
        });
        const [idx] = await this.model.itemIndexes([itemId]);
        return { session: id, known: idx >= 0 };
    }

    /** Starts a new session (the current one counts as finished for fineTune()). */
    endSession() {
        this.session = { id: newSessionId(), items: [], lastTs: 0 };
    }

    /** Next items for the current session: { items: [{ item, score }], unknown, excludeSeen }. excludeSeen: 'auto' (default), true or false. */
    async recommend(opts) {
        const { k = this._k, excludeSeen = 'auto' } = checkOptions('recommend', opts, ['k', 'excludeSeen']);
        return this.model.recommendDetailed(this.session.items, { k, excludeSeen });
    }

    /**
     * Continues training on the local history in the worker (see the top of this file). Options:
     * signal, onProgress (neural models and refits), minEvents (default 10 for neural models, 50
     * for refits), minSessions (refits; default 5). Returns { action: 'addSession' | 'fineTune' |
     * 'refit' | 'skipped', model, sessions, events, unknown, saved, message }.
     */
    async fineTune(opts) {
        // by what the model can do (its info), not by its name
        const { iterative, can } = this.model.info, trainsOn = iterative && can.fine_tune;
        const { signal, onProgress, minEvents = trainsOn ? 10 : 50, minSessions = 5 } =
            checkOptions('fineTune', opts, ['signal', 'onProgress', 'minEvents', 'minSessions']);
        posInt('minEvents', minEvents);
        posInt('minSessions', minSessions);
        signal?.throwIfAborted();
        const all = await this._safe(() => this.store.sessions(), null);
        // without storage, the only history is the current session of this page
        const sessions = all ?? (this.session.items.length ? [{ session: this.session.id, items: this.session.items }] : []);
        const finished = sessions.filter((s) => s.session !== this.session.id);
        const name = this.model.name;
        const events = sessions.reduce((n, s) => n + s.items.length, 0);

        if (can.add_session) {
            const seen = new Set(this._added);
            const fresh = finished.filter((s) => !seen.has(s.session));
            if (fresh.length === 0) {
                return { action: 'skipped', model: name, sessions: 0, events: 0, unknown: [], saved: false,
                    message: `${name}: no finished session that the model has not learned yet (the current session is learned once it ends)` };
            }
            signal?.throwIfAborted();
            const r = await this.model.addSessions(fresh.map((s) => s.items));
            this._added = [...this._added, ...fresh.map((s) => s.session)];
            const saved = await this._saveModel({ addedSessions: this._added });
            const n = fresh.reduce((a, s) => a + s.items.length, 0);
            return { action: 'addSession', model: name, sessions: fresh.length, events: n, unknown: r.unknown, saved,
                message: `${name}: added ${fresh.length} finished session(s) (${n} clicks) to the pretrained model without refitting` +
                    (r.unknown.length ? `; ${r.unknown.length} item id(s) unknown to the model were left out` : '') };
        }

        if (trainsOn) return this._fineTuneNeural(finished, { signal, onProgress, minEvents });
        if (events < minEvents || sessions.length < minSessions) {
            return { action: 'skipped', model: name, sessions: sessions.length, events, unknown: [], saved: false,
                message: `${name}: ${events} click(s) in ${sessions.length} session(s) is not enough to retrain ` +
                    `(needs ${minEvents} in ${minSessions}); the pretrained model is kept` };
        }
        const data = await this._localData(sessions);
        let fresh;
        try {
            const { seed, ...params } = this.model.params ?? {};
            fresh = await this.engine.model(name, params);
            await fresh.fit(data, { signal, onProgress });
        } catch (e) {
            await fresh?.dispose();
            throw e;
        } finally {
            await data.dispose();
        }
        const old = this.model;
        this.model = fresh;
        this.modelSource = 'personal';
        await old.dispose();
        const saved = await this._saveModel({ refitOn: events });
        return { action: 'refit', model: name, sessions: sessions.length, events, unknown: [], saved,
            message: `${name}: retrained on the local history alone (${events} clicks in ${sessions.length} sessions); ` +
                `it now knows ${fresh.items} item(s), the ones clicked here` };
    }

    /** The visitor's sessions as a Dataset in the worker. */
    _localData(sessions) {
        const q = (s) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
        const csv = ['session,item'];
        for (const s of sessions) for (const it of s.items) csv.push(`${q(s.session)},${q(it)}`);
        return this.engine.dataset(csv.join('\n') + '\n', { format: 'csv', source: 'local history' });
    }

    /** Neural models: training goes on from the pretrained weights on the sessions not learned yet. */
    async _fineTuneNeural(finished, { signal, onProgress, minEvents }) {
        const name = this.model.name;
        const seen = new Set(this._added);
        const fresh = finished.filter((s) => !seen.has(s.session));
        const events = fresh.reduce((n, s) => n + s.items.length, 0);
        if (events < minEvents) {
            return { action: 'skipped', model: name, sessions: fresh.length, events, unknown: [], saved: false,
                message: `${name}: ${events} click(s) in finished sessions not learned yet is not enough to fine-tune ` +
                    `(needs ${minEvents}); the model is kept as it is` };
        }
        const ids = [...new Set(fresh.flatMap((s) => s.items))];
        const idx = await this.model.itemIndexes(ids);
        const unknown = ids.filter((_, i) => idx[i] < 0);
        const data = await this._localData(fresh);
        let last;
        try {
            last = await this.model.fineTune(data, { signal, onProgress });
        } finally {
            await data.dispose();
        }
        this._added = [...this._added, ...fresh.map((s) => s.session)];
        const saved = await this._saveModel({ addedSessions: this._added });
        return { action: 'fineTune', model: name, sessions: fresh.length, events, unknown, saved,
            message: `${name}: fine-tuned from the pretrained weights on ${fresh.length} finished session(s) (${events} clicks, ` +
                `${last.epoch} epoch(s))` + (last.unknownEvents ? `; ${last.unknownEvents} click(s) on ${unknown.length} item(s) the model does not know were left out` : '') };
    }

    async _saveModel(meta) {
        const bytes = await this.model.save();
        return this._safe(async () => {
            const r = await this.store.saveModel(PERSONAL, bytes, meta);
            this.modelSource = 'personal';
            return r.persistent;
        }, false);
    }

    /**
     * Deletes everything stored (events, the fine-tuned model, settings), goes back to the
     * pretrained model and starts a new, empty session.
     */
    async forget() {
        await this.store.forget();
        this.storageError = this.store.error;
        const old = this.model;
        this.model = await this.engine.loadModel(this._base.slice(), { source: 'pretrained model' });
        this.modelSource = 'pretrained';
        this._added = [];
        await old?.dispose();
        this.endSession();
    }

    /** Frees the model; terminates the worker if the recommender started it; closes the store. */
    async dispose() {
        const m = this.model;
        this.model = null;
        if (this._own) this.engine.terminate(); else await m?.dispose();
        this.store.close();
    }
}
if (typeof Symbol.asyncDispose === 'symbol') Recommender.prototype[Symbol.asyncDispose] = function () { return this.dispose(); };
