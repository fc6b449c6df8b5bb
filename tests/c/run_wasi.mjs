// Runs a C test program built for wasm (STANDALONE_WASM, with main) under node:wasi and exits
// with its status. Emscripten's standalone programs also import emscripten_notify_memory_growth.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const file = process.argv[2];
const wasi = new WASI({ version: 'preview1', args: [file, ...process.argv.slice(3)], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const imports = { wasi_snapshot_preview1: wasi.wasiImport, env: { emscripten_notify_memory_growth() {} } };
const instance = await WebAssembly.instantiate(module, imports);
// Exit at once with the program's status: node 20 has been seen to crash (SIGSEGV) while tearing
// down a grown WASI memory at a normal exit under load, after the program had finished.
process.exit(wasi.start(instance));
