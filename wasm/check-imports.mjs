// Build check: the product module may import only the host hooks ("wasmrec" module) and
// emscripten_notify_memory_growth. Anything else means a C function is missing from the link
// (the link allows undefined symbols so that the host hooks become imports).
import { readFileSync, unlinkSync } from 'node:fs';

const file = process.argv[2];
const module = new WebAssembly.Module(readFileSync(file));
const bad = WebAssembly.Module.imports(module)
    .filter((i) => i.module !== 'wasmrec' && i.name !== 'emscripten_notify_memory_growth');
if (bad.length) {
    console.error(`wasm link: missing C functions: ${bad.map((i) => i.name).join(', ')}`);
    unlinkSync(file);
    process.exit(1);
}
