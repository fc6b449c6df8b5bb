/* test_sknn.c: the session-kNN scoring rules (src/models/sknn.c) on a tiny example worked out
 * by hand, the k and sample_size caps, the popularity fallback, incremental sessions, and the
 * model file.
 *
 * Past sessions (time of the last event):  s1 = a b c (12)   s2 = b d (21)   s3 = c e b (32)
 * Session index order is time order: s1 = 0, s2 = 1, s3 = 2. Item counts: a1 b3 c2 d1 e1.
 * idf = log(3 / sessions containing the item): a, d, e log 3; b 0; c log 1.5. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/io/safetensors.h"
#include "check.h"

static wr_ctx *ctx;
static const char *csv = "session,item,timestamp\ns1,a,10\ns1,b,11\ns1,c,12\ns2,b,20\ns2,d,21\n"
                         "s3,c,30\ns3,e,31\ns3,b,32\n";
static wr_data *data;

static wr_model *fit(const char *name, const char *const *sets) {
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, name, 1, &m) == WR_OK);
    for (int i = 0; sets && sets[i]; i += 2) CHECK(wr_model_set(m, sets[i], sets[i + 1]) == WR_OK);
    CHECK(wr_model_fit(m, data) == WR_OK);
    return m;
}

/* Scores after a history given as a string of item letters ("ab"). */
static void score(wr_model *m, const char *hist, float *s) {
    int h[8], n = 0;
    for (const char *p = hist; *p; p++) {
        char id[2] = {*p, 0};
        h[n++] = wr_model_item_index(m, id);
    }
    CHECK(wr_model_score(m, h, n, s) == WR_OK);
}

static float at(wr_model *m, const float *s, const char *id) { return s[wr_model_item_index(m, id)]; }

static void test_sknn(void) {
    /* S = a b (2 distinct): sim = |S n N| / sqrt(2 |N|): s1 2/sqrt6, s2 1/2, s3 1/sqrt6;
     * every neighbour votes its sim for each of its items. */
    wr_model *m = fit("sknn", NULL);
    float s[5];
    score(m, "ab", s);
    double s1 = 2 / sqrt(6), s2 = 0.5, s3 = 1 / sqrt(6);
    CHECK_CLOSE(at(m, s, "a"), s1, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "b"), s1 + s2 + s3, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "c"), s1 + s3, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "d"), s2, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "e"), s3, 1e-6, 1e-5);
    wr_model_free(m);

    /* k = 1: only s1 votes; d and e fall back to popularity (1 each) scaled below the smallest
     * vote: 0.5 * s1 / (max count 3 + 1). */
    const char *k1[] = {"k", "1", NULL};
    m = fit("sknn", k1);
    score(m, "ab", s);
    CHECK_CLOSE(at(m, s, "c"), s1, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "d"), 0.5 * s1 / 4, 1e-7, 1e-5);
    CHECK(at(m, s, "e") == at(m, s, "d"));
    wr_model_free(m);

    /* sample_size = 1: per item the most recent session (a: s1, b: s3), then the most recent of
     * those: s3 alone votes. */
    const char *m1[] = {"sample_size", "1", NULL};
    m = fit("sknn", m1);
    score(m, "ab", s);
    CHECK_CLOSE(at(m, s, "e"), s3, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "c"), s3, 1e-6, 1e-5);
    CHECK(at(m, s, "d") < at(m, s, "e") && at(m, s, "a") < at(m, s, "e"));
    wr_model_free(m);
}

static void test_vsknn(void) {
    /* S = a b: recency weights a 1 - 0.1 = 0.9, b 1; sim = sum / 2 (idf off):
     * s1 (0.9 + 1)/2, s2 and s3 1/2. b is the latest item of S and in every N: step 1. */
    const char *noidf[] = {"idf", "0", NULL};
    wr_model *m = fit("vsknn", noidf);
    float s[5];
    score(m, "ab", s);
    CHECK_CLOSE(at(m, s, "a"), 0.95, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "b"), 1.95, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "c"), 1.45, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "d"), 0.5, 1e-6, 1e-5);
    /* S = b a: weights b 0.9, a 1. s1 (1 + 0.9)/2 with step 1 (a is in s1); s2, s3 share only
     * b, one step back: sim 0.45, vote 0.45 / 2. */
    score(m, "ba", s);
    CHECK_CLOSE(at(m, s, "d"), 0.225, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "e"), 0.225, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "c"), 0.95 + 0.225, 1e-6, 1e-5);
    wr_model_free(m);
    /* idf on: b has idf 0, so only s1 is similar: 0.9 log 3 / 2 */
    m = fit("vsknn", NULL);
    score(m, "ab", s);
    double v = 0.9 * log(3.0) / 2;
    CHECK_CLOSE(at(m, s, "a"), v, 1e-6, 1e-5);
    CHECK_CLOSE(at(m, s, "c"), v, 1e-6, 1e-5);
    CHECK(at(m, s, "d") < v && at(m, s, "e") < v);
    wr_model_free(m);
}

/* STAN on S = a b with lambda_spw 1, lambda_snh 10, lambda_inh 1. Position weights
 * w1(a) = e^-1, w1(b) = 1; neighbour age from t_now = 32; the shared item is b everywhere, at
 * position 1 in s1, 0 in s2, 2 in s3. With idf weighting (vstan) each shared item's weight and
 * each vote are also scaled by 1 + lambda_idf idf. */
static void stan_expected(double lambda_idf, double *out /* a b c d e */) {
    double ia = log(3.0), ic = log(1.5), id = log(3.0), ie = log(3.0);
    double fa = 1 + lambda_idf * ia, fb = 1, fc = 1 + lambda_idf * ic, fd = 1 + lambda_idf * id, fe = 1 + lambda_idf * ie;
    double sim1 = (exp(-1) * fa + 1 * fb) / sqrt(6) * exp(-20.0 / 10);
    double sim2 = (1 * fb) / sqrt(4) * exp(-11.0 / 10);
    double sim3 = (1 * fb) / sqrt(6) * exp(0);
    out[0] = sim1 * exp(-1) * fa;
    out[1] = (sim1 + sim2 + sim3) * fb;
    out[2] = (sim1 * exp(-1) + sim3 * exp(-2)) * fc;
    out[3] = sim2 * exp(-1) * fd;
    out[4] = sim3 * exp(-1) * fe;
}

static void test_stan_vstan(void) {
    const char *set[] = {"lambda_spw", "1", "lambda_snh", "10", "lambda_inh", "1", NULL};
    const char *ids[] = {"a", "b", "c", "d", "e"};
    double want[5];
    float s[5];
    wr_model *m = fit("stan", set);
    score(m, "ab", s);
    stan_expected(0, want);
    for (int i = 0; i < 5; i++) CHECK_CLOSE(at(m, s, ids[i]), want[i], 1e-6, 1e-4);
    wr_model_free(m);

    const char *vset[] = {"lambda_spw", "1", "lambda_snh", "10", "lambda_inh", "1", "lambda_ipw", "1", "lambda_idf", "1", NULL};
    m = fit("vstan", vset);
    score(m, "ab", s);
    stan_expected(1, want);
    for (int i = 0; i < 5; i++) CHECK_CLOSE(at(m, s, ids[i]), want[i], 1e-6, 1e-4);
    /* lambda_ipw: S = c a: s1 shares a (step 1); s3 shares only c, one step back, so its votes
     * carry exp(-1 / lambda_ipw) on top of STAN's. Compare with a huge lambda_ipw (no decay). */
    score(m, "ca", s);
    float e_ipw = at(m, s, "e");
    CHECK(wr_model_set(m, "lambda_ipw", "1e9") == WR_OK);
    score(m, "ca", s);
    CHECK_CLOSE(e_ipw, at(m, s, "e") * exp(-1.0), 1e-7, 1e-4);
    wr_model_free(m);
}

static void test_incremental_and_files(void) {
    /* Adding "d e" equals refitting on the data plus that session (sknn: time only orders). */
    wr_model *m = fit("sknn", NULL);
    int h[2] = {wr_model_item_index(m, "d"), wr_model_item_index(m, "e")};
    float before[5], after[5], refit[5];
    score(m, "d", before);
    CHECK(wr_model_add_session(m, h, 2) == WR_OK);
    score(m, "d", after);
    CHECK(at(m, after, "e") > at(m, before, "e"));
    char more[512];
    snprintf(more, sizeof more, "%ss4,d,40\ns4,e,41\n", csv);
    wr_data *d2;
    CHECK(wr_data_load(ctx, more, strlen(more), "csv", "more.csv", 0, &d2) == WR_OK);
    wr_model *r;
    CHECK(wr_model_new(ctx, "sknn", 1, &r) == WR_OK);
    CHECK(wr_model_fit(r, d2) == WR_OK);
    score(r, "d", refit);
    for (int i = 0; i < 5; i++) CHECK_CLOSE(after[i], refit[i], 1e-7, 1e-6);
    int bad[1] = {77};
    CHECK(wr_model_add_session(m, bad, 1) == WR_ERR_ARG);
    wr_model_free(r);
    wr_data_free(d2);
    wr_model_free(m);

    wr_model *pop;
    CHECK(wr_model_new(ctx, "pop", 1, &pop) == WR_OK);
    CHECK(wr_model_fit(pop, data) == WR_OK);
    CHECK(wr_model_add_session(pop, h, 2) == WR_ERR_STATE);
    CHECK_CONTAINS(wr_last_error(ctx), "pop does not learn from single sessions");
    wr_model_free(pop);

    /* Round trip for all four, then a tampered item index in the saved file. */
    const char *names[] = {"sknn", "vsknn", "stan", "vstan"};
    for (int k = 0; k < 4; k++) {
        wr_model *a = fit(names[k], NULL), *b = NULL;
        uint8_t *bytes;
        size_t len;
        CHECK(wr_model_save(a, &bytes, &len) == WR_OK);
        CHECK(wr_model_load(ctx, bytes, len, "knn.safetensors", &b) == WR_OK);
        const char *hists[] = {"", "a", "ab", "ce", "bdc"};
        for (int q = 0; b && q < 5; q++) {
            float x[5], y[5];
            score(a, hists[q], x);
            score(b, hists[q], y);
            CHECK(memcmp(x, y, sizeof x) == 0);
        }
        wr_st_file f;
        CHECK(wr__st_parse(ctx, bytes, len, "x", &f) == WR_OK);
        for (int t = 0; t < f.n; t++)
            if (!strcmp(f.t[t].name, "knn.session_items")) {
                int32_t v = 77;
                memcpy(bytes + ((const uint8_t *)f.t[t].data - bytes), &v, 4);
            }
        wr__st_free(&f);
        wr_model *c = NULL;
        CHECK(wr_model_load(ctx, bytes, len, "knn.safetensors", &c) == WR_ERR_FORMAT);
        CHECK_CONTAINS(wr_last_error(ctx), "knn.safetensors: knn.session_items[0] = 77 is not an item index");
        CHECK(c == NULL);
        wr_free(bytes);
        wr_model_free(a);
        wr_model_free(b);
    }
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    CHECK(wr_data_load(ctx, csv, strlen(csv), "csv", "tiny.csv", 0, &data) == WR_OK);
    test_sknn();
    test_vsknn();
    test_stan_vstan();
    test_incremental_and_files();
    wr_data_free(data);
    wr_ctx_free(ctx);
    TEST_END("sknn");
}
