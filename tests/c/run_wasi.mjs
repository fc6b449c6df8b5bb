// Runs a C test program built for wasm (STANDALONE_WASM, with main) and exits with its status.
// The programs import only a few WASI calls (printf's fd_write, exit, clocks, an empty
// environment for getenv), so a small shim
// gives them here instead of node:wasi, which is experimental in Node 20 and was seen to crash
// (SIGSEGV) at exit under load after a test had finished.
import { readFile } from 'node:fs/promises';
import { writeSync } from 'node:fs';

class Exit {
    constructor(code) { this.code = code; }
}

const file = process.argv[2];
let memory;
const wasi = {
    proc_exit(code) { throw new Exit(code); },
    fd_write(fd, iovs, count, nwritten) {
        const view = new DataView(memory.buffer);
        let total = 0;
        for (let i = 0; i < count; i++) {
            const ptr = view.getUint32(iovs + 8 * i, true), len = view.getUint32(iovs + 8 * i + 4, true);
            writeSync(fd === 2 ? 2 : 1, new Uint8Array(memory.buffer, ptr, len));
            total += len;
        }
        new DataView(memory.buffer).setUint32(nwritten, total, true);
        return 0;
    },
    fd_close() { return 0; },
    fd_seek() { return 70; }, // ESPIPE: stdout is not seekable
    environ_sizes_get(count, size) {
        const view = new DataView(memory.buffer);
        view.setUint32(count, 0, true);
        view.setUint32(size, 0, true);
        return 0;
    },
    environ_get() { return 0; },
    clock_time_get(id, precision, out) {
        new DataView(memory.buffer).setBigUint64(out, process.hrtime.bigint(), true);
        return 0;
    },
};
const module = await WebAssembly.compile(await readFile(file));
const missing = WebAssembly.Module.imports(module)
    .filter((i) => !(i.module === 'wasi_snapshot_preview1' && i.name in wasi) && i.name !== 'emscripten_notify_memory_growth');
if (missing.length) throw new Error(`${file} imports what this runner lacks: ${missing.map((i) => `${i.module}.${i.name}`).join(', ')}`);
const instance = await WebAssembly.instantiate(module, {
    wasi_snapshot_preview1: wasi, env: { emscripten_notify_memory_growth() {} },
});
memory = instance.exports.memory;
let status = 0;
try {
    instance.exports._start();
} catch (e) {
    if (!(e instanceof Exit)) throw e;
    status = e.code;
}
process.exit(status);
