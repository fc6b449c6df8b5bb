/* test_models.c: the baselines on hand-checked examples, hyper-parameter errors, and the model
 * file round trip (identical scores after save + load) plus tampered files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/io/safetensors.h"
#include "check.h"

static wr_ctx *ctx;

static wr_data *load(const char *text) {
    wr_data *d = NULL;
    int rc = wr_data_load(ctx, text, strlen(text), "seq", "t", 0, &d);
    CHECK(rc == WR_OK);
    if (rc) printf("  %s\n", wr_last_error(ctx));
    return d;
}

static int idx(wr_model *m, const char *id) { return wr_model_item_index(m, id); }

static void test_itemknn_by_hand(void) {
    /* sessions {a,b} {a,b} {a,c}: n(a)=3 n(b)=2 n(c)=1, co(a,b)=2 co(a,c)=1.
     * lambda=0: sim(a,b) = 2/sqrt(6), sim(a,c) = 1/sqrt(3); scores are sim + 1. */
    wr_data *d = load("s1 a\ns1 b\ns2 a\ns2 b\ns3 a\ns3 c\n");
    wr_model *m;
    CHECK(wr_model_new(ctx, "itemknn", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "lambda", "0") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    float s[3];
    int h[1] = {idx(m, "a")};
    CHECK(wr_model_score(m, h, 1, s) == WR_OK);
    CHECK_CLOSE(s[idx(m, "b")], 1 + 2 / sqrt(6), 1e-6, 0);
    CHECK_CLOSE(s[idx(m, "c")], 1 + 1 / sqrt(3), 1e-6, 0);
    CHECK(s[idx(m, "a")] < 1); /* not its own neighbour: popularity fallback */
    /* neighbors=1 keeps only b */
    CHECK(wr_model_set(m, "neighbors", "1") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    CHECK(wr_model_score(m, h, 1, s) == WR_OK);
    CHECK(s[idx(m, "b")] > 1 && s[idx(m, "c")] < 1);
    /* lambda damps: 2/(sqrt 6 + 10) */
    CHECK(wr_model_set(m, "lambda", "10") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    CHECK(wr_model_score(m, h, 1, s) == WR_OK);
    CHECK_CLOSE(s[idx(m, "b")], 1 + 2 / (sqrt(6) + 10), 1e-6, 0);
    wr_model_free(m);
    wr_data_free(d);
}

static void test_pop_markov_recommend(void) {
    wr_data *d = load("u1 a\nu1 b\nu1 c\nu2 a\nu2 b\nu3 c\nu3 a\nu3 b\nu4 z\nu4 c\n");
    wr_model *pop, *mk;
    CHECK(wr_model_new(ctx, "pop", 1, &pop) == WR_OK);
    CHECK(wr_model_fit(pop, d) == WR_OK);
    int items[10], n = -1;
    float sc[10];
    CHECK(wr_model_recommend(pop, NULL, 0, 10, 0, items, sc, &n) == WR_OK);
    CHECK(n == 4); /* a b c z: fewer items than k */
    CHECK_STR(wr_model_item_id(pop, items[0]), "a"); /* a, b, c all 3: ties by lower index */
    CHECK_STR(wr_model_item_id(pop, items[1]), "b");
    CHECK_STR(wr_model_item_id(pop, items[2]), "c");
    CHECK_STR(wr_model_item_id(pop, items[3]), "z");
    CHECK(sc[0] == 3.0f && sc[3] == 1.0f);

    CHECK(wr_model_new(ctx, "markov", 1, &mk) == WR_OK);
    CHECK(wr_model_fit(mk, d) == WR_OK);
    int h[2] = {idx(mk, "c"), idx(mk, "a")};
    CHECK(wr_model_recommend(mk, h, 2, 2, 0, items, sc, &n) == WR_OK);
    CHECK(n == 2);
    CHECK_STR(wr_model_item_id(mk, items[0]), "b"); /* a->b three times */
    CHECK(sc[0] == 4.0f);
    CHECK(wr_model_recommend(mk, h, 2, 3, 1, items, sc, &n) == WR_OK);
    for (int i = 0; i < n; i++) CHECK(items[i] != h[0] && items[i] != h[1]);
    int bad[1] = {99};
    CHECK(wr_model_recommend(mk, bad, 1, 3, 0, items, sc, &n) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "history[0] = 99 is not an item index");
    CHECK(wr_model_recommend(mk, h, 2, 0, 0, items, sc, &n) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "k must be a positive integer");
    wr_model_free(pop);
    wr_model_free(mk);
    wr_data_free(d);
}

static void test_params(void) {
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "sasrecc", 1, &m) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "unknown model \"sasrecc\"");
    CHECK(m == NULL);
    CHECK(wr_model_new(ctx, "itemknn", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "neighbours", "5") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "itemknn has no parameter \"neighbours\"; its parameters are: neighbors, lambda");
    CHECK(wr_model_set(m, "neighbors", "2.5") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "neighbors must be an integer");
    CHECK(wr_model_set(m, "neighbors", "0") == WR_ERR_ARG);
    CHECK(wr_model_set(m, "lambda", "abc") == WR_ERR_ARG);
    CHECK(wr_model_set(m, "lambda", "nan") == WR_ERR_ARG);
    CHECK(wr_model_set(m, "neighbors", "7") == WR_OK);
    CHECK_STR(wr_model_params_json(m), "{\"neighbors\":7,\"lambda\":20}");
    float s[1];
    CHECK(wr_model_score(m, NULL, 0, s) == WR_ERR_STATE);
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_ERR_STATE);
    wr_model_free(m);
}

/* Saves, loads and compares every score for every one-item history. */
static void round_trip(const char *name, wr_data *d) {
    wr_model *m, *back = NULL;
    CHECK(wr_model_new(ctx, name, 3, &m) == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    CHECK(wr_model_load(ctx, bytes, len, "rt.safetensors", &back) == WR_OK);
    if (!back) return;
    CHECK_STR(wr_model_name(back), name);
    CHECK_STR(wr_model_params_json(back), wr_model_params_json(m));
    int n = wr_model_n_items(m);
    CHECK(wr_model_n_items(back) == n);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    int same = 1;
    for (int i = -1; i < n; i++) {
        CHECK_STR(wr_model_item_id(back, i < 0 ? 0 : i), wr_model_item_id(m, i < 0 ? 0 : i));
        int h[1] = {i};
        CHECK(wr_model_score(m, h, i >= 0, a) == WR_OK);
        CHECK(wr_model_score(back, h, i >= 0, b) == WR_OK);
        same &= memcmp(a, b, n * sizeof *a) == 0;
    }
    CHECK(same);
    /* Every truncation is a clean error. */
    for (size_t cut = 0; cut < len; cut += 1 + cut / 16) {
        wr_model *x = NULL;
        CHECK(wr_model_load(ctx, bytes, cut, "cut.safetensors", &x) == WR_ERR_FORMAT);
        CHECK(x == NULL);
    }
    free(a);
    free(b);
    wr_free(bytes);
    wr_model_free(back);
    wr_model_free(m);
}

/* A hand-made markov file whose tensors lie (column out of range, non-monotonic rows). */
static void test_tampered(void) {
    int32_t ptr[3] = {0, 1, 1}, col[1] = {5};
    float val[1] = {1}, pop[2] = {1, 1};
    int64_t s3[1] = {3}, s1[1] = {1}, s2[1] = {2};
    for (int v = 0; v < 5; v++) {
        wr_st_file f;
        wr__st_init(&f);
        int32_t p[3] = {ptr[0], ptr[1], ptr[2]}, c[1] = {col[0]};
        if (v != 0) c[0] = 1;
        if (v == 1) p[1] = 2, p[2] = 1;
        wr__st_set_meta(&f, "format", v == 3 ? "other" : "wasmrec");
        wr__st_set_meta(&f, "version", v == 4 ? "99" : "1");
        wr__st_set_meta(&f, "model", "markov");
        wr__st_set_meta(&f, "params", "{}");
        wr__st_set_meta(&f, "n_items", "2");
        wr__st_set_meta(&f, "items", v == 2 ? "[\"a\",\"a\"]" : "[\"a\",\"b\"]");
        wr__st_add(&f, "markov.ptr", WR_DT_I32, 1, s3, p);
        wr__st_add(&f, "markov.col", WR_DT_I32, 1, s1, c);
        wr__st_add(&f, "markov.val", WR_DT_F32, 1, s1, val);
        wr__st_add(&f, "markov.pop", WR_DT_F32, 1, s2, pop);
        uint8_t *bytes;
        size_t len;
        CHECK(wr__st_serialize(&f, &bytes, &len) == 0);
        wr__st_free(&f);
        wr_model *m = NULL;
        CHECK(wr_model_load(ctx, bytes, len, "bad.safetensors", &m) == WR_ERR_FORMAT);
        CHECK(m == NULL);
        const char *want[] = {"markov.col[0] = 5 is not an item index", "markov.ptr is not monotonic",
                              "item id \"a\" appears twice", "not a wasmrec model", "version \"99\" is not supported"};
        CHECK_CONTAINS(wr_last_error(ctx), want[v]);
        CHECK_CONTAINS(wr_last_error(ctx), "bad.safetensors");
        free(bytes);
    }
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    test_itemknn_by_hand();
    test_pop_markov_recommend();
    test_params();
    wr_data *d = load("u1 a\nu1 b\nu1 c\nu2 a\nu2 b\nu3 c\nu3 a\nu3 b\nu4 z\nu4 c\nu5 \xc3\xa9\"q\nu5 a\n");
    const char *names[] = {"pop", "itemknn", "markov"};
    for (int i = 0; d && i < 3; i++) round_trip(names[i], d);
    wr_data_free(d);
    test_tampered();
    wr_ctx_free(ctx);
    TEST_END("models");
}
