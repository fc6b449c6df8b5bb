/* test_threads.c: threads never change results. The split kernels (gemms, cross-entropy,
 * attention, layernorm, dropout's masks, optimiser updates, zero fills) give the same bits on 1, 2, 3 and 4 threads, and so
 * do whole training runs (byte-identical model files) and leave-one-out evaluations (the same
 * JSON). Nested and repeated jobs finish, and the pool can be resized. In the single-thread wasm
 * build wr_threads_set answers 1 and the comparisons hold trivially; the threaded wasm module is
 * tested through the binding (tests/node/threads.test.mjs). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/kernels/kernels.h"
#include "../../src/nn/nn.h"
#include "check.h"

static uint32_t rng = 777u;
static float frand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 8388608.0f - 1.0f;
}
static float *fnew(size_t n) {
    float *p = malloc(n * sizeof(float) + 16);
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}
static const int counts[] = {1, 2, 3, 4};

/* the gemms on shapes around the tile sizes and the split's minimum work */
static void test_gemms(void) {
    static const int shapes[][3] = {{1, 7, 5}, {9, 33, 17}, {64, 64, 64}, {130, 70, 300}, {257, 19, 64}, {16, 1682, 64}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = fnew((size_t)M * K), *At = fnew((size_t)K * M), *B = fnew((size_t)K * N), *Bt = fnew((size_t)N * K);
        float *ref[3], *c0 = fnew((size_t)M * N);
        for (int op = 0; op < 3; op++) ref[op] = malloc((size_t)M * N * sizeof(float));
        for (size_t t = 0; t < 4; t++) {
            CHECK(wr_threads_set(counts[t]) >= 1);
            float *C[3];
            for (int op = 0; op < 3; op++) {
                C[op] = malloc((size_t)M * N * sizeof(float));
                memcpy(C[op], c0, (size_t)M * N * sizeof(float));
            }
            wr_gemm_nn(C[0], A, B, M, N, K, 1);
            wr_gemm_tn(C[1], At, B, M, N, K, 1);
            wr_gemm_nt(C[2], A, Bt, M, N, K, 0);
            for (int op = 0; op < 3; op++) {
                if (t == 0) memcpy(ref[op], C[op], (size_t)M * N * sizeof(float));
                else CHECK(!memcmp(ref[op], C[op], (size_t)M * N * sizeof(float)));
                free(C[op]);
            }
        }
        /* and the split result is the scalar reference's within float rounding */
        float *r = malloc((size_t)M * N * sizeof(float));
        memcpy(r, c0, (size_t)M * N * sizeof(float));
        wr_gemm_nn_ref(r, A, B, M, N, K, 1);
        int close = 1;
        for (int i = 0; i < M * N; i++) close &= fabsf(r[i] - ref[0][i]) <= 1e-4f * (1.0f + fabsf(r[i]));
        CHECK(close);
        free(r), free(A), free(At), free(B), free(Bt), free(c0);
        for (int op = 0; op < 3; op++) free(ref[op]);
    }
}

/* cross-entropy over 300 rows of a 1,000-item catalogue: the gradient rows and the loss's sum */
static void test_losses(void) {
    const int N = 300, J = 1000;
    float *logits = fnew((size_t)N * J), *ref = malloc((size_t)N * J * sizeof(float));
    int32_t *target = malloc(N * sizeof(int32_t));
    for (int i = 0; i < N; i++) target[i] = i % 7 == 3 ? -1 : (i * 37) % J;
    double loss0 = 0;
    for (size_t t = 0; t < 4; t++) {
        wr_threads_set(counts[t]);
        float *d = malloc((size_t)N * J * sizeof(float));
        memcpy(d, logits, (size_t)N * J * sizeof(float));
        const double loss = wr_ce_loss(d, d, d, target, -1, 1.0f / N, N, J);
        if (t == 0) loss0 = loss, memcpy(ref, d, (size_t)N * J * sizeof(float));
        else CHECK(loss == loss0 && !memcmp(ref, d, (size_t)N * J * sizeof(float)));
        free(d);
    }
    CHECK(loss0 > 0);
    free(logits), free(ref), free(target);
}

/* attention and layernorm over a packed batch of 40 sequences, forward and backward */
static void test_blocks(void) {
    enum { B = 40, T = 12, C = 16, H = 2 };
    int off[B + 1] = {0};
    for (int b = 0; b < B; b++) off[b + 1] = off[b] + 1 + (b * 5) % T;
    const int N = off[B];
    float *qkv = fnew((size_t)N * 3 * C), *dout = fnew((size_t)N * C), *w = fnew(C), *bb = fnew(C);
    float *r_out = NULL, *r_dqkv = NULL, *r_ln = NULL, *r_dln = NULL;
    for (size_t t = 0; t < 4; t++) {
        wr_threads_set(counts[t]);
        float *out = calloc((size_t)N * C, 4), *att = calloc((size_t)B * H * T * T, 4), *dqkv = calloc((size_t)N * 3 * C, 4);
        wr_attention_forward(out, att, qkv, off, 1, B, T, C, H);
        wr_attention_backward(dqkv, dout, qkv, att, off, 1, B, T, C, H);
        float *ln = calloc((size_t)N * C, 4), *mean = calloc(N, 4), *rstd = calloc(N, 4);
        float *dln = calloc((size_t)N * C + 2 * C, 4); /* dinp, then dw and db */
        wr_layernorm_forward(ln, mean, rstd, out, w, bb, N, C);
        wr_layernorm_backward(dln, dln + (size_t)N * C, dln + (size_t)N * C + C, dout, out, mean, rstd, w, N, C);
        if (t == 0) {
            r_out = out, r_dqkv = dqkv, r_ln = ln, r_dln = dln;
        } else {
            CHECK(!memcmp(r_out, out, (size_t)N * C * 4) && !memcmp(r_dqkv, dqkv, (size_t)N * 3 * C * 4));
            CHECK(!memcmp(r_ln, ln, (size_t)N * C * 4) && !memcmp(r_dln, dln, ((size_t)N * C + 2 * C) * 4));
            free(out), free(dqkv), free(ln), free(dln);
        }
        free(att), free(mean), free(rstd);
    }
    free(r_out), free(r_dqkv), free(r_ln), free(r_dln), free(qkv), free(dout), free(w), free(bb);
}

/* dropout's mask and output over a span long enough to split, without and with a residual, and
 * the residual alone (evaluation) */
static void test_dropout(void) {
    const int N = 300000;
    float *inp = fnew(N), *res = fnew(N), *ref = malloc((size_t)N * 4), *out = malloc((size_t)N * 4);
    unsigned char *rmask = malloc(N), *mask = malloc(N);
    for (int kind = 0; kind < 3; kind++)
        for (size_t t = 0; t < 4; t++) {
            wr_threads_set(counts[t]);
            wr_rng r;
            wr__rng_seed(&r, 3);
            wr_dropout_forward(t ? out : ref, t ? mask : rmask, inp, kind ? res : NULL, 0.3f, kind < 2, &r, N);
            if (t) CHECK(!memcmp(ref, out, (size_t)N * 4) && !memcmp(rmask, mask, N));
        }
    free(inp), free(res), free(ref), free(out), free(rmask), free(mask);
}

/* wr__zero clears every float of a span that ends inside a unit, and none past it */
static void test_zero(void) {
    const size_t n = 3 * 16384 + 70001;
    float *x = fnew(n + 1);
    for (size_t t = 0; t < 4; t++) {
        wr_threads_set(counts[t]);
        for (size_t i = 0; i <= n; i++) x[i] = 1.0f;
        wr__zero(x, n);
        size_t zeros = 0;
        for (size_t i = 0; i < n; i++) zeros += x[i] == 0.0f;
        CHECK(zeros == n && x[n] == 1.0f);
    }
    free(x);
}

/* a job inside a job runs in the calling thread; every index is visited once */
typedef struct {
    int *hits;
    int n;
} nest_arg;
static void inner(void *arg, int lo, int hi) {
    int *hits = arg;
    for (int i = lo; i < hi; i++) hits[i]++;
}
static void outer(void *arg, int lo, int hi) {
    nest_arg *a = arg;
    for (int i = lo; i < hi; i++) wr__parallel_for(a->n, 1, 1e9, inner, a->hits + (size_t)i * a->n);
}
static void test_nesting(void) {
    CHECK(wr_threads_set(3) >= 1);
    int hits[64 * 50] = {0};
    nest_arg a = {hits, 50};
    for (int rep = 0; rep < 200; rep++) wr__parallel_for(64, 1, 1e9, outer, &a);
    int ok = 1;
    for (int i = 0; i < 64 * 50; i++) ok &= hits[i] == 200;
    CHECK(ok);
}

/* whole training runs: the same model file for every thread count */
static void test_training(void) {
    wr_ctx *ctx = NULL;
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    char *text = NULL;
    size_t len = 0;
    CHECK(wr_gen(ctx, 300, 150, 3, &text, &len) == WR_OK);
    wr_data *data = NULL;
    CHECK(wr_data_load(ctx, text, len, "csv", "gen", 0, &data) == WR_OK);
    static const char *const models[][5] = {
        {"sasrec", "loss", "ce", "dim", "16"}, {"sasrec", "loss", "bce", "dim", "16"},
        {"bert4rec", "dim", "16", "epochs", "2"}, {"gru4rec", "n_sample", "0", "dim", "16"},
        {"gru4rec", "n_sample", "20", "dim", "16"}};
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        uint8_t *ref = NULL;
        size_t ref_len = 0;
        for (size_t t = 0; t < 4; t++) {
            wr_threads_set(counts[t]);
            wr_model *m = NULL;
            CHECK(wr_model_new(ctx, models[k][0], 9, &m) == WR_OK);
            CHECK(wr_model_set(m, models[k][1], models[k][2]) == WR_OK);
            CHECK(wr_model_set(m, models[k][3], models[k][4]) == WR_OK);
            CHECK(wr_model_set(m, "epochs", "2") == WR_OK);
            CHECK(wr_model_fit(m, data) == WR_OK);
            uint8_t *bytes = NULL;
            size_t n = 0;
            CHECK(wr_model_save(m, &bytes, &n) == WR_OK);
            if (t == 0) ref = bytes, ref_len = n;
            else {
                CHECK(n == ref_len && !memcmp(bytes, ref, n));
                wr_free(bytes);
            }
            wr_model_free(m);
        }
        wr_free(ref);
    }
    wr_data_free(data);
    wr_free(text);
    wr_ctx_free(ctx);
}

/* leave-one-out evaluation: the per-user ranking runs on the threads; the same JSON (full and
 * sampled, history kept and excluded) for every thread count. 800 items: a batch is worth parts. */
static void test_eval(void) {
    wr_ctx *ctx = NULL;
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    char *text = NULL;
    size_t len = 0;
    CHECK(wr_gen(ctx, 400, 800, 5, &text, &len) == WR_OK);
    wr_data *data = NULL;
    CHECK(wr_data_load(ctx, text, len, "csv", "gen", 0, &data) == WR_OK);
    static const char *const models[] = {"sasrec", "mf"};
    for (size_t k = 0; k < 2; k++) {
        wr_threads_set(1);
        wr_model *m = NULL;
        CHECK(wr_model_new(ctx, models[k], 9, &m) == WR_OK);
        CHECK(wr_model_set(m, "dim", "16") == WR_OK && wr_model_set(m, "epochs", "1") == WR_OK);
        CHECK(wr_model_fit(m, data) == WR_OK);
        for (int seen = WR_SEEN_KEEP; seen <= WR_SEEN_EXCLUDE; seen++) {
            char *ref = NULL;
            for (size_t t = 0; t < 4; t++) {
                wr_threads_set(counts[t]);
                char *json = NULL;
                CHECK(wr_eval_loo(m, data, WR_SPLIT_TEST, 10, seen, 100, 3, &json) == WR_OK);
                CHECK(json && strstr(json, "\"sampled100\""));
                if (t == 0) ref = json;
                else {
                    CHECK(json && !strcmp(json, ref));
                    wr_free(json);
                }
            }
            wr_free(ref);
        }
        wr_model_free(m);
    }
    wr_data_free(data);
    wr_free(text);
    wr_ctx_free(ctx);
}

int main(void) {
    const int got = wr_threads_set(4);
#if defined(__wasm__)
    CHECK(got == 1); /* the single-thread build */
#else
    CHECK(got == 4 && wr_threads() == 4);
#endif
    test_gemms();
    test_losses();
    test_blocks();
    test_dropout();
    test_zero();
    test_nesting();
    test_training();
    test_eval();
    CHECK(wr_threads_set(1) == 1);
    TEST_END("threads");
}
