# wasmrec: every entry point. `make demo` and `make test` are the two commands a newcomer needs;
# both install what is missing first (deps).
SHELL := /bin/bash
.DEFAULT_GOAL := all

CC       ?= gcc
EMCC     ?= emcc
export NODE_PATH := /usr/share/nodejs

LIB_SRC  := $(sort $(filter-out src/cli/host_%.c src/cli/main.c,$(wildcard src/*/*.c)))
HDRS     := $(wildcard src/*.h src/*/*.h)
TESTS    := $(sort $(basename $(notdir $(wildcard tests/c/test_*.c))))

# -ffp-contract=off: SIMD128 has no fused multiply-add, so neither may the native build.
CFLAGS_COMMON := -std=c11 -Wall -Wextra -Wno-unused-parameter -ffp-contract=off -fno-math-errno
NATIVE_CFLAGS := $(CFLAGS_COMMON) -O3 -D_POSIX_C_SOURCE=200809L
ASAN_CFLAGS   := $(CFLAGS_COMMON) -O1 -g -D_POSIX_C_SOURCE=200809L -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
WASM_CFLAGS   := $(CFLAGS_COMMON) -O3 -msimd128
LP := (
# Every wr_* function declared in the public header is exported (and nothing else but malloc/free).
WASM_EXPORTS  := $(shell grep -o 'wr_[a-z_0-9]*$(LP)' src/wasmrec.h | tr -d '$(LP)' | sed 's/^/_/' | sort -u | paste -sd, -),_malloc,_free
WASM_LDFLAGS  := --no-entry -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=16MB \
                 -sMAXIMUM_MEMORY=4GB -sERROR_ON_UNDEFINED_SYMBOLS=0 -sEXPORTED_FUNCTIONS=$(WASM_EXPORTS)

NATIVE_OBJ := $(patsubst src/%.c,build/native/%.o,$(LIB_SRC))
ASAN_OBJ   := $(patsubst src/%.c,build/asan/%.o,$(LIB_SRC) src/cli/host_stdio.c)
WASMT_OBJ  := $(patsubst src/%.c,build/wasm/%.o,$(LIB_SRC) src/cli/host_stdio.c)
WASMP_OBJ  := $(patsubst src/%.c,build/wasm/%.o,$(LIB_SRC) src/cli/host_wasm.c)
WASMMT_OBJ := $(patsubst src/%.c,build/wasm-mt/%.o,$(LIB_SRC) src/cli/host_wasm.c)

# Object files are not intermediate: keep them so a rebuild is incremental.
.SECONDARY:

.PHONY: all deps native wasm test test-c test-node test-browser demo demo-models bench fuzz fuzz-build clean
all: native wasm

# ---- set-up ---------------------------------------------------------------------------------
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps: build/.apt-ok build/.fuzz-ok node_modules/.package-lock.json
# The wasm build needs only emscripten (npm pack's prepack runs `make wasm`); the tests need chromium too.
build/.emcc-ok:
	@mkdir -p build
	@if ! command -v $(EMCC) >/dev/null; then \
	  echo "deps: installing emscripten from Debian"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq emscripten >/dev/null; \
	fi
	@touch $@
build/.apt-ok: build/.emcc-ok
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "deps: installing chromium from Debian"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; \
	fi
	@touch $@
# libFuzzer for `make fuzz`: Debian's clang 14 and its runtime libraries (libclang-rt-14-dev),
# checked by linking an empty fuzz target.
FUZZ_CC ?= clang-14
build/.fuzz-ok:
	@mkdir -p build
	@if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' | \
	    $(FUZZ_CC) -x c -fsanitize=fuzzer,address,undefined - -o build/.fuzz-check 2>/dev/null; then \
	  echo "deps: installing clang-14 and libFuzzer (libclang-rt-14-dev) from Debian"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null; \
	fi
	@rm -f build/.fuzz-check
	@touch $@
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# ---- native ---------------------------------------------------------------------------------
native: build/wasmrec build/libwasmrec.a
build/native/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(NATIVE_CFLAGS) -c $< -o $@
# The native library carries the stdio host hooks (time, files for the CLI) so it links alone.
build/libwasmrec.a: $(NATIVE_OBJ) build/native/cli/host_stdio.o
	ar rcs $@ $^
build/wasmrec: src/cli/main.c build/libwasmrec.a
	$(CC) $(NATIVE_CFLAGS) $^ -lm -pthread -o $@
# bench/train's one-against-two-threads timing inside one run
build/bench/interleave: bench/train/interleave.c build/libwasmrec.a
	@mkdir -p $(dir $@)
	$(CC) $(NATIVE_CFLAGS) $^ -lm -pthread -o $@

# ---- wasm -----------------------------------------------------------------------------------
wasm: wasm/wasmrec.wasm wasm/wasmrec-mt.wasm
build/wasm/%.o: src/%.c $(HDRS) | build/.emcc-ok
	@mkdir -p $(dir $@)
	$(EMCC) $(WASM_CFLAGS) -c $< -o $@
# Undefined symbols are allowed only so that the host hooks become imports; anything else
# imported means a C function is missing, so the link check below fails the build.
wasm/wasmrec.wasm: $(WASMP_OBJ)
	$(EMCC) $(WASM_CFLAGS) $(WASM_LDFLAGS) $^ -o $@ 2> >(grep -v 'undefined symbol: \|LLD_REPORT_UNDEFINED\|ERROR_ON_UNDEFINED' >&2)
	@node wasm/check-imports.mjs $@

# The threaded module, for pages that are cross-origin isolated (and Node): the same code on a
# shared memory, its threads started by the binding (wasm/threads.mjs). Why not -pthread:
# Emscripten 3.1.6 refuses -sSTANDALONE_WASM with pthreads (allowed only from December 2022),
# and its pthread glue is ES6 that breaks under Node 20. So this module is standalone, compiled
# with atomics, and imports a shared memory (-sIMPORTED_MEMORY, --shared-memory; its data is
# written once, by the first instance, through passive segments); each helper thread is a
# worker holding another instance of it on that memory, which sets its own stack
# (stackRestore) and calls wr_thread_main. libc stays the single-thread one: only the calling
# thread allocates or does I/O, the helpers run kernels on memory it hands them.
WASM_MT_CFLAGS := $(WASM_CFLAGS) -matomics -mbulk-memory
build/wasm-mt/%.o: src/%.c $(HDRS) | build/.emcc-ok
	@mkdir -p $(dir $@)
	$(EMCC) $(WASM_MT_CFLAGS) -c $< -o $@
wasm/wasmrec-mt.wasm: $(WASMMT_OBJ)
	$(EMCC) $(WASM_MT_CFLAGS) $(filter-out -sEXPORTED_FUNCTIONS=%,$(WASM_LDFLAGS)) -sEXPORTED_FUNCTIONS=$(WASM_EXPORTS),stackRestore -sIMPORTED_MEMORY -Wl,--shared-memory $^ -o $@ 2> >(grep -v 'undefined symbol: \|LLD_REPORT_UNDEFINED\|ERROR_ON_UNDEFINED' >&2)
	@node wasm/check-imports.mjs $@

# ---- tests ----------------------------------------------------------------------------------
# Each tests/c/test_X.c runs twice: natively under AddressSanitizer + UBSan, and built for wasm
# (SIMD kernels) under node:wasi.
build/asan/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@
build/test/asan/%: tests/c/%.c tests/c/check.h $(HDRS) $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $< $(ASAN_OBJ) -lm -pthread -o $@
build/test/wasm/%.wasm: tests/c/%.c tests/c/check.h $(HDRS) $(WASMT_OBJ)
	@mkdir -p $(dir $@)
	$(EMCC) $(WASM_CFLAGS) -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH -sINITIAL_MEMORY=64MB $< $(WASMT_OBJ) -o $@

# Headers a test includes beyond check.h (generated data): a change rebuilds that test.
build/test/asan/test_torch_fixtures build/test/wasm/test_torch_fixtures.wasm: tests/fixtures/torch/fixtures.h

test-c: $(TESTS:%=build/test/asan/%) $(TESTS:%=build/test/wasm/%.wasm)
	@fail=0; for t in $(TESTS); do \
	  build/test/asan/$$t || { echo "FAILED native: $$t"; fail=1; }; \
	  node tests/c/run_wasi.mjs build/test/wasm/$$t.wasm || { echo "FAILED wasm: $$t"; fail=1; }; \
	done; exit $$fail

test-node: native wasm
	node --test tests/node/

test-browser: wasm
	node --test tests/browser/

test: deps
	@$(MAKE) --no-print-directory native wasm
	@$(MAKE) --no-print-directory test-c
	@$(MAKE) --no-print-directory test-node
	@$(MAKE) --no-print-directory test-browser

# ---- fuzzing (tests/fuzz/, README "Fuzzing"): libFuzzer targets with ASan + UBSan over the
# library built with coverage; `make fuzz FUZZ_SECONDS=N` runs each for N seconds.
FUZZ_SECONDS ?= 30
FUZZ_FLAGS   ?=
FUZZ_CFLAGS  := $(CFLAGS_COMMON) -O1 -g -D_POSIX_C_SOURCE=200809L -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OBJ     := $(patsubst src/%.c,build/fuzz/obj/%.o,$(LIB_SRC) src/cli/host_stdio.c)
# fuzz_model_header, fuzz_index_header: the same targets with the header length set from the JSON
FUZZ_TARGETS := $(sort $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c)))) fuzz_model_header fuzz_index_header
# Coverage is traced everywhere but in the numeric kernels and layers, whose inner loops would
# take most of the time (a two-tower fit 5x slower) and tell the fuzzer nothing; the models'
# training and evaluation loops count edges but do not trace their comparisons.
FUZZ_COV := -fsanitize=fuzzer-no-link
build/fuzz/obj/kernels/%.o build/fuzz/obj/nn/%.o: FUZZ_COV :=
build/fuzz/obj/models/%.o build/fuzz/obj/eval/%.o build/fuzz/obj/stats/%.o: FUZZ_COV := -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp
build/fuzz/obj/%.o: src/%.c $(HDRS) | build/.fuzz-ok
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_COV) -c $< -o $@
build/fuzz/bin/%_header: tests/fuzz/%.c tests/fuzz/fuzz.h $(HDRS) $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFZ_FIX_HEADER $< $(FUZZ_OBJ) -lm -pthread -o $@
build/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(HDRS) $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJ) -lm -pthread -o $@
fuzz-build: $(FUZZ_TARGETS:%=build/fuzz/bin/%)
fuzz: build/.fuzz-ok
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_FLAGS='$(FUZZ_FLAGS)' bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- demo models: small pretrained files the pages start with (committed; same seed, same bytes)
demo-models: wasm
	node models/build-demo.mjs

# ---- demo and benchmarks --------------------------------------------------------------------
demo: deps
	@$(MAKE) --no-print-directory wasm
	node web/serve.mjs

bench: deps
	@$(MAKE) --no-print-directory native wasm
	@for b in bench/*/run.sh; do bash $$b; done

clean:
	rm -rf build wasm/wasmrec.wasm wasm/wasmrec-mt.wasm
