// thread-worker.mjs: one helper thread of the threaded module (wasmrec-mt.wasm), started by
// threads.mjs in a module Web Worker or a Node worker thread. It instantiates the module on the
// shared memory, moves its stack to the block the engine gave it, says it is ready and enters
// wr_thread_main, which takes parts of the engine's kernels and never returns.
const IS_NODE = typeof process === 'object' && process !== null && !!process.versions?.node &&
    typeof self === 'undefined';

function start({ module, memory, stackTop }, post) {
    const imports = { env: { memory, emscripten_notify_memory_growth() {} } };
    // a helper only computes; the host hooks (print, files, clock) are the calling thread's
    for (const imp of WebAssembly.Module.imports(module)) {
        const ns = (imports[imp.module] ||= {});
        if (imp.kind === 'function' && !(imp.name in ns)) {
            ns[imp.name] = () => { throw new Error(`${imp.name} was called in a wasmrec helper thread`); };
        }
    }
    const { exports } = new WebAssembly.Instance(module, imports);
    exports.stackRestore(stackTop);
    post({ ready: true });
    exports.wr_thread_main();
}

if (IS_NODE) {
    const { parentPort } = await import('node:worker_threads');
    parentPort.once('message', (msg) => start(msg, (m) => parentPort.postMessage(m)));
} else {
    self.onmessage = (e) => start(e.data, (m) => self.postMessage(m));
}
