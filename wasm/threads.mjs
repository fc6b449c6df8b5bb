// threads.mjs: the helper threads of the threaded module (wasmrec-mt.wasm). The module cannot
// start threads itself (see the Makefile), so this starts n - 1 workers (thread-worker.mjs),
// each running the same compiled module on the engine's shared memory with a stack of its own,
// and waits until the engine counts them (wr_threads_set). Used by wasmrec.mjs.
const IS_NODE = typeof process === 'object' && process !== null && !!process.versions?.node &&
    typeof self === 'undefined';

const STACK_BYTES = 1 << 20; // per helper: the kernels keep at most ~40 KB on the stack
const START_MS = 20000;      // a helper that is not running by then means workers do not start here

/** True when this runtime can share a WebAssembly memory with workers. */
export function threadsSupported() {
    if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
    return IS_NODE || (globalThis.crossOriginIsolated === true && typeof Worker !== 'undefined');
}

/** What threads: 'auto' means: the cores this runtime reports (1 if it does not say), at most 8. */
export async function autoThreads() {
    let cores = globalThis.navigator?.hardwareConcurrency || 1;
    if (IS_NODE) {
        const os = await import('node:os');
        cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
    }
    return Math.min(cores, 8);
}

async function spawn() {
    if (IS_NODE) {
        const { Worker } = await import('node:worker_threads');
        const w = new Worker(new URL('./thread-worker.mjs', import.meta.url));
        w.unref(); // helpers never end on their own: they must not keep Node running
        return {
            post: (m) => w.postMessage(m),
            onReady: (ok, fail) => { w.once('message', ok); w.once('error', fail); },
            terminate: () => w.terminate(),
        };
    }
    // the literal form bundlers follow to find and emit the worker's file
    const w = new Worker(new URL('./thread-worker.mjs', import.meta.url), { type: 'module', name: 'wasmrec-thread' });
    return {
        post: (m) => w.postMessage(m),
        onReady: (ok, fail) => {
            w.onmessage = (e) => ok(e.data);
            w.onerror = (e) => { e.preventDefault?.(); fail(new Error(e.message || 'could not start thread-worker.mjs')); };
        },
        terminate: () => w.terminate(),
    };
}

/**
 * Starts n - 1 helpers for the instance rt (its module, shared memory and exports) and returns
 * { threads, terminate() }. Throws (after stopping what it started) when they do not start.
 */
export async function startThreads(rt, module, memory, n) {
    const helpers = [];
    const terminate = () => { for (const h of helpers) h.terminate(); helpers.length = 0; };
    try {
        const ready = [];
        for (let i = 1; i < n; i++) {
            const h = await spawn();
            helpers.push(h);
            ready.push(new Promise((ok, fail) => h.onReady(ok, fail)));
            const stack = rt.malloc(STACK_BYTES); // kept for the helper's lifetime
            h.post({ module, memory, stackTop: (stack + STACK_BYTES) & ~15 });
        }
        let timer;
        const late = new Promise((_, fail) => {
            timer = setTimeout(() => fail(new Error(`the helper threads did not start within ${START_MS / 1000} s`)), START_MS);
        });
        try {
            await Promise.race([Promise.all(ready), late]);
            // each one says ready just before entering its loop, where the engine counts it
            let got = rt.exports.wr_threads_set(n);
            for (const t0 = Date.now(); got < n && Date.now() - t0 < START_MS; got = rt.exports.wr_threads_set(n)) {
                await new Promise((r) => setTimeout(r, 1));
            }
            if (got < n) throw new Error(`only ${got - 1} of ${n - 1} helper threads started`);
            return { threads: got, terminate };
        } finally {
            clearTimeout(timer);
        }
    } catch (e) {
        terminate();
        throw e;
    }
}
