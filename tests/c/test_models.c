/* test_models.c: the baselines on hand-checked examples, hyper-parameter errors, and the model
 * file round trip (identical scores after save + load) plus tampered files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/io/safetensors.h"
#include "../../src/models/sparse.h"
#include "../../src/models/model.h"
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
    CHECK(wr_model_score(m, -1, h, 1, s) == WR_OK);
    CHECK_CLOSE(s[idx(m, "b")], 1 + 2 / sqrt(6), 1e-6, 0);
    CHECK_CLOSE(s[idx(m, "c")], 1 + 1 / sqrt(3), 1e-6, 0);
    CHECK(s[idx(m, "a")] < 1); /* not its own neighbour: popularity fallback */
    /* neighbors=1 keeps only b */
    CHECK(wr_model_set(m, "neighbors", "1") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    CHECK(wr_model_score(m, -1, h, 1, s) == WR_OK);
    CHECK(s[idx(m, "b")] > 1 && s[idx(m, "c")] < 1);
    /* lambda damps: 2/(sqrt 6 + 10) */
    CHECK(wr_model_set(m, "lambda", "10") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    CHECK(wr_model_score(m, -1, h, 1, s) == WR_OK);
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
    CHECK(wr_model_recommend(pop, -1, NULL, 0, 10, 0, items, sc, &n) == WR_OK);
    CHECK(n == 4); /* a b c z: fewer items than k */
    CHECK_STR(wr_model_item_id(pop, items[0]), "a"); /* a, b, c all 3: ties by lower index */
    CHECK_STR(wr_model_item_id(pop, items[1]), "b");
    CHECK_STR(wr_model_item_id(pop, items[2]), "c");
    CHECK_STR(wr_model_item_id(pop, items[3]), "z");
    CHECK(sc[0] == 3.0f && sc[3] == 1.0f);

    CHECK(wr_model_new(ctx, "markov", 1, &mk) == WR_OK);
    CHECK(wr_model_fit(mk, d) == WR_OK);
    int h[2] = {idx(mk, "c"), idx(mk, "a")};
    CHECK(wr_model_recommend(mk, -1, h, 2, 2, 0, items, sc, &n) == WR_OK);
    CHECK(n == 2);
    CHECK_STR(wr_model_item_id(mk, items[0]), "b"); /* a->b three times */
    CHECK(sc[0] == 4.0f);
    CHECK(wr_model_recommend(mk, -1, h, 2, 3, 1, items, sc, &n) == WR_OK);
    for (int i = 0; i < n; i++) CHECK(items[i] != h[0] && items[i] != h[1]);
    int bad[1] = {99};
    CHECK(wr_model_recommend(mk, -1, bad, 1, 3, 0, items, sc, &n) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "history[0] = 99 is not an item index");
    CHECK(wr_model_recommend(mk, -1, h, 2, 0, 0, items, sc, &n) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "k must be a positive integer");
    wr_model_free(pop);
    wr_model_free(mk);
    wr_data_free(d);
}

/* wr__break_ties on its own, with values of both signs, zero, repeats and gaps of one float step:
 * unequal values keep their order, equal ones go by popularity, an item tied with no less
 * popular one keeps its value exactly. */
static void test_break_ties_helper(void) {
    enum { N = 400 };
    static wr_scored e[2 * N];
    static float pop[N], v[N], out[N];
    const float base[] = {-3.5f, -0.25f, 0.0f, 1e-7f, 0.5f, 1.0f, 1.0000001f, 2.0f, 2.0000002f, 7.0f, 1e6f};
    int nb = (int)(sizeof base / sizeof base[0]);
    uint64_t x = 12345;
    float maxpop = 0;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = base[(x >> 33) % (uint64_t)nb];
        pop[i] = (float)((x >> 20) % 50);
        if (pop[i] > maxpop) maxpop = pop[i];
    }
    for (int i = 0; i < N; i++) e[i] = (wr_scored){v[i], i};
    wr__break_ties(e, N, pop, maxpop, out);
    int bad_order = 0, bad_tie = 0, bad_keep = 0;
    for (int i = 0; i < N; i++) {
        int lowest = 1;
        for (int j = 0; j < N; j++) {
            if (v[i] < v[j] && !(out[i] < out[j])) bad_order++;
            if (v[i] == v[j] && pop[i] < pop[j] && !(out[i] <= out[j])) bad_tie++;
            if (v[i] == v[j] && pop[j] < pop[i]) lowest = 0;
        }
        if (lowest && out[i] != v[i]) bad_keep++;
        if (out[i] < v[i]) bad_keep++;
    }
    CHECK(bad_order == 0 && bad_tie == 0 && bad_keep == 0);
    /* with room to spread (gap 1, maxpop 49), tied items of unequal popularity differ strictly */
    int strict = 1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            if (v[i] == 7.0f && v[j] == 7.0f && pop[i] < pop[j] && !(out[i] < out[j])) strict = 0;
    CHECK(strict);
    wr__break_ties(e, 0, pop, maxpop, out); /* nothing to do */
}

/* The popularity tie-break of markov and itemknn (wr__csr_score): equal counts or similarities
 * go by training popularity, unequal ones keep their order even where popularity disagrees, and
 * every entry stays above the items the row says nothing about. */
static void test_tie_break(void) {
    /* markov: A -> B once, A -> C once, A -> D twice; C -> x, C -> y once each.
     * Events: A4 B1 C3 D2 x1 y1 P5 (P never follows A: the most popular item, a fallback).
     * After A: D = 2 + 1 = 3 alone; B = C = 1 + 1 = 2, gap 1 to D, lo = pop B = 1:
     *   C = 2 + 0.5 * 1 * (3 - 1) / (5 + 1) = 2 + 1/6, B = 2; P = 5/6, A = 4/6. */
    wr_data *d = load("s1 A\ns1 B\ns2 A\ns2 C\ns3 C\ns3 x\ns4 C\ns4 y\ns5 A\ns5 D\ns6 A\ns6 D\n"
                      "s7 P\ns7 P\ns7 P\ns7 P\ns7 P\n");
    wr_model *m;
    CHECK(wr_model_new(ctx, "markov", 1, &m) == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    int n = wr_model_n_items(m);
    CHECK(n == 7);
    float s[7];
    int h[1] = {idx(m, "A")};
    CHECK(wr_model_score(m, -1, h, 1, s) == WR_OK);
    CHECK(s[idx(m, "D")] == 3.0f);                     /* count 2, pop 2: above C (count 1, pop 3) */
    CHECK_CLOSE(s[idx(m, "C")], 2 + 1.0 / 6, 1e-6, 0); /* count 1, pop 3 */
    CHECK(s[idx(m, "B")] == 2.0f);                     /* count 1, pop 1 */
    CHECK(s[idx(m, "D")] > s[idx(m, "C")] && s[idx(m, "C")] > s[idx(m, "B")]);
    CHECK_CLOSE(s[idx(m, "P")], 5.0 / 6, 1e-6, 0);
    for (int i = 0; i < n; i++)
        if (i != idx(m, "B") && i != idx(m, "C") && i != idx(m, "D")) CHECK(s[i] < s[idx(m, "B")]);
    int items[3], k = 0;
    float sc[3];
    CHECK(wr_model_recommend(m, -1, h, 1, 3, 0, items, sc, &k) == WR_OK);
    CHECK(k == 3);
    CHECK_STR(wr_model_item_id(m, items[0]), "D");
    CHECK_STR(wr_model_item_id(m, items[1]), "C");
    CHECK_STR(wr_model_item_id(m, items[2]), "B");
    /* explain keeps the raw count */
    float w[1];
    CHECK(wr_model_explain(m, h, 1, idx(m, "C"), w) == WR_OK);
    CHECK(w[0] == 1.0f);
    /* after C: x and y, count 1 and 1 event each: equal under both keys, they stay tied */
    h[0] = idx(m, "C");
    CHECK(wr_model_score(m, -1, h, 1, s) == WR_OK);
    CHECK(s[idx(m, "x")] == 2.0f && s[idx(m, "y")] == 2.0f);
    /* a loaded model breaks ties the same way */
    uint8_t *bytes = NULL;
    size_t len = 0;
    wr_model *back = NULL;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    CHECK(wr_model_load(ctx, bytes, len, "m.safetensors", &back) == WR_OK);
    if (back) {
        float s2[7];
        h[0] = idx(back, "A");
        CHECK(wr_model_score(back, -1, h, 1, s2) == WR_OK);
        CHECK_CLOSE(s2[idx(back, "C")], 2 + 1.0 / 6, 1e-6, 0);
        CHECK(s2[idx(back, "B")] == 2.0f);
    }
    wr_free(bytes);
    wr_model_free(back);
    wr_model_free(m);
    wr_data_free(d);

    /* itemknn, lambda = 0: sessions {a b} {a c c c c} {a d} {a d} {e e e e e}; sessions with
     * a 4, b 1, c 1, d 2, so sim(a, b) = sim(a, c) = 1/sqrt4 = 0.5 and sim(a, d) = 2/sqrt8;
     * events a4 b1 c4 d2 e5. After a: d = 1 + 0.707107 (pop 2) above c (pop 4);
     * c = 1.5 + 0.5 (0.707107 - 0.5) (4 - 1) / 6 = 1.551777 above b = 1.5 (pop 1); e < 1. */
    d = load("s1 a\ns1 b\ns2 a\ns2 c\ns2 c\ns2 c\ns2 c\ns3 a\ns3 d\ns4 a\ns4 d\ns5 e\ns5 e\ns5 e\ns5 e\ns5 e\n");
    CHECK(wr_model_new(ctx, "itemknn", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "lambda", "0") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    h[0] = idx(m, "a");
    CHECK(wr_model_score(m, -1, h, 1, s) == WR_OK);
    double r8 = 2 / sqrt(8.0);
    CHECK_CLOSE(s[idx(m, "d")], 1 + r8, 1e-6, 0);
    CHECK_CLOSE(s[idx(m, "c")], 1.5 + 0.5 * (r8 - 0.5) * 3 / 6, 1e-6, 0);
    CHECK(s[idx(m, "b")] == 1.5f);
    CHECK(s[idx(m, "d")] > s[idx(m, "c")] && s[idx(m, "c")] > s[idx(m, "b")]);
    CHECK(s[idx(m, "e")] < 1 && s[idx(m, "a")] < 1);
    CHECK(wr_model_explain(m, h, 1, idx(m, "c"), w) == WR_OK);
    CHECK(w[0] == 0.5f);
    wr_model_free(m);
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
    CHECK(wr_model_score(m, -1, NULL, 0, s) == WR_ERR_STATE);
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
        CHECK(wr_model_score(m, -1, h, i >= 0, a) == WR_OK);
        CHECK(wr_model_score(back, -1, h, i >= 0, b) == WR_OK);
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

/* An empty history (or one whose ids the caller left out as unknown) gets the training counts
 * from every model alike; the counts and the titles travel in the model file. */
static void test_empty_history_and_titles(void) {
    const char *csv = "session,item,title\ns1,a,Apple\ns1,b,Banana\ns1,c,Cherry\ns2,b,Banana\ns2,c,Cherry\n"
                      "s3,c,Cherry\ns3,b,Banana\ns4,c,Cherry\ns4,a,Apple\n";
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, csv, strlen(csv), "csv", "t.csv", 0, &d) == WR_OK);
    if (!d) return;
    CHECK(wr_data_n_titled(d) == 3);
    const char *names[] = {"pop", "markov", "itemknn", "sknn", "vsknn", "stan", "vstan", "gru4rec", "sasrec", "bert4rec"};
    for (int i = 0; i < 10; i++) {
        wr_model *m = NULL, *back = NULL;
        CHECK(wr_model_new(ctx, names[i], 1, &m) == WR_OK);
        if (i >= 7) {
            CHECK(wr_model_set(m, "dim", "4") == WR_OK);
            CHECK(wr_model_set(m, "epochs", "1") == WR_OK);
        }
        CHECK(wr_model_fit(m, d) == WR_OK);
        int top[3], n = 0;
        float sc[3];
        CHECK(wr_model_recommend(m, -1, NULL, 0, 3, WR_SEEN_KEEP, top, sc, &n) == WR_OK);
        /* counts c 4, b 3, a 2 */
        CHECK(n == 3 && top[0] == idx(m, "c") && top[1] == idx(m, "b") && top[2] == idx(m, "a"));
        CHECK(sc[0] == 4 && sc[1] == 3 && sc[2] == 2);
        CHECK_STR(wr_model_item_title(m, idx(m, "b")), "Banana");
        CHECK(wr_model_known_items(m, d) == 3);
        uint8_t *bytes;
        size_t len;
        CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
        CHECK(wr_model_load(ctx, bytes, len, "m.safetensors", &back) == WR_OK);
        if (back) {
            CHECK(wr_model_recommend(back, -1, NULL, 0, 3, WR_SEEN_KEEP, top, sc, &n) == WR_OK);
            CHECK(n == 3 && top[0] == idx(m, "c") && sc[0] == 4);
            CHECK_STR(wr_model_item_title(back, idx(m, "a")), "Apple");
        }
        wr_model_free(back);
        wr_free(bytes);
        wr_model_free(m);
    }
    /* refitting on a larger titled catalogue replaces the titles and counts (the old ones had
     * fewer entries than the new vocabulary) */
    const char *more = "session,item,title\ns1,a,A\ns1,x,X\ns2,y,Y\ns2,z,Z\ns3,w,W\ns3,a,A\n";
    wr_data *big = NULL;
    CHECK(wr_data_load(ctx, more, strlen(more), "csv", "more.csv", 0, &big) == WR_OK);
    wr_model *re = NULL;
    CHECK(wr_model_new(ctx, "itemknn", 1, &re) == WR_OK);
    CHECK(wr_model_fit(re, d) == WR_OK);
    if (big) CHECK(wr_model_fit(re, big) == WR_OK);
    CHECK_STR(wr_model_item_title(re, wr_model_item_index(re, "w")), "W");
    wr_model_free(re);
    wr_data_free(big);
    /* counts that are no counts, and titles that are no titles, are refused */
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "pop", 1, &m) == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    m->counts[1] = -1;
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "bad.safetensors", &back) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "bad.safetensors: item_counts[1] is not a count");
    wr_free(bytes);
    m->counts[1] = 3;
    free(m->titles[2]);
    m->titles[2] = wr__strdup("x");
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    for (size_t i = 0; bytes && i + 8 < len; i++)
        if (!memcmp(bytes + i, "\"titles\"", 8)) { bytes[i + 1] = 'T'; break; } /* "Titles": no titles, still valid */
    CHECK(wr_model_load(ctx, bytes, len, "old.safetensors", &back) == WR_OK);
    if (back) CHECK_STR(wr_model_item_title(back, 0), "");
    wr_model_free(back);
    wr_free(bytes);
    wr_model_free(m);
    wr_data_free(d);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    test_itemknn_by_hand();
    test_pop_markov_recommend();
    test_tie_break();
    test_break_ties_helper();
    test_params();
    wr_data *d = load("u1 a\nu1 b\nu1 c\nu2 a\nu2 b\nu3 c\nu3 a\nu3 b\nu4 z\nu4 c\nu5 \xc3\xa9\"q\nu5 a\n");
    const char *names[] = {"pop", "itemknn", "markov"};
    for (int i = 0; d && i < 3; i++) round_trip(names[i], d);
    wr_data_free(d);
    test_tampered();
    test_empty_history_and_titles();
    wr_ctx_free(ctx);
    TEST_END("models");
}
