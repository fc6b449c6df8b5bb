// worker-client.mjs: the wasmrec API running in a dedicated Web Worker (or a Node worker thread),
// with promises, progress events and cancellation through AbortSignal.
//
//   import { createWorkerEngine } from 'wasmrec/worker';
//   const engine = await createWorkerEngine();                 // starts wasm/worker.mjs
//   const data = await engine.dataset(csvText);                // the text is encoded and moved
//   const model = await engine.model('itemknn');
//   await model.fit(data, { signal, onProgress: (p) => console.log(p.epoch, p.loss) });
//   const recs = await model.recommend(['item-12'], { k: 10 }); // [{ item, score }]
//   const bytes = await model.save();                          // Uint8Array moved back
//   engine.terminate();
//
// Big byte arrays are transferred, not copied: a Uint8Array or ArrayBuffer given to dataset()
// or loadModel() that spans its whole buffer is *moved* to the worker (it is detached here,
// byteLength 0 afterwards); pass a copy (bytes.slice()) if you still need it. Views on part of a
// buffer are copied once. Requests run one at a time in the order they were made; an aborted
// request that has not started yet is never sent.
import { checkOptions, checkSignal, show } from './check.mjs';
import { WasmrecError } from './wasmrec.mjs';
import { FORWARDED } from './remote.mjs';

const IS_NODE = typeof process === 'object' && process !== null && !!process.versions?.node &&
    typeof window === 'undefined';

const encoder = new TextEncoder();

/** Bytes ready to be moved: a Uint8Array owning its whole (non-shared) buffer. */
function movable(name, v) {
    let u8;
    if (typeof v === 'string') return encoder.encode(v);
    if (v instanceof ArrayBuffer) u8 = new Uint8Array(v);
    else if (ArrayBuffer.isView(v)) u8 = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    else throw new TypeError(`${name} must be a string, a Uint8Array or an ArrayBuffer, got ${show(v)}`);
    if (u8.buffer instanceof ArrayBuffer && u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength) return u8;
    return u8.slice();
}

function rebuildError(e) {
    let err;
    if (e.name === 'WasmrecError') err = new WasmrecError(e.code, e.message);
    else if (e.name === 'TypeError') err = new TypeError(e.message);
    else if (e.name === 'RangeError') err = new RangeError(e.message);
    else if (e.name === 'AbortError') {
        try { err = new DOMException(e.message, 'AbortError'); } catch { err = new Error(e.message); err.name = 'AbortError'; }
    } else { err = new Error(e.message); if (e.name && e.name !== 'Error') err.name = e.name; }
    return err;
}

/** Starts a worker: a module Web Worker in a page or worker, a worker_threads Worker in Node. */
async function startWorker(workerUrl) {
    const url = workerUrl ?? new URL('./worker.mjs', import.meta.url);
    if (IS_NODE) {
        const { Worker } = await import('node:worker_threads');
        const w = new Worker(url instanceof URL ? url : new URL(String(url), import.meta.url), { workerData: { wasmrecWorker: true } });
        w.unref(); // an idle worker does not keep Node running
        const port = {
            postMessage: (m, t) => w.postMessage(m, t),
            onmessage: null, onerror: null,
            terminate: () => w.terminate(),
            ref: () => w.ref(), unref: () => w.unref(),
        };
        w.on('message', (data) => port.onmessage?.({ data }));
        w.on('error', (e) => port.onerror?.(e));
        return port;
    }
    if (typeof Worker === 'undefined') throw new Error('Web Workers are not available here');
    // The default is written in the one form bundlers (Vite, webpack, Parcel) follow to find and
    // emit the worker's file: new Worker(new URL('literal', import.meta.url), { static options }).
    const w = workerUrl === undefined
        ? new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module', name: 'wasmrec' })
        : new Worker(workerUrl, { type: 'module', name: 'wasmrec' });
    const port = {
        postMessage: (m, t) => w.postMessage(m, t),
        onmessage: null, onerror: null,
        terminate: () => w.terminate(),
        ref() {}, unref() {},
    };
    w.onmessage = (e) => port.onmessage?.(e);
    w.onerror = (e) => { e.preventDefault?.(); port.onerror?.(new Error(`the wasmrec worker failed: ${e.message || 'could not start it (check the URL of worker.mjs)'}`)); };
    w.onmessageerror = () => port.onerror?.(new Error('a message from the wasmrec worker could not be read'));
    return port;
}

class Channel {
    constructor(port) {
        this.port = port;
        this.nextId = 1;
        this.pending = new Map(); // id -> { resolve, reject, onProgress }
        this.queue = Promise.resolve();
        this.closed = null; // Error once terminated or crashed
        port.onmessage = (e) => this._receive(e.data);
        port.onerror = (e) => this._fail(e instanceof Error ? e : new Error(String(e?.message || e)));
    }
    _receive(msg) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        if (msg.progress) { try { p.onProgress?.(msg.progress); } catch (e) { queueMicrotask(() => { throw e; }); } return; }
        this.pending.delete(msg.id);
        if (this.pending.size === 0) this.port.unref();
        if (msg.ok) p.resolve(msg.result); else p.reject(rebuildError(msg.error));
    }
    _fail(err) {
        this.closed = err;
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
    }
    /**
     * Queues request op; it is sent when every earlier request has been answered. signal: aborted
     * before sending -> never sent; aborted while running -> an 'abort' message to the worker and
     * the promise rejects at once with signal.reason.
     */
    request(op, args, { transfer = [], signal, onProgress } = {}) {
        const run = () => new Promise((resolve, reject) => {
            if (this.closed) { reject(this.closed); return; }
            if (signal?.aborted) { reject(signal.reason); return; }
            const id = this.nextId++;
            let onAbort = null;
            const done = (fn) => (v) => { if (onAbort) signal.removeEventListener('abort', onAbort); fn(v); };
            this.pending.set(id, { resolve: done(resolve), reject: done(reject), onProgress });
            if (signal) {
                onAbort = () => {
                    this.port.postMessage({ op: 'abort', target: id });
                    reject(signal.reason);
                };
                signal.addEventListener('abort', onAbort, { once: true });
            }
            this.port.ref();
            this.port.postMessage({ id, op, args }, transfer);
        });
        // one request in flight; the pending one's settlement (even a rejection) releases the next
        const p = this.queue.then(run);
        this.queue = p.then(() => {}, () => {});
        return p;
    }
    terminate() {
        if (!this.closed) this._fail(new Error('the wasmrec worker was terminated'));
        this.port.terminate();
    }
}

/**
 * Starts the worker and loads the engine in it.
 *   workerUrl: where worker.mjs is (default: next to this file)
 *   wasmUrl:   where wasmrec.wasm is, as the worker sees it (default: next to wasmrec.mjs)
 *   memoryMB:  the engine's memory budget (default 2048; see Engine.memoryMB)
 *   threads:   'auto' (default) or a number, as loadEngine; the worker starts the helper threads
 */
export async function createWorkerEngine(opts) {
    const { workerUrl, wasmUrl, memoryMB, threads } = checkOptions('createWorkerEngine', opts, ['workerUrl', 'wasmUrl', 'memoryMB', 'threads']);
    const port = await startWorker(workerUrl);
    const ch = new Channel(port);
    try {
        const info = await ch.request('init', { wasmUrl: wasmUrl === undefined ? undefined : String(wasmUrl), memoryMB, threads });
        return new WorkerEngine(ch, info);
    } catch (e) {
        ch.terminate();
        throw e;
    }
}

class Remote {
    constructor(engine, handle, kind) { this._engine = engine; this._handle = handle; this._kind = kind; }
    get disposed() { return this._handle === 0; }
    _live() {
        if (this._handle === 0) throw new Error(`this ${this._kind} was disposed; it can no longer be used`);
        this._engine._live();
        return this._handle;
    }
    /** Frees the object in the worker. Idempotent. */
    dispose() {
        if (this._handle === 0) return Promise.resolve();
        const h = this._handle;
        this._handle = 0;
        this._engine._owned.delete(this);
        if (this._engine._ch.closed) return Promise.resolve();
        return this._engine._ch.request('dispose', { handle: h }).then(() => {});
    }
}

export class WorkerEngine {
    constructor(ch, info) {
        this._ch = ch;
        this._owned = new Set();
        /** The engine's version string. */
        this.version = info.version;
        /** The threads the worker's engine trains on, and its module ('threads' or 'single'). */
        this.threads = info.threads;
        this.build = info.build;
        this._models = info.models;
        this._infos = new Map(info.infos.map((x) => [x.name, x]));
    }
    get terminated() { return this._ch.closed !== null; }
    _live() {
        if (this._ch.closed) throw new Error(`this WorkerEngine can no longer be used: ${this._ch.closed.message}`);
    }
    _request(op, args, extra) {
        try { this._live(); } catch (e) { return Promise.reject(e); }
        return this._ch.request(op, args, extra);
    }
    /** The names of all models. */
    modelNames() { return [...this._models]; }
    /** What a model needs and can do, as Engine.modelInfo (known since the worker started). */
    modelInfo(name) {
        if (!this._infos.has(name)) throw new RangeError(`name: unknown model ${JSON.stringify(name)}; the models are ${this._models.join(', ')}`);
        return this._infos.get(name);
    }
    /** The demo store as CSV text. */
    async generate(options) { return this._request('generate', { options }); }
    /** Engine.compare in the worker: models are WorkerModels of this engine. */
    async compare(dataset, models, options) {
        if (!Array.isArray(models) || !models.length || !models.every((m) => m instanceof WorkerModel && m._engine === this))
            throw new TypeError(`models must be an array of this engine's WorkerModels, got ${show(models)}`);
        return this._request('compare', { data: models[0]._data(dataset), models: models.map((m) => m._live()), options });
    }
    /** Engine.experiment in the worker. */
    async experiment(dataset, a, b, options) {
        for (const m of [a, b]) if (!(m instanceof WorkerModel) || m._engine !== this) throw new TypeError('experiment takes two WorkerModels of this engine');
        return this._request('experiment', { data: a._data(dataset), a: a._live(), b: b._live(), options });
    }
    /** Parses interaction data in the worker; a byte array is moved there (see the top of this file). */
    async dataset(input, options) {
        checkOptions('dataset', options, ['format', 'source', 'skipBad', 'label', 'drop', 'users', 'items', 'featureKinds', 'timeContext', 'model']);
        const model = options?.model;
        if (model !== undefined && !(model instanceof WorkerModel)) throw new TypeError(`dataset: model must be a WorkerModel, got ${show(model)}`);
        if (model !== undefined && model._engine !== this) throw new TypeError('dataset: model belongs to another WorkerEngine');
        const bytes = movable('input', input);
        const opts = model === undefined ? options : { ...options, model: model._live() }; // the model by its handle in the worker
        const r = await this._request('dataset', { bytes, options: opts }, { transfer: [bytes.buffer] });
        const d = new WorkerDataset(this, r);
        this._owned.add(d);
        return d;
    }
    /** The demo store made and parsed in the worker (its text never crosses to this thread). */
    async generateDataset(options) {
        checkOptions('generateDataset', options, ['sessions', 'items', 'seed']);
        const r = await this._request('dataset', { generate: options ?? {} });
        const d = new WorkerDataset(this, r);
        this._owned.add(d);
        return d;
    }
    /** An untrained model in the worker. */
    async model(name, params) {
        if (typeof name !== 'string') throw new TypeError(`name must be a string, got ${show(name)}`);
        if (!this._models.includes(name)) throw new RangeError(`name: unknown model ${JSON.stringify(name)}; the models are ${this._models.join(', ')}`);
        const r = await this._request('model', { name, params });
        return this._adoptModel(r);
    }
    /** A model from safetensors bytes (moved to the worker). */
    async loadModel(bytes, options) {
        checkOptions('loadModel', options, ['source']);
        if (typeof bytes === 'string') throw new TypeError('bytes must be a Uint8Array or an ArrayBuffer, got a string');
        const b = movable('bytes', bytes);
        const r = await this._request('loadModel', { bytes: b, options }, { transfer: [b.buffer] });
        return this._adoptModel(r);
    }
    _adoptModel(r) { const m = new WorkerModel(this, r); this._owned.add(m); return m; }
    /** Stops the worker at once (a running training stops too). Every object becomes unusable. */
    terminate() {
        for (const o of this._owned) o._handle = 0;
        this._owned.clear();
        this._ch.terminate();
    }
    dispose() { this.terminate(); }
}

export class WorkerDataset extends Remote {
    constructor(engine, r) {
        super(engine, r.handle, 'Dataset');
        this.users = r.users; this.items = r.items; this.events = r.events;
        this.format = r.format; this.skipped = r.skipped; this.skipReason = r.skipReason; this.titled = r.titled;
        this.hasRatings = r.hasRatings; this.labelled = r.labelled; this.features = r.features; this.context = r.context;
        this.fields = r.fields;
    }
    /** Adds titles (MovieLens u.item / movies.dat); the bytes are moved to the worker. */
    async loadTitles(input, options) {
        checkOptions('loadTitles', options, ['source']);
        const bytes = movable('input', input);
        this.titled = (await this._engine._request('loadTitles', { data: this._live(), bytes, options }, { transfer: [bytes.buffer] })).titled;
        return this;
    }
}

export class WorkerModel extends Remote {
    constructor(engine, r) { super(engine, r.handle, 'Model'); this._set(r); }
    _set(r) { this.name = r.name; this.items = r.items; this.users = r.users; this.params = r.params; this.buckets = r.buckets; }
    /** What this model's family needs and can do (WorkerEngine.modelInfo). */
    get info() { return this._engine.modelInfo(this.name); }
    _data(d) {
        if (!(d instanceof WorkerDataset)) throw new TypeError(`dataset must be a WorkerDataset (from this engine's dataset()), got ${show(d)}`);
        if (d._engine !== this._engine) throw new TypeError('dataset belongs to another WorkerEngine');
        return d._live();
    }
    /**
     * Trains in the worker. onProgress gets { epoch, epochs, step, loss, positionsPerSecond,
     * validNdcg, bestEpoch, done, model, elapsedMs }: once at the start, then after each chunk of
     * steps (one-pass models: start and end). signal stops it: before the start (never sent) or
     * at the next chunk boundary; the promise then rejects with signal.reason.
     * Resolves with the last progress.
     */
    async fit(dataset, options) {
        return this._train('fit', dataset, checkOptions('fit', options, ['leaveOneOut', 'protocol', 'fractions', 'seed', 'onProgress', 'signal', 'chunk', 'epochs']));
    }
    /** Fine-tunes this trained or loaded model on dataset in the worker (see Model.fineTune). */
    async fineTune(dataset, options) {
        return this._train('fineTune', dataset, checkOptions('fineTune', options, ['leaveOneOut', 'onProgress', 'signal', 'chunk', 'epochs', 'lr']));
    }
    async _train(kind, dataset, o) {
        const m = this._live();
        const d = this._data(dataset);
        const { onProgress, signal, ...rest } = o;
        if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`onProgress must be a function, got ${show(onProgress)}`);
        checkSignal(signal);
        signal?.throwIfAborted();
        const r = await this._engine._request(kind, { model: m, data: d, options: rest }, { signal, onProgress });
        this._set(r.info);
        delete r.info;
        return r;
    }
    async recommend(history, options) { return (await this.recommendDetailed(history, options)).items; }
    /** Dense index of each id in the model's vocabulary (-1 for an id the model does not know). */
    async itemIndexes(ids) { return this._engine._request('itemIndexes', { model: this._live(), ids }); }
    /** Session-kNN models: learn several finished sessions in one request. */
    async addSessions(sessions) {
        if (!Array.isArray(sessions)) throw new TypeError(`sessions must be an array of arrays of item ids, got ${show(sessions)}`);
        return this._engine._request('addSessions', { model: this._live(), sessions });
    }
}

// The methods forwarded as they are (remote.mjs): the same name, arguments and result as the
// binding's, as a Promise; a WorkerDataset argument crosses as its handle.
for (const [kind, C] of [['Model', WorkerModel], ['Dataset', WorkerDataset]]) {
    for (const method of FORWARDED[kind]) {
        Object.defineProperty(C.prototype, method, {
            configurable: true, writable: true,
            value: async function (...args) {
                const target = this._live();
                const wire = args.map((a) => (a instanceof Remote ? { $handle: this._engine === a._engine ? a._live() : badEngine(), kind: a._kind } : a));
                return this._engine._request('call', { target, kind, method, args: wire });
            },
        });
    }
}
function badEngine() { throw new TypeError('dataset belongs to another WorkerEngine'); }

for (const C of [WorkerDataset, WorkerModel]) {
    if (typeof Symbol.asyncDispose === 'symbol') C.prototype[Symbol.asyncDispose] = function () { return this.dispose(); };
    if (typeof Symbol.dispose === 'symbol') C.prototype[Symbol.dispose] = function () { this.dispose(); };
}
if (typeof Symbol.dispose === 'symbol') WorkerEngine.prototype[Symbol.dispose] = function () { this.terminate(); };
