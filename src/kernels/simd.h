/* simd.h: the one place that knows about SIMD (private to src/kernels/).
 *
 * Kernels are written once against these ggml-style macros. Under __wasm_simd128__ they map to
 * wasm_simd128.h intrinsics; elsewhere to a plain-C struct of 4 floats whose every operation is
 * defined lane by lane in the same order as the wasm instruction. Because the kernels' text is
 * shared, the native and wasm builds round identically (given -ffp-contract=off on both), and gcc
 * -O3 turns the struct code into SSE.
 *
 *   WR_F32_EPR   floats per register (4)
 *   WR_F32_STEP  floats per unrolled main-loop iteration (4 registers)
 */
#ifndef WR_SIMD_H
#define WR_SIMD_H

#include <stdint.h>
#include <string.h>

#define WR_F32_EPR 4
#define WR_F32_STEP 16

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

typedef v128_t wr_f32x4;
typedef v128_t wr_i32x4;

#define WR_F32x4_ZERO() wasm_f32x4_splat(0.0f)
#define WR_F32x4_SPLAT(x) wasm_f32x4_splat(x)
#define WR_F32x4_LOAD(p) wasm_v128_load(p)
#define WR_F32x4_STORE(p, v) wasm_v128_store((p), (v))
#define WR_F32x4_ADD(a, b) wasm_f32x4_add((a), (b))
#define WR_F32x4_SUB(a, b) wasm_f32x4_sub((a), (b))
#define WR_F32x4_MUL(a, b) wasm_f32x4_mul((a), (b))
#define WR_F32x4_DIV(a, b) wasm_f32x4_div((a), (b))
/* a + b*c, two roundings: SIMD128 has no fused multiply-add. */
#define WR_F32x4_FMA(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((b), (c)), (a))
/* pmax/pmin: a < b ? b : a (a NaN in a passes through, like the C ternary). */
#define WR_F32x4_MAX(a, b) wasm_f32x4_pmax((a), (b))
#define WR_F32x4_MIN(a, b) wasm_f32x4_pmin((a), (b))

/* (v0 + v2) + (v1 + v3) */
static inline float wr__f32x4_reduce(v128_t v) {
    v128_t t = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    t = wasm_f32x4_add(t, wasm_i32x4_shuffle(t, t, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(t, 0);
}
/* [reduce(v0), reduce(v1), reduce(v2), reduce(v3)] with reduce's order, via a transpose. */
static inline v128_t wr__f32x4_reduce4(v128_t v0, v128_t v1, v128_t v2, v128_t v3) {
    v128_t p01 = wasm_f32x4_add(wasm_i32x4_shuffle(v0, v1, 0, 1, 4, 5),
                                wasm_i32x4_shuffle(v0, v1, 2, 3, 6, 7));
    v128_t p23 = wasm_f32x4_add(wasm_i32x4_shuffle(v2, v3, 0, 1, 4, 5),
                                wasm_i32x4_shuffle(v2, v3, 2, 3, 6, 7));
    return wasm_f32x4_add(wasm_i32x4_shuffle(p01, p23, 0, 2, 4, 6),
                          wasm_i32x4_shuffle(p01, p23, 1, 3, 5, 7));
}
#define WR_F32x4_REDUCE(v) wr__f32x4_reduce(v)
#define WR_F32x4_REDUCE4(a, b, c, d) wr__f32x4_reduce4((a), (b), (c), (d))
/* nonzero if any lane of a is > the same lane of b */
#define WR_F32x4_ANY_GT(a, b) wasm_v128_any_true(wasm_f32x4_gt((a), (b)))

/* integer lanes on the same bits, for exp's 2^n */
#define WR_F32x4_AS_I32(v) (v)
#define WR_I32x4_AS_F32(v) (v)
#define WR_I32x4_SPLAT(x) wasm_i32x4_splat(x)
#define WR_I32x4_ADD(a, b) wasm_i32x4_add((a), (b))
#define WR_I32x4_SUB(a, b) wasm_i32x4_sub((a), (b))
#define WR_I32x4_SHR(a, n) wasm_i32x4_shr((a), (n))
#define WR_I32x4_SHL(a, n) wasm_i32x4_shl((a), (n))

#elif defined(__GNUC__) && !defined(WR_SIMD_PLAIN)
/* GNU C vector types: the same lane-wise IEEE operations as the plain-C struct below, but gcc
 * (12) keeps them in SSE registers; with the struct it scalarises whole accumulators of the
 * gemm tiles (measured: 3 vs 20+ GFLOP/s). WR_SIMD_PLAIN selects the struct for checking. */

typedef float wr_f32x4 __attribute__((vector_size(16)));
typedef int32_t wr_i32x4 __attribute__((vector_size(16)));
typedef uint32_t wr__u32x4 __attribute__((vector_size(16)));

static inline wr_f32x4 wr__f32x4_load(const float *p) {
    wr_f32x4 r;
    memcpy(&r, p, sizeof r);
    return r;
}
static inline void wr__f32x4_store(float *p, wr_f32x4 a) { memcpy(p, &a, sizeof a); }
static inline wr_f32x4 wr__f32x4_splat(float x) { return (wr_f32x4){x, x, x, x}; }
static inline wr_i32x4 wr__i32x4_splat(int32_t x) { return (wr_i32x4){x, x, x, x}; }
static inline wr_f32x4 wr__f32x4_pmax(wr_f32x4 a, wr_f32x4 b) {
    wr_i32x4 m = a < b; /* all ones where b wins */
    return (wr_f32x4)((m & (wr_i32x4)b) | (~m & (wr_i32x4)a));
}
static inline wr_f32x4 wr__f32x4_pmin(wr_f32x4 a, wr_f32x4 b) {
    wr_i32x4 m = b < a;
    return (wr_f32x4)((m & (wr_i32x4)b) | (~m & (wr_i32x4)a));
}
static inline float wr__f32x4_reduce(wr_f32x4 a) { return (a[0] + a[2]) + (a[1] + a[3]); }
static inline wr_f32x4 wr__f32x4_reduce4(wr_f32x4 a, wr_f32x4 b, wr_f32x4 c, wr_f32x4 d) {
    /* the wasm transpose, lane for lane */
    wr_f32x4 p01 = (wr_f32x4){a[0], a[1], b[0], b[1]} + (wr_f32x4){a[2], a[3], b[2], b[3]};
    wr_f32x4 p23 = (wr_f32x4){c[0], c[1], d[0], d[1]} + (wr_f32x4){c[2], c[3], d[2], d[3]};
    return (wr_f32x4){p01[0], p01[2], p23[0], p23[2]} + (wr_f32x4){p01[1], p01[3], p23[1], p23[3]};
}

#define WR_F32x4_ZERO() ((wr_f32x4){0.0f, 0.0f, 0.0f, 0.0f})
#define WR_F32x4_SPLAT(x) wr__f32x4_splat(x)
#define WR_F32x4_LOAD(p) wr__f32x4_load(p)
#define WR_F32x4_STORE(p, v) wr__f32x4_store((p), (v))
#define WR_F32x4_ADD(a, b) ((a) + (b))
#define WR_F32x4_SUB(a, b) ((a) - (b))
#define WR_F32x4_MUL(a, b) ((a) * (b))
#define WR_F32x4_DIV(a, b) ((a) / (b))
#define WR_F32x4_FMA(a, b, c) (((b) * (c)) + (a))
#define WR_F32x4_MAX(a, b) wr__f32x4_pmax((a), (b))
#define WR_F32x4_MIN(a, b) wr__f32x4_pmin((a), (b))
#define WR_F32x4_REDUCE(v) wr__f32x4_reduce(v)
#define WR_F32x4_REDUCE4(a, b, c, d) wr__f32x4_reduce4((a), (b), (c), (d))
static inline int wr__f32x4_any_gt(wr_f32x4 a, wr_f32x4 b) {
    wr_i32x4 m = a > b;
    return (m[0] | m[1] | m[2] | m[3]) != 0;
}
#define WR_F32x4_ANY_GT(a, b) wr__f32x4_any_gt((a), (b))

#define WR_F32x4_AS_I32(v) ((wr_i32x4)(v))
#define WR_I32x4_AS_F32(v) ((wr_f32x4)(v))
#define WR_I32x4_SPLAT(x) wr__i32x4_splat(x)
/* through unsigned lanes: wrapping like wasm, and no UB for UBSan to flag */
#define WR_I32x4_ADD(a, b) ((wr_i32x4)((wr__u32x4)(a) + (wr__u32x4)(b)))
#define WR_I32x4_SUB(a, b) ((wr_i32x4)((wr__u32x4)(a) - (wr__u32x4)(b)))
#define WR_I32x4_SHR(a, n) ((a) >> (n)) /* arithmetic on signed lanes in GNU C */
#define WR_I32x4_SHL(a, n) ((wr_i32x4)((wr__u32x4)(a) << (n)))

#else /* plain C, lane by lane in the wasm order */

typedef struct { float v[4]; } wr_f32x4;
typedef struct { int32_t v[4]; } wr_i32x4;

#define WR__LANES(expr)                                                                       \
    do {                                                                                      \
        for (int l_ = 0; l_ < 4; l_++) { expr; }                                              \
    } while (0)

static inline wr_f32x4 wr__f32x4_splat(float x) {
    wr_f32x4 r;
    WR__LANES(r.v[l_] = x);
    return r;
}
static inline wr_f32x4 wr__f32x4_load(const float *p) {
    wr_f32x4 r;
    WR__LANES(r.v[l_] = p[l_]);
    return r;
}
static inline void wr__f32x4_store(float *p, wr_f32x4 a) { memcpy(p, a.v, sizeof a.v); }
static inline wr_f32x4 wr__f32x4_add(wr_f32x4 a, wr_f32x4 b) {
    WR__LANES(a.v[l_] = a.v[l_] + b.v[l_]);
    return a;
}
static inline wr_f32x4 wr__f32x4_sub(wr_f32x4 a, wr_f32x4 b) {
    WR__LANES(a.v[l_] = a.v[l_] - b.v[l_]);
    return a;
}
static inline wr_f32x4 wr__f32x4_mul(wr_f32x4 a, wr_f32x4 b) {
    WR__LANES(a.v[l_] = a.v[l_] * b.v[l_]);
    return a;
}
static inline wr_f32x4 wr__f32x4_div(wr_f32x4 a, wr_f32x4 b) {
    WR__LANES(a.v[l_] = a.v[l_] / b.v[l_]);
    return a;
}
static inline wr_f32x4 wr__f32x4_pmax(wr_f32x4 a, wr_f32x4 b) {
    WR__LANES(a.v[l_] = a.v[l_] < b.v[l_] ? b.v[l_] : a.v[l_]);
    return a;
}
static inline wr_f32x4 wr__f32x4_pmin(wr_f32x4 a, wr_f32x4 b) {
    WR__LANES(a.v[l_] = b.v[l_] < a.v[l_] ? b.v[l_] : a.v[l_]);
    return a;
}
static inline float wr__f32x4_reduce(wr_f32x4 a) {
    return (a.v[0] + a.v[2]) + (a.v[1] + a.v[3]);
}
static inline wr_f32x4 wr__f32x4_reduce4(wr_f32x4 a, wr_f32x4 b, wr_f32x4 c, wr_f32x4 d) {
    wr_f32x4 r;
    r.v[0] = (a.v[0] + a.v[2]) + (a.v[1] + a.v[3]);
    r.v[1] = (b.v[0] + b.v[2]) + (b.v[1] + b.v[3]);
    r.v[2] = (c.v[0] + c.v[2]) + (c.v[1] + c.v[3]);
    r.v[3] = (d.v[0] + d.v[2]) + (d.v[1] + d.v[3]);
    return r;
}

#define WR_F32x4_ZERO() wr__f32x4_splat(0.0f)
#define WR_F32x4_SPLAT(x) wr__f32x4_splat(x)
#define WR_F32x4_LOAD(p) wr__f32x4_load(p)
#define WR_F32x4_STORE(p, v) wr__f32x4_store((p), (v))
#define WR_F32x4_ADD(a, b) wr__f32x4_add((a), (b))
#define WR_F32x4_SUB(a, b) wr__f32x4_sub((a), (b))
#define WR_F32x4_MUL(a, b) wr__f32x4_mul((a), (b))
#define WR_F32x4_DIV(a, b) wr__f32x4_div((a), (b))
#define WR_F32x4_FMA(a, b, c) wr__f32x4_add(wr__f32x4_mul((b), (c)), (a))
#define WR_F32x4_MAX(a, b) wr__f32x4_pmax((a), (b))
#define WR_F32x4_MIN(a, b) wr__f32x4_pmin((a), (b))
#define WR_F32x4_REDUCE(v) wr__f32x4_reduce(v)
#define WR_F32x4_REDUCE4(a, b, c, d) wr__f32x4_reduce4((a), (b), (c), (d))
static inline int wr__f32x4_any_gt(wr_f32x4 a, wr_f32x4 b) {
    return (a.v[0] > b.v[0]) | (a.v[1] > b.v[1]) | (a.v[2] > b.v[2]) | (a.v[3] > b.v[3]);
}
#define WR_F32x4_ANY_GT(a, b) wr__f32x4_any_gt((a), (b))

static inline wr_i32x4 wr__f32x4_as_i32(wr_f32x4 a) {
    wr_i32x4 r;
    memcpy(r.v, a.v, sizeof r.v);
    return r;
}
static inline wr_f32x4 wr__i32x4_as_f32(wr_i32x4 a) {
    wr_f32x4 r;
    memcpy(r.v, a.v, sizeof r.v);
    return r;
}
static inline wr_i32x4 wr__i32x4_splat(int32_t x) {
    wr_i32x4 r;
    WR__LANES(r.v[l_] = x);
    return r;
}
/* wrapping, as the wasm instructions are (unsigned arithmetic keeps UBSan quiet) */
static inline wr_i32x4 wr__i32x4_add(wr_i32x4 a, wr_i32x4 b) {
    WR__LANES(a.v[l_] = (int32_t)((uint32_t)a.v[l_] + (uint32_t)b.v[l_]));
    return a;
}
static inline wr_i32x4 wr__i32x4_sub(wr_i32x4 a, wr_i32x4 b) {
    WR__LANES(a.v[l_] = (int32_t)((uint32_t)a.v[l_] - (uint32_t)b.v[l_]));
    return a;
}
static inline wr_i32x4 wr__i32x4_shr(wr_i32x4 a, int n) {
    /* arithmetic shift, written without relying on >> of negatives */
    WR__LANES(a.v[l_] = a.v[l_] < 0 ? ~(~a.v[l_] >> n) : a.v[l_] >> n);
    return a;
}
static inline wr_i32x4 wr__i32x4_shl(wr_i32x4 a, int n) {
    WR__LANES(a.v[l_] = (int32_t)((uint32_t)a.v[l_] << n));
    return a;
}
#define WR_F32x4_AS_I32(v) wr__f32x4_as_i32(v)
#define WR_I32x4_AS_F32(v) wr__i32x4_as_f32(v)
#define WR_I32x4_SPLAT(x) wr__i32x4_splat(x)
#define WR_I32x4_ADD(a, b) wr__i32x4_add((a), (b))
#define WR_I32x4_SUB(a, b) wr__i32x4_sub((a), (b))
#define WR_I32x4_SHR(a, n) wr__i32x4_shr((a), (n))
#define WR_I32x4_SHL(a, n) wr__i32x4_shl((a), (n))

#endif
#endif
