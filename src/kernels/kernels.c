/* kernels.c: dot, axpy, scale, gemm (nn, nt, tn), exp/log, softmax, layernorm, top-k.
 *
 * Each fast kernel is written once against simd.h's macros, so the wasm (simd128) and native
 * (plain C, auto-vectorised) builds execute the same float operations in the same order and give
 * bit-identical results. Template (ggml_vec_mad_f32): an unrolled main loop over WR_F32_STEP
 * floats, 4-float leftovers into the first accumulator, a fixed reduction order, then scalar
 * leftovers. Every kernel keeps a sequential *_ref twin below it, which the tests compare against.
 *
 * Dimension letters: M, N rows/cols of the output C; K the contracted dimension.
 */
#include "kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../core/core.h"
#include "simd.h"

/* The native x86-64 build also has the gemms on 256- and 512-bit registers, picked at run time
 * by what the CPU has (gemm_wide.h); the wasm build and other machines run only the 4-lane code. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__wasm__)
#define WR_GEMM_WIDE 1
#include <immintrin.h>
#endif

// ----------------------------------------------------------------------------
// vector kernels

float wr_dot(const float *a, const float *b, int n) {
    const int np = n & ~(WR_F32_STEP - 1);
    wr_f32x4 s0 = WR_F32x4_ZERO(), s1 = WR_F32x4_ZERO(), s2 = WR_F32x4_ZERO(),
             s3 = WR_F32x4_ZERO();
    int i = 0;
    for (; i < np; i += WR_F32_STEP) {
        s0 = WR_F32x4_FMA(s0, WR_F32x4_LOAD(a + i), WR_F32x4_LOAD(b + i));
        s1 = WR_F32x4_FMA(s1, WR_F32x4_LOAD(a + i + 4), WR_F32x4_LOAD(b + i + 4));
        s2 = WR_F32x4_FMA(s2, WR_F32x4_LOAD(a + i + 8), WR_F32x4_LOAD(b + i + 8));
        s3 = WR_F32x4_FMA(s3, WR_F32x4_LOAD(a + i + 12), WR_F32x4_LOAD(b + i + 12));
    }
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR)
        s0 = WR_F32x4_FMA(s0, WR_F32x4_LOAD(a + i), WR_F32x4_LOAD(b + i));
    float sum = WR_F32x4_REDUCE(WR_F32x4_ADD(WR_F32x4_ADD(s0, s1), WR_F32x4_ADD(s2, s3)));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

float wr_dot_ref(const float *a, const float *b, int n) {
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

void wr_axpy(float *y, float a, const float *x, int n) {
    const wr_f32x4 va = WR_F32x4_SPLAT(a);
    int i = 0;
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR)
        WR_F32x4_STORE(y + i, WR_F32x4_FMA(WR_F32x4_LOAD(y + i), va, WR_F32x4_LOAD(x + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

void wr_axpy_ref(float *y, float a, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

void wr_scale(float *x, float a, int n) {
    const wr_f32x4 va = WR_F32x4_SPLAT(a);
    int i = 0;
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR)
        WR_F32x4_STORE(x + i, WR_F32x4_MUL(WR_F32x4_LOAD(x + i), va));
    for (; i < n; i++) x[i] *= a;
}

void wr_scale_ref(float *x, float a, int n) {
    for (int i = 0; i < n; i++) x[i] *= a;
}

// ----------------------------------------------------------------------------
// gemm nt: C (M,N) = [C +] A (M,K) * B (N,K)^T
// Register tile of R rows of A x 4 rows of B: each B load is used R times, and the four dot
// products of one A row reduce together into 4 contiguous outputs (one REDUCE4).

/* finish R x 4 outputs: reduce, add the K leftovers in order, then store or accumulate */
static inline void wr__nt_finish(float *c, wr_f32x4 a0, wr_f32x4 a1, wr_f32x4 a2, wr_f32x4 a3,
                                 const float *arow, const float *b, int K, int kv,
                                 int accumulate) {
    wr_f32x4 r = WR_F32x4_REDUCE4(a0, a1, a2, a3);
    if (kv < K) {
        float t[4];
        WR_F32x4_STORE(t, r);
        for (int q = 0; q < 4; q++)
            for (int k = kv; k < K; k++) t[q] += arow[k] * b[(size_t)q * K + k];
        r = WR_F32x4_LOAD(t);
    }
    if (accumulate) r = WR_F32x4_ADD(WR_F32x4_LOAD(c), r);
    WR_F32x4_STORE(c, r);
}

static void wr__nt_2x4(float *C, const float *A, const float *B, int N, int K, int kv,
                       int accumulate) {
    const float *a0p = A, *a1p = A + K;
    const float *b0p = B, *b1p = B + K, *b2p = B + 2 * (size_t)K, *b3p = B + 3 * (size_t)K;
    wr_f32x4 c00 = WR_F32x4_ZERO(), c01 = WR_F32x4_ZERO(), c02 = WR_F32x4_ZERO(),
             c03 = WR_F32x4_ZERO();
    wr_f32x4 c10 = WR_F32x4_ZERO(), c11 = WR_F32x4_ZERO(), c12 = WR_F32x4_ZERO(),
             c13 = WR_F32x4_ZERO();
    for (int k = 0; k < kv; k += WR_F32_EPR) {
        wr_f32x4 b0 = WR_F32x4_LOAD(b0p + k), b1 = WR_F32x4_LOAD(b1p + k);
        wr_f32x4 b2 = WR_F32x4_LOAD(b2p + k), b3 = WR_F32x4_LOAD(b3p + k);
        wr_f32x4 a0 = WR_F32x4_LOAD(a0p + k), a1 = WR_F32x4_LOAD(a1p + k);
        c00 = WR_F32x4_FMA(c00, a0, b0);
        c01 = WR_F32x4_FMA(c01, a0, b1);
        c02 = WR_F32x4_FMA(c02, a0, b2);
        c03 = WR_F32x4_FMA(c03, a0, b3);
        c10 = WR_F32x4_FMA(c10, a1, b0);
        c11 = WR_F32x4_FMA(c11, a1, b1);
        c12 = WR_F32x4_FMA(c12, a1, b2);
        c13 = WR_F32x4_FMA(c13, a1, b3);
    }
    wr__nt_finish(C, c00, c01, c02, c03, a0p, B, K, kv, accumulate);
    wr__nt_finish(C + N, c10, c11, c12, c13, a1p, B, K, kv, accumulate);
}

static void wr__nt_1x4(float *C, const float *A, const float *B, int K, int kv, int accumulate) {
    const float *b0p = B, *b1p = B + K, *b2p = B + 2 * (size_t)K, *b3p = B + 3 * (size_t)K;
    wr_f32x4 c0 = WR_F32x4_ZERO(), c1 = WR_F32x4_ZERO(), c2 = WR_F32x4_ZERO(),
             c3 = WR_F32x4_ZERO();
    for (int k = 0; k < kv; k += WR_F32_EPR) {
        wr_f32x4 a = WR_F32x4_LOAD(A + k);
        c0 = WR_F32x4_FMA(c0, a, WR_F32x4_LOAD(b0p + k));
        c1 = WR_F32x4_FMA(c1, a, WR_F32x4_LOAD(b1p + k));
        c2 = WR_F32x4_FMA(c2, a, WR_F32x4_LOAD(b2p + k));
        c3 = WR_F32x4_FMA(c3, a, WR_F32x4_LOAD(b3p + k));
    }
    wr__nt_finish(C, c0, c1, c2, c3, A, B, K, kv, accumulate);
}

/* one output (N leftovers): same 4-lane accumulation and reduction as a lane of the tiles */
static float wr__nt_1x1(const float *a, const float *b, int K, int kv) {
    wr_f32x4 c = WR_F32x4_ZERO();
    for (int k = 0; k < kv; k += WR_F32_EPR)
        c = WR_F32x4_FMA(c, WR_F32x4_LOAD(a + k), WR_F32x4_LOAD(b + k));
    float s = WR_F32x4_REDUCE(c);
    for (int k = kv; k < K; k++) s += a[k] * b[k];
    return s;
}

/* A rows per block: keeps the A block in L1 (64 rows x K=64 = 16 KB) while B streams by. */
#define WR_NT_MBLOCK 64

/* columns j0.. of C (the wide kernels do the ones before) */
static void wr__gemm_nt(float *C, const float *A, const float *B, int M, int N, int K,
                        int accumulate, int j0) {
    const int kv = K & ~(WR_F32_EPR - 1);
    const int nv = j0 + ((N - j0) & ~3);
    for (int i0 = 0; i0 < M; i0 += WR_NT_MBLOCK) {
        const int i1 = M < i0 + WR_NT_MBLOCK ? M : i0 + WR_NT_MBLOCK;
        for (int j = j0; j < nv; j += 4) {
            const float *bj = B + (size_t)j * K;
            int i = i0;
            for (; i + 2 <= i1; i += 2)
                wr__nt_2x4(C + (size_t)i * N + j, A + (size_t)i * K, bj, N, K, kv, accumulate);
            if (i < i1) wr__nt_1x4(C + (size_t)i * N + j, A + (size_t)i * K, bj, K, kv, accumulate);
        }
        for (int j = nv; j < N; j++)
            for (int i = i0; i < i1; i++) {
                float s = wr__nt_1x1(A + (size_t)i * K, B + (size_t)j * K, K, kv);
                float *c = C + (size_t)i * N + j;
                *c = accumulate ? *c + s : s;
            }
    }
}

void wr_gemm_nt_ref(float *C, const float *A, const float *B, int M, int N, int K,
                    int accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = 0.0f;
            for (int k = 0; k < K; k++) s += A[(size_t)i * K + k] * B[(size_t)j * K + k];
            float *c = C + (size_t)i * N + j;
            *c = accumulate ? *c + s : s;
        }
}

// ----------------------------------------------------------------------------
// gemm nn / tn: C (M,N) = [C +] op(A) * B (K,N). The inner loop is an axpy of a B row into a
// strip of C held in registers: 2 rows of C x 16 columns. A(i,k) = A[i*ai + k*ak], so nn
// (ai=K, ak=1) and tn (ai=1, ak=M) share the code. Column strips are the outer loop, so one
// strip of B (K x 16) stays in cache while every row of A passes over it.

static inline wr_f32x4 wr__acc_store(float *c, wr_f32x4 v, int accumulate) {
    if (accumulate) v = WR_F32x4_ADD(WR_F32x4_LOAD(c), v);
    WR_F32x4_STORE(c, v);
    return v;
}

/* columns j0.. of C (the wide kernels do the ones before) */
static void wr__gemm_xn(float *C, const float *A, const float *B, int M, int N, int K,
                        size_t ai, size_t ak, int accumulate, int j0) {
    const int n16 = j0 + ((N - j0) & ~15), n4 = j0 + ((N - j0) & ~3);
    for (int j = j0; j < n16; j += 16) {
        int i = 0;
        for (; i + 2 <= M; i += 2) {
            wr_f32x4 c00 = WR_F32x4_ZERO(), c01 = WR_F32x4_ZERO(), c02 = WR_F32x4_ZERO(),
                     c03 = WR_F32x4_ZERO();
            wr_f32x4 c10 = WR_F32x4_ZERO(), c11 = WR_F32x4_ZERO(), c12 = WR_F32x4_ZERO(),
                     c13 = WR_F32x4_ZERO();
            const float *a0p = A + (size_t)i * ai, *a1p = A + (size_t)(i + 1) * ai;
            for (int k = 0; k < K; k++) {
                const float *b = B + (size_t)k * N + j;
                wr_f32x4 b0 = WR_F32x4_LOAD(b), b1 = WR_F32x4_LOAD(b + 4);
                wr_f32x4 b2 = WR_F32x4_LOAD(b + 8), b3 = WR_F32x4_LOAD(b + 12);
                wr_f32x4 a0 = WR_F32x4_SPLAT(a0p[k * ak]), a1 = WR_F32x4_SPLAT(a1p[k * ak]);
                c00 = WR_F32x4_FMA(c00, a0, b0);
                c01 = WR_F32x4_FMA(c01, a0, b1);
                c02 = WR_F32x4_FMA(c02, a0, b2);
                c03 = WR_F32x4_FMA(c03, a0, b3);
                c10 = WR_F32x4_FMA(c10, a1, b0);
                c11 = WR_F32x4_FMA(c11, a1, b1);
                c12 = WR_F32x4_FMA(c12, a1, b2);
                c13 = WR_F32x4_FMA(c13, a1, b3);
            }
            float *c0 = C + (size_t)i * N + j, *c1 = c0 + N;
            wr__acc_store(c0, c00, accumulate);
            wr__acc_store(c0 + 4, c01, accumulate);
            wr__acc_store(c0 + 8, c02, accumulate);
            wr__acc_store(c0 + 12, c03, accumulate);
            wr__acc_store(c1, c10, accumulate);
            wr__acc_store(c1 + 4, c11, accumulate);
            wr__acc_store(c1 + 8, c12, accumulate);
            wr__acc_store(c1 + 12, c13, accumulate);
        }
        if (i < M) {
            wr_f32x4 c00 = WR_F32x4_ZERO(), c01 = WR_F32x4_ZERO(), c02 = WR_F32x4_ZERO(),
                     c03 = WR_F32x4_ZERO();
            const float *a0p = A + (size_t)i * ai;
            for (int k = 0; k < K; k++) {
                const float *b = B + (size_t)k * N + j;
                wr_f32x4 a0 = WR_F32x4_SPLAT(a0p[k * ak]);
                c00 = WR_F32x4_FMA(c00, a0, WR_F32x4_LOAD(b));
                c01 = WR_F32x4_FMA(c01, a0, WR_F32x4_LOAD(b + 4));
                c02 = WR_F32x4_FMA(c02, a0, WR_F32x4_LOAD(b + 8));
                c03 = WR_F32x4_FMA(c03, a0, WR_F32x4_LOAD(b + 12));
            }
            float *c0 = C + (size_t)i * N + j;
            wr__acc_store(c0, c00, accumulate);
            wr__acc_store(c0 + 4, c01, accumulate);
            wr__acc_store(c0 + 8, c02, accumulate);
            wr__acc_store(c0 + 12, c03, accumulate);
        }
    }
    /* leftover columns: 4 at a time, then one at a time; same k order as the strips */
    for (int j = n16; j < n4; j += 4)
        for (int i = 0; i < M; i++) {
            wr_f32x4 c = WR_F32x4_ZERO();
            const float *ap = A + (size_t)i * ai;
            for (int k = 0; k < K; k++)
                c = WR_F32x4_FMA(c, WR_F32x4_SPLAT(ap[k * ak]), WR_F32x4_LOAD(B + (size_t)k * N + j));
            wr__acc_store(C + (size_t)i * N + j, c, accumulate);
        }
    for (int j = n4; j < N; j++)
        for (int i = 0; i < M; i++) {
            float s = 0.0f;
            const float *ap = A + (size_t)i * ai;
            for (int k = 0; k < K; k++) s += ap[k * ak] * B[(size_t)k * N + j];
            float *c = C + (size_t)i * N + j;
            *c = accumulate ? *c + s : s;
        }
}

/* Long K (weight gradients sum over every row of a batch) is cut into blocks so the strips of A
 * and B that a block reads stay in cache while every output tile uses them; each block's sums
 * are added into C. */
#define WR_GEMM_KB 256

// ----------------------------------------------------------------------------
// the same gemms on 256- and 512-bit registers (native x86-64 only; see gemm_wide.h)

#if WR_GEMM_WIDE
/* nt packs a panel of B (16 rows x K, 64 KB at most) on the stack; longer K runs the 4-lane
 * code */
#define WR_NT_KMAX 1024
/* the packing pays for itself from 3 rows of A (measured on 20000 x 64 panels; 1 row, a single
 * user's scores, runs faster on the 4-lane code) */
#define WR_NT_MMIN 3
/* floats of A per block of rows (256 KB, in L2): each packed panel serves the whole block */
#define WR_NT_ABLOCK 65536

#define WR_W_NAME(x) x##avx512
#define WR_W_TARGET "avx512f"
#define WR_W_VT __m512
#define WR_W 16
#define WR_W_LOAD(p) _mm512_loadu_ps(p)
#define WR_W_STORE(p, v) _mm512_storeu_ps((p), (v))
#define WR_W_SPLAT(x) _mm512_set1_ps(x)
#define WR_W_ZERO() _mm512_setzero_ps()
#define WR_W_ADD(a, b) _mm512_add_ps((a), (b))
#define WR_W_MUL(a, b) _mm512_mul_ps((a), (b))
#define WR_W_BCAST4(p) _mm512_broadcast_f32x4(_mm_loadu_ps(p))
#define WR_W_SHUF(a, b, imm) _mm512_shuffle_ps((a), (b), (imm))
/* 32 registers: 6 x 64 columns (24 accumulators) for nn/tn, 4 rows x 16 outputs for nt */
#define WR_XN_R 6
#define WR_XN_NV 4
#define WR_NT_R 4
#include "gemm_wide.h"
#undef WR_W_NAME
#undef WR_W_TARGET
#undef WR_W_VT
#undef WR_W
#undef WR_W_LOAD
#undef WR_W_STORE
#undef WR_W_SPLAT
#undef WR_W_ZERO
#undef WR_W_ADD
#undef WR_W_MUL
#undef WR_W_BCAST4
#undef WR_W_SHUF
#undef WR_XN_R
#undef WR_XN_NV
#undef WR_NT_R

/* 16 registers: 6 x 16 columns for nn/tn, 3 rows x 8 outputs for nt (12 accumulators; B is
 * read from memory by each multiply). Measured faster than 2 x 32 columns here. */
#define WR_W_NAME(x) x##avx2
#define WR_W_TARGET "avx2"
#define WR_W_VT __m256
#define WR_W 8
#define WR_W_LOAD(p) _mm256_loadu_ps(p)
#define WR_W_STORE(p, v) _mm256_storeu_ps((p), (v))
#define WR_W_SPLAT(x) _mm256_set1_ps(x)
#define WR_W_ZERO() _mm256_setzero_ps()
#define WR_W_ADD(a, b) _mm256_add_ps((a), (b))
#define WR_W_MUL(a, b) _mm256_mul_ps((a), (b))
#define WR_W_BCAST4(p) _mm256_set_m128(_mm_loadu_ps(p), _mm_loadu_ps(p)) /* vbroadcastf128 */
#define WR_W_SHUF(a, b, imm) _mm256_shuffle_ps((a), (b), (imm))
#define WR_XN_R 6
#define WR_XN_NV 2
#define WR_NT_R 3
#include "gemm_wide.h"
#endif

/* the widest instruction set this CPU runs (libgcc reads cpuid, and xgetbv for the OS's
 * register saving, once at start-up; each call is a load) */
static int wr__gemm_isa_best(void) {
#if WR_GEMM_WIDE
    if (__builtin_cpu_supports("avx512f")) return WR_ISA_AVX512;
    if (__builtin_cpu_supports("avx2")) return WR_ISA_AVX2;
#endif
    return WR_ISA_PORTABLE;
}

#define WR_GEMM_MB 32 /* rows of A packed at a time: 32 x 256 floats, 32 KB of stack */

static void wr__gemm_xn_blocked(float *C, const float *A, const float *B, int M, int N, int K,
                                size_t ai, size_t ak, int accumulate, int isa) {
    for (int k0 = 0; k0 < K || k0 == 0; k0 += WR_GEMM_KB) {
        const int kb = K - k0 < WR_GEMM_KB ? K - k0 : WR_GEMM_KB, acc = k0 > 0 ? 1 : accumulate;
        const float *Ab = A + (size_t)k0 * ak, *Bb = B + (size_t)k0 * N;
        int j0 = 0;
#if WR_GEMM_WIDE
        if (isa == WR_ISA_AVX512) j0 = wr__xn_avx512(C, Ab, Bb, M, N, kb, ai, ak, acc);
        if (isa == WR_ISA_AVX2) j0 = wr__xn_avx2(C, Ab, Bb, M, N, kb, ai, ak, acc);
#endif
        if (ak == 1 || j0 >= N) {
            wr__gemm_xn(C, Ab, Bb, M, N, kb, ai, ak, acc, j0);
            continue;
        }
        /* tn reads A down its columns: copy a block of rows into row order first, so the tiles
         * read it as nn does (per output, the same sums in the same order) */
        float pack[WR_GEMM_MB * WR_GEMM_KB];
        for (int i0 = 0; i0 < M; i0 += WR_GEMM_MB) {
            const int mb = M - i0 < WR_GEMM_MB ? M - i0 : WR_GEMM_MB;
            for (int k = 0; k < kb; k++)
                for (int i = 0; i < mb; i++) pack[i * kb + k] = Ab[(size_t)k * ak + i0 + i];
            wr__gemm_xn(C + (size_t)i0 * N, pack, Bb, mb, N, kb, (size_t)kb, 1, acc, j0);
        }
    }
}

/* Threads split a gemm by rows of C (wr__parallel_for): each output is the same sum in the same
 * order whichever tile or instruction set computes it, so any split gives the same bits. */
typedef struct {
    float *C;
    const float *A, *B;
    int M, N, K, accumulate, isa;
    char op; /* 'n' nn, 't' tn, 'x' nt */
} wr__gemm_job;

static void wr__gemm_rows(void *arg, int lo, int hi) {
    const wr__gemm_job *g = arg;
    const int m = hi - lo, N = g->N, K = g->K;
    float *C = g->C + (size_t)lo * N;
    if (g->op == 'n') {
        wr__gemm_xn_blocked(C, g->A + (size_t)lo * K, g->B, m, N, K, (size_t)K, 1, g->accumulate, g->isa);
    } else if (g->op == 't') {
        wr__gemm_xn_blocked(C, g->A + lo, g->B, m, N, K, 1, (size_t)g->M, g->accumulate, g->isa);
    } else {
        const float *A = g->A + (size_t)lo * K;
        int j0 = 0;
#if WR_GEMM_WIDE
        if (m >= WR_NT_MMIN && K <= WR_NT_KMAX) {
            if (g->isa == WR_ISA_AVX512) j0 = wr__nt_avx512(C, A, g->B, m, N, K, g->accumulate);
            if (g->isa == WR_ISA_AVX2) j0 = wr__nt_avx2(C, A, g->B, m, N, K, g->accumulate);
        }
#endif
        wr__gemm_nt(C, A, g->B, m, N, K, g->accumulate, j0);
    }
}

static int wr__gemm_run(char op, int isa, float *C, const float *A, const float *B, int M, int N,
                        int K, int accumulate) {
    if (isa > wr__gemm_isa_best()) return 0;
    wr__gemm_job g = {C, A, B, M, N, K, accumulate, isa, op};
    wr__parallel_for(M, 8, (double)M * N * K, wr__gemm_rows, &g);
    return 1;
}

int wr__gemm_nn_isa(int isa, float *C, const float *A, const float *B, int M, int N, int K,
                    int accumulate) {
    return wr__gemm_run('n', isa, C, A, B, M, N, K, accumulate);
}

int wr__gemm_tn_isa(int isa, float *C, const float *A, const float *B, int M, int N, int K,
                    int accumulate) {
    return wr__gemm_run('t', isa, C, A, B, M, N, K, accumulate);
}

int wr__gemm_nt_isa(int isa, float *C, const float *A, const float *B, int M, int N, int K,
                    int accumulate) {
    return wr__gemm_run('x', isa, C, A, B, M, N, K, accumulate);
}

void wr_gemm_nn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    wr__gemm_nn_isa(wr__gemm_isa_best(), C, A, B, M, N, K, accumulate);
}

void wr_gemm_tn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    wr__gemm_tn_isa(wr__gemm_isa_best(), C, A, B, M, N, K, accumulate);
}

void wr_gemm_nt(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    wr__gemm_nt_isa(wr__gemm_isa_best(), C, A, B, M, N, K, accumulate);
}

void wr_gemm_nn_ref(float *C, const float *A, const float *B, int M, int N, int K,
                    int accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = 0.0f;
            for (int k = 0; k < K; k++) s += A[(size_t)i * K + k] * B[(size_t)k * N + j];
            float *c = C + (size_t)i * N + j;
            *c = accumulate ? *c + s : s;
        }
}

void wr_gemm_tn_ref(float *C, const float *A, const float *B, int M, int N, int K,
                    int accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = 0.0f;
            for (int k = 0; k < K; k++) s += A[(size_t)k * M + i] * B[(size_t)k * N + j];
            float *c = C + (size_t)i * N + j;
            *c = accumulate ? *c + s : s;
        }
}

// ----------------------------------------------------------------------------
// exp and log (Cephes expf/logf: Cody-Waite range reduction + minimax polynomial), written
// with +,-,*,/ and bit moves only, so every build rounds the same way; libm's vary.

static inline float wr__as_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline uint32_t wr__as_u32(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

#define WR_EXP_LO (-104.0f) /* below: 0 */
#define WR_EXP_HI 89.0f     /* above: inf (2^128 overflows) */
#define WR_LOG2E 1.44269504088896341f
#define WR_ROUND_MAGIC 12582912.0f /* 1.5 * 2^23: adding it rounds to an integer */
#define WR_LN2_HI 0.693359375f     /* 9 bits, so n * WR_LN2_HI is exact */
#define WR_LN2_LO (-2.12194440e-4f)
#define WR_EXP_P0 1.9875691500e-4f
#define WR_EXP_P1 1.3981999507e-3f
#define WR_EXP_P2 8.3334519073e-3f
#define WR_EXP_P3 4.1665795894e-2f
#define WR_EXP_P4 1.6666665459e-1f
#define WR_EXP_P5 5.0000001201e-1f

/* The scalar and the 4-lane exp below perform the same operations in the same order:
 * clamp, n = round(x / ln 2) by the magic-number trick (no float->int conversion, so NaN is
 * harmless), r = x - n ln2 in two parts, p = 1 + r + r^2 P(r), then p * 2^(n/2) * 2^(n - n/2),
 * two factors so that subnormal results round once. NaN propagates through p. */
float wr_expf(float x) {
    x = x < WR_EXP_LO ? WR_EXP_LO : x;
    x = WR_EXP_HI < x ? WR_EXP_HI : x;
    const float t = x * WR_LOG2E + WR_ROUND_MAGIC;
    const int32_t n = (int32_t)(wr__as_u32(t) - wr__as_u32(WR_ROUND_MAGIC));
    const float nf = t - WR_ROUND_MAGIC;
    float r = x - nf * WR_LN2_HI;
    r = r - nf * WR_LN2_LO;
    float p = WR_EXP_P0;
    p = p * r + WR_EXP_P1;
    p = p * r + WR_EXP_P2;
    p = p * r + WR_EXP_P3;
    p = p * r + WR_EXP_P4;
    p = p * r + WR_EXP_P5;
    p = p * (r * r) + r;
    p = p + 1.0f;
    const int32_t n1 = n < 0 ? ~(~n >> 1) : n >> 1, n2 = n - n1;
    return p * wr__as_float((uint32_t)(n1 + 127) << 23) * wr__as_float((uint32_t)(n2 + 127) << 23);
}

static inline wr_f32x4 wr__expf4(wr_f32x4 x) {
    x = WR_F32x4_MAX(x, WR_F32x4_SPLAT(WR_EXP_LO));
    x = WR_F32x4_MIN(x, WR_F32x4_SPLAT(WR_EXP_HI));
    const wr_f32x4 magic = WR_F32x4_SPLAT(WR_ROUND_MAGIC);
    const wr_f32x4 t = WR_F32x4_ADD(WR_F32x4_MUL(x, WR_F32x4_SPLAT(WR_LOG2E)), magic);
    const wr_i32x4 n = WR_I32x4_SUB(WR_F32x4_AS_I32(t), WR_F32x4_AS_I32(magic));
    const wr_f32x4 nf = WR_F32x4_SUB(t, magic);
    wr_f32x4 r = WR_F32x4_SUB(x, WR_F32x4_MUL(nf, WR_F32x4_SPLAT(WR_LN2_HI)));
    r = WR_F32x4_SUB(r, WR_F32x4_MUL(nf, WR_F32x4_SPLAT(WR_LN2_LO)));
    wr_f32x4 p = WR_F32x4_SPLAT(WR_EXP_P0);
    p = WR_F32x4_ADD(WR_F32x4_MUL(p, r), WR_F32x4_SPLAT(WR_EXP_P1));
    p = WR_F32x4_ADD(WR_F32x4_MUL(p, r), WR_F32x4_SPLAT(WR_EXP_P2));
    p = WR_F32x4_ADD(WR_F32x4_MUL(p, r), WR_F32x4_SPLAT(WR_EXP_P3));
    p = WR_F32x4_ADD(WR_F32x4_MUL(p, r), WR_F32x4_SPLAT(WR_EXP_P4));
    p = WR_F32x4_ADD(WR_F32x4_MUL(p, r), WR_F32x4_SPLAT(WR_EXP_P5));
    p = WR_F32x4_ADD(WR_F32x4_MUL(p, WR_F32x4_MUL(r, r)), r);
    p = WR_F32x4_ADD(p, WR_F32x4_SPLAT(1.0f));
    const wr_i32x4 n1 = WR_I32x4_SHR(n, 1), n2 = WR_I32x4_SUB(n, n1);
    const wr_i32x4 bias = WR_I32x4_SPLAT(127);
    const wr_f32x4 s1 = WR_I32x4_AS_F32(WR_I32x4_SHL(WR_I32x4_ADD(n1, bias), 23));
    const wr_f32x4 s2 = WR_I32x4_AS_F32(WR_I32x4_SHL(WR_I32x4_ADD(n2, bias), 23));
    return WR_F32x4_MUL(WR_F32x4_MUL(p, s1), s2);
}

void wr__exp_array(float *out, const float *in, int n) {
    int i = 0;
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR)
        WR_F32x4_STORE(out + i, wr__expf4(WR_F32x4_LOAD(in + i)));
    for (; i < n; i++) out[i] = wr_expf(in[i]);
}

#define WR_SQRT_HALF 0.707106781186547524f

float wr_logf(float x) {
    if (x != x) return x;
    if (x < 0.0f) return wr__as_float(0x7fc00000u);
    if (x == 0.0f) return -wr__as_float(0x7f800000u);
    uint32_t u = wr__as_u32(x);
    if (u >= 0x7f800000u) return x; /* +inf */
    int32_t e = 0;
    if (u < 0x00800000u) { /* subnormal: make it normal first */
        u = wr__as_u32(x * 8388608.0f);
        e = -23;
    }
    /* x = m * 2^e, m in [0.5, 1) */
    e += (int32_t)(u >> 23) - 126;
    float m = wr__as_float((u & 0x007fffffu) | 0x3f000000u);
    if (m < WR_SQRT_HALF) {
        e -= 1;
        m = m + m - 1.0f;
    } else {
        m = m - 1.0f;
    }
    const float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    const float fe = (float)e;
    y = y + fe * WR_LN2_LO;
    y = y - 0.5f * z;
    float r = m + y;
    r = r + fe * WR_LN2_HI;
    return r;
}

// ----------------------------------------------------------------------------
// softmax, log-softmax (max-subtracted)

static float wr__max(const float *x, int n) {
    wr_f32x4 m = WR_F32x4_SPLAT(x[0]);
    int i = 0;
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR) m = WR_F32x4_MAX(m, WR_F32x4_LOAD(x + i));
    float t[4];
    WR_F32x4_STORE(t, m);
    float mx = t[0];
    for (int l = 1; l < 4; l++) mx = mx < t[l] ? t[l] : mx;
    for (; i < n; i++) mx = mx < x[i] ? x[i] : mx;
    return mx;
}

/* out = exp(in - mx); returns the sum (4 lanes, then REDUCE, then the leftovers) */
static float wr__exp_sub_sum(float *out, const float *in, float mx, int n) {
    const wr_f32x4 vm = WR_F32x4_SPLAT(mx);
    wr_f32x4 s = WR_F32x4_ZERO();
    int i = 0;
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR) {
        wr_f32x4 e = wr__expf4(WR_F32x4_SUB(WR_F32x4_LOAD(in + i), vm));
        if (out) WR_F32x4_STORE(out + i, e);
        s = WR_F32x4_ADD(s, e);
    }
    float sum = WR_F32x4_REDUCE(s);
    for (; i < n; i++) {
        float e = wr_expf(in[i] - mx);
        if (out) out[i] = e;
        sum += e;
    }
    return sum;
}

void wr_softmax(float *out, const float *in, int n) {
    if (n <= 0) return;
    const float sum = wr__exp_sub_sum(out, in, wr__max(in, n), n);
    wr_scale(out, 1.0f / sum, n);
}

float wr_softmax_scaled(float *out, const float *in, int n, float scale, int at, float *p_at, float *p_max) {
    if (n <= 0) return -INFINITY;
    const float mx = wr__max(in, n), inv = 1.0f / wr__exp_sub_sum(out, in, mx, n);
    *p_at = out[at] * inv;
    *p_max = inv; /* the largest input's exp is exp(0) = 1 exactly */
    /* (e * inv) * scale: the two roundings of wr_softmax and then wr_scale, in one pass */
    const wr_f32x4 vi = WR_F32x4_SPLAT(inv), vs = WR_F32x4_SPLAT(scale);
    int i = 0;
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR)
        WR_F32x4_STORE(out + i, WR_F32x4_MUL(WR_F32x4_MUL(WR_F32x4_LOAD(out + i), vi), vs));
    for (; i < n; i++) out[i] = (out[i] * inv) * scale;
    return mx;
}

void wr_softmax_ref(float *out, const float *in, int n) {
    if (n <= 0) return;
    float mx = in[0];
    for (int i = 1; i < n; i++) mx = in[i] > mx ? in[i] : mx;
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        out[i] = wr_expf(in[i] - mx);
        sum += out[i];
    }
    for (int i = 0; i < n; i++) out[i] /= sum;
}

void wr_log_softmax(float *out, const float *in, int n) {
    if (n <= 0) return;
    const float mx = wr__max(in, n);
    const float lse = wr_logf(wr__exp_sub_sum(NULL, in, mx, n));
    const wr_f32x4 vm = WR_F32x4_SPLAT(mx), vl = WR_F32x4_SPLAT(lse);
    int i = 0;
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR)
        WR_F32x4_STORE(out + i, WR_F32x4_SUB(WR_F32x4_SUB(WR_F32x4_LOAD(in + i), vm), vl));
    for (; i < n; i++) out[i] = (in[i] - mx) - lse;
}

void wr_log_softmax_ref(float *out, const float *in, int n) {
    if (n <= 0) return;
    float mx = in[0];
    for (int i = 1; i < n; i++) mx = in[i] > mx ? in[i] : mx;
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += wr_expf(in[i] - mx);
    const float lse = wr_logf(sum);
    for (int i = 0; i < n; i++) out[i] = (in[i] - mx) - lse;
}

// ----------------------------------------------------------------------------
// layernorm (one row)

#define WR_LN_EPS 1e-5f

static float wr__sum(const float *x, int n) {
    wr_f32x4 s0 = WR_F32x4_ZERO(), s1 = WR_F32x4_ZERO();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 = WR_F32x4_ADD(s0, WR_F32x4_LOAD(x + i));
        s1 = WR_F32x4_ADD(s1, WR_F32x4_LOAD(x + i + 4));
    }
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR) s0 = WR_F32x4_ADD(s0, WR_F32x4_LOAD(x + i));
    float s = WR_F32x4_REDUCE(WR_F32x4_ADD(s0, s1));
    for (; i < n; i++) s += x[i];
    return s;
}

void wr_layernorm(float *out, float *mean, float *rstd, const float *in, const float *w,
                  const float *b, int n) {
    if (n <= 0) {
        *mean = 0.0f;
        *rstd = 0.0f;
        return;
    }
    const float m = wr__sum(in, n) / (float)n;
    const wr_f32x4 vm = WR_F32x4_SPLAT(m);
    wr_f32x4 v0 = WR_F32x4_ZERO();
    int i = 0;
    for (; i + WR_F32_EPR <= n; i += WR_F32_EPR) {
        wr_f32x4 d = WR_F32x4_SUB(WR_F32x4_LOAD(in + i), vm);
        v0 = WR_F32x4_FMA(v0, d, d);
    }
    float var = WR_F32x4_REDUCE(v0);
    for (; i < n; i++) var += (in[i] - m) * (in[i] - m);
    const float s = 1.0f / sqrtf(var / (float)n + WR_LN_EPS);
    const wr_f32x4 vs = WR_F32x4_SPLAT(s);
    for (i = 0; i + WR_F32_EPR <= n; i += WR_F32_EPR) {
        wr_f32x4 y = WR_F32x4_MUL(WR_F32x4_SUB(WR_F32x4_LOAD(in + i), vm), vs);
        y = WR_F32x4_FMA(WR_F32x4_LOAD(b + i), y, WR_F32x4_LOAD(w + i));
        WR_F32x4_STORE(out + i, y);
    }
    for (; i < n; i++) out[i] = ((in[i] - m) * s) * w[i] + b[i];
    *mean = m;
    *rstd = s;
}

void wr_layernorm_ref(float *out, float *mean, float *rstd, const float *in, const float *w,
                      const float *b, int n) {
    if (n <= 0) {
        *mean = 0.0f;
        *rstd = 0.0f;
        return;
    }
    float m = 0.0f;
    for (int i = 0; i < n; i++) m += in[i];
    m /= (float)n;
    float var = 0.0f;
    for (int i = 0; i < n; i++) var += (in[i] - m) * (in[i] - m);
    var /= (float)n;
    const float s = 1.0f / sqrtf(var + WR_LN_EPS);
    for (int i = 0; i < n; i++) out[i] = (in[i] - m) * s * w[i] + b[i];
    *mean = m;
    *rstd = s;
}

// ----------------------------------------------------------------------------
// top-k

/* the ranking order: larger first, NaN after every number, equal scores by lower index */
static inline int wr__ranks_before(float va, int ia, float vb, int ib) {
    const int na = va != va, nb = vb != vb;
    if (na != nb) return nb;
    if (!na && va != vb) return va > vb;
    return ia < ib;
}

/* A sorted k-array: scanning in index order means a later equal score never displaces an
 * earlier one, so once the array is full the test is a single compare against the worst. */
int wr_topk(const float *scores, const unsigned char *mask, int n, int k, int *out_idx,
            float *out_val) {
    if (k <= 0 || n <= 0) return 0;
    int cnt = 0;
    float worst = 0.0f;
    int worst_nan = 0;
    for (int i = 0; i < n; i++) {
        /* full with a numeric worst: skip 4 scores at a time while none beats it */
        if (cnt == k && !worst_nan) {
            const wr_f32x4 vw = WR_F32x4_SPLAT(worst);
            while (i + WR_F32_EPR <= n && !WR_F32x4_ANY_GT(WR_F32x4_LOAD(scores + i), vw))
                i += WR_F32_EPR;
            if (i >= n) break;
        }
        const float s = scores[i];
        if (cnt == k) {
            /* full: only a strictly larger number, or any number over a NaN worst, gets in */
            if (!(s > worst) && !(worst_nan && s == s)) continue;
        }
        if (mask && mask[i]) continue;
        int pos = cnt < k ? cnt++ : k - 1;
        while (pos > 0 && wr__ranks_before(s, i, out_val[pos - 1], out_idx[pos - 1])) {
            out_val[pos] = out_val[pos - 1];
            out_idx[pos] = out_idx[pos - 1];
            pos--;
        }
        out_val[pos] = s;
        out_idx[pos] = i;
        worst = out_val[cnt - 1];
        worst_nan = worst != worst;
    }
    return cnt;
}

/* k passes: each picks the best entry ranking after the previous pick (the order is total). */
int wr_topk_ref(const float *scores, const unsigned char *mask, int n, int k, int *out_idx,
                float *out_val) {
    int cnt = 0;
    for (; cnt < k; cnt++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            if (mask && mask[i]) continue;
            if (cnt > 0 && !wr__ranks_before(out_val[cnt - 1], out_idx[cnt - 1], scores[i], i))
                continue;
            if (best < 0 || wr__ranks_before(scores[i], i, scores[best], best)) best = i;
        }
        if (best < 0) break;
        out_idx[cnt] = best;
        out_val[cnt] = scores[best];
    }
    return cnt;
}
