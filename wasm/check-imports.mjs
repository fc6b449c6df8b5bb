// Build check: the product module may import only the host hooks ("wasmrec" module),
// emscripten_notify_memory_growth and (the threaded module) its shared memory. Anything else means a C function is missing from the link
// (the link allows undefined symbols so that the host hooks become imports).
import { readFileSync, unlinkSync } from 'node:fs';

const file = process.argv[2];
const module = new WebAssembly.Module(readFileSync(file));
const bad = WebAssembly.Module.imports(module)
    .filter((i) => i.module !== 'wasmrec' && i.name !== 'emscripten_notify_memory_growth' &&
        !(i.module === 'env' && i.name === 'memory' && i.kind === 'memory'));
if (bad.length) {
    console.error(`wasm link: missing C functions: ${bad.map((i) => i.name).join(', ')}`);
    unlinkSync(file);
    process.exit(1);
}
