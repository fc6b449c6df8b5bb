// worker.mjs: the worker host of wasmrec. Runs one Engine inside a dedicated Web Worker (or a
// Node worker_threads Worker) and answers the requests of worker-client.mjs
// (createWorkerEngine). You do not import this file yourself: the client starts it with
//   new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' })
//
// Protocol (structured-clone messages; big byte arrays travel as transferables):
//   client -> worker  { id, op, args }        one request; the client sends one at a time
//                     { op: 'abort', target } stop request `target` at its next chunk boundary
//   worker -> client  { id, ok: true, result }            the answer (result may hold bytes)
//                     { id, ok: false, error: { name, message, code, status } }
//                     { id, progress }                    training progress of request id
// Objects living in the worker (datasets, models) are named by integer handles; 'dispose' frees
// one. Training runs through Model.train, which works in chunks of steps and yields to the event
// loop between them, so an 'abort' message is seen between chunks (one-pass models train in a
// single chunk: they can be stopped before they start, not inside).
import { loadEngine } from './wasmrec.mjs';
import { FORWARDED } from './remote.mjs';

/**
 * Serves requests arriving on port ({ postMessage(msg, transfer), and messages delivered to the
 * returned handler }). Exported for tests and for running the host in the calling thread.
 * Returns the message handler: call it with each message's data.
 */
export function createHost(post) {
    let engine = null;
    let nextHandle = 1;
    const objects = new Map(); // handle -> Dataset | Model
    const running = new Map(); // request id -> AbortController

    const get = (handle, kind) => {
        const o = objects.get(handle);
        if (!o || o.disposed) throw new Error(`this ${kind} was disposed; it can no longer be used`);
        return o;
    };
    const adopt = (o) => { const h = nextHandle++; objects.set(h, o); return h; };
    const live = () => {
        if (!engine) throw new Error('the worker engine is not initialised (or was disposed)');
        return engine;
    };
    const modelInfo = (m, handle) => ({ handle, name: m.name, items: m.items, users: m.users, params: m.params, buckets: m.buckets });

    /** fit and fineTune: Model.train / Model.fineTune with progress posted and cancellation. */
    async function train(how, { model, data, options }, id) {
        const m = get(model, 'Model');
        const d = get(data, 'Dataset');
        const controller = new AbortController();
        running.set(id, controller);
        const t0 = now();
        try {
            const send = (p) => post({ id, progress: { ...p, model: m.name, elapsedMs: now() - t0 } });
            send({ epoch: 0, epochs: 0, step: 0, loss: NaN, positionsPerSecond: 0, validNdcg: NaN, bestEpoch: 0, done: false, unknownEvents: 0, heldOut: 0 });
            const last = await m[how](d, { ...options, signal: controller.signal, onProgress: send });
            return { ...last, model: m.name, elapsedMs: now() - t0, info: modelInfo(m, model) };
        } finally {
            running.delete(id);
        }
    }

    const ops = {
        async init({ wasmUrl, memoryMB, threads } = {}) {
            if (!engine) engine = await loadEngine({ wasmUrl, memoryMB, threads }); // undefined: the defaults
            return { version: engine.version, threads: engine.threads, build: engine.build, models: engine.modelNames(), infos: engine.modelNames().map((n) => engine.modelInfo(n)) };
        },
        generate({ options }) { return live().generate(options); },
        dataset({ bytes, options, generate }) {
            const e = live();
            const opts = options?.model === undefined ? options : { ...options, model: get(options.model, 'model') };
            const d = generate ? e.dataset(e.generate(generate), { source: 'generated store' }) : e.dataset(bytes, opts);
            return {
                handle: adopt(d), users: d.users, items: d.items, events: d.events, format: d.format,
                skipped: d.skipped, skipReason: d.skipReason, titled: d.titled, hasRatings: d.hasRatings, labelled: d.labelled, features: d.features, context: d.context,
                fields: d.fields,
            };
        },
        model({ name, params }) {
            const m = live().model(name, params);
            return modelInfo(m, adopt(m));
        },
        loadModel({ bytes, options }) {
            const m = live().loadModel(bytes, options);
            return modelInfo(m, adopt(m));
        },
        info({ model }) { const m = get(model, 'Model'); return modelInfo(m, model); },
        compare({ data, models, options }) { return live().compare(get(data, 'Dataset'), models.map((h) => get(h, 'Model')), options); },
        experiment({ data, a, b, options }) { return live().experiment(get(data, 'Dataset'), get(a, 'Model'), get(b, 'Model'), options); },
        fit(msg, id) { return train('train', msg, id); },
        fineTune(msg, id) { return train('fineTune', msg, id); },
        itemIndexes({ model, ids }) {
            const m = get(model, 'Model');
            if (!Array.isArray(ids)) throw new TypeError('ids must be an array of item id strings');
            return ids.map((id) => m.itemIndex(id));
        },
        addSessions({ model, sessions }) {
            const m = get(model, 'Model');
            const unknown = new Set();
            let added = 0;
            for (const s of sessions) {
                for (const u of m.addSession(s).unknown) unknown.add(u);
                added++;
            }
            return { added, unknown: [...unknown] };
        },
        loadTitles({ data, bytes, options }) { return { titled: get(data, 'Dataset').loadTitles(bytes, options).titled }; },
        /** A method of remote.mjs's FORWARDED table; arguments { $handle, kind } are objects here. */
        call({ target, kind, method, args = [] }) {
            if (!FORWARDED[kind]?.includes(method)) throw new Error(`${kind}.${method} is not a method the worker forwards`);
            const o = get(target, kind);
            return o[method](...args.map((a) => (a && typeof a === 'object' && '$handle' in a ? get(a.$handle, a.kind) : a)));
        },
        dispose({ handle }) {
            const o = objects.get(handle);
            if (o) { o.dispose(); objects.delete(handle); }
            return null;
        },
        close() {
            for (const o of objects.values()) o.dispose();
            objects.clear();
            engine?.dispose();
            engine = null;
            return null;
        },
    };

    return async function onMessage(msg) {
        if (!msg || typeof msg !== 'object') return;
        if (msg.op === 'abort') {
            running.get(msg.target)?.abort(abortReason());
            return;
        }
        const { id, op, args } = msg;
        try {
            const fn = ops[op];
            if (!fn) throw new Error(`unknown worker request ${JSON.stringify(op)}`);
            const result = await fn(args || {}, id);
            const transfer = result instanceof Uint8Array && result.byteOffset === 0 &&
                result.byteLength === result.buffer.byteLength ? [result.buffer] : [];
            post({ id, ok: true, result }, transfer);
        } catch (e) {
            post({ id, ok: false, error: serializeError(e) });
        }
    };
}

function now() { return globalThis.performance ? performance.now() : Date.now(); }

function abortReason() {
    try { return new DOMException('training was aborted', 'AbortError'); } catch {
        const e = new Error('training was aborted'); e.name = 'AbortError'; return e;
    }
}

function serializeError(e) {
    if (e && typeof e === 'object') {
        return { name: e.name || 'Error', message: e.message || String(e), code: e.code, status: e.status };
    }
    return { name: 'Error', message: String(e) };
}

// ---- start serving when loaded as a worker -------------------------------------------------------

const IS_WEB_WORKER = typeof WorkerGlobalScope !== 'undefined' && typeof self !== 'undefined' &&
    self instanceof WorkerGlobalScope; // eslint-disable-line no-undef
if (IS_WEB_WORKER) {
    const handle = createHost((msg, transfer) => self.postMessage(msg, transfer || []));
    self.onmessage = (e) => { handle(e.data); };
} else if (typeof process === 'object' && process?.versions?.node) {
    const wt = await import('node:worker_threads');
    if (!wt.isMainThread && wt.parentPort && wt.workerData?.wasmrecWorker) {
        const port = wt.parentPort;
        const handle = createHost((msg, transfer) => port.postMessage(msg, transfer || []));
        port.on('message', (data) => { handle(data); });
    }
}
