#!/usr/bin/env bash
# Kernel throughput, native vs wasm (simd128), same source and the product's flags.
# Prints one JSON object: GFLOP/s per kernel and build, and wasm/native per kernel.
# Run from the repo root (make bench does).
set -euo pipefail
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
out=build/bench/kernels
mkdir -p "$out"
# the product's flags, read from the Makefile so they cannot drift
native_flags=$(make -s --no-print-directory -f - print <<'MK'
include Makefile
print: ; @echo $(NATIVE_CFLAGS)
MK
)
wasm_flags=$(make -s --no-print-directory -f - print <<'MK'
include Makefile
print: ; @echo $(WASM_CFLAGS)
MK
)
src="bench/kernels/bench.c src/kernels/kernels.c src/core/threads.c"
${CC:-gcc} $native_flags $src -lm -pthread -o "$out/bench_native"
${EMCC:-emcc} $wasm_flags -D_POSIX_C_SOURCE=200809L -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH \
  $src -o "$out/bench.wasm" 2> >(grep -v 'warning: ' >&2 || true)
native=$("$out/bench_native")
wasm=$(node tests/c/run_wasi.mjs "$out/bench.wasm")
node -e '
const n = JSON.parse(process.argv[1]), w = JSON.parse(process.argv[2]);
const ratio = {};
for (const k of Object.keys(n)) ratio[k] = +(w[k] / n[k]).toFixed(3);
console.log(JSON.stringify({ unit: "GFLOP/s", native: n, wasm: w, wasm_over_native: ratio }));
' "$native" "$wasm"
