// wasmrec.mjs: the JavaScript binding of the wasmrec engine (wasm/wasmrec.wasm).
//
// One ES module with no dependencies; it runs in a page, in a worker and in Node 20.
//
//   const engine = await loadEngine();                 // finds ./wasmrec.wasm next to this file
//   const data = engine.dataset(engine.generate({ sessions: 2000 }));
//   const model = engine.model('itemknn');
//   model.fit(data);
//   model.recommend(['i12', 'i40'], { k: 10 });        // [{ item: 'i7', score: 0.81 }, ...]
//
// Contract
// - Users see objects and verbs (Engine, Dataset, Model), never pointers. Each object wraps one
//   C handle and has an idempotent dispose(); using it after dispose() throws.
// - A nonzero C status throws WasmrecError (.code = the wr_status, .status = its name, message =
//   wr_last_error). Bad JS arguments throw TypeError / RangeError naming the argument, before C
//   is called.
// - Memory discipline: the wasm memory may grow during any call, which detaches every view over
//   memory.buffer. So no view is ever cached: each one is made right before use, data goes in
//   with .set() and comes out with .slice(), and every temporary malloc is freed in `finally`.
// - Lower level: instantiate({ host }) gives the raw exports plus these heap helpers; the Node
//   command line (cli.mjs) uses it with file hooks.

import { bool, checkOptions, checkSignal, itemIds, nonNegInt, posInt, seed64, seenMode, show, str } from './check.mjs';
import { autoThreads, startThreads, threadsSupported } from './threads.mjs';

// ---- loading ----------------------------------------------------------------------------------

// (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt): valid only where SIMD128 is.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1,
    0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

const IS_NODE = typeof process === 'object' && process !== null &&
    typeof process.versions === 'object' && process.versions !== null && !!process.versions.node;

const STATUS_NAMES = {
    [-1]: 'WR_ERR_ARG', [-2]: 'WR_ERR_NOMEM', [-3]: 'WR_ERR_PARSE', [-4]: 'WR_ERR_FORMAT',
    [-5]: 'WR_ERR_STATE', [-6]: 'WR_ERR_NAN', [-7]: 'WR_ERR_IO',
};

/** A nonzero status from the engine. */
export class WasmrecError extends Error {
    constructor(code, message) {
        super(message || `wasmrec error ${code}`);
        this.name = 'WasmrecError';
        this.code = code;
        this.status = STATUS_NAMES[code] || 'WR_ERR_UNKNOWN';
    }
}

/** True when this JavaScript engine runs WebAssembly SIMD128. */
export function simdSupported() {
    try { return WebAssembly.validate(SIMD_PROBE); } catch { return false; }
}

function defaultWasmUrl() { return new URL('./wasmrec.wasm', import.meta.url); }
function defaultThreadsUrl() { return new URL('./wasmrec-mt.wasm', import.meta.url); }

async function fetchWasmBytes(wasmUrl) {
    const url = wasmUrl === undefined ? defaultWasmUrl() : wasmUrl;
    if (IS_NODE) {
        const { readFile } = await import('node:fs/promises');
        const target = url instanceof URL || /^file:/.test(String(url)) ? new URL(url) : String(url);
        if (target instanceof URL && target.protocol !== 'file:') {
            const res = await fetch(target);
            if (!res.ok) throw new Error(`could not fetch ${target}: HTTP ${res.status}`);
            return new Uint8Array(await res.arrayBuffer());
        }
        try {
            return await readFile(target);
        } catch (e) {
            throw new Error(`could not read ${target instanceof URL ? target.pathname : target}: ` +
                `${e.code === 'ENOENT' ? 'no such file (run `make wasm`)' : e.message}`);
        }
    }
    const res = await fetch(url);
    if (!res.ok) throw new Error(`could not fetch ${url}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
}

// The most Transformer blocks a model may have (WR_MAX_BLOCKS in src/models/params.h, the "blocks" range).
const MAX_BLOCKS = 16;
const compiled = new Map(); // url string -> Promise<WebAssembly.Module>, for the default path only

async function compileModule({ wasmUrl, wasmBytes } = {}) {
    if (!simdSupported()) {
        throw new Error('WebAssembly SIMD is not supported by this browser or runtime; ' +
            'wasmrec needs it (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+).');
    }
    if (wasmBytes !== undefined) {
        if (wasmBytes instanceof WebAssembly.Module) return wasmBytes;
        if (!(wasmBytes instanceof ArrayBuffer || ArrayBuffer.isView(wasmBytes))) {
            throw new TypeError('wasmBytes must be an ArrayBuffer, a Uint8Array or a WebAssembly.Module');
        }
        return WebAssembly.compile(wasmBytes);
    }
    const key = String(wasmUrl === undefined ? defaultWasmUrl() : wasmUrl);
    let p = compiled.get(key);
    if (!p) {
        p = fetchWasmBytes(wasmUrl).then((bytes) => WebAssembly.compile(bytes));
        compiled.set(key, p);
        p.catch(() => compiled.delete(key)); // a failed load may be retried (e.g. after `make wasm`)
    }
    return p;
}

// ---- host hooks -------------------------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** Host of a page or worker (and of the library in Node): no file access, print to the console. */
export function pageHost() {
    const pending = { 1: '', 2: '' };
    return {
        print(fd, bytes) {
            const text = pending[fd === 2 ? 2 : 1] + decoder.decode(bytes);
            const lines = text.split('\n');
            pending[fd === 2 ? 2 : 1] = lines.pop();
            for (const line of lines) (fd === 2 ? console.error : console.log)(line);
        },
        readFile() { throw new Error('no file access in a page'); },
        writeFile() { throw new Error('no file access in a page'); },
        nowMs() { return globalThis.performance ? performance.now() : Date.now(); },
    };
}

// ---- runtime: one instance and its heap helpers -------------------------------------------------

class Runtime {
    constructor() { this.instance = null; this.exports = null; this.memory = null; }
    attach(instance, memory) {
        this.instance = instance;
        this.exports = instance.exports;
        this.memory = memory ?? instance.exports.memory;
    }
    // Fresh views every time: memory.grow detaches the old buffer.
    u8() { return new Uint8Array(this.memory.buffer); }
    view() { return new DataView(this.memory.buffer); }

    malloc(n) {
        const p = this.exports.malloc(Math.max(1, n));
        if (!p) throw new WasmrecError(-2, `out of memory allocating ${n} bytes in the wasm heap`);
        return p;
    }
    free(p) { if (p) this.exports.free(p); }

    /** Copies bytes into a new heap block with a NUL after them; returns the pointer. */
    allocBytes(bytes) {
        const p = this.malloc(bytes.length + 1);
        const heap = this.u8();
        heap.set(bytes, p);
        heap[p + bytes.length] = 0;
        return p;
    }
    allocString(s) { return this.allocBytes(encoder.encode(s)); }

    /** Reads the NUL-terminated UTF-8 string at ptr (a copy). */
    string(ptr) {
        if (!ptr) return '';
        const heap = this.u8();
        let end = ptr;
        while (heap[end] !== 0) end++;
        return decoder.decode(heap.slice(ptr, end));
    }
    bytes(ptr, n) { return this.u8().slice(ptr, ptr + n); }
    u32(ptr) { return this.view().getUint32(ptr, true); }
    i32(ptr) { return this.view().getInt32(ptr, true); }
    /** A copy of n values of a typed-array Type at ptr (in a buffer of its own, never shared). */
    typed(Type, ptr, n) { return new Type(this.bytes(ptr, n * Type.BYTES_PER_ELEMENT).buffer); }
    f32(ptr, n) { return this.typed(Float32Array, ptr, n); }
    setU32(ptr, v) { this.view().setUint32(ptr, v >>> 0, true); }

    /** Writes a message into err (size errlen), truncated on a UTF-8 boundary and NUL-terminated. */
    writeError(ptr, errlen, message) {
        if (!ptr || errlen <= 0) return;
        let bytes = encoder.encode(message);
        if (bytes.length > errlen - 1) {
            let n = errlen - 1;
            while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--; // do not cut a character in two
            bytes = bytes.subarray(0, n);
        }
        const heap = this.u8();
        heap.set(bytes, ptr);
        heap[ptr + bytes.length] = 0;
    }

    /** Runs fn(scope) where scope.alloc* blocks are freed when fn ends, thrown or not. */
    scoped(fn) {
        const ptrs = [];
        const scope = {
            bytes: (b) => { const p = this.allocBytes(b); ptrs.push(p); return p; },
            string: (s) => { const p = this.allocString(s); ptrs.push(p); return p; },
            optString: (s) => (s === undefined || s === null ? 0 : scope.string(s)),
            zeros: (n) => {
                const p = this.malloc(n); ptrs.push(p);
                this.u8().fill(0, p, p + n);
                return p;
            },
        };
        try { return fn(scope); } finally { for (const p of ptrs) this.exports.free(p); }
    }
}

function hostImports(rt, host) {
    const errOf = (e) => (e && e.message) || String(e);
    return {
        env: {
            // Nothing to refresh: the binding never caches views over memory.buffer.
            emscripten_notify_memory_growth() {},
        },
        wasmrec: {
            print(fd, ptr, n) { host.print(fd, rt.bytes(ptr, n >>> 0)); },
            read_file(pathPtr, outPtrPtr, lenPtr, errPtr, errlen) {
                try {
                    const data = host.readFile(rt.string(pathPtr));
                    const p = rt.allocBytes(data); // malloc'd here, the C side frees it
                    rt.setU32(outPtrPtr, p);
                    rt.setU32(lenPtr, data.length);
                    return 0;
                } catch (e) {
                    rt.writeError(errPtr, errlen, errOf(e));
                    return -1;
                }
            },
            write_file(pathPtr, dataPtr, len, errPtr, errlen) {
                try {
                    host.writeFile(rt.string(pathPtr), rt.bytes(dataPtr, len >>> 0));
                    return 0;
                } catch (e) {
                    rt.writeError(errPtr, errlen, errOf(e));
                    return -1;
                }
            },
            now_ms() { return host.nowMs(); },
            cores() { return rt.threads ?? 1; }, // the threads started for this instance
        },
    };
}

/**
 * Low level: compiles (once per URL) and instantiates the module with the given host hooks
 * ({ print(fd, bytes), readFile(path) -> Uint8Array, writeFile(path, bytes), nowMs() }; throwing
 * in readFile/writeFile becomes the C-side error message). Returns the runtime: .exports (raw
 * wr_* functions, malloc, free), .memory, heap helpers, and .threads (1, or for the threaded
 * module the threads it runs on: `threads` of them, helpers started by threads.mjs).
 * Most callers want loadEngine().
 */
export async function instantiate({ wasmUrl, wasmBytes, host = pageHost(), threads = 1 } = {}) {
    const module = await compileModule({ wasmUrl, wasmBytes });
    const rt = new Runtime(); // the imports need it; attached once the instance exists
    const imports = hostImports(rt, host);
    // The threaded module imports its memory: a shared one, which its helper threads use too.
    // 256 pages and 4 GB are the Makefile's INITIAL_MEMORY and MAXIMUM_MEMORY.
    const shared = WebAssembly.Module.imports(module).some((i) => i.module === 'env' && i.kind === 'memory');
    if (shared) imports.env.memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
    // The build links with ERROR_ON_UNDEFINED_SYMBOLS=0 (the host hooks are imports), so a C
    // function missing from the build turns into an import too. Give it a stand-in that fails
    // with a sentence when called, instead of a LinkError that stops the whole module.
    for (const imp of WebAssembly.Module.imports(module)) {
        const ns = (imports[imp.module] ||= {});
        if (imp.kind === 'function' && !(imp.name in ns)) {
            ns[imp.name] = () => {
                throw new Error(`${imp.name} is missing from this build of wasmrec.wasm ` +
                    '(undefined when the module was linked); rebuild with `make wasm`');
            };
        }
    }
    rt.attach(await WebAssembly.instantiate(module, imports), imports.env.memory);
    if (typeof rt.exports._initialize === 'function') rt.exports._initialize();
    rt.build = shared ? 'threads' : 'single';
    rt.threads = 1;
    rt.stopThreads = () => {};
    if (shared && threads > 1) {
        const t = await startThreads(rt, module, imports.env.memory, threads);
        rt.threads = t.threads;
        rt.stopThreads = t.terminate;
    }
    return rt;
}

// ---- argument checks: see check.mjs ------------------------------------------------------------

function toBytes(name, v) {
    if (typeof v === 'string') return encoder.encode(v);
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    throw new TypeError(`${name} must be a string, a Uint8Array or an ArrayBuffer, got ${show(v)}`);
}
// ---- engine -------------------------------------------------------------------------------------

/**
 * Loads the module and creates an Engine (one wr_ctx).
 *   wasmUrl:   where wasmrec.wasm is (default: next to this file)
 *   wasmBytes: the module itself (ArrayBuffer / Uint8Array / WebAssembly.Module); skips fetching
 */
export async function loadEngine(opts) {
    const { wasmUrl, wasmBytes, host, memoryMB, threads = 'auto' } =
        checkOptions('loadEngine', opts, ['wasmUrl', 'wasmBytes', 'host', 'memoryMB', 'threads']);
    if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
        throw new TypeError(`threads must be 'auto' or an integer from 1 to 64, got ${show(threads)}`);
    }
    const want = threads === 'auto' ? await autoThreads() : threads;
    // Without a module of its own choosing, the threaded one where threads can run; else the
    // single-thread one. A given module is used as it is (wasmrec-mt.wasm imports its memory).
    let rt;
    if (wasmUrl === undefined && wasmBytes === undefined && want > 1 && threadsSupported()) {
        try {
            rt = await instantiate({ wasmUrl: defaultThreadsUrl(), host, threads: want });
        } catch (e) {
            console.warn(`wasmrec: running on one thread (${e.message})`);
        }
    }
    rt ??= await instantiate({ wasmUrl, wasmBytes, host, threads: threadsSupported() ? want : 1 });
    const engine = new Engine(rt);
    if (memoryMB !== undefined) engine.memoryMB = memoryMB;
    return engine;
}

class Handle {
    constructor(engine, ptr, kind) {
        this._engine = engine;
        this._ptr = ptr;
        this._kind = kind;
    }
    get disposed() { return this._ptr === 0; }
    _live() {
        if (this._ptr === 0) throw new Error(`this ${this._kind} was disposed; it can no longer be used`);
        this._engine._live();
        return this._ptr;
    }
}

export class Engine {
    constructor(rt) {
        this._rt = rt;
        this._ptr = 0;
        this._owned = new Set(); // live Datasets and Models, disposed with the engine
        const out = rt.malloc(4);
        try {
            rt.setU32(out, 0);
            const rc = rt.exports.wr_ctx_new(out);
            this._ptr = rt.u32(out);
            if (rc !== 0) {
                const msg = this._ptr ? rt.string(rt.exports.wr_last_error(this._ptr)) : '';
                if (this._ptr) rt.exports.wr_ctx_free(this._ptr);
                this._ptr = 0;
                throw new WasmrecError(rc, msg || rt.string(rt.exports.wr_status_str(rc)));
            }
        } finally {
            rt.free(out);
        }
    }

    /** The engine's version string. */
    get version() { return this._rt.string(this._rt.exports.wr_version()); }
    /** The memory budget in MB (default 2048): training settings or model files whose buffers
     * would need more are refused with an error naming the settings, before anything large is
     * allocated; a WebAssembly module can address 4096 MB at most whatever the budget. */
    get memoryMB() { return this._rt.exports.wr_ctx_memory_mb(this._live()); }
    set memoryMB(mb) {
        if (typeof mb !== 'number' || !Number.isFinite(mb)) throw new TypeError(`memoryMB must be a number of megabytes, got ${mb}`);
        this._check(this._rt.exports.wr_ctx_set_memory_mb(this._live(), mb));
    }
    /** The threads its kernels run on (1 with the single-thread module). */
    get threads() { return this._rt.threads; }
    /** Which module was loaded: 'threads' (wasmrec-mt.wasm, shared memory) or 'single'. */
    get build() { return this._rt.build; }
    get disposed() { return this._ptr === 0; }
    /** The low-level runtime (raw exports and heap helpers). */
    get runtime() { return this._rt; }

    _live() {
        if (this._ptr === 0) throw new Error('this Engine was disposed; it can no longer be used');
        return this._ptr;
    }
    _check(rc) {
        if (rc === 0) return;
        const rt = this._rt;
        const msg = rt.string(rt.exports.wr_last_error(this._ptr));
        throw new WasmrecError(rc, msg || rt.string(rt.exports.wr_status_str(rc)));
    }
    /** call(out, scope): an engine function that leaves a JSON string (ours to free) at out; its status checked, the JSON parsed. */
    _json(call) {
        const rt = this._rt;
        return rt.scoped((s) => {
            const out = s.zeros(4);
            const rc = call(out, s);
            const j = rt.u32(out);
            try {
                this._check(rc);
                return JSON.parse(rt.string(j));
            } finally {
                if (j) rt.exports.wr_free(j);
            }
        });
    }

    /** The names of all models. */
    modelNames() {
        this._live();
        return this._rt.string(this._rt.exports.wr_model_names()).split(',').map((s) => s.trim()).filter(Boolean);
    }

    /**
     * What a model needs and can do ({ name, uses: { history, users, labels, features }, iterative,
     * predicts, can: { fine_tune, add_session, explain, attention, item_map }, params: [...] }):
     * what pages and tools decide on, rather than on model names.
     */
    modelInfo(name) {
        this._live();
        str('name', name);
        this._infos ??= new Map();
        if (!this._infos.has(name)) {
            this._infos.set(name, this._json((out, s) => this._rt.exports.wr_model_info(this._live(), s.string(name), out)));
        }
        return this._infos.get(name);
    }

    /**
     * Is the difference real? models (2 to 8, trained on the same protocol's training part, for
     * instance with train(data, { protocol, fractions, seed })) evaluated on its test queries:
     * { report: { eval, queries, models: [{ model, arm, test: { 'NDCG@10': { mean, ci95 }, ... } }],
     * pairs: [{ a, b, metric, diff, ci95, paired_t_p, wilcoxon_p, holm_p }] }, perUser: CSV text }.
     */
    compare(dataset, models, opts) {
        const { protocol = 'loo', fractions, seed = 42, k = 10, excludeSeen = 'auto' } =
            checkOptions('compare', opts, ['protocol', 'fractions', 'seed', 'k', 'excludeSeen']);
        if (!Array.isArray(models) || models.length < 2 || models.length > 8 || !models.every((m) => m instanceof Model))
            throw new TypeError(`models must be an array of 2 to 8 Models, got ${show(models)}`);
        const d = dataset instanceof Dataset ? dataset._live() : (() => { throw new TypeError(`dataset must be a Dataset, got ${show(dataset)}`); })();
        posInt('k', k);
        const ex = seenMode('excludeSeen', excludeSeen), s64 = seed64('seed', seed), rt = this._rt;
        const sp = this._split(d, protocol, fractions, seed);
        try {
            return rt.scoped((s) => {
                const arr = s.zeros(4 * models.length), out = s.zeros(8);
                models.forEach((m, i) => new DataView(rt.memory.buffer).setUint32(arr + 4 * i, m._live(), true));
                const rc = rt.exports.wr_compare(arr, models.length, sp, k, ex, s64, out, out + 4);
                const pj = rt.u32(out), pc = rt.u32(out + 4);
                try {
                    this._check(rc);
                    return { report: JSON.parse(rt.string(pj)), perUser: rt.string(pc) };
                } finally {
                    if (pj) rt.exports.wr_free(pj);
                    if (pc) rt.exports.wr_free(pc);
                }
            });
        } finally {
            rt.exports.wr_split_free(sp);
        }
    }

    /**
     * A simulated online test of model a against model b (both trained with leaveOneOut) on the
     * dataset's held-out users: { ab: { arms, welch_p, mannwhitney_p, users_for_80_power, p_by_users },
     * interleaving: { wins_a, wins_b, ties, p, users_for_80_power }, aa: { runs,
     * fixed_horizon_rejections, peeking_every_100_rejections } }. click: 'next' or 'position'.
     */
    experiment(dataset, a, b, opts) {
        const { click = 'next', seed = 42, k = 10, excludeSeen = 'auto' } = checkOptions('experiment', opts, ['click', 'seed', 'k', 'excludeSeen']);
        if (!(a instanceof Model) || !(b instanceof Model)) throw new TypeError('experiment takes two Models');
        if (click !== 'next' && click !== 'position') throw new RangeError(`click must be 'next' or 'position', got ${show(click)}`);
        const d = dataset instanceof Dataset ? dataset._live() : (() => { throw new TypeError(`dataset must be a Dataset, got ${show(dataset)}`); })();
        posInt('k', k);
        const ex = seenMode('excludeSeen', excludeSeen), s64 = seed64('seed', seed);
        return this._json((out) => this._rt.exports.wr_experiment(a._live(), b._live(), d, k, ex, click === 'position' ? 1 : 0, s64, out));
    }

    /** A wr_split over dataset pointer d (the caller frees it): protocol 'loo', 'random', 'temporal',
     * 'cold-users' or 'cold-items'; fractions [train, valid, test] (default [0.8, 0.1, 0.1]). */
    _split(d, protocol, fractions, seed) {
        str('protocol', protocol);
        let text = 0;
        if (fractions !== undefined) {
            if (!Array.isArray(fractions) || fractions.length !== 3 || !fractions.every((x) => typeof x === 'number' && Number.isFinite(x)))
                throw new TypeError(`fractions must be three numbers [train, valid, test], got ${show(fractions)}`);
            text = fractions.join(',');
        }
        const s64 = seed64('seed', seed);
        const rt = this._rt;
        return rt.scoped((s) => {
            const out = s.zeros(4);
            this._check(rt.exports.wr_split_new(d, s.string(protocol), text === 0 ? 0 : s.string(text), s64, out));
            return rt.u32(out);
        });
    }

    /**
     * Parses interaction data (text or bytes). format: 'auto', 'csv', 'movielens', 'seq', 'otto';
     * source names the input in error messages; skipBad skips and counts bad lines; label and drop
     * are conditions on the rating column; users and items are side tables (README "Input formats");
     * model: a trained model the data is for (evaluate, fineTune), whose bucket edges its numeric
     * features take.
     */
    dataset(input, opts) {
        const { format = 'auto', source = 'data', skipBad = false, label, drop, users, items, featureKinds, timeContext, model } =
            checkOptions('dataset', opts, ['format', 'source', 'skipBad', 'label', 'drop', 'users', 'items', 'featureKinds', 'timeContext', 'model']);
        if (model !== undefined && !(model instanceof Model)) throw new TypeError(`dataset: model must be a Model, got ${show(model)}`);
        if (model !== undefined && model._engine !== this) throw new TypeError('dataset: model belongs to another Engine');
        const modelPtr = model === undefined ? 0 : model._live();
        if (timeContext !== undefined && (!Array.isArray(timeContext) || timeContext.some((x) => typeof x !== 'string' || x.includes(','))))
            throw new TypeError("dataset: timeContext must be an array like ['hour', 'weekday']");
        const sides = [users, items].map((v, i) => (v === undefined ? undefined : toBytes(i ? 'items' : 'users', v)));
        if (featureKinds !== undefined && (featureKinds === null || typeof featureKinds !== 'object' || Array.isArray(featureKinds)))
            throw new TypeError("dataset: featureKinds must be an object like { 'user.age': 'categorical' }");
        const kinds = featureKinds === undefined ? undefined : Object.entries(featureKinds).map(([field, kind]) => {
            if (typeof kind !== 'string') throw new TypeError(`dataset: featureKinds['${field}'] must be 'categorical', 'multi' or 'numeric'`);
            if (/[,=]/.test(field) || /[,=]/.test(kind)) throw new RangeError(`dataset: featureKinds: '${field}' = '${kind}' may not hold ',' or '='`);
            return `${field}=${kind}`;
        }).join(',');
        if (label !== undefined) str('label', label);
        if (drop !== undefined) str('drop', drop);
        const ctx = this._live();
        const bytes = toBytes('input', input);
        str('format', format);
        str('source', source);
        const skip = bool('skipBad', skipBad);
        const rt = this._rt;
        const ptr = rt.scoped((s) => {
            const out = s.zeros(4);
            const rc = rt.exports.wr_data_load(ctx, s.bytes(bytes), bytes.length, s.string(format),
                s.string(source), skip, out);
            const p = rt.u32(out);
            if (rc !== 0) {
                if (p) rt.exports.wr_data_free(p);
                this._check(rc);
            }
            // the time context, the kinds, the model's buckets, side tables (--users, --items), then --drop, then --label, as the CLI
            const fail = (rc2) => {
                if (rc2 !== 0) {
                    rt.exports.wr_data_free(p);
                    this._check(rc2);
                }
            };
            if (timeContext !== undefined) fail(rt.exports.wr_data_time_context(p, s.string(timeContext.join(','))));
            if (kinds !== undefined) fail(rt.exports.wr_data_feature_kinds(p, s.string(kinds)));
            if (modelPtr) fail(rt.exports.wr_data_model_buckets(p, modelPtr));
            for (let side = 0; side < 2; side++) {
                if (!sides[side]) continue;
                const b = sides[side];
                fail(rt.exports.wr_data_load_side(p, side, s.bytes(b), b.length, s.string(side ? 'items' : 'users')));
            }
            fail(rt.exports.wr_data_feature_kinds_applied(p));
            const count = s.zeros(8);
            for (const [fn, cond] of [['wr_data_drop', drop], ['wr_data_label', label]]) {
                if (cond !== undefined) fail(rt.exports[fn](p, s.string(cond), count));
            }
            return p;
        });
        return this._adopt(new Dataset(this, ptr));
    }

    /** The demo store as CSV text (session,item,category,title,timestamp); with features: true,
     * { events (with a purchase label column), users (session,device,region), items
     * (item,category,group,price) }: the same sessions, with a planted device x group effect. */
    generate(opts) {
        const { sessions = 5000, items = 1000, seed = 42, features = false } = checkOptions('generate', opts, ['sessions', 'items', 'seed', 'features']);
        const ctx = this._live();
        posInt('sessions', sessions);
        posInt('items', items);
        bool('features', features);
        const s64 = seed64('seed', seed);
        const rt = this._rt;
        return rt.scoped((s) => {
            const out = s.zeros(12);
            const rc = features ? rt.exports.wr_gen_features(ctx, sessions, items, s64, out, out + 4, out + 8)
                : rt.exports.wr_gen(ctx, sessions, items, s64, out, out + 4);
            const ptrs = features ? [rt.u32(out), rt.u32(out + 4), rt.u32(out + 8)] : [rt.u32(out)];
            try {
                this._check(rc);
                if (!features) return decoder.decode(rt.bytes(ptrs[0], rt.u32(out + 4)));
                const [events, users, items] = ptrs.map((p) => rt.string(p));
                return { events, users, items };
            } finally {
                for (const p of ptrs) if (p) rt.exports.wr_free(p);
            }
        });
    }

    /**
     * An untrained model. params: hyper-parameters ({ dim: 64, ... }), each set with
     * wr_model_set as text; params.seed (default 42) is the model's seed.
     */
    model(name, params = {}) {
        const ctx = this._live();
        str('name', name);
        const names = this.modelNames();
        if (!names.includes(name)) {
            throw new RangeError(`name: unknown model ${JSON.stringify(name)}; the models are ${names.join(', ')}`);
        }
        if (params === null || typeof params !== 'object' || Array.isArray(params)) {
            throw new TypeError(`params must be an object of hyper-parameters, got ${show(params)}`);
        }
        const { seed = 42, ...rest } = params;
        const s64 = seed64('params.seed', seed);
        const entries = Object.entries(rest).map(([k, v]) => {
            if (!['string', 'number', 'boolean', 'bigint'].includes(typeof v)) {
                throw new TypeError(`params.${k} must be a string, number or boolean, got ${show(v)}`);
            }
            return [k, String(v)];
        });
        const rt = this._rt;
        const ptr = rt.scoped((s) => {
            const out = s.zeros(4);
            const rc = rt.exports.wr_model_new(ctx, s.string(name), s64, out);
            const p = rt.u32(out);
            if (rc !== 0) {
                if (p) rt.exports.wr_model_free(p);
                this._check(rc);
            }
            return p;
        });
        const model = this._adopt(new Model(this, ptr));
        try {
            for (const [k, v] of entries) {
                rt.scoped((s) => this._check(rt.exports.wr_model_set(ptr, s.string(k), s.string(v))));
            }
        } catch (e) {
            model.dispose();
            throw e;
        }
        return model;
    }

    /** A model from a safetensors file's bytes (as made by Model.save or the CLI). */
    loadModel(bytes, opts) {
        const { source = 'model' } = checkOptions('loadModel', opts, ['source']);
        const ctx = this._live();
        const b = toBytes('bytes', bytes);
        if (typeof bytes === 'string') throw new TypeError('bytes must be a Uint8Array or an ArrayBuffer, got a string');
        str('source', source);
        const rt = this._rt;
        const ptr = rt.scoped((s) => {
            const out = s.zeros(4);
            const rc = rt.exports.wr_model_load(ctx, s.bytes(b), b.length, s.string(source), out);
            const p = rt.u32(out);
            if (rc !== 0) {
                if (p) rt.exports.wr_model_free(p);
                this._check(rc);
            }
            return p;
        });
        return this._adopt(new Model(this, ptr));
    }

    /**
     * A nearest-neighbour index over dim-float vectors (src/index/): HNSW with M neighbours per
     * vector (2M on the bottom level) built with a candidate list of efConstruction, for metric
     * 'ip' (inner product) or 'cosine'; the same seed and vectors give the same graph. capacity:
     * vectors to make room for at once (the heap then holds no copies left by growing).
     */
    index(opts) {
        const { dim, metric = 'ip', M = 16, efConstruction = 200, seed = 42, capacity = 0 } =
            checkOptions('index', opts, ['dim', 'metric', 'M', 'efConstruction', 'seed', 'capacity']);
        posInt('dim', dim);
        if (metric !== 'ip' && metric !== 'cosine') throw new RangeError(`metric must be 'ip' or 'cosine', got ${show(metric)}`);
        posInt('M', M);
        posInt('efConstruction', efConstruction);
        nonNegInt('capacity', capacity);
        const s64 = seed64('seed', seed);
        const ctx = this._live(), rt = this._rt;
        const ptr = rt.scoped((s) => {
            const out = s.zeros(4);
            const rc = rt.exports.wr_index_new(ctx, dim, s.string(`metric=${metric},M=${M},ef_construction=${efConstruction},seed=${s64},capacity=${capacity}`), out);
            this._check(rc);
            return rt.u32(out);
        });
        return this._adopt(new Index(this, ptr));
    }

    /** An index from the bytes of Index.save(). */
    loadIndex(bytes, opts) {
        const { source = 'index' } = checkOptions('loadIndex', opts, ['source']);
        if (typeof bytes === 'string') throw new TypeError('bytes must be a Uint8Array or an ArrayBuffer, got a string');
        const b = toBytes('bytes', bytes);
        str('source', source);
        const ctx = this._live(), rt = this._rt;
        const ptr = rt.scoped((s) => {
            const out = s.zeros(4);
            this._check(rt.exports.wr_index_load(ctx, s.bytes(b), b.length, s.string(source), out));
            return rt.u32(out);
        });
        return this._adopt(new Index(this, ptr));
    }

    /** Frees every Dataset and Model of this engine, then the context. Idempotent. */
    dispose() {
        if (this._ptr === 0) return;
        for (const h of [...this._owned]) h.dispose();
        this._rt.exports.wr_ctx_free(this._ptr);
        this._ptr = 0;
        this._rt.stopThreads();
    }

    _adopt(h) { this._owned.add(h); return h; }
}

export class Dataset extends Handle {
    constructor(engine, ptr) {
        super(engine, ptr, 'Dataset');
        const x = engine._rt.exports;
        // Immutable after loading, so read once.
        this.users = x.wr_data_n_users(ptr);
        this.items = x.wr_data_n_items(ptr);
        this.events = Number(x.wr_data_n_events(ptr));
        this.format = engine._rt.string(x.wr_data_format(ptr));
        this.skipped = Number(x.wr_data_skipped(ptr));
        this.skipReason = engine._rt.string(x.wr_data_first_skip_reason(ptr));
        this.hasRatings = x.wr_data_has_ratings(ptr) === 1;
        this.labelled = x.wr_data_has_labels(ptr) === 1;
        this.features = x.wr_data_n_features(ptr);
        this.context = engine._rt.string(x.wr_data_context_note(ptr));
    }
    /** What each feature field became, as the engine encoded it (read once; see FeatureField in the .d.ts). */
    get fields() {
        if (this._fields) return this._fields;
        const p = this._live();
        this._fields = this._engine._json((out) => this._engine._rt.exports.wr_data_fields(p, out));
        return this._fields;
    }
    /**
     * Each user's ('users') or item's ('items') features as the engine encoded them:
     * Map(id -> { field: [values] }) with the fields and values of `fields` ("user.age" -> ["q3"]),
     * for the ids with any feature.
     */
    sideFeatures(side) {
        if (side !== 'users' && side !== 'items') throw new TypeError(`sideFeatures: side must be 'users' or 'items', got ${show(side)}`);
        const p = this._live();
        const json = this._engine._json((out) => this._engine._rt.exports.wr_data_side_features(p, side === 'items' ? 1 : 0, out));
        const byId = new Map();
        for (const [id, pairs] of Object.entries(json)) {
            const row = {};
            for (const [field, value] of pairs) (row[field] ??= []).push(value);
            byId.set(id, row);
        }
        return byId;
    }
    _item(name, i) {
        const p = this._live();
        if (!Number.isInteger(i) || i < 0 || i >= this.items) {
            throw new RangeError(`${name}: item index must be an integer in [0, ${this.items}), got ${show(i)}`);
        }
        return p;
    }
    itemId(i) { const p = this._item('itemId', i); return this._engine._rt.string(this._engine._rt.exports.wr_data_item_id(p, i)); }
    itemTitle(i) { const p = this._item('itemTitle', i); return this._engine._rt.string(this._engine._rt.exports.wr_data_item_title(p, i)); }
    itemCategory(i) { const p = this._item('itemCategory', i); return this._engine._rt.string(this._engine._rt.exports.wr_data_item_category(p, i)); }
    /** Dense index of an item id, or -1. */
    itemIndex(id) {
        const p = this._live();
        str('id', id);
        const rt = this._engine._rt;
        return rt.scoped((s) => rt.exports.wr_data_item_index(p, s.string(id)));
    }
    /** Items that have a title (after loadTitles: how many ids the titles file matched). */
    get titled() { return this._engine._rt.exports.wr_data_n_titled(this._live()); }
    /** Events per user (session), in user order: the length distribution. */
    lengths() {
        const p = this._live();
        const x = this._engine._rt.exports;
        const out = new Int32Array(this.users);
        for (let u = 0; u < this.users; u++) out[u] = Number(x.wr_data_user_length(p, u));
        return out;
    }
    /** Every item as { index, id, title, category } (title/category '' when the data has none). */
    catalogue() {
        this._live();
        const out = new Array(this.items);
        for (let i = 0; i < this.items; i++) {
            out[i] = { index: i, id: this.itemId(i), title: this.itemTitle(i), category: this.itemCategory(i) };
        }
        return out;
    }
    /** Adds titles (MovieLens u.item / movies.dat). */
    loadTitles(input, opts) {
        const { source = 'titles' } = checkOptions('loadTitles', opts, ['source']);
        const p = this._live();
        const bytes = toBytes('input', input);
        str('source', source);
        const rt = this._engine._rt;
        rt.scoped((s) => this._engine._check(rt.exports.wr_data_load_titles(p, s.bytes(bytes), bytes.length, s.string(source))));
        return this;
    }
    dispose() {
        if (this._ptr === 0) return;
        this._engine._rt.exports.wr_data_free(this._ptr);
        this._ptr = 0;
        this._engine._owned.delete(this);
    }
}

export class Model extends Handle {
    constructor(engine, ptr) { super(engine, ptr, 'Model'); }

    get name() { const p = this._live(); return this._engine._rt.string(this._engine._rt.exports.wr_model_name(p)); }
    /** What this model's family needs and can do (Engine.modelInfo). */
    get info() { return this._engine.modelInfo(this.name); }
    /** Hyper-parameters (parsed from wr_model_params_json). */
    get params() { const p = this._live(); return JSON.parse(this._engine._rt.string(this._engine._rt.exports.wr_model_params_json(p)) || '{}'); }
    /** The bucket edges of its numeric side and context fields, { 'user.age': [9 rising edges] }
     * (wr_model_buckets): value 'qk' of such a field means edge k-1 <= x < edge k. */
    get buckets() { const p = this._live(); return this._engine._json((out) => this._engine._rt.exports.wr_model_buckets(p, out)); }
    /** Size of the model's item vocabulary (0 before fit). */
    get items() { const p = this._live(); return this._engine._rt.exports.wr_model_n_items(p); }
    /** Users the model scores by (mf); 0 for models that score by the history alone. */
    get users() { const p = this._live(); return this._engine._rt.exports.wr_model_n_users(p); }
    itemId(i) {
        const p = this._live();
        const n = this.items;
        if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`itemId: item index must be an integer in [0, ${n}), got ${show(i)}`);
        return this._engine._rt.string(this._engine._rt.exports.wr_model_item_id(p, i));
    }
    /** Dense index of an item id in the model's vocabulary, or -1. */
    itemIndex(id) {
        const p = this._live();
        str('id', id);
        const rt = this._engine._rt;
        return rt.scoped((s) => rt.exports.wr_model_item_index(p, s.string(id)));
    }

    _data(dataset) {
        if (!(dataset instanceof Dataset)) throw new TypeError(`dataset must be a Dataset, got ${show(dataset)}`);
        if (dataset._engine !== this._engine) throw new TypeError('dataset belongs to another Engine');
        return dataset._live();
    }
    /**
     * Sets one hyper-parameter (the engine checks the name and the value; an unknown name is a
     * WasmrecError that lists the model's parameters). Returns this.
     */
    set(name, value) {
        const p = this._live();
        str('name', name);
        if (!['string', 'number', 'boolean', 'bigint'].includes(typeof value)) {
            throw new TypeError(`params.${name} must be a string, number or boolean, got ${show(value)}`);
        }
        const rt = this._engine._rt;
        rt.scoped((s) => this._engine._check(rt.exports.wr_model_set(p, s.string(name), s.string(String(value)))));
        return this;
    }

    /** Trains on every event of dataset, in one synchronous call (train() is the stepwise one). */
    fit(dataset) {
        const p = this._live();
        const d = this._data(dataset);
        this._engine._check(this._engine._rt.exports.wr_model_fit(p, d));
        return this;
    }
    /** Trains on the leave-one-out training part (all but the last two events per user). */
    fitLeaveOneOut(dataset) {
        const p = this._live();
        const d = this._data(dataset);
        this._engine._check(this._engine._rt.exports.wr_model_fit_loo(p, d));
        return this;
    }

    /**
     * Trains step by step so the caller stays responsive: runs `chunk` optimisation steps at a
     * time (or one epoch, whichever ends first), yields to the event loop after each, calls
     * onProgress({ epoch, epochs, step, loss, positionsPerSecond, validNdcg, bestEpoch, done,
     * unknownEvents }) at the start, after each epoch, at the end and otherwise at most every
     * 250 ms, and stops between chunks when signal is aborted (the weights trained so far, or the
     * best epoch's with early stopping, are kept; the promise rejects with the abort reason).
     * leaveOneOut: train on all but each user's last two events, with early stopping on the
     * second-last. One-pass models (pop, markov, itemknn, the kNN family) finish in one chunk.
     */
    async train(dataset, opts) {
        const { leaveOneOut = false, protocol, fractions, seed = 42, onProgress, signal, chunk = 16, epochs } =
            checkOptions('train', opts, ['leaveOneOut', 'protocol', 'fractions', 'seed', 'onProgress', 'signal', 'chunk', 'epochs']);
        return this._steps('wr_train_begin', dataset, { leaveOneOut, protocol, fractions, seed, onProgress, signal, chunk, epochs });
    }

    /**
     * Fine-tunes this trained (or loaded) model on dataset: training goes on from its weights, with
     * its settings and item vocabulary; events whose item it does not know are left out and
     * counted (the result's unknownEvents). Neural models train on (without leaveOneOut: lr a
     * third of the model's and at most 10 epochs unless given, so a visitor's few sessions refine
     * rather than overwrite the shipped model; with it, early stopping keeps the model as it was
     * unless an epoch beats it); the session-kNN models add the sessions to their index; pop,
     * markov and itemknn throw (refit them). Progress and cancellation as train().
     */
    async fineTune(dataset, opts) {
        const { leaveOneOut = false, onProgress, signal, chunk = 16, epochs, lr } =
            checkOptions('fineTune', opts, ['leaveOneOut', 'onProgress', 'signal', 'chunk', 'epochs', 'lr']);
        if (lr !== undefined && !(typeof lr === 'number' && lr > 0 && Number.isFinite(lr))) throw new RangeError(`lr must be a positive number, got ${show(lr)}`);
        const params = this.params;
        if (!leaveOneOut) { // the engine's WR_FINE_TUNE_LR_SCALE and WR_FINE_TUNE_EPOCHS, as the CLI's train --init
            if (lr === undefined && typeof params.lr === 'number') this.set('lr', Number((params.lr * 0.3).toPrecision(6)));
            if (epochs === undefined && typeof params.epochs === 'number' && params.epochs > 10) this.set('epochs', 10);
        }
        if (lr !== undefined) this.set('lr', lr);
        return this._steps('wr_train_continue', dataset, { leaveOneOut, onProgress, signal, chunk, epochs });
    }

    async _steps(begin, dataset, { leaveOneOut, protocol, fractions, seed = 42, onProgress, signal, chunk, epochs }) {
        const p = this._live();
        const d = this._data(dataset);
        const loo = bool('leaveOneOut', leaveOneOut);
        if (protocol !== undefined && loo && protocol !== 'loo') throw new TypeError(`leaveOneOut: true is protocol 'loo', not ${show(protocol)}`);
        const proto = protocol ?? (loo ? 'loo' : undefined);
        posInt('chunk', chunk);
        if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`onProgress must be a function, got ${show(onProgress)}`);
        checkSignal(signal);
        if (epochs !== undefined) this.set('epochs', posInt('epochs', epochs));
        signal?.throwIfAborted?.();
        const rt = this._engine._rt;
        const N = 10; // WR_PROGRESS_N
        const progress = () => {
            const v = rt.typed(Float64Array, prog, N);
            return { epoch: v[0], epochs: v[1], step: v[2], loss: v[3], positionsPerSecond: v[4], validNdcg: v[5], bestEpoch: v[6], done: v[7] === 1, unknownEvents: v[8], heldOut: v[9] };
        };
        const prog = rt.malloc(8 * N);
        let split = 0; // wr_train_begin takes a split, wr_train_continue a leave-one-out flag
        try {
            if (proto !== undefined && begin === 'wr_train_begin') split = this._engine._split(d, proto, fractions, seed);
            this._engine._check(rt.exports[begin](p, d, begin === 'wr_train_begin' ? split : loo ? 1 : 0, prog));
            let last = progress();
            onProgress?.(last);
            // Progress goes out at each epoch's end, at the end, and otherwise at most every 250 ms,
            // so a long training does not flood a page (or a worker's message port) with events.
            let reported = Date.now();
            while (!last.done) {
                if (signal?.aborted) break;
                await new Promise((resolve) => setTimeout(resolve, 0)); // let the page and abort run
                if (signal?.aborted) break;
                this._engine._check(rt.exports.wr_train_steps(p, chunk, prog));
                const epoch = last.epoch;
                last = progress();
                if (last.done || last.epoch !== epoch || Date.now() - reported >= 250) {
                    reported = Date.now();
                    onProgress?.(last);
                }
            }
            rt.exports.wr_train_end(p);
            signal?.throwIfAborted?.();
            return last;
        } catch (e) {
            rt.exports.wr_train_end(p);
            throw e;
        } finally {
            rt.free(prog);
            if (split) rt.exports.wr_split_free(split);
        }
    }

    /** Item ids -> an int32 array of the known ones' indices on the scope's heap, those ids, and the unknown ones. */
    _indices(s, ids) {
        const rt = this._engine._rt;
        const p = this._live();
        const known = [];
        const knownIds = [];
        const unknown = [];
        for (const id of ids) {
            const idx = rt.exports.wr_model_item_index(p, s.string(id));
            if (idx >= 0) known.push(idx), knownIds.push(id); else unknown.push(id);
        }
        const ptr = s.zeros(4 * Math.max(known.length, 1));
        rt.u8().set(new Uint8Array(Int32Array.from(known).buffer), ptr);
        return { ptr, n: known.length, unknown, ids: knownIds };
    }

    /**
     * Top-k next items after a history of item ids (oldest first). Ids the model does not know are
     * left out of the history and listed in `unknown`. Returns { items: [{ item, score }], unknown }.
     */
    recommendDetailed(history, opts) {
        const { k = 10, excludeSeen = 'auto', user, userFeatures, context } = checkOptions('recommend', opts, ['k', 'excludeSeen', 'user', 'userFeatures', 'context']);
        if (context !== undefined) return this._withFeatures('context', 'ctx', 'wr_model_context', context, () => this.recommendDetailed(history, { k, excludeSeen, user, userFeatures }));
        if (userFeatures !== undefined) return this._asVisitor(user, userFeatures, () => this.recommendDetailed(history, { k, excludeSeen }));
        const p = this._live();
        if (user !== undefined) str('user', user);
        itemIds('history', history);
        posInt('k', k);
        const ex = seenMode('excludeSeen', excludeSeen);
        const rt = this._engine._rt;
        const n = this.items;
        const kk = Math.min(k, Math.max(n, 1)); // C writes at most n items; do not allocate for more
        return rt.scoped((s) => {
            const { ptr: hist, n: known, unknown } = this._indices(s, history);
            const outItems = s.zeros(4 * kk);
            const outScores = s.zeros(4 * kk);
            const outN = s.zeros(4);
            const u = user === undefined ? -1 : rt.exports.wr_model_user_index(p, s.string(user)); // -1: unknown, scored by the history
            this._engine._check(rt.exports.wr_model_recommend(p, u, hist, known, kk, ex, outItems, outScores, outN));
            const got = rt.i32(outN);
            const idx = rt.typed(Int32Array, outItems, got);
            const sc = rt.f32(outScores, got);
            const items = new Array(got);
            for (let i = 0; i < got; i++) {
                items[i] = { item: rt.string(rt.exports.wr_model_item_id(p, idx[i])), score: sc[i], title: rt.string(rt.exports.wr_model_item_title(p, idx[i])) };
            }
            return { items, unknown, excludeSeen: this._seen(ex) };
        });
    }
    /**
     * Runs fn with the unknown user described by side-feature values ({ device: 'mobile', genre:
     * ['Drama', 'War'] }, fields as in the users table; a numeric field by its bucket, 'q3'): what
     * the engine's wr_model_visitor keeps for the next calls, cleared afterwards.
     */
    _asVisitor(user, userFeatures, fn) {
        if (user !== undefined) throw new TypeError('recommend: give either user (a known user id) or userFeatures (a visitor), not both');
        return this._withFeatures('userFeatures', 'user', 'wr_model_visitor', userFeatures, fn);
    }

    /** Runs fn with feature values ({ field: value or [values] }, keys `${prefix}.field=value`) set
     * by the engine's setter (wr_model_visitor, wr_model_context) for the next calls, cleared afterwards. */
    _withFeatures(what, prefix, setter, values, fn) {
        if (values === null || typeof values !== 'object' || Array.isArray(values)) {
            throw new TypeError(`${what} must be an object of field -> value, got ${show(values)}`);
        }
        const p = this._live();
        if (!this.info.uses.features) throw new TypeError(`${what}: ${this.name} reads no side features or context`);
        const rt = this._engine._rt;
        const ids = [];
        const table = prefix === 'ctx' ? "data's context columns" : 'users table';
        rt.scoped((s) => {
            for (const [field, value] of Object.entries(values)) {
                for (const v of Array.isArray(value) ? value : [value]) {
                    const id = rt.exports.wr_model_feature_index(p, s.string(`${prefix}.${field}=${v}`));
                    if (id < 0) throw new RangeError(`${what}: ${this.name} knows no ${prefix === 'ctx' ? 'context' : 'user'} feature ${show(field)} = ${show(v)} (fields and values as in the ${table} it was trained with; numeric ones by bucket, 'q3')`);
                    ids.push(id);
                }
            }
            const arr = s.zeros(4 * Math.max(ids.length, 1));
            rt.u8().set(new Uint8Array(Int32Array.from(ids).buffer), arr);
            this._engine._check(rt.exports[setter](p, arr, ids.length));
        });
        try {
            return fn();
        } finally {
            rt.exports[setter](p, 0, 0);
        }
    }

    /** What an excludeSeen mode resolves to for this model: { mode, applied, reason }. */
    _seen(mode) {
        const rt = this._engine._rt;
        return rt.scoped((s) => {
            const why = s.zeros(4);
            const applied = rt.exports.wr_model_seen_policy(this._live(), mode, why) === 1;
            return { mode: ['no', 'yes', 'auto'][mode], applied, reason: rt.string(rt.u32(why)) };
        });
    }
    /** Top-k next items after history (item id strings, oldest first): [{ item, score }]. */
    recommend(history, opts) { return this.recommendDetailed(history, opts).items; }

    /**
     * Adds a finished session (item ids, oldest first) to a session-kNN model (sknn, vsknn, stan,
     * vstan) without refitting. Unknown ids are left out and returned; other models throw.
     */
    addSession(items) {
        const p = this._live();
        itemIds('items', items);
        const rt = this._engine._rt;
        return rt.scoped((s) => {
            const { ptr, n, unknown } = this._indices(s, items);
            this._engine._check(rt.exports.wr_model_add_session(p, ptr, n));
            return { unknown };
        });
    }

    /**
     * Why the model scores `item` after `history`: { history: [{ item, weight }], unknown }, the
     * weight of each known history item under the model's own rule (itemknn: the last item's
     * similarity to it; markov: the last item's transition count). Other models throw.
     */
    explain(history, item) {
        const p = this._live();
        itemIds('history', history);
        str('item', item);
        const rt = this._engine._rt;
        return rt.scoped((s) => {
            const target = rt.exports.wr_model_item_index(p, s.string(item));
            if (target < 0) throw new RangeError(`explain: item ${show(item)} is not in the model's catalogue`);
            const { ptr, n, unknown, ids } = this._indices(s, history);
            const w = s.zeros(4 * Math.max(n, 1));
            this._engine._check(rt.exports.wr_model_explain(p, ptr, n, target, w));
            const weights = rt.f32(w, n);
            return { history: ids.map((id, t) => ({ item: id, weight: weights[t] })), unknown };
        });
    }

    /**
     * What SASRec / BERT4Rec attend to when scoring the next item: { items, blocks, mean, unknown }.
     * items are the known history ids; blocks[b][t] is block b's attention (averaged over heads)
     * on items[t], 0 for items older than max_len; mean averages the blocks. Other models throw.
     */
    attention(history) {
        const p = this._live();
        itemIds('history', history);
        const rt = this._engine._rt;
        return rt.scoped((s) => {
            const { ptr, n, unknown, ids } = this._indices(s, history);
            const w = s.zeros(4 * Math.max(n * MAX_BLOCKS, 1));
            const outBlocks = s.zeros(4);
            this._engine._check(rt.exports.wr_model_attention(p, ptr, n, w, outBlocks));
            const all = rt.f32(w, n * rt.i32(outBlocks));
            const blocks = [];
            for (let b = 0; b < rt.i32(outBlocks); b++) blocks.push(all.slice(b * n, (b + 1) * n));
            const mean = new Float32Array(n);
            for (const row of blocks) for (let t = 0; t < n; t++) mean[t] += row[t] / blocks.length;
            return { items: ids, blocks, mean, unknown };
        });
    }

    /**
     * A 2-D map of the item embeddings (gru4rec, sasrec, bert4rec): the first two principal
     * components, computed in the engine. { items, x, y, explained: [share1, share2] }.
     */
    itemMap() {
        const p = this._live();
        const rt = this._engine._rt;
        const n = this.items;
        return rt.scoped((s) => {
            const xy = s.zeros(8 * Math.max(n, 1));
            const ex = s.zeros(8);
            this._engine._check(rt.exports.wr_model_item_map(p, xy, ex));
            const v = rt.f32(xy, 2 * n);
            const x = new Float32Array(n), y = new Float32Array(n);
            for (let i = 0; i < n; i++) { x[i] = v[2 * i]; y[i] = v[2 * i + 1]; }
            const items = new Array(n);
            for (let i = 0; i < n; i++) items[i] = rt.string(rt.exports.wr_model_item_id(p, i));
            return { items, x, y, explained: Array.from(rt.f32(ex, 2)) };
        });
    }

    /**
     * Every item's vector (models with query and item vectors: twotower; others throw):
     * { items, dim, vectors } with item i's vector at vectors[i * dim .. (i + 1) * dim).
     */
    itemVectors() {
        const p = this._live();
        const rt = this._engine._rt;
        const n = this.items, dim = rt.exports.wr_model_vector_dim(p);
        return rt.scoped((s) => {
            const out = s.zeros(4 * Math.max(n * dim, 1));
            this._engine._check(rt.exports.wr_model_item_vectors(p, out));
            const items = new Array(n);
            for (let i = 0; i < n; i++) items[i] = rt.string(rt.exports.wr_model_item_id(p, i));
            return { items, dim, vectors: rt.f32(out, n * dim).slice() };
        });
    }

    /**
     * The vector of a query (history of item ids, oldest first; user: a user id the model knows),
     * whose inner products with itemVectors() rank the items as recommend does. Float32Array.
     */
    queryVector(history, opts) {
        const { user, userFeatures } = checkOptions('queryVector', opts, ['user', 'userFeatures']);
        if (userFeatures !== undefined) return this._asVisitor(user, userFeatures, () => this.queryVector(history));
        const p = this._live();
        if (user !== undefined) str('user', user);
        itemIds('history', history);
        const rt = this._engine._rt;
        const dim = rt.exports.wr_model_vector_dim(p);
        return rt.scoped((s) => {
            const { ptr, n } = this._indices(s, history);
            const out = s.zeros(4 * Math.max(dim, 1));
            const u = user === undefined ? -1 : rt.exports.wr_model_user_index(p, s.string(user));
            this._engine._check(rt.exports.wr_model_query_vector(p, u, ptr, n, out));
            return rt.f32(out, dim).slice();
        });
    }

    /**
     * The vector of an item the model has never seen, from side-feature values alone ({ category:
     * 'TVs', price: 'budget' }, fields as in the items table): where it would land among
     * itemVectors(), and so whose queryVector ranks it high. twotower trained with item features.
     */
    itemVectorFor(itemFeatures) {
        if (itemFeatures === null || typeof itemFeatures !== 'object' || Array.isArray(itemFeatures)) {
            throw new TypeError(`itemVectorFor: itemFeatures must be an object of field -> value, got ${show(itemFeatures)}`);
        }
        const p = this._live();
        const rt = this._engine._rt;
        const dim = rt.exports.wr_model_vector_dim(p);
        return rt.scoped((s) => {
            const ids = [];
            for (const [field, value] of Object.entries(itemFeatures)) {
                for (const v of Array.isArray(value) ? value : [value]) {
                    const id = rt.exports.wr_model_feature_index(p, s.string(`item.${field}=${v}`));
                    if (id < 0) throw new RangeError(`itemVectorFor: ${this.name} knows no item feature ${show(field)} = ${show(v)} (fields and values as in the items table it was trained with)`);
                    ids.push(id);
                }
            }
            const arr = s.zeros(4 * Math.max(ids.length, 1));
            rt.u8().set(new Uint8Array(Int32Array.from(ids).buffer), arr);
            const out = s.zeros(4 * Math.max(dim, 1));
            this._engine._check(rt.exports.wr_model_feature_item_vector(p, arr, ids.length, out));
            return rt.f32(out, dim).slice();
        });
    }

    /**
     * A pipeline's two stages for one query: { candidates: [{ item, score, title }] in the
     * retrieval stage's order, ranked: [{ item, score, title, retrievedAt }] in the ranking stage's
     * (retrievedAt: the item's place among the candidates), retrieve, rank } (the stages' model
     * names). Other models throw.
     */
    twoStage(history, opts) {
        const { user, excludeSeen = 'auto' } = checkOptions('twoStage', opts, ['user', 'excludeSeen']);
        const params = this.params;
        if (this.name !== 'pipeline') throw new Error(`twoStage: ${this.name} is not a pipeline (train --model pipeline)`);
        const k = params.candidates;
        this.set('rerank', 0);
        let candidates;
        try {
            candidates = this.recommend(history, { k, user, excludeSeen }).filter((r) => Number.isFinite(r.score));
        } finally {
            this.set('rerank', 1);
        }
        const at = new Map(candidates.map((c, i) => [c.item, i]));
        const ranked = this.recommend(history, { k, user, excludeSeen }).filter((r) => Number.isFinite(r.score))
            .map((r) => ({ ...r, retrievedAt: at.get(r.item) }));
        return { candidates, ranked, retrieve: params.retrieve, rank: params.rank };
    }

    /** The item's title from the training data (kept in the model file), '' when it has none. */
    itemTitle(i) {
        const p = this._live();
        if (!Number.isInteger(i) || i < 0 || i >= this.items) throw new RangeError(`itemTitle: item index must be an integer in [0, ${this.items}), got ${show(i)}`);
        return this._engine._rt.string(this._engine._rt.exports.wr_model_item_title(p, i));
    }
    /** How many of dataset's items this model knows (0: a model of another catalogue). */
    knownItems(dataset) {
        const p = this._live();
        return this._engine._rt.exports.wr_model_known_items(p, this._data(dataset));
    }

    /** Leave-one-out evaluation; returns the engine's JSON report, parsed. */
    evaluate(dataset, opts) {
        const { split = 'test', protocol = 'loo', fractions, k = 10, excludeSeen = 'auto', sampled = 100, seed = 42 } =
            checkOptions('evaluate', opts, ['split', 'protocol', 'fractions', 'k', 'excludeSeen', 'sampled', 'seed']);
        const p = this._live();
        const d = this._data(dataset);
        const splits = { test: 0, valid: 1, validation: 1 };
        if (!(split in splits)) throw new RangeError(`split must be 'test' or 'valid', got ${show(split)}`);
        posInt('k', k);
        const ex = seenMode('excludeSeen', excludeSeen);
        nonNegInt('sampled', sampled);
        const s64 = seed64('seed', seed);
        const rt = this._engine._rt;
        const sp = this._engine._split(d, protocol, fractions, seed); // the same seed gives the training split
        try {
            return this._engine._json((out) => rt.exports.wr_eval(p, sp, splits[split], k, ex, protocol === 'loo' ? sampled : 0, s64, out));
        } finally {
            rt.exports.wr_split_free(sp);
        }
    }

    /** The model as a safetensors file (a copy; the C buffer is freed). */
    save() {
        const p = this._live();
        const rt = this._engine._rt;
        return rt.scoped((s) => {
            const out = s.zeros(8);
            const rc = rt.exports.wr_model_save(p, out, out + 4);
            const b = rt.u32(out);
            try {
                this._engine._check(rc);
                return rt.bytes(b, rt.u32(out + 4));
            } finally {
                if (b) rt.exports.wr_free(b);
            }
        });
    }

    dispose() {
        if (this._ptr === 0) return;
        this._engine._rt.exports.wr_model_free(this._ptr);
        this._ptr = 0;
        this._engine._owned.delete(this);
    }
}

/** A nearest-neighbour index (Engine.index, Engine.loadIndex). Ids are 0, 1, ... in the order added. */
export class Index extends Handle {
    constructor(engine, ptr) {
        super(engine, ptr, 'Index');
        this.dim = engine._rt.exports.wr_index_dim(ptr);
    }
    /** How many vectors the index holds. */
    get count() { return this._engine._rt.exports.wr_index_count(this._live()); }
    /** Bytes the index holds in the wasm heap (vectors, graph, scratch). */
    get memoryBytes() { return this._engine._rt.exports.wr_index_memory_bytes(this._live()) >>> 0; }

    _floats(name, v) {
        if (!(v instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array, got ${show(v)}`);
        if (v.length === 0 || v.length % this.dim !== 0)
            throw new RangeError(`${name} must hold a whole number of ${this.dim}-float vectors, got ${v.length} floats`);
        return v;
    }

    /** Adds vectors (a Float32Array of n x dim); their ids continue from count. Returns this. */
    add(vectors) {
        const p = this._live();
        this._floats('vectors', vectors);
        const rt = this._engine._rt;
        rt.scoped((s) => this._engine._check(rt.exports.wr_index_add(p, s.bytes(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength)),
            vectors.length / this.dim)));
        return this;
    }

    /**
     * The k nearest of a query (dim floats): { ids: Int32Array, scores: Float32Array } best first
     * (scores are inner products, or cosines). efSearch: 0 = the exact scan, else HNSW's candidate
     * list (max(efSearch, k)). A Float32Array of several queries (m x dim) gives an array of m.
     */
    search(query, opts) {
        const { k = 10, efSearch = 64 } = checkOptions('search', opts, ['k', 'efSearch']);
        const p = this._live();
        this._floats('query', query);
        posInt('k', k);
        nonNegInt('efSearch', efSearch);
        const m = query.length / this.dim, rt = this._engine._rt;
        return rt.scoped((s) => {
            const q = s.bytes(new Uint8Array(query.buffer, query.byteOffset, query.byteLength));
            const out = s.zeros(8 * m * k);
            this._engine._check(rt.exports.wr_index_search(p, q, m, k, efSearch, out, out + 4 * m * k));
            const ids = rt.typed(Int32Array, out, m * k);
            const scores = rt.f32(out + 4 * m * k, m * k);
            const rows = [];
            for (let r = 0; r < m; r++) {
                let n = 0;
                while (n < k && ids[r * k + n] >= 0) n++;
                rows.push({ ids: ids.slice(r * k, r * k + n), scores: scores.slice(r * k, r * k + n) });
            }
            return m === 1 ? rows[0] : rows;
        });
    }

    /** The index as safetensors bytes (Engine.loadIndex reads them back). */
    save() {
        const p = this._live();
        const rt = this._engine._rt;
        return rt.scoped((s) => {
            const out = s.zeros(8);
            const rc = rt.exports.wr_index_save(p, out, out + 4);
            const b = rt.u32(out);
            try {
                this._engine._check(rc);
                return rt.bytes(b, rt.u32(out + 4));
            } finally {
                if (b) rt.exports.wr_free(b);
            }
        });
    }

    /** Frees the index (the same as dispose). Idempotent. */
    free() { this.dispose(); }
    dispose() {
        if (this._ptr === 0) return;
        this._engine._rt.exports.wr_index_free(this._ptr);
        this._ptr = 0;
        this._engine._owned.delete(this);
    }
}

if (typeof Symbol.dispose === 'symbol') {
    for (const C of [Engine, Dataset, Model, Index]) C.prototype[Symbol.dispose] = function () { this.dispose(); };
}
