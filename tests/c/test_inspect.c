/* test_inspect.c: looking inside models. explain agrees with the scores it explains (item-kNN,
 * Markov), the item map recovers a known principal axis, attention is a distribution over the
 * last max_len items, and models without a hook say so. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/models/model.h"
#include "check.h"

static wr_ctx *ctx;

static wr_model *fitted(const char *name, wr_data *d, const char *const (*sets)[2], int n_sets) {
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, name, 3, &m) == WR_OK);
    for (int i = 0; i < n_sets; i++) CHECK(wr_model_set(m, sets[i][0], sets[i][1]) == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    return m;
}

/* explain's weight for the last item is the score's evidence: an item in the last item's row
 * scores weight + 1, or a little more when its weight ties with a less popular item's (the
 * popularity tie-break: below the next larger weight + 1, so unequal weights keep their order and
 * equal ones go by popularity); every other history item weighs 0. pop: the most-popular model,
 * whose scores are the training counts. */
static void check_explain(wr_model *m, wr_model *pop) {
    int n = wr_model_n_items(m), hist[3] = {0, 1, 2};
    float *scores = malloc((size_t)n * sizeof *scores), *ev = malloc((size_t)n * sizeof *ev), w[3];
    float *counts = malloc((size_t)n * sizeof *counts), *pc = malloc((size_t)n * sizeof *pc);
    CHECK(wr_model_score(m, -1, hist, 3, scores) == WR_OK);
    CHECK(wr_model_score(pop, -1, NULL, 0, pc) == WR_OK);
    int with_evidence = 0, ties = 0;
    for (int item = 0; item < n; item++) {
        counts[item] = pc[wr_model_item_index(pop, wr_model_item_id(m, item))];
        CHECK(wr_model_explain(m, hist, 3, item, w) == WR_OK);
        CHECK(w[0] == 0 && w[1] == 0);
        ev[item] = w[2];
        if (w[2] != 0) {
            with_evidence++;
            CHECK(scores[item] >= w[2] + 1.0f);
        } else {
            CHECK(scores[item] < 1.0f); /* a fallback score, below every neighbour */
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (ev[i] == 0 || ev[j] == 0) continue;
            if (ev[i] < ev[j]) CHECK(scores[i] < scores[j]);
            if (ev[i] == ev[j] && counts[i] < counts[j]) {
                ties++;
                CHECK(scores[i] < scores[j]);
            }
        }
    CHECK(with_evidence > 0);
    CHECK(ties > 0); /* the data has equal weights of unequally popular items to order */
    CHECK(wr_model_explain(m, hist, 3, n, w) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "outside");
    free(scores);
    free(ev);
    free(counts);
    free(pc);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    char *csv;
    size_t len;
    CHECK(wr_gen(ctx, 400, 60, 5, &csv, &len) == WR_OK);
    wr_data *d;
    CHECK(wr_data_load(ctx, csv, len, "csv", "store.csv", 0, &d) == WR_OK);
    wr_free(csv);
    int64_t total = 0;
    for (int u = 0; u < wr_data_n_users(d); u++) total += wr_data_user_length(d, u);
    CHECK(total == wr_data_n_events(d));
    CHECK(wr_data_user_length(d, -1) == -1 && wr_data_user_length(d, wr_data_n_users(d)) == -1);

    wr_model *knn = fitted("itemknn", d, NULL, 0), *markov = fitted("markov", d, NULL, 0);
    wr_model *pop = fitted("pop", d, NULL, 0);
    check_explain(knn, pop);
    check_explain(markov, pop);
    float xy[2 * 64], ex[2];
    int hist[2] = {0, 1}, nb;
    CHECK(wr_model_item_map(knn, xy, ex) == WR_ERR_STATE);
    CHECK_CONTAINS(wr_last_error(ctx), "no item embeddings");
    CHECK(wr_model_attention(knn, hist, 2, xy, &nb) == WR_ERR_STATE);
    CHECK_CONTAINS(wr_last_error(ctx), "no attention");
    CHECK(wr_model_explain(pop, hist, 2, 0, xy) == WR_ERR_STATE);
    wr_model_free(pop);
    wr_model_free(knn);
    wr_model_free(markov);

    /* attention: per block a distribution over the last max_len items, 0 before them */
    const char *const sas_sets[][2] = {{"dim", "8"}, {"blocks", "2"}, {"heads", "2"}, {"max_len", "4"}, {"epochs", "1"}};
    for (int bert = 0; bert < 2; bert++) {
        wr_model *sas = fitted(bert ? "bert4rec" : "sasrec", d, sas_sets, 5);
        int h6[6] = {0, 1, 2, 3, 4, 5};
        float att[2 * 6];
        CHECK(wr_model_attention(sas, h6, 6, att, &nb) == WR_OK);
        CHECK(nb == 2);
        int seen = bert ? 3 : 4; /* BERT4Rec's last slot is its mask token */
        for (int k = 0; k < 2; k++) {
            double sum = 0;
            for (int t = 0; t < 6; t++) {
                CHECK(att[k * 6 + t] >= 0);
                if (t < 6 - seen) CHECK(att[k * 6 + t] == 0);
                sum += att[k * 6 + t];
            }
            if (bert) CHECK(sum > 0.05 && sum < 1);
            else CHECK_CLOSE(sum, 1.0, 1e-5, 0);
        }
        CHECK(wr_model_attention(sas, h6, 0, att, &nb) == WR_OK && nb == 2);
        wr_model_free(sas);
    }

    /* item map: embeddings planted along two known uncorrelated axes come back as the map */
    const char *eight = "u1 a\nu1 b\nu1 c\nu1 d\nu2 e\nu2 f\nu2 g\nu2 h\n";
    wr_data *d8;
    CHECK(wr_data_load(ctx, eight, strlen(eight), "seq", "eight", 0, &d8) == WR_OK);
    const char *const gru_sets[][2] = {{"dim", "4"}, {"epochs", "1"}, {"n_sample", "0"}};
    wr_model *gru = fitted("gru4rec", d8, gru_sets, 3);
    int dim, stride, V = wr_model_n_items(gru);
    const float *rows = NULL;
    CHECK(gru->vt->item_vectors(gru, &rows, &dim, &stride) == WR_OK);
    float *E = (float *)rows;
    CHECK(V == 8 && dim == 4);
    for (int i = 0; i < V; i++) {
        float t = i - 3.5f, sgn = (i % 4 == 0 || i % 4 == 3) ? 1.0f : -1.0f; /* sum t*sgn = 0 */
        float u[4] = {2 / sqrtf(5), 1 / sqrtf(5), 0, 0}, v[4] = {0, 0, 1, 0};
        for (int c = 0; c < 4; c++) E[(size_t)i * stride + c] = 3 * t * u[c] + sgn * v[c] + 0.25f;
    }
    CHECK(wr_model_item_map(gru, xy, ex) == WR_OK);
    for (int i = 0; i < V; i++) {
        CHECK_CLOSE(xy[2 * i], 3 * (i - 3.5f), 1e-4, 1e-4);
        CHECK_CLOSE(fabsf(xy[2 * i + 1]), 1.0, 1e-4, 1e-4);
        CHECK((xy[2 * i + 1] * xy[1] > 0) == (i % 4 == 0 || i % 4 == 3));
    }
    CHECK_CLOSE(ex[0], 47.25 / 48.25, 1e-5, 0);
    CHECK_CLOSE(ex[1], 1 / 48.25, 1e-5, 0);
    wr_model_free(gru);
    wr_data_free(d8);

    wr_data_free(d);
    wr_ctx_free(ctx);
    TEST_END("inspect");
}
