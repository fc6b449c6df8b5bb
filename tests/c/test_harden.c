/* test_harden.c: regression tests for what fuzzing found (issue "Hardening", defects 1-4 and 6):
 * NUL bytes in ids never match a stored id (the titles loader read past a key), integer settings
 * given inf or 2^63 are refused before any cast, STAN/VSTAN with timestamps at the int64 limits
 * score finite numbers, item-kNN's fit keeps its neighbours without sorting every candidate (and
 * keeps exactly the ones a full sort would), NaN saved counts are refused. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/data/data.h"
#include "../../src/models/model.h"
#include "check.h"

static wr_ctx *ctx;

static void nul_ids(void) {
    wr_vocab v = {0};
    CHECK(wr__vocab_add(&v, "ab", 2) == 0);
    /* "ab\0..." hashes anywhere; it must not be taken for "ab" (nor read past "ab") */
    CHECK(wr__vocab_find(&v, "ab\0xyzxyz", 9) == -1);
    CHECK(wr__vocab_add(&v, "ab\0xyz", 6) == -1);
    wr__vocab_free(&v);
    const char *seq = "u1 ab\nu1 cd\n";
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, seq, strlen(seq), "seq", "s", 0, &d) == WR_OK);
    const char titles[] = "ab\0xyzxyz|Title|01-Jan-1995||x|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    CHECK(wr_data_load_titles(d, titles, sizeof titles - 1, "u.item") == WR_ERR_PARSE);
    CHECK_CONTAINS(wr_last_error(ctx), "u.item:1: field 1 (id): a NUL byte in the id");
    wr_data_free(d);
}

static void integer_settings(void) {
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "sasrec", 1, &m) == WR_OK);
    static const char *const bad[] = {"1e308", "inf", "-inf", "nan", "9.3e18", "0x10", "8.5", "", " "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(wr_model_set(m, "dim", bad[i]) == WR_ERR_ARG);
        CHECK_CONTAINS(wr_last_error(ctx), "dim must be an integer");
    }
    static const char *const good[] = {"8", " 8", "8 ", "8.0", "1e1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) CHECK(wr_model_set(m, "dim", good[i]) == WR_OK);
    CHECK(wr_model_set(m, "lr", "inf") == WR_ERR_ARG);
    wr_model_free(m);
}

static void stan_extreme_times(void) {
    char csv[256];
    /* the extremes the parser accepts (it keeps 9 spare for its own arithmetic) */
    snprintf(csv, sizeof csv, "session,item,timestamp\na,x,%lld\na,y,%lld\nb,x,%lld\nb,z,%lld\n", -9223372036854775000LL,
             -9223372036854774999LL, 9223372036854775000LL, 9223372036854775001LL);
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, csv, strlen(csv), "csv", "t.csv", 0, &d) == WR_OK);
    for (int k = 0; k < 2; k++) {
        wr_model *m = NULL;
        CHECK(wr_model_new(ctx, k ? "vstan" : "stan", 1, &m) == WR_OK);
        CHECK(wr_model_fit(m, d) == WR_OK);
        int h = wr_model_item_index(m, "x");
        float sc[3];
        CHECK(wr_model_score(m, -1, &h, 1, sc) == WR_OK);
        for (int i = 0; i < 3; i++) CHECK(isfinite(sc[i]));
        int s2[2] = {0, 1};
        CHECK(wr_model_add_session(m, s2, 2) == WR_OK); /* after INT64_MAX: no overflow */
        CHECK(wr_model_score(m, -1, &h, 1, sc) == WR_OK);
        for (int i = 0; i < 3; i++) CHECK(isfinite(sc[i]));
        wr_model_free(m);
    }
    wr_data_free(d);
}

/* One session of 8,000 distinct items (every pair co-occurs): the fit must keep `neighbors`
 * per item without sorting all 7,999 candidates of each; and the kept ones are the top ones. */
static void itemknn_selection(void) {
    wr_buf b = {0};
    wr__buf_puts(&b, "session,item\n");
    for (int i = 0; i < 8000; i++) wr__buf_printf(&b, "a,i%d\n", i);
    /* and a second data set with varied similarities, to compare against a full sort */
    for (int s = 0; s < 300; s++)
        for (int k = 0; k < 6; k++) wr__buf_printf(&b, "s%d,i%d\n", s, (s * 7 + k * k * 13) % 97);
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "csv", "big.csv", 0, &d) == WR_OK);
    wr__buf_free(&b);
    wr_model *few = NULL, *all = NULL;
    CHECK(wr_model_new(ctx, "itemknn", 1, &few) == WR_OK);
    CHECK(wr_model_new(ctx, "itemknn", 1, &all) == WR_OK);
    CHECK(wr_model_set(few, "neighbors", "5") == WR_OK);
    CHECK(wr_model_set(all, "neighbors", "100000") == WR_OK);
    double t0 = wr__now_ms();
    CHECK(wr_model_fit(few, d) == WR_OK);
    printf("itemknn fit over one 8000-item session: %.0f ms\n", wr__now_ms() - t0);
    CHECK(wr_model_fit(all, d) == WR_OK);
    /* for a few items: the 5 kept neighbours are the 5 largest (similarity, then lower id) */
    int n = wr_model_n_items(all), bad = 0;
    float *wf = malloc((size_t)n * sizeof *wf), *wa = malloc((size_t)n * sizeof *wa);
    for (int q = 0; q < 20; q++) {
        int i = (q * 4099) % n, kept = 0;
        for (int j = 0; j < n; j++) {
            float w1, w2;
            CHECK(wr_model_explain(few, &i, 1, j, &w1) == WR_OK);
            CHECK(wr_model_explain(all, &i, 1, j, &w2) == WR_OK);
            wf[j] = w1, wa[j] = w2;
            kept += w1 != 0;
            if (w1 != 0 && w1 != w2) bad++;
        }
        /* no item left out beats a kept one */
        float worst_kept = INFINITY;
        for (int j = 0; j < n; j++)
            if (wf[j] != 0 && wf[j] < worst_kept) worst_kept = wf[j];
        for (int j = 0; j < n; j++)
            if (wf[j] == 0 && wa[j] > worst_kept) bad++;
        CHECK(kept <= 5);
    }
    CHECK(bad == 0);
    free(wf), free(wa);
    wr_model_free(few);
    wr_model_free(all);
    wr_data_free(d);
}

static void nan_counts(void) {
    const char *seq = "a x\na y\nb x\nb y\n";
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, seq, strlen(seq), "seq", "s", 0, &d) == WR_OK);
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "pop", 1, &m) == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    /* both count tensors hold 2.0f (0x40000000): make the pop.counts ones NaN */
    uint64_t hl;
    memcpy(&hl, bytes, 8);
    const char *name = strstr((const char *)bytes + 8, "\"pop.counts\"");
    const char *off = name ? strstr(name, "data_offsets\":[") : NULL;
    long a = off ? strtol(off + 15, NULL, 10) : -1;
    CHECK(a >= 0);
    if (a >= 0) {
        float nan = NAN;
        memcpy(bytes + 8 + hl + a, &nan, 4);
        wr_model *back = NULL;
        CHECK(wr_model_load(ctx, bytes, len, "pop.safetensors", &back) == WR_ERR_FORMAT);
        CHECK_CONTAINS(wr_last_error(ctx), "pop.counts[0] is not a count");
    }
    wr_free(bytes);
    wr_model_free(m);
    wr_data_free(d);
}

/* bytes with one string of the safetensors header replaced (the header length updated). */
static uint8_t *rewrite(const uint8_t *bytes, size_t len, const char *from, const char *to, size_t *out_len) {
    uint64_t hl;
    memcpy(&hl, bytes, 8);
    const char *h = (const char *)bytes + 8, *hit = NULL;
    for (size_t i = 0; i + strlen(from) <= hl && !hit; i++)
        if (!memcmp(h + i, from, strlen(from))) hit = h + i;
    if (!hit) return NULL;
    size_t a = (size_t)(hit - h), nf = strlen(from), nt = strlen(to);
    uint64_t nhl = hl - nf + nt;
    *out_len = len - nf + nt;
    uint8_t *o = malloc(*out_len);
    memcpy(o, &nhl, 8);
    memcpy(o + 8, h, a);
    memcpy(o + 8 + a, to, nt);
    memcpy(o + 8 + a + nt, h + a + nf, hl - a - nf);
    memcpy(o + 8 + nhl, bytes + 8 + hl, len - 8 - hl);
    return o;
}

/* Settings in a model file that ask for far more weights than the file holds are refused before
 * the weights are allocated (a 135-byte GRU4Rec file used to allocate 403 MB); evaluation with a
 * huge k allocates nothing of that size; n_sample beyond the catalogue sizes for the full softmax. */
static void amplification(void) {
    const char *seq = "a x\na y\na z\nb x\nb y\nb z\nc x\nc z\nc y\n";
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, seq, strlen(seq), "seq", "s", 0, &d) == WR_OK);
    static const char *const models[][3] = {{"gru4rec", "\\\"dim\\\":8", "\\\"dim\\\":4096"},
                                            {"sasrec", "\\\"dim\\\":8", "\\\"dim\\\":1024"},
                                            {"mf", "\\\"dim\\\":8", "\\\"dim\\\":4096"}};
    for (int k = 0; k < 3; k++) {
        wr_model *m = NULL;
        CHECK(wr_model_new(ctx, models[k][0], 1, &m) == WR_OK);
        CHECK(wr_model_set(m, "dim", "8") == WR_OK);
        CHECK(wr_model_set(m, "epochs", "1") == WR_OK);
        CHECK(wr_model_fit(m, d) == WR_OK);
        uint8_t *bytes;
        size_t len, nlen = 0;
        CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
        uint8_t *big = rewrite(bytes, len, models[k][1], models[k][2], &nlen);
        CHECK(big != NULL);
        wr_model *back = NULL;
        if (big) {
            CHECK(wr_model_load(ctx, big, nlen, "huge.safetensors", &back) == WR_ERR_FORMAT);
            CHECK_CONTAINS(wr_last_error(ctx), "huge.safetensors: its settings");
            CHECK_CONTAINS(wr_last_error(ctx), "MB of weights, but the file holds");
        }
        CHECK(back == NULL);
        free(big);
        wr_free(bytes);
        wr_model_free(m);
    }
    /* evaluation with k = 2^30 on a 3-item catalogue */
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "pop", 1, &m) == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    char *json = NULL;
    CHECK(wr_eval_loo(m, d, WR_SPLIT_TEST, 1 << 30, WR_SEEN_KEEP, 0, 1, &json) == WR_OK);
    CHECK(json && strstr(json, "\"HR@1073741824\":1") != NULL); /* every target is in a top 2^30 */
    wr_free(json);
    wr_model_free(m);
    /* gru4rec with n_sample far past the catalogue trains with the full softmax's buffers */
    CHECK(wr_model_new(ctx, "gru4rec", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "n_sample", "1000000") == WR_OK);
    CHECK(wr_model_set(m, "epochs", "1") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    wr_model_free(m);
    /* an item id with an escaped NUL in a model file: refused as such, not as a duplicate */
    CHECK(wr_model_new(ctx, "pop", 1, &m) == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    uint8_t *bytes, *bad;
    size_t len, blen = 0;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    bad = rewrite(bytes, len, "\\\"y\\\"", "\\\"x\\\\u0000\\\"", &blen);
    CHECK(bad != NULL);
    wr_model *back = NULL;
    if (bad) {
        CHECK(wr_model_load(ctx, bad, blen, "nul.safetensors", &back) == WR_ERR_FORMAT);
        CHECK_CONTAINS(wr_last_error(ctx), "(a NUL byte)");
    }
    free(bad);
    wr_free(bytes);
    wr_model_free(m);
    wr_data_free(d);
}

/* Found by tests/fuzz/fuzz_side: an id or feature value holding the text "\u0000" (a backslash,
 * then "u0000") is saved as "\\u0000" in the model file's JSON, which the loader took for an
 * escaped NUL and refused: such a model saved but did not load. */
static void escaped_backslash_ids(void) {
    const char *csv = "session,item\na,x\\u0000y\na,z\nb,z\nb,x\\u0000y\nc,z\nc,w\n";
    const char *items = "item,group\nx\\u0000y,budge\\u0000t\nz,main\nw,main\n";
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, csv, strlen(csv), "csv", "b.csv", 0, &d) == WR_OK);
    CHECK(wr_data_load_side(d, 1, items, strlen(items), "items.csv") == WR_OK);
    static const char *const names[2] = {"pop", "lr"};
    for (int k = 0; k < 2; k++) {
        wr_model *m = NULL, *back = NULL;
        CHECK(wr_model_new(ctx, names[k], 1, &m) == WR_OK);
        if (k) CHECK(wr_model_set(m, "epochs", "1") == WR_OK);
        CHECK(wr_model_fit(m, d) == WR_OK);
        uint8_t *bytes = NULL;
        size_t len = 0;
        CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
        CHECK(wr_model_load(ctx, bytes, len, "b.safetensors", &back) == WR_OK);
        CHECK(back && wr_model_item_index(back, "x\\u0000y") >= 0);
        if (k) CHECK(back && wr_model_feature_index(back, "item.group=budge\\u0000t") >= 0);
        wr_free(bytes);
        wr_model_free(back);
        wr_model_free(m);
    }
    wr_data_free(d);
}

/* Found by tests/fuzz/fuzz_model: fine-tuning a model file with huge (finite) weights made a
 * weight NaN in an embedding row that later steps did not read, so the loss stayed finite and
 * the model went on scoring and saved a file its own loader refuses. Non-finite weights now end
 * training as a diverged loss does (WR_ERR_NAN; the model refuses to score and to save). The
 * test makes that row NaN itself: item w's input embedding (gru4rec's first tensor, row w + 1),
 * which fine-tuning on data without w never reads. */
static void diverged_weights(void) {
    const char *seq = "a x\na y\na w\nb x\nb y\nb z\nc x\nc z\nc y\nd y\nd z\nd x\n", *tune = "e x\ne y\ne z\nf z\nf y\nf x\n";
    wr_data *d = NULL, *t = NULL;
    CHECK(wr_data_load(ctx, seq, strlen(seq), "seq", "s", 0, &d) == WR_OK);
    CHECK(wr_data_load(ctx, tune, strlen(tune), "seq", "t", 0, &t) == WR_OK);
    for (int stop = 0; stop < 2; stop++) { /* at the end of the epoch, and stopped in its middle */
        wr_model *m = NULL;
        CHECK(wr_model_new(ctx, "gru4rec", 1, &m) == WR_OK);
        CHECK(wr_model_set(m, "dim", "8") == WR_OK);
        CHECK(wr_model_set(m, "batch", "1") == WR_OK);
        CHECK(wr_model_set(m, "epochs", "1") == WR_OK);
        CHECK(wr_model_fit(m, d) == WR_OK);
        int w = wr_model_item_index(m, "w"), h = wr_model_item_index(m, "x");
        CHECK(w >= 0 && m->n_params > 8 * (size_t)(w + 2));
        double p[WR_PROGRESS_N];
        CHECK(wr_train_continue(m, t, 0, p) == WR_OK);
        m->params[8 * (size_t)(w + 1)] = NAN; /* row 0 is the padding item */
        int rc = WR_OK;
        if (stop) {
            rc = wr_train_steps(m, 1, p);
            CHECK(rc == WR_OK && !p[WR_PROGRESS_DONE]);
            rc = wr_train_end(m);
        } else {
            while (rc == WR_OK && !p[WR_PROGRESS_DONE]) rc = wr_train_steps(m, 100, p);
            CHECK(p[WR_PROGRESS_LOSS] == p[WR_PROGRESS_LOSS]); /* the loss did not show it */
            wr_train_end(m);
        }
        CHECK(rc == WR_ERR_NAN);
        CHECK_CONTAINS(wr_last_error(ctx), "gru4rec: the weights became non-finite in epoch 1");
        float sc[4];
        uint8_t *bytes = NULL;
        size_t len = 0;
        CHECK(wr_model_score(m, -1, &h, 1, sc) == WR_ERR_STATE);
        CHECK(wr_model_save(m, &bytes, &len) == WR_ERR_STATE);
        wr_free(bytes);
        wr_model_free(m);
    }
    wr_data_free(d);
    wr_data_free(t);
}

/* Found by tests/fuzz/fuzz_side: a side-table value of hundreds of bytes became a feature key
 * longer than the ids a model file may hold, so a model trained with it saved a file its loader
 * refuses. Such a value is now refused when the table loads (naming the row and column), before
 * any feature is added; one at the limit trains, saves and loads. */
static void long_feature_values(void) {
    const char *csv = "session,item\na,x\na,y\nb,y\nb,x\nc,x\nc,y\n";
    for (int len = 245; len <= 246; len++) { /* "item.group=" is 11 bytes: 256 in all, then 257 */
        wr_buf b = {0};
        wr__buf_puts(&b, "item,group,price\nx,");
        for (int i = 0; i < len; i++) wr__buf_puts(&b, "g");
        wr__buf_puts(&b, ",1\ny,short,2\n");
        wr_data *d = NULL;
        CHECK(wr_data_load(ctx, csv, strlen(csv), "csv", "l.csv", 0, &d) == WR_OK);
        int rc = wr_data_load_side(d, 1, b.data, b.len, "items.csv");
        if (len == 246) {
            CHECK(rc == WR_ERR_PARSE);
            CHECK_CONTAINS(wr_last_error(ctx), "items.csv: item \"x\", column group: a value of 246 bytes; a feature (item.group=value) is at most 256 bytes");
            CHECK(wr_data_n_features(d) == 0); /* nothing of the table was kept */
        } else {
            CHECK(rc == WR_OK);
            wr_model *m = NULL, *back = NULL;
            CHECK(wr_model_new(ctx, "lr", 1, &m) == WR_OK);
            CHECK(wr_model_set(m, "epochs", "1") == WR_OK);
            CHECK(wr_model_fit(m, d) == WR_OK);
            uint8_t *bytes = NULL;
            size_t n = 0;
            CHECK(wr_model_save(m, &bytes, &n) == WR_OK);
            CHECK(wr_model_load(ctx, bytes, n, "l.safetensors", &back) == WR_OK);
            wr_free(bytes);
            wr_model_free(back);
            wr_model_free(m);
        }
        wr__buf_free(&b);
        wr_data_free(d);
    }
}

/* Item 4, budgets: settings and model files whose buffers would exceed the memory budget are
 * refused with WR_ERR_ARG naming the settings, before the allocation; the model stays usable. */
static void fit_refused(wr_data *d, const char *name, const char *const (*sets)[2], int n, const char *expect) {
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, name, 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "epochs", "1") == WR_OK);
    for (int i = 0; i < n; i++) CHECK(wr_model_set(m, sets[i][0], sets[i][1]) == WR_OK);
    wr__ctx_fail_alloc(ctx, INT64_MAX); /* counts */
    CHECK(wr_model_fit(m, d) == WR_ERR_ARG);
    const int64_t allocs = wr__ctx_alloc_count(ctx);
    wr__ctx_fail_alloc(ctx, 0);
    CHECK(allocs < 64); /* refused up front, not after building most of the state */
    CHECK_CONTAINS(wr_last_error(ctx), expect);
    if (!strstr(wr_last_error(ctx), "WebAssembly")) CHECK_CONTAINS(wr_last_error(ctx), "over the memory budget of");
    /* the same model with small settings trains */
    CHECK(wr_model_set(m, "batch", "8") == WR_OK);
    CHECK(wr_model_set(m, "dim", "8") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    wr_model_free(m);
}

static void budgets(void) {
    CHECK(wr_ctx_memory_mb(ctx) == WR_MEMORY_MB_DEFAULT);
    CHECK(wr_ctx_set_memory_mb(ctx, 0) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "the memory budget must be between 1 and 1048576 MB");
    wr_data *d = NULL;
    const char *seq = "a x\na y\na z\nb x\nb y\nb z\nc x\nc z\nc y\n";
    CHECK(wr_data_load(ctx, seq, strlen(seq), "seq", "s", 0, &d) == WR_OK);
    static const char *const sas[][2] = {{"batch", "4096"}, {"max_len", "1024"}};
    fit_refused(d, "sasrec", sas, 2, "sasrec: the activations of batch 4096 x max_len 1024");
    static const char *const gru[][2] = {{"batch", "4096"}, {"dim", "4096"}};
    fit_refused(d, "gru4rec", gru, 2, "gru4rec: the training buffers of batch 4096 x dim 4096");
    static const char *const ncf[][2] = {{"batch", "65536"}, {"n_neg", "100"}, {"dim", "512"}};
    fit_refused(d, "neumf", ncf, 3, "neumf: the activations of batch 65536 x (1 + n_neg 100) rows");
    /* a lower budget: gru4rec's weights at dim 1024 (12 MB, 4x to train) no longer fit in 32 MB */
    CHECK(wr_ctx_set_memory_mb(ctx, 32) == WR_OK);
    static const char *const wide[][2] = {{"dim", "1024"}};
    fit_refused(d, "gru4rec", wide, 1, "gru4rec: the weights and their training state");
    CHECK_CONTAINS(wr_last_error(ctx), "gru4rec.gru.w_ih, is 3072 x 1024");
    /* a model file is refused the same way when its weights exceed the budget */
    wr_model *m = NULL, *back = NULL;
    CHECK(wr_model_new(ctx, "gru4rec", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "epochs", "1") == WR_OK && wr_model_set(m, "dim", "400") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK); /* 15 MB to train: within 32 MB; 4 MB of weights to load */
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    CHECK(wr_ctx_set_memory_mb(ctx, 2) == WR_OK);
    CHECK(wr_model_load(ctx, bytes, len, "g.safetensors", &back) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "gru4rec: the weights for these settings");
    CHECK(back == NULL);
    CHECK(wr_ctx_set_memory_mb(ctx, 64) == WR_OK);
    CHECK(wr_model_load(ctx, bytes, len, "g.safetensors", &back) == WR_OK);
    wr_model_free(back);
    wr_free(bytes);
    wr_model_free(m);
    /* an index asked to make room for more than the budget */
    wr_index *ix = NULL;
    CHECK(wr_index_new(ctx, 1024, "capacity=100000", &ix) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "index: 100000 vectors of dim 1024");
    CHECK(ix == NULL);
    /* wasm32: past the 4 GB a module can address, whatever the budget (native would allocate it) */
    if (sizeof(size_t) < 8) {
        CHECK(wr_ctx_set_memory_mb(ctx, 1048576) == WR_OK);
        fit_refused(d, "sasrec", sas, 2, "more than the 4096 MB a WebAssembly module can address");
    }
    CHECK(wr_ctx_set_memory_mb(ctx, WR_MEMORY_MB_DEFAULT) == WR_OK);
    wr_data_free(d);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    nul_ids();
    integer_settings();
    stan_extreme_times();
    itemknn_selection();
    nan_counts();
    amplification();
    escaped_backslash_ids();
    diverged_weights();
    long_feature_values();
    budgets();
    wr_ctx_free(ctx);
    TEST_END("harden");
}
