// simd.test.mjs: the built engine really is SIMD code. Disassembles wasm/wasmrec.wasm with
// binaryen's wasm-dis and counts 128-bit instructions, then looks for the kernels' signature: a
// loop doing f32x4 multiply and add (wr_dot / wr_gemm_*), which only exists when -msimd128 was
// on and the kernels are linked in. Run with `make test-node` or `node --test tests/node/`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WASM = fileURLToPath(new URL('../../wasm/wasmrec.wasm', import.meta.url));
const WASM_DIS = '/usr/bin/wasm-dis';
const MIN_SIMD = 50;

function disassemble() {
  assert.ok(existsSync(WASM), `${WASM} is missing: run \`make wasm\` first`);
  assert.ok(existsSync(WASM_DIS), `${WASM_DIS} is missing: apt-get install binaryen`);
  return execFileSync(WASM_DIS, [WASM], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

// Function bodies of the text format: each starts at a line " (func $name".
function functions(wat) {
  return wat.split(/\n(?= \(func )/).filter((f) => f.startsWith(' (func '));
}

test('wasmrec.wasm contains SIMD instructions', () => {
  const wat = disassemble();
  const simd = wat.match(/\b(v128|[if](8x16|16x8|32x4|64x2))\.[a-z_0-9]+/g) ?? [];
  const f32x4 = simd.filter((op) => op.startsWith('f32x4.'));
  assert.ok(simd.length > MIN_SIMD,
    `only ${simd.length} SIMD instructions (want > ${MIN_SIMD}): was the module built with -msimd128?`);
  assert.ok(f32x4.length > 0, 'no f32x4 instruction at all: the float kernels are not SIMD');
});

test('a float kernel (wr_dot / wr_gemm_*) runs a f32x4 multiply-add loop', () => {
  const wat = disassemble();
  const kernels = functions(wat).filter((f) =>
    /\(loop\b/.test(f) && /f32x4\.mul/.test(f) && /f32x4\.add/.test(f) && /v128\.load/.test(f));
  assert.ok(kernels.length > 0,
    'no function has a loop with v128.load + f32x4.mul + f32x4.add: wr_dot/wr_gemm_* are either ' +
    'not compiled with -msimd128 or not linked in (nothing in the engine calls them)');
});
