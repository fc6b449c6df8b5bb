/* test_pipeline.c: the two-stage model: candidates from stage 1 (through the HNSW index or by
 * scoring every item), stage 2's order on them, -inf elsewhere; the stages' own settings; the
 * model file with both stages and the index; score_items against score for the ranking models. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/kernels.h"
#include "../../src/models/model.h"
#include "check.h"

static wr_ctx *ctx;

/* 80 users x 60 items in 3 taste groups with side features, labels on every event. */
static wr_data *planted(void) {
    wr_buf b = {0}, users = {0}, items = {0};
    wr__buf_puts(&b, "user,item,timestamp,label\n");
    for (int u = 0; u < 80; u++)
        for (int k = 0; k < 12; k++) {
            int i = 3 * ((u * 7 + k * 7) % 20) + (u % 3); /* 12 distinct items: no repeats */
            wr__buf_printf(&b, "u%d,i%d,%d,%d\n", u, i, 1000 + u * 100 + k, (i / 3 + u) % 2);
        }
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "csv", "planted.csv", 0, &d) == WR_OK);
    CHECK(wr_data_label(d, "label==1", NULL) == WR_OK);
    wr__buf_puts(&users, "user_id,group\n");
    for (int u = 0; u < 80; u++) wr__buf_printf(&users, "u%d,g%d\n", u, u % 3);
    wr__buf_puts(&items, "item_id,kind\n");
    for (int i = 0; i < 60; i++) wr__buf_printf(&items, "i%d,k%d\n", i, i % 3);
    CHECK(wr_data_load_side(d, 0, users.data, users.len, "users.csv") == WR_OK);
    CHECK(wr_data_load_side(d, 1, items.data, items.len, "items.csv") == WR_OK);
    wr__buf_free(&b), wr__buf_free(&users), wr__buf_free(&items);
    return d;
}

static wr_model *make(const char *name, const char *const *sets) {
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, name, 7, &m) == WR_OK);
    for (int i = 0; sets && sets[i]; i += 2) CHECK(wr_model_set(m, sets[i], sets[i + 1]) == WR_OK);
    return m;
}

static int finite_count(const float *sc, int n) {
    int c = 0;
    for (int i = 0; i < n; i++) c += isfinite(sc[i]);
    return c;
}

static void two_stages(const char *index) {
    wr_data *d = planted();
    const char *sets[] = {"retrieve", "twotower", "rank", "deepfm", "candidates", "12", "index", index, "retrieve.dim", "8",
                          "retrieve.epochs", "20", "rank.epochs", "10", "rank.dim", "4", NULL};
    wr_model *m = make("pipeline", sets);
    wr_split *sp = NULL;
    CHECK(wr_split_new(d, "random", "0.8,0.1,0.1", 3, &sp) == WR_OK);
    double p[WR_PROGRESS_N];
    CHECK(wr_train_begin(m, d, sp, p) == WR_OK);
    while (!p[WR_PROGRESS_DONE]) CHECK(wr_train_steps(m, 1 << 20, p) == WR_OK);
    wr_train_end(m);
    wr_model *r = wr_model_stage(m, 0), *k = wr_model_stage(m, 1);
    CHECK(r && k && !strcmp(wr_model_name(r), "twotower") && !strcmp(wr_model_name(k), "deepfm"));
    CHECK(wr_model_vector_dim(r) == 8); /* retrieve.dim reached the stage */
    CHECK(strstr(wr_model_params_json(m), "\"retrieve.dim\":\"8\"") != NULL);
    int V = wr_model_n_items(m), hist[3] = {0, 4, 9};
    float *sc = malloc((size_t)V * sizeof *sc), *before = malloc((size_t)V * sizeof *before), *s0 = malloc((size_t)V * sizeof *s0),
          *s1 = malloc((size_t)V * sizeof *s1);
    int user = 5;
    CHECK(wr_model_score(m, user, hist, 3, sc) == WR_OK);
    CHECK(finite_count(sc, V) == 12);
    for (int t = 0; t < 3; t++) CHECK(!isfinite(sc[hist[t]])); /* no repeats in this data: history is left out */
    /* before re-ranking: the same candidates in stage 1's order; stage 1 alone ranks them first */
    CHECK(wr_model_set(m, "rerank", "0") == WR_OK);
    CHECK(wr_model_score(m, user, hist, 3, before) == WR_OK);
    CHECK(wr_model_set(m, "rerank", "1") == WR_OK);
    CHECK(wr_model_score(r, user, hist, 3, s0) == WR_OK);
    CHECK(wr_model_score(k, user, hist, 3, s1) == WR_OK);
    int same = 1, in_top = 0, order_ok = 1;
    int top[12], nt = 0;
    unsigned char mask[64] = {0};
    for (int t = 0; t < 3; t++) mask[hist[t]] = 1;
    CHECK(V <= 64);
    float vals[12];
    nt = wr_topk(s0, mask, V, 12, top, vals);
    for (int i = 0; i < V; i++) same &= isfinite(sc[i]) == isfinite(before[i]);
    for (int j = 0; j < nt; j++) in_top += isfinite(sc[top[j]]);
    for (int i = 0; i < V; i++)
        for (int j = 0; j < V; j++) /* the final order follows stage 2 (deepfm's logit, plus stage 1's score under combine=auto) */
            if (isfinite(sc[i]) && isfinite(sc[j]) && s1[i] > s1[j] && s0[i] >= s0[j] && !(sc[i] > sc[j])) order_ok = 0;
    printf("pipeline (%s): %d of stage 1's exact top 12 are candidates\n", index, in_top);
    CHECK(same);
    CHECK(order_ok);
    CHECK(in_top >= (strcmp(index, "exact") ? 11 : 12));
    /* the model file: both stages and the index, the same scores */
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "pipeline.safetensors", &back) == WR_OK);
    if (back) {
        float *sb = malloc((size_t)V * sizeof *sb);
        CHECK(wr_model_score(back, user, hist, 3, sb) == WR_OK);
        CHECK(memcmp(sb, sc, (size_t)V * sizeof *sb) == 0);
        CHECK(!strcmp(wr_model_name(wr_model_stage(back, 1)), "deepfm"));
        free(sb);
        wr_model_free(back);
    }
    /* a hostile file: a stage's tensor renamed away is named in the error */
    char *hit = NULL;
    for (size_t i = 0; i + 18 <= len && !hit; i++)
        if (!memcmp(bytes + i, "rank.deepfm.weight", 18)) hit = (char *)bytes + i;
    CHECK(hit != NULL);
    if (hit) {
        hit[5] = 'X';
        CHECK(wr_model_load(ctx, bytes, len, "bad.safetensors", &back) == WR_ERR_FORMAT);
        CHECK_CONTAINS(wr_last_error(ctx), "rank stage");
    }
    wr_free(bytes);
    free(sc), free(before), free(s0), free(s1);
    wr_split_free(sp);
    wr_model_free(m);
    wr_data_free(d);
}

static void stage_settings(void) {
    wr_model *m = make("pipeline", NULL);
    CHECK(wr_model_set(m, "retrieve.dim", "16") == WR_OK);
    CHECK(wr_model_set(m, "retrieve.nope", "1") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "retrieve.nope");
    CHECK(wr_model_set(m, "rank.dim", "0") == WR_ERR_ARG); /* deepfm's range */
    CHECK(wr_model_set(m, "other.dim", "4") == WR_ERR_ARG);
    /* itemknn has no dim: the recorded setting refuses the new family, which is not taken */
    CHECK(wr_model_set(m, "retrieve", "itemknn") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "retrieve.dim");
    CHECK(strstr(wr_model_params_json(m), "\"retrieve\":\"twotower\"") != NULL);
    CHECK(wr_model_set(m, "rank", "sasrec") == WR_OK);
    wr_model_free(m);
}

/* A stage 2 that scores every candidate alike (sasrec, no history) keeps stage 1's order. */
static void alike_keeps_retrieval(void) {
    wr_data *d = planted();
    const char *sets[] = {"rank", "sasrec", "candidates", "8", "retrieve.epochs", "3", "rank.epochs", "1", NULL};
    wr_model *m = make("pipeline", sets);
    CHECK(wr_model_fit(m, d) == WR_OK);
    int V = wr_model_n_items(m);
    float *a = malloc((size_t)V * sizeof *a), *b = malloc((size_t)V * sizeof *b);
    CHECK(wr_model_score(m, 5, NULL, 0, a) == WR_OK);
    CHECK(wr_model_set(m, "rerank", "0") == WR_OK);
    CHECK(wr_model_score(m, 5, NULL, 0, b) == WR_OK);
    CHECK(finite_count(a, V) == 8);
    CHECK(memcmp(a, b, (size_t)V * sizeof *a) == 0);
    free(a), free(b);
    wr_model_free(m);
    wr_data_free(d);
}

/* score_items gives score's values on the items asked for. */
static void score_items(void) {
    wr_data *d = planted();
    const char *names[] = {"fm", "ffm", "deepfm", "sasrec"};
    for (int f = 0; f < 4; f++) {
        const char *sets[] = {"epochs", "3", NULL};
        wr_model *m = make(names[f], sets);
        CHECK(wr_model_fit(m, d) == WR_OK);
        int V = wr_model_n_items(m), items[5] = {0, 7, 3, 3, 11}, hist[4] = {2, 7, 5, 1};
        float *all = malloc((size_t)V * sizeof *all), some[5];
        int user = wr_model_n_users(m) ? 4 : -1;
        CHECK(wr_model_score(m, user, hist, 4, all) == WR_OK);
        wr_query q = {.user = user, .items = hist, .len = 4};
        CHECK(m->vt->score_items(m, &q, items, 5, some) == WR_OK);
        double worst = 0;
        for (int j = 0; j < 5; j++) worst = fmax(worst, fabs(some[j] - all[items[j]]));
        printf("score_items %s: worst difference %.3g\n", names[f], worst);
        CHECK(worst < 1e-4);
        free(all);
        wr_model_free(m);
    }
    wr_data_free(d);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    two_stages("hnsw");
    two_stages("exact");
    stage_settings();
    alike_keeps_retrieval();
    score_items();
    wr_ctx_free(ctx);
    TEST_END("pipeline");
}
