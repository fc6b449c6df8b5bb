/* gemm_wide.h: the gemms on 256- or 512-bit x86 registers, for the native build only (private to
 * kernels.c, which includes it once per instruction set; no include guard on purpose).
 *
 * The results must equal the 4-lane kernels in kernels.c bit for bit, because the wasm build
 * runs those. So the operations per output are the same as there, only more outputs per
 * instruction: separate multiply and add (kernels.c is built with -ffp-contract=off, and
 * AVX-512F has a fused multiply-add gcc would otherwise use), the same k order, the same
 * reduction order.
 *
 * The includer defines:
 *   WR_W_NAME(x)   x with the instruction set appended
 *   WR_W_TARGET    the target attribute string
 *   WR_W_VT, WR_W  the vector type and its number of floats (a multiple of 4)
 *   WR_W_LOAD, WR_W_STORE, WR_W_SPLAT, WR_W_ZERO, WR_W_ADD, WR_W_MUL
 *   WR_W_BCAST4(p) p[0..3] repeated in every 128-bit lane
 *   WR_W_SHUF      _mm_shuffle_ps in every 128-bit lane
 *   WR_XN_R, WR_XN_NV   nn/tn register tile: rows x vectors
 *   WR_NT_R             nt register tile: rows of A (x WR_W rows of B)
 */

#define WR_W_FN static __attribute__((target(WR_W_TARGET), noinline))
#define WR_W_INL static inline __attribute__((target(WR_W_TARGET), always_inline))

// ----------------------------------------------------------------------------
// nn / tn: the lanes of a register are output columns, and each output is the same sequential
// sum over k as in wr__gemm_xn, so any number of columns per register gives the same bits.

/* C rows 0..R-1, columns 0..NV*WR_W-1 over one K block (R, NV constant once inlined) */
WR_W_INL void WR_W_NAME(wr__xn_tile_)(float *C, const float *A, const float *B, int N, int K,
                                       size_t ai, size_t ak, int accumulate, int R, int NV) {
    WR_W_VT c[WR_XN_R][WR_XN_NV];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) c[r][v] = WR_W_ZERO();
    for (int k = 0; k < K; k++) {
        const float *b = B + (size_t)k * N;
        WR_W_VT bv[WR_XN_NV];
        for (int v = 0; v < NV; v++) bv[v] = WR_W_LOAD(b + v * WR_W);
        /* tn reads A down columns: one cache line per k, each used by 16 / R tiles in turn.
         * The hardware prefetcher does not follow that many streams; fetching the line two
         * ahead (measured: 2-3x on 1682x64x6400) hides the memory latency. A prefetch never
         * faults, so running past the end of A is harmless. */
        if (ai == 1) __builtin_prefetch(A + k * ak + 32);
        for (int r = 0; r < R; r++) {
            const WR_W_VT a = WR_W_SPLAT(A[r * ai + k * ak]);
            for (int v = 0; v < NV; v++) c[r][v] = WR_W_ADD(WR_W_MUL(a, bv[v]), c[r][v]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) {
            float *p = C + (size_t)r * N + v * WR_W;
            WR_W_STORE(p, accumulate ? WR_W_ADD(WR_W_LOAD(p), c[r][v]) : c[r][v]);
        }
}

/* One K block of wr__gemm_xn over the columns that fill whole registers; returns how many (the
 * 4-lane code does the rest). Strips of WR_XN_NV registers, then single registers. */
WR_W_FN int WR_W_NAME(wr__xn_)(float *C, const float *A, const float *B, int M, int N, int K,
                               size_t ai, size_t ak, int accumulate) {
    const int SW = WR_XN_NV * WR_W, ns = N - N % SW, nw = N - N % WR_W;
    for (int j = 0; j < ns; j += SW) {
        int i = 0;
        for (; i + WR_XN_R <= M; i += WR_XN_R)
            WR_W_NAME(wr__xn_tile_)(C + (size_t)i * N + j, A + i * ai, B + j, N, K, ai, ak,
                                    accumulate, WR_XN_R, WR_XN_NV);
        for (; i < M; i++)
            WR_W_NAME(wr__xn_tile_)(C + (size_t)i * N + j, A + i * ai, B + j, N, K, ai, ak,
                                    accumulate, 1, WR_XN_NV);
    }
    for (int j = ns; j < nw; j += WR_W) {
        int i = 0;
        for (; i + WR_XN_R <= M; i += WR_XN_R)
            WR_W_NAME(wr__xn_tile_)(C + (size_t)i * N + j, A + i * ai, B + j, N, K, ai, ak,
                                    accumulate, WR_XN_R, 1);
        for (; i < M; i++)
            WR_W_NAME(wr__xn_tile_)(C + (size_t)i * N + j, A + i * ai, B + j, N, K, ai, ak,
                                    accumulate, 1, 1);
    }
    return nw;
}

// ----------------------------------------------------------------------------
// nt: the 4-lane code sums each output over k in 4 lanes (lane l takes k = l mod 4), reduces
// them as (l0 + l2) + (l1 + l3), then adds the K % 4 leftovers in order. Here every 128-bit
// lane of a register is one such 4-lane accumulator, for a different row of B: a panel of WR_W
// rows of B is packed so that register q (of 4) of k-chunk c holds, in 128-bit lane g, row
// 4g + q at k = 4c..4c+3. Reducing the 4 registers with the 4-lane code's transpose, lane by
// 128-bit lane, then leaves the WR_W panel outputs in order in one register.

/* P (WR_W * K floats): the 4-float chunks as above, then the leftover k: WR_W rows each */
WR_W_INL void WR_W_NAME(wr__nt_pack_)(float *P, const float *B, int K, int kv) {
    for (int k = 0; k < kv; k += 4)
        for (int q = 0; q < 4; q++)
            for (int g = 0; g < WR_W / 4; g++)
                memcpy(P + (size_t)k * WR_W + q * WR_W + 4 * g, B + (size_t)(4 * g + q) * K + k,
                       4 * sizeof *P);
    for (int k = kv; k < K; k++)
        for (int t = 0; t < WR_W; t++) P[(size_t)k * WR_W + t] = B[(size_t)t * K + k];
}

/* C rows 0..R-1 x the WR_W columns of one packed panel (R constant once inlined) */
WR_W_INL void WR_W_NAME(wr__nt_tile_)(float *C, const float *A, const float *P, int N, int K,
                                       int kv, int accumulate, int R) {
    WR_W_VT c[WR_NT_R][4];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < 4; q++) c[r][q] = WR_W_ZERO();
    for (int k = 0; k < kv; k += 4) {
        const float *p = P + (size_t)k * WR_W;
        const WR_W_VT b0 = WR_W_LOAD(p), b1 = WR_W_LOAD(p + WR_W), b2 = WR_W_LOAD(p + 2 * WR_W),
                      b3 = WR_W_LOAD(p + 3 * WR_W);
        for (int r = 0; r < R; r++) {
            const WR_W_VT a = WR_W_BCAST4(A + (size_t)r * K + k);
            c[r][0] = WR_W_ADD(WR_W_MUL(a, b0), c[r][0]);
            c[r][1] = WR_W_ADD(WR_W_MUL(a, b1), c[r][1]);
            c[r][2] = WR_W_ADD(WR_W_MUL(a, b2), c[r][2]);
            c[r][3] = WR_W_ADD(WR_W_MUL(a, b3), c[r][3]);
        }
    }
    /* wr__f32x4_reduce4 in every 128-bit lane, the leftover k in order, then the store (loops
     * without inner loops, so that gcc keeps the accumulators in registers) */
    WR_W_VT s[WR_NT_R];
    for (int r = 0; r < R; r++) {
        const WR_W_VT p01 = WR_W_ADD(WR_W_SHUF(c[r][0], c[r][1], 0x44), WR_W_SHUF(c[r][0], c[r][1], 0xee));
        const WR_W_VT p23 = WR_W_ADD(WR_W_SHUF(c[r][2], c[r][3], 0x44), WR_W_SHUF(c[r][2], c[r][3], 0xee));
        s[r] = WR_W_ADD(WR_W_SHUF(p01, p23, 0x88), WR_W_SHUF(p01, p23, 0xdd));
    }
    for (int k = kv; k < K; k++) {
        const WR_W_VT b = WR_W_LOAD(P + (size_t)k * WR_W);
        for (int r = 0; r < R; r++)
            s[r] = WR_W_ADD(s[r], WR_W_MUL(WR_W_SPLAT(A[(size_t)r * K + k]), b));
    }
    for (int r = 0; r < R; r++) {
        float *o = C + (size_t)r * N;
        WR_W_STORE(o, accumulate ? WR_W_ADD(WR_W_LOAD(o), s[r]) : s[r]);
    }
}

/* wr_gemm_nt over the columns that fill whole panels; returns how many (the 4-lane code does
 * the rest). Each panel is packed once per block of A rows, which stays in cache meanwhile. */
WR_W_FN int WR_W_NAME(wr__nt_)(float *C, const float *A, const float *B, int M, int N, int K,
                               int accumulate) {
    float P[WR_W * WR_NT_KMAX];
    const int kv = K & ~3, nw = N - N % WR_W;
    const int mb = WR_NT_ABLOCK / (K > 64 ? K : 64);
    for (int i0 = 0; i0 < M; i0 += mb) {
        const int i1 = M < i0 + mb ? M : i0 + mb;
        for (int j = 0; j < nw; j += WR_W) {
            WR_W_NAME(wr__nt_pack_)(P, B + (size_t)j * K, K, kv);
            int i = i0;
            for (; i + WR_NT_R <= i1; i += WR_NT_R)
                WR_W_NAME(wr__nt_tile_)(C + (size_t)i * N + j, A + (size_t)i * K, P, N, K, kv,
                                        accumulate, WR_NT_R);
            for (; i < i1; i++)
                WR_W_NAME(wr__nt_tile_)(C + (size_t)i * N + j, A + (size_t)i * K, P, N, K, kv,
                                        accumulate, 1);
        }
    }
    return nw;
}

#undef WR_W_FN
#undef WR_W_INL
