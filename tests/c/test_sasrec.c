/* test_sasrec.c: SASRec's and BERT4Rec's gradients against central finite differences for
 * every weight (full softmax and BCE, 2 blocks, 2 heads, padded batches; causal and bidirectional
 * attention, the mask token), a known loss, learning a pattern that needs more than the last
 * item, and the model file. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../../src/models/model.h"
#include "../../src/models/params.h"
#include "check.h"

static wr_ctx *ctx;

static const char *model_name = "sasrec";
static const char *sample_alpha = "-1"; /* the loss's own negatives */

static wr_model *prepare(wr_data *d, const char *loss) {
    wr_model *m;
    CHECK(wr_model_new(ctx, model_name, 5, &m) == WR_OK);
    const char *sets[][2] = {{"dim", "4"}, {"blocks", "2"}, {"heads", "2"}, {"max_len", "4"}, {"batch", "2"}, {"loss", loss}, {"sample_alpha", sample_alpha}};
    for (int i = 0; i < 7; i++) CHECK(wr_model_set(m, sets[i][0], sets[i][1]) == WR_OK);
    double p[WR_PROGRESS_N];
    CHECK(wr_train_begin(m, d, NULL, p) == WR_OK);
    /* larger random weights than the 0.02 init, so every path carries gradient */
    wr_rng rng;
    wr__rng_seed(&rng, 11);
    for (size_t i = 0; i < m->n_params; i++) m->params[i] += 0.3f * wr__rng_normal(&rng);
    return m;
}

static void set_batch(wr_model *m) {
    int32_t *tgt, *inp = wr__sasrec_batch(m, &tgt);
    /* two sequences of max_len 4: one left-padded. SASRec: targets one step ahead; BERT4Rec:
     * the mask token (V + 1 = 9) at two places, targets only there. */
    int32_t in[8] = {0, 0, 3, 5, 1, 2, 3, 4}, tg[8] = {0, 0, 5, 2, 2, 3, 4, 6};
    int32_t bin[8] = {0, 0, 3, 9, 1, 9, 3, 4}, btg[8] = {0, 0, 0, 5, 0, 2, 0, 0};
    int bert = !strcmp(model_name, "bert4rec");
    memcpy(inp, bert ? bin : in, sizeof in);
    memcpy(tgt, bert ? btg : tg, sizeof tg);
}

static double loss_at(wr_model *m) {
    int64_t pos;
    const float *g;
    wr__rng_seed(&m->rng, 77); /* the same BCE negatives every call */
    set_batch(m);
    return wr__sasrec_loss_grad(m, 2, NULL, &pos, &g);
}

static double probe_loss(void *m) { return loss_at(m); }

static void gradcheck(wr_data *d, const char *loss) {
    wr_model *m = prepare(d, loss);
    int64_t pos;
    const float *g;
    wr__rng_seed(&m->rng, 77);
    set_batch(m);
    wr__sasrec_loss_grad(m, 2, NULL, &pos, &g);
    CHECK(pos == (!strcmp(model_name, "bert4rec") ? 2 : 6));
    size_t n = m->n_params;
    float *analytic = malloc(n * sizeof *analytic);
    memcpy(analytic, g, n * sizeof *analytic);
    char label[64];
    snprintf(label, sizeof label, "%s loss=%s", model_name, loss);
    int nonzero, bad = check_gradients(m->params, analytic, n, probe_loss, m, 1e-2f, 3e-3, 5e-2, label, &nonzero);
    CHECK(nonzero > 80);
    CHECK(bad == 0);
    free(analytic);
    wr_train_end(m);
    wr_model_free(m);
}

/* Evaluation scores many histories in one pass: 70 of them (more than one group of 64), empty,
 * short and longer than max_len, must score exactly as one at a time. */
static void batch_equals_single(wr_model *m) {
    enum { N = 70 };
    int V = wr_model_n_items(m), store[N][7], lens[N];
    wr_query qs[N];
    for (int i = 0; i < N; i++) {
        lens[i] = i % 8 == 7 ? 0 : 1 + i % 7;
        for (int t = 0; t < lens[i]; t++) store[i][t] = (i * 3 + t * 5) % V;
        qs[i] = (wr_query){.user = -1, .items = store[i], .len = lens[i]};
    }
    float *batch = malloc((size_t)N * V * sizeof *batch), *one = malloc((size_t)V * sizeof *one);
    CHECK(wr__score_batch(m, qs, N, batch) == WR_OK);
    int same = 1;
    for (int i = 0; i < N; i++) {
        CHECK(wr_model_score(m, -1, store[i], lens[i], one) == WR_OK);
        same &= memcmp(one, batch + (size_t)i * V, (size_t)V * sizeof *one) == 0;
    }
    CHECK(same);
    free(batch);
    free(one);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    const char *text = "u1 a\nu1 b\nu1 c\nu2 d\nu2 e\nu2 f\nu3 g\nu3 h\nu3 a\n";
    wr_data *d;
    CHECK(wr_data_load(ctx, text, strlen(text), "seq", "t", 0, &d) == WR_OK);
    gradcheck(d, "ce");
    gradcheck(d, "bce");
    gradcheck(d, "gbce");
    gradcheck(d, "sampled");
    model_name = "bert4rec";
    gradcheck(d, "ce");
    gradcheck(d, "bce");
    model_name = "sasrec";

    /* log-Q direction: with all weights zero every logit is 0, so the sampled softmax ranks the
     * candidates by -log q alone: a rare target (b, q = 1/9) must lose less than the popular one
     * (a, q = 2/9). With the sign flipped it would be the other way round. With uniform negatives
     * (sample_alpha 0) q is the same for every item, so the two losses are equal. */
    for (int uniform = 0; uniform < 2; uniform++) {
        sample_alpha = uniform ? "0" : "-1";
        wr_model *q = prepare(d, "sampled");
        sample_alpha = "-1";
        CHECK(wr_model_set(q, "negatives", "6") == WR_OK);
        memset(q->params, 0, q->n_params * sizeof(float));
        int32_t *tgt, *inp = wr__sasrec_batch(q, &tgt);
        double lq[2];
        for (int k = 0; k < 2; k++) {
            memset(inp, 0, 8 * sizeof *inp);
            memset(tgt, 0, 8 * sizeof *tgt);
            inp[3] = 3;
            tgt[3] = wr_model_item_index(q, k == 0 ? "a" : "b") + 1;
            int64_t pos;
            const float *g;
            wr__rng_seed(&q->rng, 5);
            lq[k] = wr__sasrec_loss_grad(q, 2, NULL, &pos, &g);
        }
        CHECK(uniform ? lq[1] == lq[0] : lq[1] < lq[0]);
        wr_train_end(q);
        wr_model_free(q);
    }

    /* all-zero weights (layernorm scales too): every logit 0, the CE loss is log V */
    wr_model *m = prepare(d, "ce");
    memset(m->params, 0, m->n_params * sizeof(float));
    CHECK_CLOSE(loss_at(m), log(8.0), 1e-5, 0);
    wr_train_end(m);
    wr_model_free(m);

    /* Needs more than the last item: sessions "x q" and "y q" continue with the item their
     * first item names (x q -> X, y q -> Y); a first-order model cannot tell them apart. */
    wr_buf b = {0};
    for (int u = 0; u < 200; u++) {
        int kind = u % 2;
        wr__buf_printf(&b, "u%d %s\nu%d q\nu%d %s\nu%d z\n", u, kind ? "x" : "y", u, u, kind ? "X" : "Y", u);
    }
    wr_data *pat;
    CHECK(wr_data_load(ctx, b.data, b.len, "seq", "pattern", 0, &pat) == WR_OK);
    wr__buf_free(&b);
    CHECK(wr_model_new(ctx, "sasrec", 1, &m) == WR_OK);
    /* no regularisation: this is about what the model can learn */
    const char *sets[][2] = {{"dim", "16"}, {"max_len", "4"}, {"epochs", "60"}, {"batch", "32"}, {"lr", "0.01"}, {"dropout", "0"}, {"weight_decay", "0"}};
    for (int i = 0; i < 7; i++) CHECK(wr_model_set(m, sets[i][0], sets[i][1]) == WR_OK);
    CHECK(wr_model_fit(m, pat) == WR_OK);
    const char *first[] = {"x", "y"}, *want[] = {"X", "Y"};
    for (int k = 0; k < 2; k++) {
        int hist[2] = {wr_model_item_index(m, first[k]), wr_model_item_index(m, "q")}, top[1], got;
        float sc[1];
        CHECK(wr_model_recommend(m, -1, hist, 2, 1, 0, top, sc, &got) == WR_OK);
        CHECK_STR(wr_model_item_id(m, top[0]), want[k]);
    }
    /* BERT4Rec on the pattern without the trailing z (its last slot always holds the next item
     * after the history, so sessions must end where the prediction is asked): x q X, y q Y */
    b = (wr_buf){0};
    for (int u = 0; u < 200; u++) {
        int kind = u % 2;
        wr__buf_printf(&b, "u%d %s\nu%d q\nu%d %s\n", u, kind ? "x" : "y", u, u, kind ? "X" : "Y");
    }
    wr_data *pat3;
    CHECK(wr_data_load(ctx, b.data, b.len, "seq", "pattern3", 0, &pat3) == WR_OK);
    wr__buf_free(&b);
    wr_model *bm;
    CHECK(wr_model_new(ctx, "bert4rec", 1, &bm) == WR_OK);
    const char *bsets[][2] = {{"dim", "16"}, {"max_len", "5"}, {"epochs", "80"}, {"batch", "32"}, {"lr", "0.01"}, {"dropout", "0"}, {"mask_prob", "0.3"}};
    for (int i = 0; i < 7; i++) CHECK(wr_model_set(bm, bsets[i][0], bsets[i][1]) == WR_OK);
    CHECK(wr_model_fit(bm, pat3) == WR_OK);
    for (int k = 0; k < 2; k++) {
        int hist[2] = {wr_model_item_index(bm, first[k]), wr_model_item_index(bm, "q")}, top[1], got;
        float sc[1];
        CHECK(wr_model_recommend(bm, -1, hist, 2, 1, 0, top, sc, &got) == WR_OK);
        CHECK_STR(wr_model_item_id(bm, top[0]), want[k]);
    }
    batch_equals_single(bm);
    wr_model_free(bm);
    wr_data_free(pat3);
    batch_equals_single(m);

    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "s.safetensors", &back) == WR_OK);
    float s1[6], s2[6];
    int hist[2] = {wr_model_item_index(m, "x"), wr_model_item_index(m, "q")};
    CHECK(wr_model_score(m, -1, hist, 2, s1) == WR_OK);
    if (back) CHECK(wr_model_score(back, -1, hist, 2, s2) == WR_OK);
    CHECK(back && memcmp(s1, s2, sizeof s1) == 0);
    wr_free(bytes);
    wr_model_free(back);
    wr_model_free(m);

    /* the whole declared range of blocks fits the parameter layout: the most blocks train,
     * save and load (an old fixed cap of 64 views stopped at 5) */
    for (int bert = 0; bert < 2; bert++) {
        CHECK(wr_model_new(ctx, bert ? "bert4rec" : "sasrec", 1, &m) == WR_OK);
        char most[16];
        snprintf(most, sizeof most, "%d", WR_MAX_BLOCKS);
        const char *big[][2] = {{"blocks", most}, {"dim", "4"}, {"heads", "1"}, {"max_len", "4"}, {"epochs", "1"}};
        for (int i = 0; i < 5; i++) CHECK(wr_model_set(m, big[i][0], big[i][1]) == WR_OK);
        CHECK(wr_model_set(m, "blocks", "17") == WR_ERR_ARG);
        CHECK(wr_model_fit(m, pat) == WR_OK);
        CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
        CHECK(wr_model_load(ctx, bytes, len, "big.safetensors", &back) == WR_OK);
        if (back) CHECK(wr_model_score(back, -1, hist, 2, s2) == WR_OK);
        wr_free(bytes);
        wr_model_free(back);
        wr_model_free(m);
    }
    wr_data_free(pat);
    wr_data_free(d);
    wr_ctx_free(ctx);
    TEST_END("sasrec");
}
