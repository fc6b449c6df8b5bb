/* test_kernels.c: every fast kernel against its sequential *_ref twin (lengths around the
 * 4- and 16-float boundaries, unaligned pointers, odd gemm shapes), exp/log against known values
 * and double-precision libm, softmax sums, and top-k ties/NaN/mask against a full sort. */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/kernels/kernels.h"
#include "check.h"

static const int lens[] = {0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 257};
#define NLENS ((int)(sizeof lens / sizeof lens[0]))

static uint32_t rng = 12345u;
static float frand(void) { /* [-1, 1) */
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 8388608.0f - 1.0f;
}
static float *rand_buf(int n) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    for (int i = 0; i < n; i++) p[i] = frand();
    return p;
}
static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
/* distance in ulps between two finite floats of the same sign */
static double ulps(float a, double ref) {
    float r = (float)ref;
    int64_t d = (int64_t)bits(a) - (int64_t)bits(r);
    double frac = fabs(ref - (double)r) / (double)(nextafterf(fabsf(r), INFINITY) - fabsf(r));
    return fabs((double)d) + frac;
}

// ----------------------------------------------------------------------------

static void test_vector_kernels(void) {
    for (int li = 0; li < NLENS; li++) {
        for (int off = 0; off < 2; off++) { /* off = 1: pointers not 16-byte aligned */
            const int n = lens[li];
            float *a = rand_buf(n + 1), *b = rand_buf(n + 1);
            double abssum = 0;
            for (int i = 0; i < n; i++) abssum += fabs((double)a[off + i] * b[off + i]);
            CHECK_CLOSE(wr_dot(a + off, b + off, n), wr_dot_ref(a + off, b + off, n),
                        1e-6 * abssum + 1e-7, 1e-6);

            float *y1 = rand_buf(n + 1), *y2 = malloc((size_t)(n + 1) * sizeof(float));
            memcpy(y2, y1, (size_t)(n + 1) * sizeof(float));
            wr_axpy(y1 + off, 0.37f, a + off, n);
            wr_axpy_ref(y2 + off, 0.37f, a + off, n);
            int same = 1;
            for (int i = 0; i <= n; i++) same &= bits(y1[i]) == bits(y2[i]); /* elementwise: exact */
            CHECK(same);
            wr_scale(y1 + off, -1.5f, n);
            wr_scale_ref(y2 + off, -1.5f, n);
            for (int i = 0; i <= n; i++) same &= bits(y1[i]) == bits(y2[i]);
            CHECK(same);
            free(a), free(b), free(y1), free(y2);
        }
    }
    /* a dot whose exact value is known */
    float ones[100];
    for (int i = 0; i < 100; i++) ones[i] = 1.0f;
    CHECK(wr_dot(ones, ones, 100) == 100.0f);
}

typedef void (*gemm_fn)(float *, const float *, const float *, int, int, int, int);

static void test_gemm_one(const char *name, gemm_fn fast, gemm_fn ref, int M, int N, int K,
                          int off) {
    float *A = rand_buf(M * K + 1), *B = rand_buf(K * N + 1);
    float *C1 = rand_buf(M * N + 1), *C2 = malloc((size_t)(M * N + 1) * sizeof(float));
    for (int acc = 0; acc < 2; acc++) {
        memcpy(C2, C1, (size_t)(M * N + 1) * sizeof(float));
        fast(C1 + off, A + off, B + off, M, N, K, acc);
        ref(C2 + off, A + off, B + off, M, N, K, acc);
        int bad = 0;
        for (int i = 0; i < M * N + 1; i++)
            if (!(fabsf(C1[i] - C2[i]) <= 1e-5f * (float)K + 1e-5f * fabsf(C2[i]))) bad++;
        if (bad) printf("%s M=%d N=%d K=%d off=%d acc=%d: %d bad\n", name, M, N, K, off, acc, bad);
        CHECK(bad == 0);
        memcpy(C1, C2, (size_t)(M * N + 1) * sizeof(float));
    }
    free(A), free(B), free(C1), free(C2);
}

static void test_gemm(void) {
    static const int dims[][3] = {{1, 1, 1},  {1, 5, 64},  {3, 7, 5},   {2, 4, 4},  {5, 17, 3},
                                  {7, 33, 65}, {16, 16, 16}, {13, 20, 1}, {1, 0, 4},  {0, 3, 3},
                                  {4, 4, 0},  {9, 35, 64}, {65, 19, 17}, {130, 9, 7}};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (int off = 0; off < 2; off++) {
            const int M = dims[d][0], N = dims[d][1], K = dims[d][2];
            test_gemm_one("nn", wr_gemm_nn, wr_gemm_nn_ref, M, N, K, off);
            test_gemm_one("nt", wr_gemm_nt, wr_gemm_nt_ref, M, N, K, off);
            test_gemm_one("tn", wr_gemm_tn, wr_gemm_tn_ref, M, N, K, off);
        }
    /* exact small case: [1 2; 3 4] * [5 6; 7 8] */
    const float A[4] = {1, 2, 3, 4}, B[4] = {5, 6, 7, 8};
    float C[4];
    wr_gemm_nn(C, A, B, 2, 2, 2, 0);
    CHECK(C[0] == 19 && C[1] == 22 && C[2] == 43 && C[3] == 50);
    wr_gemm_nt(C, A, B, 2, 2, 2, 0); /* B^T = [5 7; 6 8] */
    CHECK(C[0] == 17 && C[1] == 23 && C[2] == 39 && C[3] == 53);
    wr_gemm_tn(C, A, B, 2, 2, 2, 1); /* += A^T B = [26 30; 38 44] */
    CHECK(C[0] == 43 && C[1] == 53 && C[2] == 77 && C[3] == 97);
}

/* The native x86-64 build runs the gemms on 256/512-bit registers when the CPU has them; the
 * wasm build runs the 4-lane code. Both must give the same bits, so each wider instruction set is
 * compared with the 4-lane code by memcmp: shapes around the register widths (4, 8, 16), the
 * strips (32, 64 columns) and tiles (1-6 rows), K % 4 leftovers, K past one block (256) for
 * nn/tn and past the packing limit (1024) for nt, rows below the packing threshold (3), and
 * both accumulate modes (over the same starting C, which includes -0.0f and 0.0f). */
typedef int (*gemm_isa_fn)(int, float *, const float *, const float *, int, int, int, int);

static void test_gemm_isa_one(const char *name, gemm_isa_fn fn, int isa, int M, int N, int K) {
    float *A = rand_buf(M * K + 1), *B = rand_buf(K * N + 1), *C0 = rand_buf(M * N + 1);
    float *C1 = malloc((size_t)(M * N + 1) * sizeof(float)),
          *C2 = malloc((size_t)(M * N + 1) * sizeof(float));
    if (M * N > 1) C0[0] = -0.0f, C0[1] = 0.0f;
    for (int acc = 0; acc < 2; acc++) {
        memcpy(C1, C0, (size_t)(M * N + 1) * sizeof(float));
        memcpy(C2, C0, (size_t)(M * N + 1) * sizeof(float));
        CHECK(fn(WR_ISA_PORTABLE, C1, A + 1, B + 1, M, N, K, acc) == 1);
        fn(isa, C2, A + 1, B + 1, M, N, K, acc);
        const int same = memcmp(C1, C2, (size_t)(M * N + 1) * sizeof(float)) == 0;
        if (!same) printf("%s isa %d M=%d N=%d K=%d acc=%d: not bit-identical\n", name, isa, M, N, K, acc);
        CHECK(same);
    }
    free(A), free(B), free(C0), free(C1), free(C2);
}

static void test_gemm_isa(void) {
    static const int Ms[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 130};
    static const int Ns[] = {1, 4, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 100, 129};
    static const int Ks[] = {0, 1, 3, 4, 5, 16, 63, 64, 67, 256, 257, 600};
    int ran = 0;
    for (int isa = WR_ISA_AVX2; isa <= WR_ISA_AVX512; isa++) {
        float c = 0;
        if (!wr__gemm_nn_isa(isa, &c, &c, &c, 1, 1, 1, 0)) continue; /* not on this CPU/build */
        ran++;
        for (size_t a = 0; a < sizeof Ms / sizeof Ms[0]; a++)
            for (size_t b = 0; b < sizeof Ns / sizeof Ns[0]; b++)
                for (size_t d = 0; d < sizeof Ks / sizeof Ks[0]; d++) {
                    const int M = Ms[a], N = Ns[b], K = Ks[d];
                    test_gemm_isa_one("nn", wr__gemm_nn_isa, isa, M, N, K);
                    test_gemm_isa_one("nt", wr__gemm_nt_isa, isa, M, N, K);
                    test_gemm_isa_one("tn", wr__gemm_tn_isa, isa, M, N, K);
                }
        test_gemm_isa_one("nt", wr__gemm_nt_isa, isa, 20, 40, 1030); /* K past the packing limit */
        test_gemm_isa_one("nn", wr__gemm_nn_isa, isa, 70, 200, 70);  /* the training shapes, */
        test_gemm_isa_one("tn", wr__gemm_tn_isa, isa, 70, 64, 700);  /* smaller */
        test_gemm_isa_one("nt", wr__gemm_nt_isa, isa, 300, 170, 64);
    }
    printf("gemm: %d wider instruction set(s) checked against the 4-lane code\n", ran);
}

// ----------------------------------------------------------------------------

static void test_exp_log(void) {
    CHECK(wr_expf(0.0f) == 1.0f);
    CHECK(wr_logf(1.0f) == 0.0f);
    CHECK_CLOSE(wr_expf(1.0f), 2.718281828, 0, 2e-7);
    CHECK_CLOSE(wr_logf(2.0f), 0.693147181, 0, 2e-7);
    CHECK_CLOSE(wr_logf(10.0f), 2.302585093, 0, 2e-7);
    CHECK(isinf(wr_expf(89.0f)) && wr_expf(89.0f) > 0);
    CHECK(isinf(wr_expf(INFINITY)));
    CHECK(wr_expf(-INFINITY) == 0.0f);
    CHECK(wr_expf(-200.0f) == 0.0f);
    CHECK(isnan(wr_expf(NAN)));
    CHECK(isnan(wr_logf(NAN)) && isnan(wr_logf(-1.0f)));
    CHECK(isinf(wr_logf(0.0f)) && wr_logf(0.0f) < 0);
    CHECK(isinf(wr_logf(INFINITY)) && wr_logf(INFINITY) > 0);
    CHECK_CLOSE(wr_logf(FLT_TRUE_MIN), -103.2789280, 0, 2e-7); /* subnormal input */

    /* sweeps against double libm: max ulp error */
    double worst_e = 0, worst_l = 0;
    float we = 0, wl = 0;
    for (float x = -87.0f; x < 88.7f; x += 0.0137f) {
        double u = ulps(wr_expf(x), exp((double)x));
        if (u > worst_e) worst_e = u, we = x;
    }
    for (int i = 0; i < 200000; i++) { /* dense around 0, where softmax lives */
        float x = -10.0f + 20.0f * (float)i / 200000.0f;
        double u = ulps(wr_expf(x), exp((double)x));
        if (u > worst_e) worst_e = u, we = x;
    }
    for (float x = 1e-37f; x < 3e38f; x *= 1.00071f) {
        double u = ulps(wr_logf(x), log((double)x));
        if (u > worst_l) worst_l = u, wl = x;
    }
    for (int i = 1; i < 200000; i++) { /* near 1, where log loses digits */
        float x = 0.5f + (float)i / 200000.0f;
        double u = ulps(wr_logf(x), log((double)x));
        if (u > worst_l) worst_l = u, wl = x;
    }
    printf("exp max error %.2f ulp (x=%g), log max error %.2f ulp (x=%g)\n", worst_e, we, worst_l,
           wl);
    CHECK(worst_e < 3.0);
    CHECK(worst_l < 3.0);
    /* subnormal results round once (within 1 ulp of the subnormal grid) */
    for (float x = -103.0f; x < -87.5f; x += 0.01f) {
        double r = exp((double)x);
        CHECK(fabs((double)wr_expf(x) - r) <= (double)FLT_TRUE_MIN);
    }

    /* the 4-lane exp used by softmax equals the scalar one bit for bit */
    enum { NE = 4099 };
    static float in[NE], out[NE];
    for (int i = 0; i < NE; i++) in[i] = -110.0f + 205.0f * (float)i / NE;
    in[5] = NAN, in[6] = INFINITY, in[7] = -INFINITY, in[8] = -0.0f, in[9] = FLT_TRUE_MIN;
    wr__exp_array(out, in, NE);
    int same = 1;
    for (int i = 0; i < NE; i++) {
        float s = wr_expf(in[i]);
        same &= (isnan(s) && isnan(out[i])) || bits(s) == bits(out[i]);
    }
    CHECK(same);
}

static void test_softmax(void) {
    for (int li = 1; li < NLENS; li++) {
        for (int off = 0; off < 2; off++) {
            const int n = lens[li];
            float *x = rand_buf(n + 1), *o1 = malloc((size_t)(n + 1) * sizeof(float)),
                  *o2 = malloc((size_t)(n + 1) * sizeof(float));
            for (int i = 0; i <= n; i++) x[i] *= 30.0f;
            wr_softmax(o1 + off, x + off, n);
            wr_softmax_ref(o2 + off, x + off, n);
            double sum = 0;
            int bad = 0;
            for (int i = 0; i < n; i++) {
                sum += o1[off + i];
                if (!(fabsf(o1[off + i] - o2[off + i]) <= 1e-7f + 1e-5f * o2[off + i])) bad++;
            }
            CHECK(bad == 0);
            CHECK_CLOSE(sum, 1.0, 1e-5, 0);
            /* wr_softmax_scaled: wr_softmax then wr_scale, bit for bit (scale 1: wr_softmax
             * itself), returning the largest input, with p[at] and max p */
            float mx = x[off];
            for (int i = 1; i < n; i++) mx = x[off + i] > mx ? x[off + i] : mx;
            float pat = -1, pmax = -1, pm = o1[off];
            CHECK(wr_softmax_scaled(o2 + off, x + off, n, 1.0f, n / 2, &pat, &pmax) == mx);
            CHECK(!memcmp(o1 + off, o2 + off, (size_t)n * sizeof(float)));
            for (int i = 1; i < n; i++) pm = o1[off + i] > pm ? o1[off + i] : pm;
            CHECK(wr_softmax_scaled(o2 + off, x + off, n, 0.37f, n / 2, &pat, &pmax) == mx);
            CHECK(pat == o1[off + n / 2] && pmax == pm);
            wr_scale(o1 + off, 0.37f, n);
            CHECK(!memcmp(o1 + off, o2 + off, (size_t)n * sizeof(float)));
            wr_log_softmax(o1 + off, x + off, n);
            wr_log_softmax_ref(o2 + off, x + off, n);
            bad = 0;
            sum = 0;
            for (int i = 0; i < n; i++) {
                sum += exp((double)o1[off + i]);
                if (!(fabsf(o1[off + i] - o2[off + i]) <= 1e-5f + 1e-6f * fabsf(o2[off + i])))
                    bad++;
            }
            CHECK(bad == 0);
            CHECK_CLOSE(sum, 1.0, 1e-5, 0);
            /* in place */
            memcpy(o1, x, (size_t)(n + 1) * sizeof(float));
            wr_softmax(o1 + off, o1 + off, n);
            wr_softmax(o2 + off, x + off, n);
            CHECK(memcmp(o1 + off, o2 + off, (size_t)n * sizeof(float)) == 0);
            free(x), free(o1), free(o2);
        }
    }
    /* huge logits: max subtraction keeps it finite */
    float big[5] = {1000.0f, 1000.0f, -1000.0f, 999.0f, 0.0f}, p[5];
    wr_softmax(p, big, 5);
    CHECK_CLOSE(p[0], 0.4223188, 1e-6, 1e-5);
    CHECK(p[2] == 0.0f);
    wr_log_softmax(p, big, 5);
    CHECK_CLOSE(p[3], -1.8619948, 1e-5, 1e-5);
}

static void test_layernorm(void) {
    for (int li = 1; li < NLENS; li++)
        for (int off = 0; off < 2; off++) {
            const int n = lens[li];
            float *x = rand_buf(n + 1), *w = rand_buf(n + 1), *b = rand_buf(n + 1);
            float *o1 = malloc((size_t)(n + 1) * sizeof(float)),
                  *o2 = malloc((size_t)(n + 1) * sizeof(float));
            for (int i = 0; i <= n; i++) x[i] = 3.0f + 2.0f * x[i];
            float m1, r1, m2, r2;
            wr_layernorm(o1 + off, &m1, &r1, x + off, w + off, b + off, n);
            wr_layernorm_ref(o2 + off, &m2, &r2, x + off, w + off, b + off, n);
            CHECK_CLOSE(m1, m2, 1e-5, 1e-5);
            CHECK_CLOSE(r1, r2, 1e-5, 1e-4);
            int bad = 0;
            for (int i = 0; i < n; i++)
                if (!(fabsf(o1[off + i] - o2[off + i]) <= 1e-4f + 1e-4f * fabsf(o2[off + i]))) bad++;
            CHECK(bad == 0);
            free(x), free(w), free(b), free(o1), free(o2);
        }
    const float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1}, b[4] = {0, 0, 0, 0};
    float o[4], m, r;
    wr_layernorm(o, &m, &r, x, w, b, 4);
    CHECK(m == 2.5f);
    CHECK_CLOSE(r, 1.0 / sqrt(1.25 + 1e-5), 1e-6, 1e-6);
    CHECK_CLOSE(o[0], -1.5 / sqrt(1.25 + 1e-5), 1e-6, 1e-6);
}

// ----------------------------------------------------------------------------

/* full-sort oracle: qsort indices by the documented order */
static const float *sort_scores;
static int cmp_rank(const void *pa, const void *pb) {
    const int a = *(const int *)pa, b = *(const int *)pb;
    const float va = sort_scores[a], vb = sort_scores[b];
    const int na = isnan(va), nb = isnan(vb);
    if (na != nb) return na - nb;
    if (!na && va != vb) return va > vb ? -1 : 1;
    return a - b;
}

static void check_topk_against_sort(const float *s, const unsigned char *mask, int n, int k) {
    int *all = malloc((size_t)(n + 1) * sizeof(int)), m = 0;
    for (int i = 0; i < n; i++)
        if (!mask || !mask[i]) all[m++] = i;
    sort_scores = s;
    qsort(all, (size_t)m, sizeof(int), cmp_rank);
    int *i1 = malloc((size_t)(k + 1) * sizeof(int)), *i2 = malloc((size_t)(k + 1) * sizeof(int));
    float *v1 = malloc((size_t)(k + 1) * sizeof(float)), *v2 = malloc((size_t)(k + 1) * sizeof(float));
    const int want = m < k ? m : k;
    const int c1 = wr_topk(s, mask, n, k, i1, v1), c2 = wr_topk_ref(s, mask, n, k, i2, v2);
    CHECK(c1 == want && c2 == want);
    int ok = 1;
    for (int r = 0; r < want && r < c1 && r < c2; r++) {
        ok &= i1[r] == all[r] && i2[r] == all[r];
        ok &= bits(v1[r]) == bits(s[all[r]]) && bits(v2[r]) == bits(s[all[r]]);
    }
    if (!ok) printf("topk mismatch n=%d k=%d\n", n, k);
    CHECK(ok);
    free(all), free(i1), free(i2), free(v1), free(v2);
}

static void test_topk(void) {
    /* ties: lower index first */
    const float t[6] = {1, 3, 3, 2, 3, 1};
    int idx[6];
    float val[6];
    CHECK(wr_topk(t, NULL, 6, 4, idx, val) == 4);
    CHECK(idx[0] == 1 && idx[1] == 2 && idx[2] == 4 && idx[3] == 3);
    CHECK(val[0] == 3 && val[3] == 2);
    /* NaN below everything, -inf included */
    const float u[5] = {NAN, -INFINITY, 0.5f, NAN, -1.0f};
    CHECK(wr_topk(u, NULL, 5, 5, idx, val) == 5);
    CHECK(idx[0] == 2 && idx[1] == 4 && idx[2] == 1 && idx[3] == 0 && idx[4] == 3);
    CHECK(wr_topk(u, NULL, 5, 4, idx, val) == 4 && idx[3] == 0 && isnan(val[3]));
    /* mask skips; fewer unmasked than k */
    const unsigned char mk[6] = {0, 1, 0, 0, 1, 1};
    CHECK(wr_topk(t, mk, 6, 5, idx, val) == 3);
    CHECK(idx[0] == 2 && idx[1] == 3 && idx[2] == 0);
    CHECK(wr_topk(t, NULL, 6, 0, idx, val) == 0);
    CHECK(wr_topk(t, NULL, 0, 3, idx, val) == 0);
    /* all masked */
    const unsigned char all1[6] = {1, 1, 1, 1, 1, 1};
    CHECK(wr_topk(t, all1, 6, 3, idx, val) == 0);

    /* random, with many ties, NaNs and masked entries, against the full sort */
    static const int ns[] = {1, 5, 17, 100, 1000, 25000};
    static const int ks[] = {1, 3, 10, 64};
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t c = 0; c < sizeof ks / sizeof ks[0]; c++) {
            const int n = ns[a], k = ks[c];
            float *s = malloc((size_t)n * sizeof(float));
            unsigned char *mask = malloc((size_t)n);
            for (int i = 0; i < n; i++) {
                float r = frand();
                s[i] = r < -0.9f ? NAN : r < -0.8f ? -INFINITY : floorf(r * 20.0f); /* ties */
                mask[i] = frand() > 0.6f;
            }
            check_topk_against_sort(s, NULL, n, k);
            check_topk_against_sort(s, mask, n, k);
            free(s), free(mask);
        }
}

// ----------------------------------------------------------------------------
// native and wasm must agree to the bit: hash every kernel's output on fixed inputs and compare
// with one constant, which both builds check.

static uint32_t fnv(uint32_t h, const float *x, int n) {
    for (int i = 0; i < n; i++) {
        uint32_t u = bits(x[i]);
        for (int j = 0; j < 4; j++) h = (h ^ ((u >> (8 * j)) & 0xffu)) * 16777619u;
    }
    return h;
}

#define BITS_HASH 0x3804bf40u /* same on every build; changes only if a kernel changes */

static void test_bit_identity(void) {
    enum { M = 7, N = 37, K = 67, L = 1031 };
    rng = 777u;
    float *A = rand_buf(M * K), *B = rand_buf(K * N), *C = rand_buf(M * N);
    float *x = rand_buf(L), *w = rand_buf(L), *o = malloc(L * sizeof(float));
    uint32_t h = 2166136261u;
    for (int n = 0; n <= 300; n += 7) {
        float d = wr_dot(x + 1, w, n);
        h = fnv(h, &d, 1);
    }
    wr_gemm_nn(C, A, B, M, N, K, 1);
    h = fnv(h, C, M * N);
    wr_gemm_nt(C, A, B, M, N, K, 1);
    h = fnv(h, C, M * N);
    wr_gemm_tn(C, A, B, M, N, K, 1);
    h = fnv(h, C, M * N);
    for (int i = 0; i < L; i++) x[i] *= 40.0f;
    wr_softmax(o, x + 1, L - 1);
    h = fnv(h, o, L - 1);
    wr_log_softmax(o, x, L);
    h = fnv(h, o, L);
    float m, r;
    wr_layernorm(o, &m, &r, x, w, A, L < M * K ? L : M * K);
    h = fnv(h, o, L < M * K ? L : M * K);
    for (float t = -100.0f; t < 90.0f; t += 0.173f) {
        float e = wr_expf(t), l = wr_logf(fabsf(t) * 1e-3f);
        h = fnv(h, &e, 1);
        h = fnv(h, &l, 1);
    }
    printf("bit hash 0x%08x\n", h);
    CHECK(h == BITS_HASH);
    free(A), free(B), free(C), free(x), free(w), free(o);
}

int main(void) {
    test_bit_identity();
    test_vector_kernels();
    test_gemm();
    test_gemm_isa();
    test_exp_log();
    test_softmax();
    test_layernorm();
    test_topk();
    TEST_END("kernels");
}
