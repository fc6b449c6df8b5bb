/* test_gru4rec.c: GRU4Rec's gradients against central finite differences (full softmax and
 * sampled negatives), a known loss, learning a planted sequence, and the model file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/models/model.h"
#include "check.h"

static wr_ctx *ctx;

static const char *loss_name = "ce";
static const char *dropout = "0"; /* both dropouts; the masks repeat because every call reseeds */

static wr_model *prepare(wr_data *d, const char *n_sample) {
    wr_model *m;
    CHECK(wr_model_new(ctx, "gru4rec", 5, &m) == WR_OK);
    CHECK(wr_model_set(m, "dim", "4") == WR_OK);
    CHECK(wr_model_set(m, "batch", "3") == WR_OK);
    CHECK(wr_model_set(m, "n_sample", n_sample) == WR_OK);
    CHECK(wr_model_set(m, "init", "0.5") == WR_OK);
    CHECK(wr_model_set(m, "loss", loss_name) == WR_OK);
    CHECK(wr_model_set(m, "dropout_embed", dropout) == WR_OK);
    CHECK(wr_model_set(m, "dropout_hidden", dropout) == WR_OK);
    double p[WR_PROGRESS_N];
    CHECK(wr_train_begin(m, d, NULL, p) == WR_OK);
    return m;
}

/* each lane's sequence so far (0-based, its input last): the repeat bias's histories */
static const int32_t lane0[] = {4, 0}, lane2[] = {2, 1};
static const int32_t *const hist[3] = {lane0, NULL, lane2};
static const int hist_len[3] = {2, 0, 2};

static double loss_at(wr_model *m, const int32_t *inp, const int32_t *tgt, const float *h) {
    double loss;
    int64_t pos;
    int rows;
    const float *g;
    wr__rng_seed(&m->rng, 99); /* the same negatives every call */
    CHECK(wr__gru4rec_loss_grad(m, inp, tgt, h, hist, hist_len, &loss, &pos, &rows, &g) == WR_OK);
    return loss;
}

struct probe {
    wr_model *m;
    const int32_t *inp, *tgt;
    const float *h;
};

static double probe_loss(void *arg) {
    struct probe *p = arg;
    return loss_at(p->m, p->inp, p->tgt, p->h);
}

static void gradcheck(wr_data *d, const char *n_sample) {
    wr_model *m = prepare(d, n_sample);
    int32_t inp[3] = {1, 4, 2}, tgt[3] = {2, 0, 5}; /* the middle lane is idle */
    float h[12];
    wr_rng rng;
    wr__rng_seed(&rng, 3);
    for (int i = 0; i < 12; i++) h[i] = wr__rng_float(&rng) - 0.5f;
    double loss;
    int64_t pos;
    int rows;
    const float *g;
    wr__rng_seed(&m->rng, 99);
    CHECK(wr__gru4rec_loss_grad(m, inp, tgt, h, hist, hist_len, &loss, &pos, &rows, &g) == WR_OK);
    CHECK(pos == 2);
    size_t n = m->n_params;
    float *analytic = malloc(n * sizeof *analytic);
    memcpy(analytic, g, n * sizeof *analytic);
    struct probe pr = {m, inp, tgt, h};
    char label[64];
    snprintf(label, sizeof label, "gru4rec loss=%s n_sample=%s dropout=%s", loss_name, n_sample, dropout);
    int nonzero, bad = check_gradients(m->params, analytic, n, probe_loss, &pr, 1e-2f, 2e-3, 3e-2, label, &nonzero);
    CHECK(nonzero > 60);
    CHECK(bad == 0);
    free(analytic);
    wr_train_end(m);
    wr_model_free(m);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    const char *text = "u1 a\nu1 b\nu1 c\nu2 d\nu2 e\nu2 f\nu3 g\nu3 h\nu3 a\n";
    wr_data *d;
    CHECK(wr_data_load(ctx, text, strlen(text), "seq", "t", 0, &d) == WR_OK);
    gradcheck(d, "0");
    gradcheck(d, "5");
    loss_name = "bpr-max";
    gradcheck(d, "0");
    gradcheck(d, "5");
    loss_name = "ce";
    dropout = "0.3";
    gradcheck(d, "0");
    gradcheck(d, "5");
    dropout = "0";

    /* all-zero weights: every logit equal, so the loss is log V */
    wr_model *m = prepare(d, "0");
    memset(m->params, 0, m->n_params * sizeof(float));
    int32_t inp[3] = {1, 2, 3}, tgt[3] = {2, 3, 4};
    float h[12] = {0};
    CHECK_CLOSE(loss_at(m, inp, tgt, h), log(8.0), 1e-5, 0);
    wr_train_end(m);
    wr_model_free(m);

    /* a planted cycle a b c d e a b c ...: after training, the next item is on top */
    wr_buf b = {0};
    for (int u = 0; u < 40; u++)
        for (int t = 0; t < 8; t++) wr__buf_printf(&b, "u%d %c\n", u, "abcde"[(u + t) % 5]);
    wr_data *cyc;
    CHECK(wr_data_load(ctx, b.data, b.len, "seq", "cycle", 0, &cyc) == WR_OK);
    wr__buf_free(&b);
    CHECK(wr_model_new(ctx, "gru4rec", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "dim", "16") == WR_OK);
    CHECK(wr_model_set(m, "epochs", "15") == WR_OK);
    CHECK(wr_model_fit(m, cyc) == WR_OK);
    const char *next[] = {"b", "c", "d", "e", "a"};
    for (int i = 0; i < 5; i++) {
        char id[2] = {"abcde"[i], 0};
        int hist[1] = {wr_model_item_index(m, id)}, top[1], got;
        float sc[1];
        CHECK(wr_model_recommend(m, -1, hist, 1, 1, 0, top, sc, &got) == WR_OK);
        CHECK_STR(wr_model_item_id(m, top[0]), next[i]);
    }
    /* a pattern that needs more than the last item: x q -> X, y q -> Y */
    b = (wr_buf){0};
    for (int u = 0; u < 200; u++)
        wr__buf_printf(&b, "u%d %s\nu%d q\nu%d %s\n", u, u % 2 ? "x" : "y", u, u, u % 2 ? "X" : "Y");
    wr_data *pat;
    CHECK(wr_data_load(ctx, b.data, b.len, "seq", "pattern", 0, &pat) == WR_OK);
    wr__buf_free(&b);
    wr_model *lr;
    CHECK(wr_model_new(ctx, "gru4rec", 1, &lr) == WR_OK);
    CHECK(wr_model_set(lr, "dim", "16") == WR_OK);
    CHECK(wr_model_set(lr, "epochs", "30") == WR_OK);
    CHECK(wr_model_fit(lr, pat) == WR_OK);
    const char *first[] = {"x", "y"}, *want[] = {"X", "Y"};
    for (int k = 0; k < 2; k++) {
        int hist2[2] = {wr_model_item_index(lr, first[k]), wr_model_item_index(lr, "q")}, top[1], got;
        float sc[1];
        CHECK(wr_model_recommend(lr, -1, hist2, 2, 1, 0, top, sc, &got) == WR_OK);
        CHECK_STR(wr_model_item_id(lr, top[0]), want[k]);
    }
    wr_model_free(lr);
    wr_data_free(pat);

    /* the model file round trip scores identically */
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "g.safetensors", &back) == WR_OK);
    float s1[5], s2[5];
    int hist[3] = {0, 1, 2};
    CHECK(wr_model_score(m, -1, hist, 3, s1) == WR_OK);
    if (back) CHECK(wr_model_score(back, -1, hist, 3, s2) == WR_OK);
    CHECK(back && memcmp(s1, s2, sizeof s1) == 0);
    wr_model_free(back);
    CHECK(wr_model_load(ctx, bytes, len / 2, "g.safetensors", &back) == WR_ERR_FORMAT);
    CHECK(back == NULL);
    wr_free(bytes);
    wr_model_free(m);
    wr_data_free(cyc);
    wr_data_free(d);
    wr_ctx_free(ctx);
    TEST_END("gru4rec");
}
