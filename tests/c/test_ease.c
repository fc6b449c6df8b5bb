/* test_ease.c: EASE against its closed form worked out independently (a 3 x 3 inverse by the
 * adjugate, not Gauss-Jordan), the least-squares property that defines it on a larger random
 * problem, the memory budget refusing before it allocates, and the model file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "check.h"

static wr_ctx *ctx;

static wr_model *fit(const char *text, const char *lambda) {
    wr_data *d = NULL;
    wr_model *m = NULL;
    CHECK(wr_data_load(ctx, text, strlen(text), "seq", "t", 0, &d) == WR_OK);
    CHECK(wr_model_new(ctx, "ease", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "lambda", lambda) == WR_OK);
    if (d) CHECK(wr_model_fit(m, d) == WR_OK);
    wr_data_free(d);
    return m;
}

/* B[i][j] as the model scores it: the scores after the history {i}. */
static void row(wr_model *m, const char *id, float *out) {
    int h = wr_model_item_index(m, id);
    CHECK(wr_model_score(m, -1, &h, 1, out) == WR_OK);
}

static void test_by_hand(void) {
    /* u1: a b, u2: b c, u3: a b c (a repeat counts once: u3 a b c a).
     * G = X^T X = [[2,2,1],[2,3,2],[1,2,2]], + lambda 1: A = [[3,2,1],[2,4,2],[1,2,3]].
     * det A = 3(12-4) - 2(6-2) + 1(4-4) = 16; adj A = [[8,-4,0],[-4,8,-4],[0,-4,8]], P = adj/16.
     * B[i][j] = -P[i][j] / P[j][j]: B[a][b] = 4/8 = .5, B[a][c] = 0, B[b][a] = .5, B[b][c] = .5,
     * B[c][a] = 0, B[c][b] = .5, diagonal 0. */
    wr_model *m = fit("u1 a\nu1 b\nu2 b\nu2 c\nu3 a\nu3 b\nu3 c\nu3 a\n", "1");
    const char *ids[3] = {"a", "b", "c"};
    double B[3][3] = {{0, .5, 0}, {.5, 0, .5}, {0, .5, 0}};
    for (int i = 0; i < 3; i++) {
        float r[3];
        row(m, ids[i], r);
        for (int j = 0; j < 3; j++) CHECK_CLOSE(r[wr_model_item_index(m, ids[j])], B[i][j], 1e-7, 1e-6);
    }
    /* a history adds the rows of its distinct items: a b a -> B[a] + B[b] = (.5, .5, .5) */
    int h[3] = {wr_model_item_index(m, "a"), wr_model_item_index(m, "b"), wr_model_item_index(m, "a")};
    float s[3];
    CHECK(wr_model_score(m, -1, h, 3, s) == WR_OK);
    for (int j = 0; j < 3; j++) CHECK_CLOSE(s[j], 0.5, 1e-7, 1e-6);
    wr_model_free(m);
}

/* On random data, each column b_j of B solves min ||X_j - X b||^2 + lambda ||b||^2 with b_j = 0:
 * the gradient (G + lambda I) b - G e_j is zero in every coordinate but j. */
static void test_least_squares(void) {
    enum { U = 60, N = 25 };
    wr_rng rng;
    wr__rng_seed(&rng, 3);
    wr_buf b = {0};
    static unsigned char X[U][N];
    for (int u = 0; u < U; u++)
        for (int i = 0; i < N; i++)
            if ((int)wr__rng_below(&rng, 100) < 20 + (u % 5) * 10 * (i % 2)) {
                X[u][i] = 1;
                wr__buf_printf(&b, "u%d i%d\n", u, i);
            }
    for (int i = 0; i < N; i++) X[i][i] = 1, wr__buf_printf(&b, "u%d i%d\n", i, i); /* every item seen */
    const double lambda = 7;
    wr_model *m = fit(b.data, "7");
    wr__buf_free(&b);
    static float Bm[N][N];
    char id[16];
    int map[N];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "i%d", i);
        map[i] = wr_model_item_index(m, id);
    }
    for (int i = 0; i < N; i++) {
        float r[N];
        snprintf(id, sizeof id, "i%d", i);
        row(m, id, r);
        for (int j = 0; j < N; j++) Bm[i][j] = r[map[j]];
    }
    double G[N][N] = {{0}};
    for (int u = 0; u < U; u++)
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++) G[i][k] += X[u][i] && X[u][k];
    double worst = 0;
    for (int j = 0; j < N; j++) {
        CHECK(Bm[j][j] == 0.0f);
        for (int i = 0; i < N; i++) {
            if (i == j) continue;
            double g = lambda * Bm[i][j] - G[i][j];
            for (int k = 0; k < N; k++) g += G[i][k] * Bm[k][j];
            if (fabs(g) > worst) worst = fabs(g);
        }
    }
    CHECK(worst < 1e-4); /* B is stored in float: residuals of a few float steps of G's entries */
    wr_model_free(m);
}

static void test_budget_and_file(void) {
    /* 400 items need 400^2 x 12 bytes = 1.8 MB: over a 1 MB budget, refused before allocating */
    wr_buf b = {0};
    for (int i = 0; i < 400; i++) wr__buf_printf(&b, "u%d x%d\nu%d x%d\n", i / 2, i, i / 2, (i + 1) % 400);
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "seq", "t", 0, &d) == WR_OK);
    wr__buf_free(&b);
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "ease", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "memory_mb", "1") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "ease: 400 items need 2 MB (12 bytes per item pair) over the memory budget of 1 MB");
    CHECK_CONTAINS(wr_last_error(ctx), "takes up to 295 items");
    CHECK(wr_model_set(m, "memory_mb", "2") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    /* the file: the same scores after a round trip; a B of the wrong shape is refused */
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "e.safetensors", &back) == WR_OK);
    int h[2] = {3, 250};
    static float s1[400], s2[400];
    CHECK(wr_model_score(m, -1, h, 2, s1) == WR_OK);
    if (back) CHECK(wr_model_score(back, -1, h, 2, s2) == WR_OK);
    CHECK(back && !memcmp(s1, s2, sizeof s1));
    wr_model_free(back);
    char *at = NULL;
    for (size_t i = 0; bytes && !at && i + 17 < len; i++)
        if (!memcmp(bytes + i, "\"shape\":[400,400]", 17)) at = (char *)bytes + i;
    CHECK(at != NULL);
    if (at) {
        memcpy(at, "\"shape\":[400,399]", 17);
        CHECK(wr_model_load(ctx, bytes, len, "e.safetensors", &back) == WR_ERR_FORMAT);
        CHECK_CONTAINS(wr_last_error(ctx), "ease.B");
    }
    wr_free(bytes);
    wr_model_free(m);
    wr_data_free(d);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    test_by_hand();
    test_least_squares();
    test_budget_and_file();
    wr_ctx_free(ctx);
    TEST_END("ease");
}
