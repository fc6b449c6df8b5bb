/* bench.c: GFLOP/s of the hot kernels, one JSON object on stdout. Built natively with the
 * product's flags and for wasm (simd128) by run.sh, which pairs the two. Timing by
 * clock_gettime(CLOCK_MONOTONIC), which WASI provides too. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../src/kernels/kernels.h"

static double wr_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *wr_rand_buf(size_t n, unsigned *seed) {
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        p[i] = (float)(*seed >> 8) / 16777216.0f - 0.5f;
    }
    return p;
}

static volatile float wr_sink;

/* best of 5 runs of `reps` calls; flops per call */
#define WR_TIME(name, flops, reps, call)                                                      \
    do {                                                                                      \
        double best = 1e30;                                                                   \
        for (int run = 0; run < 5; run++) {                                                   \
            double t0 = wr_now();                                                             \
            for (long r = 0; r < (reps); r++) { call; }                                       \
            double t = wr_now() - t0;                                                         \
            if (t < best) best = t;                                                           \
        }                                                                                     \
        printf("%s\"%s\": %.3f", first ? "" : ", ", (name),                                   \
               (double)(flops) * (double)(reps) / best * 1e-9);                               \
        first = 0;                                                                            \
    } while (0)

int main(void) {
    unsigned seed = 42;
    float *a = wr_rand_buf(4096, &seed), *b = wr_rand_buf(4096, &seed);
    float *A = wr_rand_buf(128 * 64, &seed), *B = wr_rand_buf(2048 * 64, &seed);
    float *C = wr_rand_buf(128 * 2048, &seed);
    int first = 1;
    printf("{");
    WR_TIME("dot_64", 2 * 64, 2000000, wr_sink += wr_dot(a + (r & 7) * 64, b, 64));
    WR_TIME("dot_4096", 2 * 4096, 40000, wr_sink += wr_dot(a, b, 4096));
    WR_TIME("gemm_nt_128x2048x64", 2.0 * 128 * 2048 * 64, 40,
            wr_gemm_nt(C, A, B, 128, 2048, 64, 0));
    WR_TIME("gemm_nn_128x64x64", 2.0 * 128 * 64 * 64, 2000, wr_gemm_nn(C, A, B, 128, 64, 64, 0));
    /* the training shapes (MxNxK): a batch of 128 sequences x 50 positions = 6400 rows, dim 64,
     * ~1,682 items (MovieLens-100k): activations x weights (nn), weight gradients over the batch
     * (tn), full-softmax logits (nt), and the item table's gradient (tn). */
    float *X = wr_rand_buf((size_t)6400 * 1682, &seed), *Y = wr_rand_buf((size_t)6400 * 64, &seed);
    float *Z = wr_rand_buf((size_t)6400 * 1682, &seed);
    WR_TIME("gemm_nn_6400x64x64", 2.0 * 6400 * 64 * 64, 40, wr_gemm_nn(Z, X, Y, 6400, 64, 64, 0));
    WR_TIME("gemm_tn_64x64x6400", 2.0 * 64 * 64 * 6400, 40, wr_gemm_tn(Z, X, Y, 64, 64, 6400, 0));
    WR_TIME("gemm_nt_6400x1682x64", 2.0 * 6400 * 1682 * 64, 2,
            wr_gemm_nt(Z, Y, X, 6400, 1682, 64, 0));
    WR_TIME("gemm_tn_1682x64x6400", 2.0 * 1682 * 64 * 6400, 2,
            wr_gemm_tn(Z, X, Y, 1682, 64, 6400, 0));
    /* GRU4Rec's output layer per time step (128 sessions, dim 64, 1,682 items, full softmax):
     * the logits (nt), the hidden state's gradient (nn over the items) and the item table's (tn
     * over the sessions) */
    WR_TIME("gemm_nt_128x1682x64", 2.0 * 128 * 1682 * 64, 40, wr_gemm_nt(Z, Y, X, 128, 1682, 64, 0));
    WR_TIME("gemm_nn_128x64x1682", 2.0 * 128 * 64 * 1682, 40, wr_gemm_nn(Z, X, Y, 128, 64, 1682, 0));
    WR_TIME("gemm_tn_1682x64x128", 2.0 * 1682 * 64 * 128, 40, wr_gemm_tn(Z, X, Y, 1682, 64, 128, 0));
    printf("}\n");
    wr_sink += C[7] + Z[7];
    free(a), free(b), free(A), free(B), free(C), free(X), free(Y), free(Z);
    return 0;
}
