/* mf.c: matrix factorisation. score(u, i) = p_u . q_i + b_i (+ b_u + mu, which only the rating
 * loss needs: they do not change a user's ranking).
 *   - loss bpr (Rendle et al. 2009): -log sigmoid(s_ui - s_uj) for each positive event (u, i) and
 *     n_neg sampled items j the user never touched in training;
 *   - loss bce: the labels of labelled data (wr_data_label), or, on implicit data, each positive
 *     against n_neg sampled negatives; scores are then logits (logloss applies);
 *   - loss mse: (s_ui - r_ui)^2 on the ratings; scores are predicted ratings (RMSE, MAE apply).
 * Negatives are drawn uniformly (neg_alpha 0) or by popularity^neg_alpha, redrawn (up to 10
 * times) while the user touched them. L2 `reg` on the rows a step uses; lazy Adam on those rows.
 * A user the model does not know is scored with the mean of their history's item vectors as p_u
 * (and no user bias); with no history, by the training counts like every model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "../nn/nn.h"
#include "batch.h"
#include "params.h"

enum { LOSS_BPR = 0, LOSS_BCE, LOSS_MSE };

static const wr_param_def mf_params[] = {
    {"dim", WR_PARAM_INT, 64, 1, 4096, NULL, "embedding size"},
    {"lr", WR_PARAM_FLOAT, 0.001, 1e-6, 10, NULL, "Adam learning rate"},
    {"reg", WR_PARAM_FLOAT, 0.0, 0, 100, NULL, "L2 penalty on the embeddings and biases a step uses"},
    {"batch", WR_PARAM_INT, 1024, 1, 1 << 20, NULL, "training events per step"},
    {"epochs", WR_PARAM_INT, 200, 1, 100000, NULL, "maximum epochs (early stopping usually ends it sooner)"},
    {"patience", WR_PARAM_INT, 10, 0, 1000, NULL, "epochs without validation gain before stopping (0 = never)"},
    {"loss", WR_PARAM_ENUM, 0, 0, 2, "bpr|bce|mse", "pairwise BPR, binary cross-entropy (labels or sampled negatives), or squared error on ratings"},
    {"n_neg", WR_PARAM_INT, 1, 1, 1000, NULL, "sampled negatives per positive event (bpr, and bce without labels)"},
    {"neg_alpha", WR_PARAM_FLOAT, 0, 0, 1, NULL, "negatives drawn from popularity^neg_alpha (0 = uniform)"},
    {"init", WR_PARAM_FLOAT, 0.01, 0, 10, NULL, "standard deviation of the initial embeddings"},
};

typedef struct {
    int U, V, C, loss;
    wr_layout layout;
    int pu, qi, bu, bi, mu;  /* views */
    float *grad, *m1, *m2;   /* gradient and Adam moments, same layout as m->params */
    wr_adamw adam;
    /* training state */
    wr_events ev;            /* the events: ratings (mse), labels (bce on labelled data), else positives */
    int32_t *urows, *irows;  /* rows a step touched */
    unsigned char *utouch, *itouch;
    int nur, nir;
    float *pbuf;             /* (C) a query's user vector */
} mf_state;

static inline float *view(const mf_state *s, float *buf, int v) { return buf + s->layout.v[v].offset; }

static int build_layout(wr_model *m, int U, int V) {
    mf_state *s = m->state;
    s->U = U, s->V = V, s->C = (int)wr__hp(m, "dim"), s->loss = (int)wr__hp(m, "loss");
    float init = (float)wr__hp(m, "init");
    wr_layout *l = &s->layout;
    memset(l, 0, sizeof *l);
    s->pu = wr__layout_add(l, "mf.user_emb", 2, U, s->C, 0, WR_INIT_NORMAL, init, 1);
    s->qi = wr__layout_add(l, "mf.item_emb", 2, V, s->C, 0, WR_INIT_NORMAL, init, 1);
    s->bu = wr__layout_add(l, "mf.user_bias", 1, U, 0, 0, WR_INIT_ZERO, 0, 1);
    s->bi = wr__layout_add(l, "mf.item_bias", 1, V, 0, 0, WR_INIT_ZERO, 0, 1);
    s->mu = wr__layout_add(l, "mf.global_bias", 1, 1, 0, 0, WR_INIT_ZERO, 0, 0);
    int alloc_rc = wr__layout_alloc(m, l);
    if (alloc_rc) return alloc_rc;
    s->pbuf = wr__malloc((size_t)s->C * sizeof(float));
    return m->params && s->pbuf ? WR_OK : wr__oom(m->ctx, "allocating mf");
}

static void mf_free(wr_model *m) {
    mf_state *s = m->state;
    free(m->params);
    wr__events_free(&s->ev);
    void *bufs[] = {s->grad, s->m1, s->m2, s->urows, s->irows, s->utouch, s->itouch, s->pbuf};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(s);
}

static int mf_fit(wr_model *m, const wr_seqs *train) {
    mf_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "allocating mf");
    m->state = s;
    int rc = build_layout(m, m->users.n, train->n_items);
    if (rc) return rc;
    wr__layout_init(&s->layout, m->params, &m->rng);
    if (s->loss == LOSS_MSE && !train->rating)
        return wr__err(m->ctx, WR_ERR_ARG, "mf: loss mse needs ratings (MovieLens, or a CSV rating column); this data has none");
    int target = s->loss == LOSS_MSE ? WR_TARGET_RATING : s->loss == LOSS_BCE && train->label ? WR_TARGET_LABEL : WR_TARGET_NONE;
    size_t T = s->layout.total + 4;
    int B = (int)wr__hp(m, "batch"), nn = (int)wr__hp(m, "n_neg");
    size_t per_step = (size_t)B * (1 + (size_t)nn);
    double mean = 0;
    s->grad = wr__calloc(T, sizeof(float)), s->m1 = wr__calloc(T, sizeof(float)), s->m2 = wr__calloc(T, sizeof(float));
    s->urows = wr__malloc((size_t)(B < s->U ? B : s->U) * sizeof(int32_t) + 4);
    s->irows = wr__malloc((per_step < (size_t)s->V ? per_step : (size_t)s->V) * sizeof(int32_t) + 4);
    s->utouch = wr__calloc((size_t)s->U + 1, 1), s->itouch = wr__calloc((size_t)s->V + 1, 1);
    if (!s->grad || !s->m1 || !s->m2 || !s->urows || !s->irows || !s->utouch || !s->itouch ||
        wr__events_init(&s->ev, train, target, B, target == WR_TARGET_NONE ? nn : 0, wr__hp(m, "neg_alpha"), &mean) < 0)
        return wr__oom(m->ctx, "allocating mf's training state");
    if (!s->ev.n) return wr__err(m->ctx, WR_ERR_ARG, "mf: no training events");
    if (s->loss == LOSS_MSE) *view(s, m->params, s->mu) = (float)mean; /* start at the mean rating */
    s->adam = wr_adamw_init((float)wr__hp(m, "lr"), 0);
    return WR_OK;
}

static float score_pair(const mf_state *s, const float *P, int u, int i) {
    const float *pu = view(s, (float *)P, s->pu) + (size_t)u * s->C, *qi = view(s, (float *)P, s->qi) + (size_t)i * s->C;
    return wr_dot(pu, qi, s->C) + view(s, (float *)P, s->bi)[i] + view(s, (float *)P, s->bu)[u] + *view(s, (float *)P, s->mu);
}

static void touch(int32_t *rows, unsigned char *mark, int *n, int r) {
    if (!mark[r]) mark[r] = 1, rows[(*n)++] = r;
}

/* d loss / d score = g for the pair (u, i): accumulate into the gradient. */
static void add_grad(mf_state *s, const float *P, float *G, int u, int i, float g) {
    int C = s->C;
    const float *pu = view(s, (float *)P, s->pu) + (size_t)u * C, *qi = view(s, (float *)P, s->qi) + (size_t)i * C;
    float *gp = view(s, G, s->pu) + (size_t)u * C, *gq = view(s, G, s->qi) + (size_t)i * C;
    for (int c = 0; c < C; c++) gp[c] += g * qi[c], gq[c] += g * pu[c];
    view(s, G, s->bi)[i] += g;
    view(s, G, s->bu)[u] += g;
    *view(s, G, s->mu) += g;
    touch(s->urows, s->utouch, &s->nur, u);
    touch(s->irows, s->itouch, &s->nir, i);
}

static void clear_grad(mf_state *s);

double wr__mf_loss_grad(wr_model *m, const int32_t *users, const int32_t *items, const float *y, const int32_t *negs, int n,
                        const float **grad) {
    mf_state *s = m->state;
    clear_grad(s);
    *grad = s->grad;
    const float *P = m->params;
    float *G = s->grad;
    int nn = (int)wr__hp(m, "n_neg");
    double loss = 0, inv = 1.0 / n;
    for (int b = 0; b < n; b++) {
        int u = users[b], i = items[b];
        float si = score_pair(s, P, u, i);
        if (s->loss == LOSS_MSE || (s->loss == LOSS_BCE && y)) {
            if (s->loss == LOSS_MSE) {
                float d = si - y[b];
                loss += d * d;
                add_grad(s, P, G, u, i, (float)(2 * d * inv));
            } else { /* labelled bce */
                float dz;
                loss += wr_bce_logit(si, y[b], &dz);
                add_grad(s, P, G, u, i, (float)(dz * inv));
            }
            continue;
        }
        for (int k = 0; k < nn; k++) {
            int j = negs[(size_t)b * nn + k];
            float sj = score_pair(s, P, u, j);
            float dz;
            if (s->loss == LOSS_BPR) { /* -log sigmoid(si - sj): BCE of the difference against 1 */
                loss += wr_bce_logit(si - sj, 1, &dz);
                add_grad(s, P, G, u, i, (float)(dz * inv));
                add_grad(s, P, G, u, j, (float)(-dz * inv));
            } else { /* implicit bce: the positive once, each negative */
                loss += wr_bce_logit(sj, 0, &dz);
                add_grad(s, P, G, u, j, (float)(dz * inv));
            }
        }
        if (s->loss == LOSS_BCE) {
            float dz;
            loss += wr_bce_logit(si, 1, &dz);
            add_grad(s, P, G, u, i, (float)(dz * inv));
        }
    }
    /* L2 on the rows the batch used (not divided by the batch: once per row a step uses) */
    loss *= inv;
    float reg = (float)wr__hp(m, "reg");
    int C = s->C;
    for (int r = 0; reg > 0 && r < s->nur; r++) {
        int u = s->urows[r];
        const float *p = view(s, (float *)P, s->pu) + (size_t)u * C;
        float *g = view(s, G, s->pu) + (size_t)u * C;
        for (int c = 0; c < C; c++) loss += reg * p[c] * p[c], g[c] += 2 * reg * p[c];
    }
    for (int r = 0; reg > 0 && r < s->nir; r++) {
        int i = s->irows[r];
        const float *q = view(s, (float *)P, s->qi) + (size_t)i * C;
        float *g = view(s, G, s->qi) + (size_t)i * C;
        for (int c = 0; c < C; c++) loss += reg * q[c] * q[c], g[c] += 2 * reg * q[c];
        float bi = view(s, (float *)P, s->bi)[i];
        loss += reg * bi * bi, view(s, G, s->bi)[i] += 2 * reg * bi;
    }
    return loss;
}

/* Clears the gradient rows the last step touched. */
static void clear_grad(mf_state *s) {
    int C = s->C;
    for (int r = 0; r < s->nur; r++) {
        int u = s->urows[r];
        memset(view(s, s->grad, s->pu) + (size_t)u * C, 0, C * sizeof(float));
        view(s, s->grad, s->bu)[u] = 0;
        s->utouch[u] = 0;
    }
    for (int r = 0; r < s->nir; r++) {
        int i = s->irows[r];
        memset(view(s, s->grad, s->qi) + (size_t)i * C, 0, C * sizeof(float));
        view(s, s->grad, s->bi)[i] = 0;
        s->itouch[i] = 0;
    }
    *view(s, s->grad, s->mu) = 0;
    s->nur = s->nir = 0;
}

static int mf_train_step(wr_model *m, const wr_seqs *train, double *loss, int64_t *positions, int *epoch_end) {
    mf_state *s = m->state;
    (void)train;
    wr_events *e = &s->ev;
    int n = wr__events_next(e, &m->rng, (int)wr__hp(m, "batch"), epoch_end);
    const float *grad;
    *loss = wr__mf_loss_grad(m, e->bu, e->bi, e->by, e->bneg, n, &grad);
    /* lazy Adam: each table on the rows this step used */
    wr_adamw_begin_step(&s->adam);
    float *P = m->params;
    int C = s->C;
    wr_adamw_rows(view(s, P, s->pu), view(s, s->m1, s->pu), view(s, s->m2, s->pu), view(s, s->grad, s->pu), s->urows, s->nur, &s->adam, s->U, C);
    wr_adamw_rows(view(s, P, s->bu), view(s, s->m1, s->bu), view(s, s->m2, s->bu), view(s, s->grad, s->bu), s->urows, s->nur, &s->adam, s->U, 1);
    wr_adamw_rows(view(s, P, s->qi), view(s, s->m1, s->qi), view(s, s->m2, s->qi), view(s, s->grad, s->qi), s->irows, s->nir, &s->adam, s->V, C);
    wr_adamw_rows(view(s, P, s->bi), view(s, s->m1, s->bi), view(s, s->m2, s->bi), view(s, s->grad, s->bi), s->irows, s->nir, &s->adam, s->V, 1);
    if (s->loss != LOSS_BPR) wr_adamw_dense(view(s, P, s->mu), view(s, s->m1, s->mu), view(s, s->m2, s->mu), view(s, s->grad, s->mu), &s->adam, 1);
    *positions = n;
    return WR_OK;
}

static int mf_score(wr_model *m, const wr_query *q, float *scores) {
    mf_state *s = m->state;
    float *P = m->params;
    int C = s->C, V = s->V;
    const float *p, *bi = view(s, P, s->bi);
    float offset = 0;
    if (q->user >= 0) {
        p = view(s, P, s->pu) + (size_t)q->user * C;
        offset = view(s, P, s->bu)[q->user] + *view(s, P, s->mu);
    } else { /* fold-in: the mean item vector of the history */
        memset(s->pbuf, 0, C * sizeof(float));
        for (int t = 0; t < q->len; t++) {
            const float *qi = view(s, P, s->qi) + (size_t)q->items[t] * C;
            for (int c = 0; c < C; c++) s->pbuf[c] += qi[c] / q->len;
        }
        p = s->pbuf;
        offset = *view(s, P, s->mu);
    }
    wr_gemm_nt(scores, p, view(s, P, s->qi), 1, V, C, 0);
    for (int i = 0; i < V; i++) scores[i] += bi[i] + offset;
    return WR_OK;
}

static int mf_predicts(const wr_model *m) {
    int loss = (int)wr__hp(m, "loss");
    return loss == LOSS_BCE ? WR_PREDICTS_PROB : loss == LOSS_MSE ? WR_PREDICTS_RATING : WR_PREDICTS_SCORE;
}

static int mf_save(wr_model *m, wr_st_file *f) {
    mf_state *s = m->state;
    return wr__layout_save(m, &s->layout, m->params, f);
}

static int mf_load(wr_model *m, const wr_st_file *f) {
    mf_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "loading mf");
    m->state = s;
    int rc = build_layout(m, m->users.n, m->items.n);
    return rc ? rc : wr__layout_load(m, &s->layout, m->params, f);
}

static int mf_item_vectors(wr_model *m, const float **rows, int *dim, int *stride) {
    const mf_state *s = m->state;
    *dim = *stride = s->C;
    if (rows) *rows = view(s, m->params, s->qi);
    return WR_OK;
}

const wr_model_vt wr__mf_vt = {
    .name = "mf",
    .caps = WR_USES_USERS | WR_USES_LABELS,
    .params = mf_params,
    .n_params = (int)(sizeof mf_params / sizeof mf_params[0]),
    .fit = mf_fit,
    .score = mf_score,
    .predicts = mf_predicts,
    .save = mf_save,
    .load = mf_load,
    .free_state = mf_free,
    .train_step = mf_train_step,
    .item_vectors = mf_item_vectors,
};
