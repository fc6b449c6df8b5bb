/* test_torch_fixtures.c: our C reproduces the PyTorch twins (models/torch/). For each fixture of
 * tests/fixtures/torch/ (written by models/torch/make_fixtures.py, embedded through fixtures.h so
 * the wasm build needs no file system): the weights load through wr_model_load and score the
 * fixture's queries as the twin did; and for one training batch, a model trained to the same
 * state on the fixture's events (wr_train_begin), given the same weights, gives the twin's loss
 * and the gradient of every weight through the family's loss/gradient entry point (the
 * *_features fixtures with side tables: feature rows, ffm's fields, deepfm's field means; the
 * sampled losses with the fixture's negatives, drawn by the model's generator from a seed). The
 * references are float64 from the float32 weights; the tolerance is |ours - ref| <=
 * rtol |ref| + atol max|ref| over the tensor (the case file's rtol 1e-4, atol 1e-6). Torch is not
 * needed: the fixtures are committed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/models/batch.h"
#include "../../src/models/model.h"
#include "../fixtures/torch/fixtures.h"
#include "check.h"

static wr_ctx *ctx;

/* A tensor of the case file copied out (n elements), or NULL when absent. */
static void *tensor(const wr_st_file *f, const char *name, int64_t *n) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, name)) {
            void *out = malloc(f->t[i].nbytes + 8);
            if (!out) return NULL;
            wr__st_copy(out, &f->t[i]);
            int64_t k = 1;
            for (int d = 0; d < f->t[i].ndim; d++) k *= f->t[i].shape[d];
            if (n) *n = k;
            return out;
        }
    return NULL;
}

/* Compares n values with the reference; prints and returns the largest differences. */
static int close_all(const char *what, const float *got, const float *want, size_t n, double rtol, double atol, double *max_abs, double *max_rel) {
    double scale = 0;
    for (size_t i = 0; i < n; i++) scale = fabs(want[i]) > scale ? fabs(want[i]) : scale;
    int bad = 0;
    *max_abs = *max_rel = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]), r = want[i] != 0 ? d / fabs(want[i]) : (d > 0 ? INFINITY : 0);
        if (d > *max_abs) *max_abs = d;
        if (fabs(want[i]) > 1e-3 * scale && r > *max_rel) *max_rel = r; /* relative error where it means something */
        if (!(d <= rtol * fabs(want[i]) + atol * scale) && bad++ < 4)
            printf("  %s[%zu]: ours %.9g, torch %.9g\n", what, i, got[i], want[i]);
    }
    return bad;
}

static void run(const torch_fixture *fx) {
    wr_model *m = NULL, *g = NULL, *t = NULL;
    wr_data *d = NULL;
    wr_st_file c;
    CHECK(wr_model_load(ctx, fx->model, fx->model_len, fx->name, &m) == WR_OK);
    CHECK(wr_model_load(ctx, fx->grad, fx->grad_len, fx->name, &g) == WR_OK);
    CHECK(wr__st_parse(ctx, fx->cas, fx->case_len, fx->name, &c) == WR_OK);
    if (!m || !g) return;
    const char *family = wr__st_meta(&c, "family"), *train = wr__st_meta(&c, "train"), *sets = wr__st_meta(&c, "sets");
    double rtol = atof(wr__st_meta(&c, "rtol")), atol = atof(wr__st_meta(&c, "atol")), want_loss = atof(wr__st_meta(&c, "loss"));
    CHECK_STR(m->vt->name, family);

    /* 1. scores of the queries */
    int64_t Q, nflat, nscores;
    int32_t *qu = tensor(&c, "query_user", &Q), *ql = tensor(&c, "query_len", NULL), *qi = tensor(&c, "query_items", &nflat);
    float *want = tensor(&c, "scores", &nscores);
    int V = wr_model_n_items(m);
    CHECK(nscores == Q * V);
    float *got = malloc((size_t)Q * V * sizeof *got);
    int hist[64];
    for (int q = 0, off = 0; q < Q; off += ql[q++]) {
        for (int k = 0; k < ql[q]; k++) hist[k] = qi[off + k];
        CHECK(wr_model_score(m, qu[q], hist, ql[q], got + (size_t)q * V) == WR_OK);
    }
    double sa, sr, la = 0, ga, gr;
    CHECK(close_all("scores", got, want, (size_t)Q * V, rtol, atol, &sa, &sr) == 0);

    /* 2. the loss and gradients of one batch, from the training state of the same events */
    CHECK(wr_data_load(ctx, train, strlen(train), wr__st_meta(&c, "format"), "train", 0, &d) == WR_OK);
    for (int side = 0; d && side < 2; side++) { /* the feature models' side tables */
        const char *table = wr__st_meta(&c, side ? "items_side" : "users_side");
        if (table) CHECK(wr_data_load_side(d, side, table, strlen(table), side ? "items" : "users") == WR_OK);
    }
    CHECK(wr_model_new(ctx, family, 1, &t) == WR_OK);
    for (const char *s = sets; s && *s;) {
        char key[64], val[64];
        size_t n = strcspn(s, "\n"), eq = strcspn(s, "=");
        if (eq < n && eq < sizeof key && n - eq - 1 < sizeof val) {
            memcpy(key, s, eq), key[eq] = 0;
            memcpy(val, s + eq + 1, n - eq - 1), val[n - eq - 1] = 0;
            CHECK(wr_model_set(t, key, val) == WR_OK);
        }
        s += n + (s[n] == '\n');
    }
    double progress[WR_PROGRESS_N];
    CHECK(wr_train_begin(t, d, NULL, progress) == WR_OK);
    CHECK(wr_model_n_items(t) == V && wr_model_n_users(t) == wr_model_n_users(m));
    for (int i = 0; i < V && i < wr_model_n_items(t); i++) CHECK_STR(wr_model_item_id(t, i), wr_model_item_id(m, i));
    CHECK(t->features.n == m->features.n); /* the same feature keys, in the same order */
    for (int i = 0; i < t->features.n && i < m->features.n; i++) CHECK_STR(t->features.keys[i], m->features.keys[i]);
    CHECK(t->n_params == m->n_params && g->n_params == m->n_params);
    if (t->n_params != m->n_params) goto done;
    memcpy(t->params, m->params, m->n_params * sizeof(float));
    /* the sampled losses (SASRec BCE, GRU4Rec's sampled softmax) draw their negatives from the
     * model's generator: seeded as the fixture says, it draws the fixture's items, which the
     * fixture's script took from a Python copy of our sampler (models/torch/wrdata.py); checked
     * here against our own sampler before the loss is */
    const char *seed = wr__st_meta(&c, "rng_seed");
    int64_t n_drawn = 0;
    int32_t *drawn = seed ? tensor(&c, "drawn", &n_drawn) : NULL;
    if (seed) {
        uint64_t s0 = strtoull(seed, NULL, 10);
        wr_seqs sq;
        int32_t *len = NULL;
        wr_sampler sm;
        wr_rng r;
        CHECK(drawn != NULL && n_drawn > 0);
        CHECK(wr__seqs_from_data(d, 0, &sq, &len) == 0);
        CHECK(wr__sampler_init(&sm, &sq, atof(wr__st_meta(&c, "sample_alpha"))) == 0);
        wr__rng_seed(&r, s0);
        int same = 0;
        for (int64_t k = 0; drawn && k < n_drawn; k++) same += wr__sampler_draw(&sm, &r) == drawn[k];
        CHECK(same == n_drawn);
        printf("%-17s %d of %d negatives drawn as the fixture's (seed %s, alpha %s)\n", fx->name, same, (int)n_drawn, seed,
               wr__st_meta(&c, "sample_alpha"));
        wr__sampler_free(&sm);
        wr_free(len);
        wr__rng_seed(&t->rng, s0);
    }
    free(drawn);
    const float *grad = NULL;
    double loss = NAN;
    int64_t n;
    if (!strcmp(family, "sasrec") || !strcmp(family, "bert4rec")) {
        int32_t *inp = tensor(&c, "batch_inp", &n), *tgt = tensor(&c, "batch_tgt", NULL), *tin, *bin = wr__sasrec_batch(t, &tin);
        int T = (int)wr__hp(t, "max_len"), B = (int)(n / T);
        memcpy(bin, inp, (size_t)n * sizeof *inp);
        memcpy(tin, tgt, (size_t)n * sizeof *tgt);
        int64_t pos;
        loss = wr__sasrec_loss_grad(t, B, NULL, &pos, &grad);
        free(inp), free(tgt);
    } else if (!strcmp(family, "gru4rec")) {
        int32_t *inp = tensor(&c, "inp", &n), *tgt = tensor(&c, "tgt", NULL), *hs = tensor(&c, "hist_start", NULL), *hi = tensor(&c, "hist_items", NULL);
        float *h = tensor(&c, "h", NULL);
        const int32_t *hp[64];
        int hl[64];
        for (int b = 0; b < n; b++) hp[b] = hi + hs[b], hl[b] = hs[b + 1] - hs[b];
        int64_t pos;
        int rows;
        CHECK(wr__gru4rec_loss_grad(t, inp, tgt, h, hp, hl, &loss, &pos, &rows, &grad) == WR_OK);
        free(inp), free(tgt), free(hs), free(hi), free(h);
    } else {
        int64_t nn;
        int32_t *users = tensor(&c, "users", &n), *items = tensor(&c, "items", NULL), *negs = tensor(&c, "negs", &nn);
        if (!strcmp(family, "mf")) loss = wr__mf_loss_grad(t, users, items, NULL, negs, (int)n, &grad);
        else if (!strcmp(family, "gmf") || !strcmp(family, "mlp") || !strcmp(family, "neumf"))
            loss = wr__ncf_loss_grad(t, users, items, NULL, negs, (int)n, &grad);
        else if (!strcmp(family, "twotower")) {
            int32_t *pos = tensor(&c, "pos", NULL);
            int64_t at[64];
            for (int b = 0; b < n; b++) at[b] = d->user_start[users[b]] + pos[b];
            loss = wr__twotower_loss_grad(t, users, items, at, (int)n, negs, (int)nn, NULL, &grad);
            free(pos);
        } else loss = wr__fm_loss_grad(t, users, items, NULL, negs, (int)n, NULL, NULL, &grad);
        free(users), free(items), free(negs);
    }
    CHECK(grad != NULL);
    if (grad) {
        la = fabs(loss - want_loss) / fabs(want_loss);
        CHECK(la <= rtol);
        CHECK(close_all("grad", grad, g->params, m->n_params, rtol, atol, &ga, &gr) == 0);
        printf("%-17s scores: max abs %.2g, rel %.2g; loss rel %.2g; %zu gradients: max abs %.2g, rel %.2g\n", fx->name, sa, sr, la,
               m->n_params, ga, gr);
    }
done:
    free(qu), free(ql), free(qi), free(want), free(got);
    wr__st_free(&c);
    if (t) wr_train_end(t);
    wr_model_free(t);
    wr_model_free(m);
    wr_model_free(g);
    wr_data_free(d);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    for (int i = 0; i < N_TORCH_FIXTURES; i++) run(&torch_fixtures[i]);
    CHECK(N_TORCH_FIXTURES >= 20);
    wr_ctx_free(ctx);
    TEST_END("torch_fixtures");
}
