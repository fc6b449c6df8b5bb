/* test_eval.c: the leave-one-out protocol and the metrics against figures worked out by hand
 * on a tiny example (see the comments), conservative ties, and the error paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/eval/metrics.h"
#include "../../src/io/json.h"
#include "check.h"

static wr_ctx *ctx;

/* Reads obj[key][metric] from the JSON of wr_eval_loo. */
static double metric(const char *json, const char *key, const char *name) {
    wr_json_tok *t;
    int n;
    char err[128];
    if (wr__json_parse(json, strlen(json), &t, &n, err, sizeof err) < 0) return -1;
    int o = wr__json_get(json, t, 0, key);
    int v = o >= 0 ? wr__json_get(json, t, o, name) : -1;
    double x = -1;
    if (v < 0 || wr__json_num(json, &t[v], &x) < 0) x = -1;
    free(t);
    return x;
}

static void test_rank_and_metrics(void) {
    float s[5] = {0.5f, 0.9f, 0.5f, 0.1f, 0.5f};
    CHECK(wr__rank_conservative(s, NULL, 5, 1) == 0);
    CHECK(wr__rank_conservative(s, NULL, 5, 0) == 3); /* items 1, 2, 4: ties count against */
    unsigned char skip[5] = {0, 1, 0, 0, 0};
    CHECK(wr__rank_conservative(s, skip, 5, 0) == 2);
    float flat[4] = {1, 1, 1, 1};
    CHECK(wr__rank_conservative(flat, NULL, 4, 2) == 3); /* constant scores earn nothing at k<4 */
    float nan[3] = {0.f / 0.f, 1, 2};
    CHECK(wr__rank_conservative(nan, NULL, 3, 0) == 3);

    double per[3 * 3];
    int32_t who[3];
    wr_metrics m = {.k = 3, .per = per, .per_user = who, .per_cap = 3};
    wr__metrics_add(&m, 0, 7);  /* hit at rank 1: ndcg 1, rr 1 */
    wr__metrics_add(&m, 2, 8);  /* hit at rank 3: ndcg 1/log2(4) = .5, rr 1/3 */
    wr__metrics_add(&m, 3, 9);  /* miss */
    wr__metrics_add(&m, -1, 10); /* unknown target: miss (past per_cap: not recorded) */
    CHECK(m.users == 4);
    /* the per-query values the sums are made of, and their users */
    CHECK(per[0] == 1 && per[1] == 1 && per[2] == 1 && who[0] == 7);
    CHECK(per[3] == 1 && fabs(per[4] - 0.5) < 1e-12 && fabs(per[5] - 1.0 / 3) < 1e-12 && who[1] == 8);
    CHECK(per[6] == 0 && per[7] == 0 && per[8] == 0 && who[2] == 9);
    CHECK_CLOSE(m.hr, 2.0, 1e-12, 0);
    CHECK_CLOSE(m.ndcg, 1.5, 1e-12, 0);
    CHECK_CLOSE(m.mrr, 1.0 + 1.0 / 3, 1e-12, 0);
}

/* users (seq format, time order):
 *   u1: a b c a b   u2: a b c d   u3: c d a   u4: x y (too short: train only)
 * training part (all but the last two): u1 a b c, u2 a b, u3 c, u4 x y
 * markov transitions: a->b twice, b->c once, x->y once; counts a2 b2 c2 x1 y1 d0
 * scores after last item i: successors count + 1, others pop / 3 (a,b,c .667; x,y .333; d 0) */
static const char *tiny = "u1 a\nu1 b\nu1 c\nu1 a\nu1 b\nu2 a\nu2 b\nu2 c\nu2 d\nu3 c\nu3 d\nu3 a\nu4 x\nu4 y\n";

/* A set of relevant items (cold-users' queries): ranks 0 and 3 of 3 relevant at k = 5. */
static void test_set_metrics(void) {
    wr_metrics m = {.k = 5};
    int64_t ranks[3] = {0, 3, 7};
    wr__metrics_add_set(&m, ranks, 3, 0);
    double dcg = 1 + 1 / log2(5.0), idcg = 1 + 1 / log2(3.0) + 1 / log2(4.0);
    CHECK(m.users == 1);
    CHECK(fabs(m.ndcg - dcg / idcg) < 1e-12);
    CHECK(fabs(m.recall - 2.0 / 3.0) < 1e-12);
    CHECK(m.hr == 1 && m.mrr == 1);
    /* more relevant items than k: recall is over k */
    int64_t many[7] = {1, 2, 9, 10, 11, 12, -1};
    wr__metrics_add_set(&m, many, 7, 1);
    CHECK(fabs(m.recall - (2.0 / 3.0 + 2.0 / 5.0)) < 1e-12);
    CHECK(fabs(m.mrr - 1.5) < 1e-12);
    /* one relevant item: the single-target metrics */
    wr_metrics a = {.k = 5}, b = {.k = 5};
    int64_t one = 2;
    wr__metrics_add_set(&a, &one, 1, 0);
    wr__metrics_add(&b, 2, 0);
    CHECK(a.ndcg == b.ndcg && a.hr == b.hr && a.mrr == b.mrr && a.recall == b.recall);
}

static void test_loo_by_hand(void) {
    wr_data *d;
    CHECK(wr_data_load(ctx, tiny, strlen(tiny), "seq", "tiny", 0, &d) == WR_OK);
    if (!d) return;
    wr_model *m;
    CHECK(wr_model_new(ctx, "markov", 1, &m) == WR_OK);
    CHECK(wr_model_fit_loo(m, d) == WR_OK);
    char *json = NULL;
    /* test, k=5: u1 last a, target b: rank 0. u2 last c (no successors), target d (0): rank 5,
     * a miss at k=5. u3 last d, target a (.667) tied with b, c: rank 2.
     * HR 2/3, NDCG (1 + 1/log2 4)/3 = .5, MRR (1 + 1/3)/3; top-5 lists cover a b c x y: 5/6. */
    CHECK(wr_eval_loo(m, d, WR_SPLIT_TEST, 5, 0, 100, 7, &json) == WR_OK);
    CHECK_CLOSE(metric(json, "full", "users"), 3, 0, 0);
    CHECK_CLOSE(metric(json, "full", "HR@5"), 2.0 / 3, 1e-6, 0);
    CHECK_CLOSE(metric(json, "full", "NDCG@5"), 0.5, 1e-6, 0);
    CHECK_CLOSE(metric(json, "full", "MRR@5"), 4.0 / 9, 1e-6, 0);
    CHECK_CLOSE(metric(json, "full", "Recall@5"), 2.0 / 3, 1e-6, 0);
    CHECK_CLOSE(metric(json, "full", "coverage@5"), 5.0 / 6, 1e-6, 0);
    /* sampled (all untouched items, fewer than 100): u1 {d,x,y} rank 0; u2 {x,y} both above
     * d: rank 2; u3 {b,x,y}: b ties a: rank 1. NDCG (1 + .5 + 1/log2 3)/3 */
    CHECK_CLOSE(metric(json, "sampled100", "HR@5"), 1.0, 1e-6, 0);
    CHECK_CLOSE(metric(json, "sampled100", "NDCG@5"), (1 + 0.5 + 0.63092975) / 3, 1e-6, 0);
    free(json);
    /* exclude_seen: u1 drops a, c (b is the target and stays): rank 0. u2 drops a b c: d below
     * x, y: rank 2. u3 drops c, d: a ties b: rank 1. */
    CHECK(wr_eval_loo(m, d, WR_SPLIT_TEST, 5, 1, 0, 7, &json) == WR_OK);
    CHECK_CLOSE(metric(json, "full", "HR@5"), 1.0, 1e-6, 0);
    CHECK_CLOSE(metric(json, "full", "MRR@5"), (1 + 1.0 / 3 + 0.5) / 3, 1e-6, 0);
    CHECK(strstr(json, "sampled") == NULL);
    free(json);
    /* validation: u1 target a after a b c: rank 2 (b, c tie). u2 target c after a b: successor
     * of b: rank 0. u3 target d after c: rank 5, a miss at k=5. */
    CHECK(wr_eval_loo(m, d, WR_SPLIT_VALID, 5, 0, 0, 7, &json) == WR_OK);
    CHECK_CLOSE(metric(json, "full", "HR@5"), 2.0 / 3, 1e-6, 0);
    CHECK_CLOSE(metric(json, "full", "MRR@5"), (1.0 / 3 + 1) / 3, 1e-6, 0);
    free(json);
    /* k = 1 with a constant model earns nothing: pop scores d after history... use pop, where
     * every target ties or loses on this data except u1's b (count 2 ties a, c). */
    wr_model *pop;
    CHECK(wr_model_new(ctx, "pop", 1, &pop) == WR_OK);
    CHECK(wr_model_fit_loo(pop, d) == WR_OK);
    CHECK(wr_eval_loo(pop, d, WR_SPLIT_TEST, 1, 0, 0, 7, &json) == WR_OK);
    CHECK_CLOSE(metric(json, "full", "HR@1"), 0.0, 0, 0);
    free(json);
    /* errors */
    CHECK(wr_eval_loo(m, d, WR_SPLIT_TEST, 0, 0, 0, 7, &json) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "k must be a positive integer");
    CHECK(wr_eval_loo(m, d, 5, 10, 0, 0, 7, &json) == WR_ERR_ARG);
    wr_model *fresh;
    CHECK(wr_model_new(ctx, "itemknn", 1, &fresh) == WR_OK);
    CHECK(wr_eval_loo(fresh, d, WR_SPLIT_TEST, 10, 0, 0, 7, &json) == WR_ERR_STATE);
    CHECK_CONTAINS(wr_last_error(ctx), "not trained");
    wr_model_free(fresh);
    wr_model_free(pop);
    wr_model_free(m);
    wr_data_free(d);
}

/* Seen items: the repeat share recorded at fit, `auto` deciding on it, the report saying so, and
 * the share saved in (and validated from) the model file. */
static void test_seen_auto(void) {
    wr_data *d, *rep;
    CHECK(wr_data_load(ctx, tiny, strlen(tiny), "seq", "tiny", 0, &d) == WR_OK);
    /* training parts (all but the last two): v1 a b a (a repeats), w1 b: one repeat in 4 events */
    const char *again = "v1 a\nv1 b\nv1 a\nv1 c\nv1 d\nw1 b\nw1 c\nw1 d\n";
    CHECK(wr_data_load(ctx, again, strlen(again), "seq", "again", 0, &rep) == WR_OK);
    if (!d || !rep) return;
    wr_model *m, *r;
    CHECK(wr_model_new(ctx, "markov", 1, &m) == WR_OK);
    CHECK(wr_model_new(ctx, "markov", 1, &r) == WR_OK);
    CHECK(wr_model_repeat_share(m) == -1); /* not trained: unknown */
    CHECK(wr_model_fit_loo(m, d) == WR_OK);
    CHECK(wr_model_fit_loo(r, rep) == WR_OK);
    CHECK_CLOSE(wr_model_repeat_share(m), 0.0, 0, 0);
    CHECK_CLOSE(wr_model_repeat_share(r), 0.25, 1e-12, 0);
    const char *why = NULL;
    CHECK(wr_model_seen_policy(m, WR_SEEN_AUTO, &why) == 1);
    CHECK_CONTAINS(why, "0.00% of the events of the training data");
    CHECK_CONTAINS(why, "excluded");
    CHECK(wr_model_seen_policy(r, WR_SEEN_AUTO, &why) == 0);
    CHECK_CONTAINS(why, "25.00%");
    CHECK(wr_model_seen_policy(r, WR_SEEN_EXCLUDE, NULL) == 1);
    CHECK(wr_model_seen_policy(m, WR_SEEN_KEEP, NULL) == 0);
    CHECK(wr_model_seen_policy(m, 3, NULL) == -1);
    /* auto on data without repeats = exclude; the report says what was applied and why */
    char *ja = NULL, *jx = NULL, *jk = NULL;
    CHECK(wr_eval_loo(m, d, WR_SPLIT_TEST, 5, WR_SEEN_AUTO, 0, 7, &ja) == WR_OK);
    CHECK(wr_eval_loo(m, d, WR_SPLIT_TEST, 5, WR_SEEN_EXCLUDE, 0, 7, &jx) == WR_OK);
    CHECK(wr_eval_loo(m, d, WR_SPLIT_TEST, 5, WR_SEEN_KEEP, 0, 7, &jk) == WR_OK);
    if (ja && jx && jk) {
        CHECK_CLOSE(metric(ja, "full", "MRR@5"), metric(jx, "full", "MRR@5"), 0, 0);
        CHECK(metric(ja, "full", "MRR@5") != metric(jk, "full", "MRR@5"));
        CHECK_CONTAINS(ja, "\"exclude_seen\":{\"mode\":\"auto\",\"applied\":true,\"repeat_share\":0,");
        CHECK_CONTAINS(jk, "\"mode\":\"no\",\"applied\":false");
    }
    free(ja), free(jx), free(jk);
    CHECK(wr_eval_loo(m, d, WR_SPLIT_TEST, 5, 7, 0, 7, &ja) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "exclude_seen must be");
    int items[4], n;
    float scores[4];
    CHECK(wr_model_recommend(m, -1, items, 0, 4, -1, items, scores, &n) == WR_ERR_ARG);

    /* the file keeps the share; a bad one is an error; a file without one leaves auto to the data */
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(r, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "r.safetensors", &back) == WR_OK);
    if (back) CHECK_CLOSE(wr_model_repeat_share(back), 0.25, 0, 0);
    wr_model_free(back);
    char *at = NULL;
    for (size_t i = 0; bytes && !at && i + 18 <= len; i++)
        if (!memcmp(bytes + i, "\"repeat_share\":\"0.", 18)) at = (char *)bytes + i;
    CHECK(at != NULL);
    if (at) {
        at[16] = '7'; /* 7.25: not a share */
        CHECK(wr_model_load(ctx, bytes, len, "r.safetensors", &back) == WR_ERR_FORMAT);
        CHECK_CONTAINS(wr_last_error(ctx), "r.safetensors: metadata \"repeat_share\"");
        at[16] = '0';
        at[12] = 'X'; /* "repeat_Xhare": the key is gone */
        CHECK(wr_model_load(ctx, bytes, len, "r.safetensors", &back) == WR_OK);
        if (back) {
            CHECK(wr_model_repeat_share(back) == -1);
            CHECK(wr_model_seen_policy(back, WR_SEEN_AUTO, &why) == 0);
            CHECK_CONTAINS(why, "does not record");
            /* tiny's test histories: u1 a b c a repeats a, 1 of 11 events */
            CHECK(wr_eval_loo(back, d, WR_SPLIT_TEST, 5, WR_SEEN_AUTO, 0, 7, &ja) == WR_OK);
            if (ja) CHECK_CONTAINS(ja, "\"applied\":false,\"repeat_share\":0.0909091");
            if (ja) CHECK_CONTAINS(ja, "of the evaluated histories");
            free(ja);
        }
        wr_model_free(back);
    }
    wr_free(bytes);
    wr_model_free(m);
    wr_model_free(r);
    wr_data_free(d);
    wr_data_free(rep);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    test_rank_and_metrics();
    test_set_metrics();
    test_loo_by_hand();
    test_seen_auto();
    wr_ctx_free(ctx);
    TEST_END("eval");
}
