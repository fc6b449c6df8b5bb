/* test_repeat.c: the learned repeat bias of sasrec, bert4rec and gru4rec. Trained where users
 * never come back to an item it must end up below where it starts and below its value where
 * they always do, and a model that learned "no repeats" must not put a history item first even
 * when history items are kept in the ranking. A file written without the parameter loads as a
 * model without the bias. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/io/safetensors.h"
#include "../../src/models/model.h"
#include "check.h"

static wr_ctx *ctx;

/* 300 sessions over 12 items: "never" walks on (i, i+1, ... mod 12, no item twice); "always"
 * alternates two items (a b a b a b: every event from the third on repeats). */
static wr_data *sessions(int repeats) {
    wr_buf b = {0};
    for (int u = 0; u < 300; u++)
        for (int t = 0; t < 6; t++) {
            int item = repeats ? (u + t % 2) % 12 : (u + t) % 12;
            wr__buf_printf(&b, "u%d i%d\n", u, item);
        }
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "seq", "repeat", 0, &d) == WR_OK);
    wr__buf_free(&b);
    return d;
}

static wr_model *train(const char *name, wr_data *d) {
    wr_model *m;
    CHECK(wr_model_new(ctx, name, 3, &m) == WR_OK);
    const char *sets[][2] = {{"dim", "8"}, {"epochs", "30"}, {"batch", "32"}, {"lr", strcmp(name, "gru4rec") ? "0.01" : "0.1"}};
    for (int i = 0; i < 4; i++) CHECK(wr_model_set(m, sets[i][0], sets[i][1]) == WR_OK);
    if (strcmp(name, "gru4rec")) CHECK(wr_model_set(m, "max_len", "6") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    return m;
}

/* The bias as saved in the model file. */
static float saved_bias(wr_model *m) {
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_st_file f;
    CHECK(wr__st_parse(ctx, bytes, len, "mem", &f) == WR_OK);
    char name[64];
    snprintf(name, sizeof name, "%s.repeat_bias", wr_model_name(m));
    const wr_st_tensor *t;
    int64_t shape[1] = {1};
    float v = 0;
    CHECK(wr__st_get(ctx, &f, name, WR_DT_F32, 1, shape, &t) == WR_OK);
    wr__st_copy(&v, t);
    wr__st_free(&f);
    wr_free(bytes);
    return v;
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    wr_data *never = sessions(0), *always = sessions(1);
    const char *names[] = {"sasrec", "bert4rec", "gru4rec"};
    for (int k = 0; k < 3; k++) {
        wr_model *mn = train(names[k], never), *ma = train(names[k], always);
        float start = wr__repeat_bias_init(0, 12, 3), bn = saved_bias(mn), ba = saved_bias(ma);
        CHECK(bn < start);
        CHECK(ba > bn + 1);
        /* history kept in the ranking, yet the first item is a new one: i5 i6 i7 -> i8 */
        int hist[3] = {wr_model_item_index(mn, "i5"), wr_model_item_index(mn, "i6"), wr_model_item_index(mn, "i7")}, top, n;
        float sc;
        CHECK(wr_model_recommend(mn, -1, hist, 3, 1, WR_SEEN_KEEP, &top, &sc, &n) == WR_OK);
        CHECK(n == 1 && top != hist[0] && top != hist[1] && top != hist[2]);
        /* and where users always repeat, the item two back comes first: i5 i6 i5 i6 i5 -> i6 */
        int a = wr_model_item_index(ma, "i5"), b = wr_model_item_index(ma, "i6"), h2[5] = {a, b, a, b, a};
        CHECK(wr_model_recommend(ma, -1, h2, 5, 1, WR_SEEN_KEEP, &top, &sc, &n) == WR_OK);
        CHECK(n == 1 && top == b);
        wr_model_free(mn);
        wr_model_free(ma);
    }
    /* repeat_bias=0 drops the tensor; a file whose params lack the key (written before it
     * existed) loads as such a model */
    wr_model *m;
    CHECK(wr_model_new(ctx, "sasrec", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "repeat_bias", "0") == WR_OK);
    CHECK(wr_model_set(m, "epochs", "1") == WR_OK);
    CHECK(wr_model_fit(m, never) == WR_OK);
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    /* the params JSON with its "repeat_bias":0 entry cut out, the same length kept */
    const char *key = ",\\\"repeat_bias\\\":0"; /* escaped: the params are a string in the header */
    size_t klen = strlen(key);
    char *hit = NULL;
    for (size_t i = 0; i + klen <= len && !hit; i++)
        if (!memcmp(bytes + i, key, klen)) hit = (char *)bytes + i;
    CHECK(hit != NULL);
    if (hit) memset(hit, ' ', klen);
    wr_model *old = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "old.safetensors", &old) == WR_OK);
    if (old) CHECK(strstr(wr_model_params_json(old), "\"repeat_bias\":0") != NULL);
    wr_model_free(old);
    wr_free(bytes);
    wr_model_free(m);
    /* BERT4Rec files from before unscaled_embeddings (items times sqrt(dim)) score as they did */
    CHECK(wr_model_new(ctx, "bert4rec", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "unscaled_embeddings", "0") == WR_OK);
    CHECK(wr_model_set(m, "epochs", "1") == WR_OK);
    CHECK(wr_model_fit(m, never) == WR_OK);
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    key = ",\\\"unscaled_embeddings\\\":0";
    klen = strlen(key);
    hit = NULL;
    for (size_t i = 0; i + klen <= len && !hit; i++)
        if (!memcmp(bytes + i, key, klen)) hit = (char *)bytes + i;
    CHECK(hit != NULL);
    if (hit) memset(hit, ' ', klen);
    CHECK(wr_model_load(ctx, bytes, len, "old-bert.safetensors", &old) == WR_OK);
    if (old) {
        int V = wr_model_n_items(m), h3[2] = {0, 1};
        float *s1 = malloc((size_t)V * sizeof *s1), *s2 = malloc((size_t)V * sizeof *s2);
        CHECK(wr_model_score(m, -1, h3, 2, s1) == WR_OK);
        CHECK(wr_model_score(old, -1, h3, 2, s2) == WR_OK);
        CHECK(memcmp(s1, s2, (size_t)V * sizeof *s1) == 0);
        CHECK(strstr(wr_model_params_json(old), "\"unscaled_embeddings\":0") != NULL);
        free(s1), free(s2);
    }
    wr_model_free(old);
    wr_free(bytes);
    wr_model_free(m);
    wr_data_free(never);
    wr_data_free(always);
    wr_ctx_free(ctx);
    TEST_END("repeat");
}
