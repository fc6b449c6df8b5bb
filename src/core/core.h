/* core.h: private helpers shared by the whole engine: the context, errors, allocation, the
 * seeded RNG, a growable byte buffer (used for JSON and file output) and a stable sort.
 * Private non-static names take the prefix wr__ or live in this header as static inline. */
#ifndef WR_CORE_H
#define WR_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "../wasmrec.h"

#define WR_ERR_MSG_MAX 512

struct wr_ctx {
    char err[WR_ERR_MSG_MAX];
    int64_t alloc_fail_at, alloc_count; /* the fault hook, below */
    double memory_mb;                   /* the memory budget (wr_ctx_set_memory_mb); 0 = the default */
};

/* Records a printf-style message as the context's last error and returns code (so callers
 * write `return wr__err(ctx, WR_ERR_ARG, "k must be positive, got %d", k);`). */
int wr__err(wr_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Out-of-memory error: "out of memory while <what>". */
int wr__oom(wr_ctx *ctx, const char *what);

/* Every allocation in the engine goes through these (free stays free); NULL on failure, which
 * the caller reports with wr__oom. Counts are overflow-checked. */
void *wr__malloc(size_t n);
void *wr__calloc(size_t count, size_t size);
void *wr__realloc(void *p, size_t n);
void *wr__realloc_array(void *p, size_t count, size_t size);
char *wr__strdup(const char *s);
char *wr__strndup(const char *s, size_t n);
/* The memory budget: WR_ERR_ARG with a message when bytes (what `what` needs, computed by the
 * caller before allocating: "sasrec: batch 128 x max_len 200 of activations") exceed the
 * context's budget, or the 4 GB a wasm module can address. */
int wr__budget(wr_ctx *ctx, double bytes, const char *what);

/* The fault hook, for tests: from now on, counted on ctx, the k-th allocation this thread makes
 * fails (returns NULL); k = 0 disarms. The engine's allocations carry no context, so one context
 * at a time is armed, per thread. wr__ctx_alloc_count: the allocations counted since arming. */
void wr__ctx_fail_alloc(wr_ctx *ctx, int64_t k);
int64_t wr__ctx_alloc_count(const wr_ctx *ctx);
int wr__fault(void); /* where an injected failure happens: a breakpoint for debuggers */

/* ---- RNG: xoshiro256**, seeded by splitmix64. Same seed, same bits on every build. ---- */
typedef struct {
    uint64_t s[4];
} wr_rng;

void wr__rng_seed(wr_rng *rng, uint64_t seed);
uint64_t wr__rng_u64(wr_rng *rng);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint32_t wr__rng_below(wr_rng *rng, uint32_t n);
/* Uniform float in [0, 1) with 24 random bits. */
float wr__rng_float(wr_rng *rng);
/* Standard normal (Marsaglia's polar method on wr__log, so the bits do not depend on libm). */
float wr__rng_normal(wr_rng *rng);
/* Natural log in double from +,*,/ and frexp only: identical on every libm. x > 0. */
double wr__log(double x);

/* ---- growable byte buffer ---- */
typedef struct {
    char *data;
    size_t len, cap;
    int failed; /* set on allocation failure; later appends are no-ops */
} wr_buf;

void wr__buf_append(wr_buf *b, const void *data, size_t n);
void wr__buf_puts(wr_buf *b, const char *s);
void wr__buf_printf(wr_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Appends s as a JSON string literal with quotes and escapes. */
void wr__buf_json_str(wr_buf *b, const char *s);
/* Appends s as one CSV field: quoted (quotes doubled) only when it holds a comma, quote or newline. */
void wr__buf_csv(wr_buf *b, const char *s);
/* Appends a float so that native and wasm print the same text ("%.6g"-like, NaN as null). */
void wr__buf_json_num(wr_buf *b, double x);
void wr__buf_free(wr_buf *b);
/* Hands the NUL-terminated contents to the caller (who frees with wr_free); NULL on failure. */
char *wr__buf_take(wr_buf *b, size_t *len);

/* Stable merge sort of n elements of `size` bytes (qsort's order for equal keys differs between
 * glibc and musl; this keeps native and wasm results identical). Returns 0, or -1 on OOM. */
int wr__sort_stable(void *base, size_t n, size_t size,
                    int (*cmp)(const void *a, const void *b, void *arg), void *arg);

/* ---- threads (threads.c) ---- */
/* Runs fn(arg, lo, hi) over [0, n) split into parts on the threads of wr_threads_set: part
 * boundaries fall on multiples of grain, and no part gets less than WR_PARALLEL_MIN_WORK of
 * `work` (the caller's count of multiply-adds or so for all of [0, n)). fn must write only
 * outputs of its own range, each computed as the single-threaded call would (never a partial
 * sum to be combined), so results are the same bits for every number of threads. Calls from
 * inside a part, or while another job runs, run in the calling thread. */
typedef void (*wr__range_fn)(void *arg, int lo, int hi);
#define WR_PARALLEL_MIN_WORK 65536.0
void wr__parallel_for(int n, int grain, double work, wr__range_fn fn, void *arg);
/* x[0, n) = 0 over the threads: the buffers a backward pass adds into, megabytes a step, were
 * one thread's memset while the helpers waited. */
void wr__zero(float *x, size_t n);

/* Monotonic milliseconds from the host (native clock, or the wasm host's performance.now). */
double wr__now_ms(void);

#endif
