/* fm.c: logistic regression (lr), factorisation machines (fm, Rendle 2010) and field-aware
 * factorisation machines (ffm, Juan et al. 2016) on the features of
 * a (user, item) pair: the user's id, the user's side features, the item's id and the item's side
 * features (--users, --items), each a binary feature.
 *   lr: y = w0 + sum_j w_j
 *   fm: y = w0 + sum_j w_j + sum_{j<k} <v_j, v_k>, computed in O(kn) as
 *       1/2 (|sum_j v_j|^2 - sum_j |v_j|^2)
 *   ffm: y = w0 + sum_j w_j + sum_{j<k} <v_{j,f(k)}, v_{k,f(j)}>: a vector per feature and field
 *        (fields: the user id, the item id, each side column), checked against memory_mb before
 *        anything is allocated, since features x fields x k grows fast
 *   deepfm: fm's y plus a deep part (Guo et al. 2017) on the same factors: each field's
 *        embedding (the mean of its features' factors), concatenated, through a ReLU tower of
 *        `layers` x `hidden` units to one output
 * Loss bce (the labels of labelled data, or on implicit data each positive against n_neg
 * sampled items the user never touched; scores are logits) or mse (ratings; scores are
 * predicted ratings). Lazy Adam on the rows a step uses, L2 `reg` on them. Full ranking splits
 * the pair into its user part U and item part I: y = w0 + W_U + W_I + P_U + P_I + <s_U, s_I>,
 * so a query costs one pass over the items. A user the model does not know has no user part.
 * Context: the event's context features (a CSV event file's other columns, "ctx.device=mobile")
 * join the user part: a training event's its own (its negatives share it), a query's the context
 * it carries (wr_model_context); a field each, like a side column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "../nn/nn.h"
#include "batch.h"
#include "optim.h"

enum { LOSS_BCE = 0, LOSS_MSE };

#define COMMON_PARAMS(lr)                                                                                               \
    {"lr", WR_PARAM_FLOAT, lr, 1e-6, 10, NULL, "Adam learning rate"},                                                   \
    {"reg", WR_PARAM_FLOAT, 1e-5, 0, 100, NULL, "L2 penalty on the weights (and factors) a step uses"},                 \
    {"batch", WR_PARAM_INT, 1024, 1, 1 << 20, NULL, "training events per step"},                                        \
    {"epochs", WR_PARAM_INT, 100, 1, 100000, NULL, "maximum epochs (early stopping usually ends it sooner)"},            \
    {"patience", WR_PARAM_INT, 5, 0, 1000, NULL, "epochs without validation gain before stopping (0 = never)"},         \
    {"loss", WR_PARAM_ENUM, 0, 0, 1, "bce|mse", "binary cross-entropy (labels, or sampled negatives), or squared error on ratings"}, \
    {"n_neg", WR_PARAM_INT, 1, 1, 1000, NULL, "sampled negatives per positive event (unlabelled data)"},                \
    {"ids", WR_PARAM_INT, 1, 0, 1, NULL, "the user and item ids are features too (0 = side features only)"},       \
    {"label_neg", WR_PARAM_INT, 0, 0, 1000, NULL, "labelled data: also this many sampled items the user never touched per event, as label 0 (a ranking stage over retrieved candidates needs them)"}

static const wr_param_def lr_params[] = {COMMON_PARAMS(0.01)};
static const wr_param_def fm_params[] = {
    COMMON_PARAMS(0.001), /* the factors overfit the id x id pairs within a few epochs at 0.01 */
    {"dim", WR_PARAM_INT, 16, 1, 1024, NULL, "factor size k"},
    {"init", WR_PARAM_FLOAT, 0.01, 0, 10, NULL, "standard deviation of the initial factors"},
};
static const wr_param_def deepfm_params[] = {
    COMMON_PARAMS(0.001),
    {"dim", WR_PARAM_INT, 8, 1, 1024, NULL, "factor size k, shared by the FM and the deep part"},
    {"init", WR_PARAM_FLOAT, 0.01, 0, 10, NULL, "standard deviation of the initial factors"},
    {"hidden", WR_PARAM_INT, 64, 1, 4096, NULL, "units per hidden layer of the deep part"},
    {"layers", WR_PARAM_INT, 2, 1, 4, NULL, "hidden layers of the deep part"},
};
static const wr_param_def ffm_params[] = {
    COMMON_PARAMS(0.001),
    {"dim", WR_PARAM_INT, 4, 1, 1024, NULL, "factor size k (per field)"},
    {"init", WR_PARAM_FLOAT, 0.01, 0, 10, NULL, "standard deviation of the initial factors"},
    {"memory_mb", WR_PARAM_INT, 1024, 1, 65536, NULL, "refuse when the factors and their optimiser state need more"},
};

typedef struct {
    int U, V, F, K, loss, ids; /* F: features in all (ids first, then side values); K = 0 for lr */
    int ffm, NF, R;            /* ffm: NF fields, a factor row R = NF * K wide (fm: R = K) */
    int32_t *field;            /* ffm, deepfm: (F) each feature's field */
    int DL, dw[5], db[5], dwidth[6]; /* deepfm: DL linear layers, widths NF*K, hidden..., 1 (DL = 0: none) */
    float *dact[6], *ddact[6]; /* deepfm: activations for dcap rows */
    int dcap;
    wr_layout layout;
    int w0, w, v;              /* views */
    float *grad, *m1, *m2;
    wr_adamw adam;
    /* each user's and item's side features, as model feature ids (CSR) */
    int64_t *ustart, *istart;
    int32_t *ufeat, *ifeat;
    /* training */
    wr_events ev;
    int max_part;              /* most features of one user or item part (its id included) */
    int max_ctx;               /* most context features of one training event */
    int32_t *rows;
    unsigned char *touched;
    int n_rows;
    float *sbuf, *ibuf;        /* (K) sums */
} fm_state;

static inline float *view(const fm_state *s, float *buf, int v) { return buf + s->layout.v[v].offset; }

static int build_layout(wr_model *m, int U, int V, int F, int NF) {
    fm_state *s = m->state;
    s->U = U, s->V = V, s->F = F;
    s->K = (int)wr__hp_or(m, "dim", 0);
    s->loss = (int)wr__hp(m, "loss"), s->ids = (int)wr__hp(m, "ids");
    s->ffm = !strcmp(m->vt->name, "ffm"), s->NF = NF, s->R = s->ffm ? NF * s->K : s->K;
    if (s->ffm) { /* weights, factors, gradient and two moments: 4 bytes each, 4 copies */
        double mb = 16.0 * (double)F * ((double)s->R + 1) / (1 << 20);
        if (mb > wr__hp(m, "memory_mb"))
            return wr__err(m->ctx, WR_ERR_ARG, "ffm: %d features x %d fields x k %d need %.0f MB, over memory_mb %.0f (lower dim, drop side columns, or raise memory_mb)",
                           F, NF, s->K, mb, wr__hp(m, "memory_mb"));
    }
    wr_layout *l = &s->layout;
    memset(l, 0, sizeof *l);
    const char *pre = m->vt->name;
    char name[48];
    snprintf(name, sizeof name, "%s.bias", pre);
    s->w0 = wr__layout_add(l, name, 1, 1, 0, 0, WR_INIT_ZERO, 0, 0);
    snprintf(name, sizeof name, "%s.weight", pre);
    s->w = wr__layout_add(l, name, 2, F, 1, 0, WR_INIT_ZERO, 0, 1);
    snprintf(name, sizeof name, "%s.factors", pre);
    s->v = s->K ? wr__layout_add(l, name, 2, F, s->R, 0, WR_INIT_NORMAL, (float)wr__hp(m, "init"), 1) : -1;
    s->DL = !strcmp(pre, "deepfm") ? (int)wr__hp(m, "layers") + 1 : 0;
    for (int d = 0; d < s->DL; d++) {
        s->dwidth[0] = NF * s->K, s->dwidth[d + 1] = d == s->DL - 1 ? 1 : (int)wr__hp(m, "hidden");
        snprintf(name, sizeof name, "deepfm.deep.layer%d.weight", d);
        s->dw[d] = wr__layout_add(l, name, 2, s->dwidth[d + 1], s->dwidth[d], 0, WR_INIT_UNIFORM,
                                  sqrtf(6.0f / (float)(s->dwidth[d] + s->dwidth[d + 1])), 0);
        snprintf(name, sizeof name, "deepfm.deep.layer%d.bias", d);
        s->db[d] = wr__layout_add(l, name, 1, s->dwidth[d + 1], 0, 0, WR_INIT_ZERO, 0, 0);
    }
    int alloc_rc = wr__layout_alloc(m, l);
    if (alloc_rc) return alloc_rc;
    s->sbuf = wr__calloc((size_t)s->K + 1, sizeof(float)), s->ibuf = wr__calloc((size_t)s->K + 1, sizeof(float));
    return m->params && s->sbuf && s->ibuf ? WR_OK : wr__oom(m->ctx, "allocating the model");
}

static void fm_free(wr_model *m) {
    fm_state *s = m->state;
    free(m->params);
    wr__events_free(&s->ev);
    void *bufs[] = {s->field, s->grad, s->m1, s->m2, s->ustart, s->istart, s->ufeat, s->ifeat, s->rows, s->touched, s->sbuf, s->ibuf};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    for (int d = 0; d < 6; d++) free(s->dact[d]), free(s->ddact[d]);
    free(s);
}

/* The features of entity e's part: its id (when ids), then its side features. */
static int part(const fm_state *s, int item, int e, int32_t *out) {
    int n = 0;
    if (e < 0) return 0;
    if (s->ids) out[n++] = item ? s->U + e : e;
    const int64_t *st = item ? s->istart : s->ustart;
    const int32_t *f = item ? s->ifeat : s->ufeat;
    for (int64_t k = st[e]; k < st[e + 1]; k++) out[n++] = f[k];
    return n;
}

static void set_max_part(fm_state *s) {
    s->max_part = 1;
    for (int side = 0; side < 2; side++) {
        const int64_t *st = side ? s->istart : s->ustart;
        for (int e = 0, n = side ? s->V : s->U; e < n; e++)
            if (st[e + 1] - st[e] + 1 > s->max_part) s->max_part = (int)(st[e + 1] - st[e] + 1);
    }
}

static int fm_fit(wr_model *m, const wr_seqs *train) {
    fm_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "allocating the model");
    m->state = s;
    const wr_features *X = train->features;
    int U = m->users.n, V = train->n_items, side = X ? X->values.n : 0;
    int rc = build_layout(m, U, V, U + V + side, 2 + (X ? X->n_fields : 0));
    if (rc) return rc;
    wr__layout_init(&s->layout, m->params, &m->rng);
    if (s->loss == LOSS_MSE && !train->rating)
        return wr__err(m->ctx, WR_ERR_ARG, "%s: loss mse needs ratings (MovieLens, or a CSV rating column); this data has none", m->vt->name);
    if (!s->ids && !side)
        return wr__err(m->ctx, WR_ERR_ARG, "%s: ids=0 needs side features (--users FILE, --items FILE)", m->vt->name);
    /* the side features, remapped after the ids */
    s->ustart = wr__calloc((size_t)U + 1, sizeof(int64_t)), s->istart = wr__calloc((size_t)V + 1, sizeof(int64_t));
    int64_t nu = X && X->start[0] ? X->start[0][U] : 0, ni = X && X->start[1] ? X->start[1][V] : 0;
    s->ufeat = wr__malloc((size_t)nu * sizeof(int32_t) + 4), s->ifeat = wr__malloc((size_t)ni * sizeof(int32_t) + 4);
    if (!s->ustart || !s->istart || !s->ufeat || !s->ifeat) return wr__oom(m->ctx, "allocating the model");
    for (int side_i = 0; side_i < 2; side_i++) {
        int n = side_i ? V : U;
        int64_t *st = side_i ? s->istart : s->ustart;
        int32_t *f = side_i ? s->ifeat : s->ufeat;
        for (int e = 0; e <= n; e++) st[e] = X && X->start[side_i] ? X->start[side_i][e] : 0;
        for (int64_t k = 0; k < st[n]; k++) f[k] = U + V + X->feat[side_i][k];
    }
    set_max_part(s);
    if (X && X->start[2] && train->ctx_row) /* the longest context of a training event */
        for (int u = 0; u < train->n; u++)
            for (int t = 0; t < train->len[u]; t++) {
                const int32_t *cf;
                int nc = wr__seq_context(train, train->start[u] + t, &cf);
                if (nc > s->max_ctx) s->max_ctx = nc;
            }
    if (s->ffm || s->DL) { /* fields: the user id 0, the item id 1, side or context column c at 2 + c */
        if (!(s->field = wr__malloc((size_t)s->F * sizeof *s->field + 4))) return wr__oom(m->ctx, "allocating the model");
        for (int j = 0; j < s->F; j++) s->field[j] = j < U ? 0 : j < U + V ? 1 : 2 + X->value_field[j - U - V];
    }
    /* training events: ratings (mse), labels (bce on labelled data), else the positives */
    int target = s->loss == LOSS_MSE ? WR_TARGET_RATING : train->label ? WR_TARGET_LABEL : WR_TARGET_NONE;
    size_t T = s->layout.total + 4;
    int B = (int)wr__hp(m, "batch"), nn = (int)wr__hp(m, target == WR_TARGET_NONE ? "n_neg" : "label_neg");
    if (target == WR_TARGET_RATING) nn = 0;
    double mean = 0;
    s->grad = wr__calloc(T, sizeof(float)), s->m1 = wr__calloc(T, sizeof(float)), s->m2 = wr__calloc(T, sizeof(float));
    size_t per_step = (size_t)B * (1 + (size_t)nn) * (size_t)(2 * s->max_part + s->max_ctx);
    s->rows = wr__malloc((per_step < (size_t)s->F ? per_step : (size_t)s->F) * sizeof(int32_t) + 4);
    s->touched = wr__calloc((size_t)s->F + 1, 1);
    if (!s->grad || !s->m1 || !s->m2 || !s->rows || !s->touched || wr__events_init(&s->ev, train, target, B, nn, 0, &mean) < 0)
        return wr__oom(m->ctx, "allocating the model's training state");
    if (!s->ev.n) return wr__err(m->ctx, WR_ERR_ARG, "%s: no training events", m->vt->name);
    if (s->loss == LOSS_MSE) *view(s, m->params, s->w0) = (float)mean;
    s->adam = wr_adamw_init((float)wr__hp(m, "lr"), 0);
    return WR_OK;
}

/* FFM's y for x (n), and with backward its gradient times g. */
static float ffm_forward_backward(fm_state *s, const float *P, float *G, const int32_t *x, int n, float g, int backward) {
    int K = s->K, R = s->R;
    const float *w = view(s, (float *)P, s->w), *v = view(s, (float *)P, s->v);
    float y = *view(s, (float *)P, s->w0);
    for (int j = 0; j < n; j++) y += w[x[j]];
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            const float *va = v + (size_t)x[a] * R + (size_t)s->field[x[b]] * K, *vb = v + (size_t)x[b] * R + (size_t)s->field[x[a]] * K;
            y += wr_dot(va, vb, K);
            if (!backward) continue;
            float *ga = view(s, G, s->v) + (size_t)x[a] * R + (size_t)s->field[x[b]] * K, *gb = view(s, G, s->v) + (size_t)x[b] * R + (size_t)s->field[x[a]] * K;
            for (int c = 0; c < K; c++) ga[c] += g * vb[c], gb[c] += g * va[c];
        }
    if (!backward) return y;
    *view(s, G, s->w0) += g;
    for (int j = 0; j < n; j++) {
        view(s, G, s->w)[x[j]] += g;
        if (!s->touched[x[j]]) s->touched[x[j]] = 1, s->rows[s->n_rows++] = x[j];
    }
    return y;
}

/* y for the features x (n), and (when g != 0) dloss/dy = g added to the gradient. */
static float forward_backward(fm_state *s, const float *P, float *G, const int32_t *x, int n, float g, int backward) {
    if (s->ffm) return ffm_forward_backward(s, P, G, x, n, g, backward);
    int K = s->K;
    const float *w = view(s, (float *)P, s->w), *v = s->v >= 0 ? view(s, (float *)P, s->v) : NULL;
    float y = *view(s, (float *)P, s->w0), sq = 0;
    memset(s->sbuf, 0, (size_t)K * sizeof(float));
    for (int j = 0; j < n; j++) {
        y += w[x[j]];
        for (int c = 0; c < K; c++) {
            float vj = v[(size_t)x[j] * K + c];
            s->sbuf[c] += vj, sq += vj * vj;
        }
    }
    if (K) y += 0.5f * (wr_dot(s->sbuf, s->sbuf, K) - sq);
    if (!backward) return y;
    *view(s, G, s->w0) += g;
    float *gw = view(s, G, s->w), *gv = K ? view(s, G, s->v) : NULL;
    for (int j = 0; j < n; j++) {
        gw[x[j]] += g;
        for (int c = 0; c < K; c++) gv[(size_t)x[j] * K + c] += g * (s->sbuf[c] - v[(size_t)x[j] * K + c]);
        if (!s->touched[x[j]]) s->touched[x[j]] = 1, s->rows[s->n_rows++] = x[j];
    }
    return y;
}

static void clear_grad(fm_state *s) {
    int R = s->R;
    for (int r = 0; r < s->n_rows; r++) {
        int j = s->rows[r];
        view(s, s->grad, s->w)[j] = 0;
        if (R) memset(view(s, s->grad, s->v) + (size_t)j * R, 0, (size_t)R * sizeof(float));
        s->touched[j] = 0;
    }
    *view(s, s->grad, s->w0) = 0;
    for (int d = 0; d < s->DL; d++) { /* the deep tower: dense, all of it */
        memset(view(s, s->grad, s->dw[d]), 0, s->layout.v[s->dw[d]].size * sizeof(float));
        memset(view(s, s->grad, s->db[d]), 0, s->layout.v[s->db[d]].size * sizeof(float));
    }
    s->n_rows = 0;
}

/* The query part: user u's part, then nc context features (model feature ids). */
static int query_part(const fm_state *s, int u, const int32_t *ctx, int nc, int32_t *x) {
    int n = part(s, 0, u, x);
    memcpy(x + n, ctx, (size_t)nc * sizeof *x);
    return n + nc;
}

/* The pair (u with its context, i) as features: x gets them, returns how many. */
static int pair(const fm_state *s, int u, const int32_t *ctx, int nc, int i, int32_t *x) {
    int n = query_part(s, u, ctx, nc, x);
    return n + part(s, 1, i, x + n);
}

/* A query's context (the model's feature indices) as model feature ids, in x (q->n_context). */
static void query_context(const fm_state *s, const wr_query *q, int32_t *x) {
    for (int j = 0; j < q->n_context; j++) x[j] = s->U + s->V + q->context[j];
}

/* DeepFM's deep part over n rows of features (row r: nx[r] ids at xs + r * stride): adds its
 * output to out (n). Activations stay for deep_backward. */
static int deep_forward(fm_state *s, const float *P, const int32_t *xs, const int *nx, int stride, int n, float *out) {
    int K = s->K, NF = s->NF;
    if (n > s->dcap) { /* activations for n rows */
        for (int d = 0; d <= s->DL; d++) {
            free(s->dact[d]), free(s->ddact[d]);
            s->dact[d] = wr__malloc((size_t)n * s->dwidth[d] * sizeof(float) + 4), s->ddact[d] = wr__malloc((size_t)n * s->dwidth[d] * sizeof(float) + 4);
            if (!s->dact[d] || !s->ddact[d]) return -1;
        }
        s->dcap = n;
    }
    const float *v = view(s, (float *)P, s->v);
    int count[2 + 3 * WR_MAX_FIELDS];
    for (int r = 0; r < n; r++) { /* each field's mean factor vector */
        float *in = s->dact[0] + (size_t)r * NF * K;
        memset(in, 0, (size_t)NF * K * sizeof(float));
        memset(count, 0, (size_t)NF * sizeof *count);
        const int32_t *x = xs + (size_t)r * stride;
        for (int j = 0; j < nx[r]; j++) {
            int f = s->field[x[j]];
            count[f]++;
            for (int c = 0; c < K; c++) in[f * K + c] += v[(size_t)x[j] * K + c];
        }
        for (int f = 0; f < NF; f++)
            for (int c = 0; count[f] > 1 && c < K; c++) in[f * K + c] /= count[f];
    }
    const float *W[5], *b[5];
    for (int d = 0; d < s->DL; d++) W[d] = view(s, (float *)P, s->dw[d]), b[d] = view(s, (float *)P, s->db[d]);
    wr_mlp_forward(s->dact, W, b, s->dwidth, s->DL, n, 0);
    for (int r = 0; r < n; r++) out[r] += s->dact[s->DL][r];
    return 0;
}

/* After deep_forward on the same rows: dloss/dout = g (n) into the tower and the factors. */
static void deep_backward(fm_state *s, const float *P, float *G, const int32_t *xs, const int *nx, int stride, int n, const float *g) {
    int K = s->K, NF = s->NF;
    memcpy(s->ddact[s->DL], g, (size_t)n * sizeof(float));
    const float *W[5], *acts[6];
    float *dW[5], *db[5];
    for (int d = 0; d < s->DL; d++) W[d] = view(s, (float *)P, s->dw[d]), dW[d] = view(s, G, s->dw[d]), db[d] = view(s, G, s->db[d]);
    for (int d = 0; d <= s->DL; d++) acts[d] = s->dact[d];
    wr_mlp_backward(s->ddact, dW, db, acts, W, s->dwidth, s->DL, n, 0);
    float *gv = view(s, G, s->v);
    int count[2 + 2 * WR_MAX_FIELDS];
    for (int r = 0; r < n; r++) {
        const int32_t *x = xs + (size_t)r * stride;
        const float *din = s->ddact[0] + (size_t)r * NF * K;
        memset(count, 0, (size_t)NF * sizeof *count);
        for (int j = 0; j < nx[r]; j++) count[s->field[x[j]]]++;
        for (int j = 0; j < nx[r]; j++) {
            int f = s->field[x[j]];
            for (int c = 0; c < K; c++) gv[(size_t)x[j] * K + c] += din[f * K + c] / count[f];
        }
    }
}

double wr__fm_loss_grad(wr_model *m, const int32_t *users, const int32_t *items, const float *y, const int32_t *negs, int n,
                        const wr_seqs *train, const int64_t *at, const float **grad) {
    fm_state *s = m->state;
    const float *P = m->params;
    clear_grad(s);
    *grad = s->grad;
    /* every row (an event, then its negatives) as features; outputs, then gradients */
    int nn = s->loss == LOSS_MSE && y ? 0 : (int)wr__hp(m, y ? "label_neg" : "n_neg"), stride = 2 * s->max_part + s->max_ctx, rows = n * (1 + nn);
    int32_t *xs = wr__malloc((size_t)rows * stride * sizeof *xs + 4);
    int *nx = wr__malloc((size_t)rows * sizeof *nx + 4);
    float *out = wr__malloc((size_t)rows * sizeof *out + 4), *g = wr__malloc((size_t)rows * sizeof *g + 4);
    int32_t *ctx = wr__malloc((size_t)s->max_ctx * sizeof *ctx + 4);
    double loss = 0, inv = 1.0 / n;
    int rc = xs && nx && out && g && ctx ? 0 : -1;
    for (int b = 0, r = 0; rc == 0 && b < n; b++) {
        const int32_t *cf;
        int nc = train && at ? wr__seq_context(train, at[b], &cf) : 0;
        if (nc > s->max_ctx) nc = s->max_ctx;
        for (int j = 0; j < nc; j++) ctx[j] = s->U + s->V + cf[j];
        for (int k = -1; k < nn; k++, r++) { /* k = -1: the event itself */
            int item = k < 0 ? items[b] : negs[(size_t)b * nn + k];
            nx[r] = pair(s, users[b], ctx, nc, item, xs + (size_t)r * stride);
            out[r] = forward_backward(s, P, NULL, xs + (size_t)r * stride, nx[r], 0, 0);
            g[r] = k >= 0 ? 0.0f : y ? y[b] : 1.0f; /* the target, until the gradient replaces it */
        }
    }
    if (rc == 0 && s->DL) rc = deep_forward(s, P, xs, nx, stride, rows, out);
    for (int r = 0; rc == 0 && r < rows; r++) {
        float target = g[r];
        if (s->loss == LOSS_MSE) {
            float d = out[r] - target;
            loss += d * d, g[r] = (float)(2 * d * inv);
        } else {
            float dz;
            loss += wr_bce_logit(out[r], target, &dz);
            g[r] = (float)(dz * inv);
        }
        forward_backward(s, P, s->grad, xs + (size_t)r * stride, nx[r], g[r], 1);
    }
    if (rc == 0 && s->DL) deep_backward(s, P, s->grad, xs, nx, stride, rows, g);
    free(xs), free(nx), free(out), free(g), free(ctx);
    if (rc) return -1; /* out of memory (a loss is never negative) */
    loss *= inv;
    float reg = (float)wr__hp(m, "reg");
    int R = s->R;
    for (int r = 0; reg > 0 && r < s->n_rows; r++) {
        int j = s->rows[r];
        float wj = view(s, (float *)P, s->w)[j];
        loss += reg * wj * wj, view(s, s->grad, s->w)[j] += 2 * reg * wj;
        for (int c = 0; c < R; c++) {
            float vj = view(s, (float *)P, s->v)[(size_t)j * R + c];
            loss += reg * vj * vj, view(s, s->grad, s->v)[(size_t)j * R + c] += 2 * reg * vj;
        }
    }
    return loss;
}

static int fm_train_step(wr_model *m, const wr_seqs *train, double *loss, int64_t *positions, int *epoch_end) {
    fm_state *s = m->state;
    wr_events *e = &s->ev;
    int n = wr__events_next(e, &m->rng, (int)wr__hp(m, "batch"), epoch_end);
    const float *grad;
    *loss = wr__fm_loss_grad(m, e->bu, e->bi, e->by, e->bneg, n, train, e->bat, &grad);
    wr__adam_step(&s->adam, &s->layout, m->params, s->grad, s->m1, s->m2, s->rows, s->n_rows);
    *positions = n;
    return *loss < 0 ? wr__oom(m->ctx, "training the model") : WR_OK;
}

static int fm_score(wr_model *m, const wr_query *q, float *scores) {
    fm_state *s = m->state;
    const float *P = m->params;
    int K = s->K, V = s->V, nc = q->n_context, width = 2 * s->max_part + nc;
    int32_t xbuf[512], nu, *x = width <= 512 ? xbuf : wr__malloc((size_t)width * sizeof *x);
    int32_t *ctx = wr__malloc((size_t)nc * sizeof *ctx + 4);
    if (!x || !ctx) {
        if (x != xbuf) free(x);
        free(ctx);
        return wr__oom(m->ctx, "scoring");
    }
    query_context(s, q, ctx);
    if (s->ffm) { /* field-aware pairs do not split into parts: each pair whole */
        for (int i = 0; i < V; i++) scores[i] = forward_backward(s, P, NULL, x, pair(s, q->user, ctx, nc, i, x), 0, 0);
        if (x != xbuf) free(x);
        free(ctx);
        return WR_OK;
    }
    /* the query part (the user and the context): its y (with w0) and its factor sum */
    nu = query_part(s, q->user, ctx, nc, x);
    float yu = forward_backward(s, P, NULL, x, nu, 0, 0);
    float *su = s->ibuf;
    memcpy(su, s->sbuf, (size_t)K * sizeof(float));
    float w0 = *view(s, (float *)P, s->w0);
    for (int i = 0; i < V; i++) {
        int ni = part(s, 1, i, x);
        float yi = forward_backward(s, P, NULL, x, ni, 0, 0) - w0; /* its own w and pairs */
        scores[i] = yu + yi + (K ? wr_dot(su, s->sbuf, K) : 0);
    }
    if (x != xbuf) free(x);
    int rc = 0;
    if (s->DL) { /* deepfm: the deep part, 256 pairs at a time */
        int stride = width, chunk = 256;
        int32_t *xs = wr__malloc((size_t)chunk * stride * sizeof *xs);
        int *nx = wr__malloc((size_t)chunk * sizeof *nx);
        for (int i0 = 0; xs && nx && rc == 0 && i0 < V; i0 += chunk) {
            int n = V - i0 < chunk ? V - i0 : chunk;
            for (int r = 0; r < n; r++) nx[r] = pair(s, q->user, ctx, nc, i0 + r, xs + (size_t)r * stride);
            rc = deep_forward(s, P, xs, nx, stride, n, scores + i0);
        }
        rc = xs && nx ? rc : -1;
        free(xs), free(nx);
    }
    free(ctx);
    return rc ? wr__oom(m->ctx, "scoring") : WR_OK;
}

/* The same scores for the n given items only (a pipeline's candidates): each pair whole. */
static int fm_score_items(wr_model *m, const wr_query *q, const int *items, int n, float *out) {
    fm_state *s = m->state;
    int nc = q->n_context, stride = 2 * s->max_part + nc, rc = 0;
    int32_t *xs = wr__malloc((size_t)(n ? n : 1) * stride * sizeof *xs), *ctx = wr__malloc((size_t)nc * sizeof *ctx + 4);
    int *nx = wr__malloc((size_t)(n ? n : 1) * sizeof *nx);
    if (!xs || !nx || !ctx) rc = -1;
    else query_context(s, q, ctx);
    for (int j = 0; !rc && j < n; j++) {
        nx[j] = pair(s, q->user, ctx, nc, items[j], xs + (size_t)j * stride);
        out[j] = forward_backward(s, m->params, NULL, xs + (size_t)j * stride, nx[j], 0, 0);
    }
    if (!rc && s->DL) rc = deep_forward(s, m->params, xs, nx, stride, n, out);
    free(xs), free(nx), free(ctx);
    return rc ? wr__oom(m->ctx, "scoring") : WR_OK;
}

static int fm_predicts(const wr_model *m) { return wr__hp(m, "loss") == LOSS_MSE ? WR_PREDICTS_RATING : WR_PREDICTS_PROB; }

static int fm_save(wr_model *m, wr_st_file *f) {
    fm_state *s = m->state;
    const char *pre = m->vt->name;
    char name[48];
    if (wr__features_save(m, f, pre, "user", s->U, s->ustart, s->ufeat) || wr__features_save(m, f, pre, "item", s->V, s->istart, s->ifeat))
        return WR_ERR_NOMEM;
    int64_t nf[1] = {s->F};
    snprintf(name, sizeof name, "%s.feature_field", pre);
    if (s->field && wr__st_add(f, name, WR_DT_I32, 1, nf, s->field) < 0) return wr__oom(m->ctx, "saving");
    return wr__layout_save(m, &s->layout, m->params, f);
}

static int fm_load(wr_model *m, const wr_st_file *f) {
    fm_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "loading the model");
    m->state = s;
    const char *pre = m->vt->name;
    /* the feature count is the weight table's rows; ffm's fields, its factor rows over dim */
    char name[48], fname[48];
    snprintf(name, sizeof name, "%s.weight", pre);
    snprintf(fname, sizeof fname, "%s.factors", pre);
    int64_t F = -1, R = 0, deep_in = 0;
    for (int i = 0; i < f->n; i++) {
        if (!strcmp(f->t[i].name, name) && f->t[i].ndim == 2) F = f->t[i].shape[0];
        if (!strcmp(f->t[i].name, fname) && f->t[i].ndim == 2) R = f->t[i].shape[1];
        if (!strcmp(f->t[i].name, "deepfm.deep.layer0.weight") && f->t[i].ndim == 2) deep_in = f->t[i].shape[1];
    }
    int U = m->users.n, V = m->items.n, K = (int)wr__hp_or(m, "dim", 0);
    if (F < U + V || F > (int64_t)U + V + 100000000)
        return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s is missing or has %lld rows, fewer than the %d users and %d items", name, (long long)F, U, V);
    /* the field count: ffm's factor rows, or deepfm's deep input, over dim */
    int fielded = !strcmp(pre, "ffm") || !strcmp(pre, "deepfm");
    int64_t width = !strcmp(pre, "ffm") ? R : deep_in, NF = K ? width / K : 0;
    if (fielded && (width % K || NF < 2 || NF > 2 + 3 * WR_MAX_FIELDS))
        return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s has %lld columns, not dim %d times a field count",
                       !strcmp(pre, "ffm") ? fname : "deepfm.deep.layer0.weight", (long long)width, K);
    int rc = build_layout(m, U, V, (int)F, (int)NF);
    if (!rc && fielded) {
        char ff[48];
        snprintf(ff, sizeof ff, "%s.feature_field", pre);
        if ((rc = wr__load_1d(m, f, ff, WR_DT_I32, F, (void **)&s->field))) return rc;
        for (int64_t j = 0; j < F; j++)
            if (s->field[j] < 0 || s->field[j] >= NF) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s[%lld] is not a field", ff, (long long)j);
    }
    if (!rc) rc = wr__features_load(m, f, pre, "user", U, U + V, (int)F, &s->ustart, &s->ufeat);
    if (!rc) rc = wr__features_load(m, f, pre, "item", V, U + V, (int)F, &s->istart, &s->ifeat);
    if (!rc) set_max_part(s);
    return rc ? rc : wr__layout_load(m, &s->layout, m->params, f);
}

/* The four families share every function: the name and the table of parameters tell them apart. */
#define FM_VT(id, nm, table)                                                                           \
    const wr_model_vt id = {                                                                           \
        .name = nm,                                                                                    \
        .caps = WR_USES_USERS | WR_USES_LABELS | WR_USES_FEATURES | WR_NO_HISTORY,                     \
        .params = table,                                                                               \
        .n_params = (int)(sizeof table / sizeof table[0]),                                             \
        .fit = fm_fit,                                                                                 \
        .score = fm_score,                                                                             \
        .score_items = fm_score_items,                                                                 \
        .predicts = fm_predicts,                                                                       \
        .save = fm_save,                                                                               \
        .load = fm_load,                                                                               \
        .free_state = fm_free,                                                                         \
        .train_step = fm_train_step,                                                                   \
    }
FM_VT(wr__lr_vt, "lr", lr_params);
FM_VT(wr__fm_vt, "fm", fm_params);
FM_VT(wr__ffm_vt, "ffm", ffm_params);
FM_VT(wr__deepfm_vt, "deepfm", deepfm_params);
