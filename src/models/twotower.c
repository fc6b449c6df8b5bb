/* twotower.c: two-tower retrieval (Covington et al. 2016; Yi et al. 2019).
 *   query tower: [user id row ; mean of the user's side-feature rows ; the item rows of the last
 *                `history` history items pooled (pool=mean, mean_last, attention) ;
 *                (pool=mean_last) the last item's row ;
 *                mean of the context's feature rows (a CSV's extra columns: the event's, or the query's)]
 *                -> MLP -> L2-normalised u (dim)
 *   item tower:  [item id row ; mean of the item's side-feature rows] -> MLP -> L2-normalised v
 *   score(q, i) = u . v_i / temperature (the temperature fixed, or learned as log_temperature)
 * A part is there when its setting is on (user_id, item_id, history > 0) and, for the features,
 * when the training data has them (--users, --items). pool=attention weighs the history's rows by
 * softmax_t(a . e_t / sqrt(E) + p[len - 1 - t]): a learned query a (E) for what matters, and a
 * learned bias p (history) per distance from the end for recency; both start at zero, so
 * training starts from the mean. The MLP: `layers` ReLU layers of `hidden`
 * units, then a linear layer to dim.
 * Loss: in-batch softmax (InfoNCE) over the batch's positive items, plus `n_uniform` items drawn
 * uniformly and shared by the batch (mixed negative sampling, Yang et al. 2020). With logq on,
 * each column's logit has log of its expected count among the negatives subtracted: B p(i) for
 * an in-batch item (p(i) its share of the training events, how often batches hold it), n_uniform
 * / V for a uniform one (Yi et al. 2019's sampling-bias correction; without it popular items,
 * which are negatives most often, are pushed down). A column holding the row's own item is
 * masked. Serving uses the plain u . v. A training event's history is the user's events before
 * it. Ids with no training event (cold users and items) keep zero rows, so their towers read
 * their features alone: a user or item with features and no history still gets a vector. Adam,
 * lazy on the embedding rows; L2 `reg` on the rows a step uses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "../nn/nn.h"
#include "batch.h"
#include "optim.h"

#define MAX_LAYERS 4
enum { T_USER = 0, T_ITEM, T_FEAT }; /* the embedding tables */

static const wr_param_def tt_params[] = {
    {"dim", WR_PARAM_INT, 64, 1, 1024, NULL, "size of the query and item vectors (and of every embedding)"},
    {"hidden", WR_PARAM_INT, 128, 1, 4096, NULL, "units per hidden layer of each tower"},
    {"layers", WR_PARAM_INT, 1, 0, MAX_LAYERS, NULL, "hidden ReLU layers per tower (0 = one linear layer)"},
    {"lr", WR_PARAM_FLOAT, 0.003, 1e-6, 10, NULL, "Adam learning rate"},
    {"reg", WR_PARAM_FLOAT, 0.003, 0, 100, NULL, "L2 penalty on the embedding rows a step uses (without it the id rows overfit within a few epochs)"},
    {"batch", WR_PARAM_INT, 512, 2, 1 << 14, NULL, "training events per step: each one's in-batch negatives are the others"},
    {"epochs", WR_PARAM_INT, 100, 1, 100000, NULL, "maximum epochs (early stopping usually ends it sooner)"},
    {"patience", WR_PARAM_INT, 5, 0, 1000, NULL, "epochs without validation gain before stopping (0 = never)"},
    {"temperature", WR_PARAM_FLOAT, 0.05, 0.001, 10, NULL, "softmax temperature over the cosine scores (the start, when learned)"},
    {"learn_temperature", WR_PARAM_INT, 0, 0, 1, NULL, "1 = the temperature is a trained weight"},
    {"logq", WR_PARAM_INT, 1, 0, 1, NULL, "1 = subtract log of each negative's expected count (sampling-bias correction)"},
    {"n_uniform", WR_PARAM_INT, 0, 0, 1 << 14, NULL, "extra negatives drawn uniformly from the catalogue, shared by the batch"},
    {"history", WR_PARAM_INT, 50, 0, 10000, NULL, "recent history items the query tower pools (0 = none)"},
    {"pool", WR_PARAM_ENUM, 2, 0, 2, "mean|mean_last|attention", "how the history enters the query tower: the mean of its items; that and the last item in a slot of its own (order matters in sessions); or attention (learned weights by content and recency)"},
    {"user_id", WR_PARAM_INT, 1, 0, 1, NULL, "1 = the query tower reads a row per user id"},
    {"item_id", WR_PARAM_INT, 1, 0, 1, NULL, "1 = the item tower reads a row per item id"},
    {"init", WR_PARAM_FLOAT, 0.05, 0, 10, NULL, "standard deviation of the initial embedding rows"},
    {"cold_dropout", WR_PARAM_FLOAT, 0.2, 0, 1, NULL, "share of training rows whose tower sees the side features alone (no id, no history), so cold users and items are served well"},
};

typedef struct {
    int32_t *rows;
    unsigned char *mark;
    int n;
} touched;

typedef struct {
    int U, V, F, D, E, H, L;   /* F: side-feature rows; E = D; H: history items pooled */
    int quser, qfeat, qhist, qlast, qctx; /* query parts present */
    int attn_q, attn_p;        /* pool=attention: views of the query a (E) and the recency biases p (H); -1 absent */
    float *attn;               /* (H) scratch: the attention weights of one query */
    int iid, ifeats;           /* item parts present */
    int qw[MAX_LAYERS + 2], iw[MAX_LAYERS + 2]; /* tower widths: [input, hidden..., D] */
    wr_layout layout;
    int tab[3];                /* views of the tables (-1 absent) */
    int qW[MAX_LAYERS + 1], qb[MAX_LAYERS + 1], iW[MAX_LAYERS + 1], ib[MAX_LAYERS + 1], ltau;
    float *grad, *m1, *m2;
    wr_adamw adam;
    int64_t *ustart, *istart;  /* side features (CSR), ids into the feature table */
    int32_t *ufeat, *ifeat;
    /* training */
    wr_events ev;
    const wr_seqs *train;
    float *logp;               /* (V) log of each item's share of the training events */
    touched tt[3];
    int cap;                   /* rows the activation buffers hold */
    float *qa[MAX_LAYERS + 2], *qd[MAX_LAYERS + 2], *ia[MAX_LAYERS + 2], *id[MAX_LAYERS + 2];
    float *qn, *in, *qg, *ig;  /* normalised outputs and their gradients; (cap, D) */
    float *qnorm, *inorm;      /* (cap) norms before normalising */
    float *logits;             /* (B, B + S) */
    int32_t *bitems, *target;  /* (B + S) the columns' items; (B) each row's column */
    int32_t *negs;             /* (S) the batch's uniform negatives */
    unsigned char *drop;       /* (2B + S) rows and columns that see their features alone */
    /* serving: the item vectors (V, D), valid for params_version == vec_version */
    float *ivec;
    unsigned vec_version;
    int vec_ready;
} tt_state;

static inline float *view(const tt_state *s, float *buf, int v) { return buf + s->layout.v[v].offset; }

/* The query tower's parts but the context, from the settings: the input is E times these (+1 with a context). */
static int query_parts(const wr_model *m, int has_ufeat) {
    int H = (int)wr__hp(m, "history");
    return (wr__hp(m, "user_id") != 0) + has_ufeat + (H > 0) + (H > 0 && wr__hp(m, "pool") >= 1);
}

static int build_layout(wr_model *m, int U, int V, int F, int has_ufeat, int has_ifeat, int has_ctx) {
    tt_state *s = m->state;
    s->U = U, s->V = V, s->F = F, s->D = s->E = (int)wr__hp(m, "dim"), s->L = (int)wr__hp(m, "layers");
    s->H = (int)wr__hp(m, "history");
    s->quser = wr__hp(m, "user_id") != 0, s->qfeat = has_ufeat, s->qhist = s->H > 0, s->qlast = s->qhist && wr__hp(m, "pool") >= 1;
    s->qctx = has_ctx;
    s->iid = wr__hp(m, "item_id") != 0, s->ifeats = has_ifeat;
    if (!s->quser && !s->qfeat && !s->qhist)
        return wr__err(m->ctx, WR_ERR_ARG, "twotower: the query tower reads nothing: set user_id=1 or history > 0, or give user features (--users)");
    if (!s->iid && !s->ifeats)
        return wr__err(m->ctx, WR_ERR_ARG, "twotower: the item tower reads nothing: set item_id=1 or give item features (--items)");
    int E = s->E, hidden = (int)wr__hp(m, "hidden");
    s->qw[0] = E * (query_parts(m, has_ufeat) + s->qctx), s->iw[0] = E * (s->iid + s->ifeats);
    for (int l = 1; l <= s->L; l++) s->qw[l] = s->iw[l] = hidden;
    s->qw[s->L + 1] = s->iw[s->L + 1] = s->D;
    float init = (float)wr__hp(m, "init");
    wr_layout *lay = &s->layout;
    memset(lay, 0, sizeof *lay);
    s->tab[T_USER] = s->quser ? wr__layout_add(lay, "twotower.user_emb", 2, U, E, 0, WR_INIT_NORMAL, init, 1) : -1;
    s->tab[T_ITEM] = s->iid || s->qhist ? wr__layout_add(lay, "twotower.item_emb", 2, V, E, 0, WR_INIT_NORMAL, init, 1) : -1;
    s->tab[T_FEAT] = F ? wr__layout_add(lay, "twotower.feature_emb", 2, F, E, 0, WR_INIT_NORMAL, init, 1) : -1;
    char nm[48];
    for (int t = 0; t < 2; t++) {
        const int *w = t ? s->iw : s->qw;
        for (int l = 0; l <= s->L; l++) { /* Glorot uniform */
            snprintf(nm, sizeof nm, "twotower.%s.layer%d.weight", t ? "item" : "query", l);
            int wv = wr__layout_add(lay, nm, 2, w[l + 1], w[l], 0, WR_INIT_UNIFORM, sqrtf(6.0f / (float)(w[l] + w[l + 1])), 0);
            snprintf(nm, sizeof nm, "twotower.%s.layer%d.bias", t ? "item" : "query", l);
            int bv = wr__layout_add(lay, nm, 1, w[l + 1], 0, 0, WR_INIT_ZERO, 0, 0);
            if (t) s->iW[l] = wv, s->ib[l] = bv;
            else s->qW[l] = wv, s->qb[l] = bv;
        }
    }
    s->ltau = wr__layout_add(lay, "twotower.log_temperature", 1, 1, 0, 0, WR_INIT_ZERO, 0, 0);
    s->attn_q = s->attn_p = -1;
    if (s->qhist && wr__hp(m, "pool") == 2) {
        s->attn_q = wr__layout_add(lay, "twotower.history_attention.query", 1, E, 0, 0, WR_INIT_ZERO, 0, 0);
        s->attn_p = wr__layout_add(lay, "twotower.history_attention.position", 1, s->H, 0, 0, WR_INIT_ZERO, 0, 0);
        if (!s->attn && !(s->attn = wr__malloc((size_t)s->H * sizeof(float) + 4))) return wr__oom(m->ctx, "allocating twotower");
    }
    int rc = wr__layout_alloc(m, lay);
    if (rc) return rc;
    return m->params ? WR_OK : wr__oom(m->ctx, "allocating twotower");
}

static void free_acts(tt_state *s) {
    for (int l = 0; l < MAX_LAYERS + 2; l++) free(s->qa[l]), free(s->qd[l]), free(s->ia[l]), free(s->id[l]), s->qa[l] = s->qd[l] = s->ia[l] = s->id[l] = NULL;
    free(s->qn), free(s->in), free(s->qg), free(s->ig), free(s->qnorm), free(s->inorm);
    s->qn = s->in = s->qg = s->ig = s->qnorm = s->inorm = NULL;
    s->cap = 0;
}

/* Activations for cap rows of each tower. */
static int alloc_acts(tt_state *s, int cap) {
    if (cap <= s->cap) return 0;
    free_acts(s);
    s->cap = 0;
    for (int l = 0; l <= s->L + 1; l++) {
        s->qa[l] = wr__malloc((size_t)cap * s->qw[l] * sizeof(float) + 16), s->qd[l] = wr__malloc((size_t)cap * s->qw[l] * sizeof(float) + 16);
        s->ia[l] = wr__malloc((size_t)cap * s->iw[l] * sizeof(float) + 16), s->id[l] = wr__malloc((size_t)cap * s->iw[l] * sizeof(float) + 16);
        if (!s->qa[l] || !s->qd[l] || !s->ia[l] || !s->id[l]) return -1;
    }
    size_t n = (size_t)cap * s->D * sizeof(float) + 16;
    s->qn = wr__malloc(n), s->in = wr__malloc(n), s->qg = wr__malloc(n), s->ig = wr__malloc(n);
    s->qnorm = wr__malloc((size_t)2 * cap * sizeof(float) + 16), s->inorm = wr__malloc((size_t)cap * sizeof(float) + 16);
    if (!s->qn || !s->in || !s->qg || !s->ig || !s->qnorm || !s->inorm) return -1;
    s->cap = cap; /* only now: a failure leaves none, and the next call tries again */
    return 0;
}

static void tt_free(wr_model *m) {
    tt_state *s = m->state;
    free(m->params);
    wr__events_free(&s->ev);
    free_acts(s);
    for (int t = 0; t < 3; t++) free(s->tt[t].rows), free(s->tt[t].mark);
    void *bufs[] = {s->grad, s->m1, s->m2, s->ustart, s->istart, s->ufeat, s->ifeat, s->logp, s->logits, s->bitems, s->target, s->negs, s->drop, s->ivec, s->attn};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(s);
}

/* out (E) += scale * row r of table t; with G, the gradient g (E) goes back to that row. */
static void add_row(const tt_state *s, const float *P, int t, int r, float scale, float *out) {
    const float *row = view(s, (float *)P, s->tab[t]) + (size_t)r * s->E;
    for (int c = 0; c < s->E; c++) out[c] += scale * row[c];
}

static void grad_row(tt_state *s, float *G, int t, int r, float scale, const float *g) {
    float *row = view(s, G, s->tab[t]) + (size_t)r * s->E;
    for (int c = 0; c < s->E; c++) row[c] += scale * g[c];
    touched *k = &s->tt[t];
    if (k->mark && !k->mark[r]) k->mark[r] = 1, k->rows[k->n++] = r;
}

/* pool=attention over the n history items h (oldest first): their weighted rows into x, or (G
 * non-NULL) the gradient g of the pooled vector sent back to the rows, the query and the biases.
 * The weights are recomputed for the backward pass (s->attn holds one query's). */
static void history_attention(tt_state *s, const float *P, float *G, const int *h, int n, float *x, const float *g) {
    int E = s->E;
    const float *a = view(s, (float *)P, s->attn_q), *pos = view(s, (float *)P, s->attn_p), *items = view(s, (float *)P, s->tab[T_ITEM]);
    float inv = 1.0f / sqrtf((float)E), mx = -INFINITY, sum = 0, *w = s->attn;
    for (int t = 0; t < n; t++) {
        w[t] = wr_dot(a, items + (size_t)h[t] * E, E) * inv + pos[n - 1 - t];
        if (w[t] > mx) mx = w[t];
    }
    for (int t = 0; t < n; t++) sum += (w[t] = wr_expf(w[t] - mx));
    for (int t = 0; t < n; t++) w[t] /= sum;
    if (!G) {
        for (int t = 0; t < n; t++) add_row(s, P, T_ITEM, h[t], w[t], x);
        return;
    }
    /* through the softmax: ds_t = w_t (g . e_t - sum_j w_j g . e_j) */
    float m = 0, *ga = view(s, G, s->attn_q), *gp = view(s, G, s->attn_p);
    for (int t = 0; t < n; t++) m += w[t] * wr_dot(g, items + (size_t)h[t] * E, E);
    for (int t = 0; t < n; t++) {
        const float *e = items + (size_t)h[t] * E;
        float ds = w[t] * (wr_dot(g, e, E) - m);
        grad_row(s, G, T_ITEM, h[t], w[t], g);
        grad_row(s, G, T_ITEM, h[t], ds * inv, a);
        for (int c = 0; c < E; c++) ga[c] += ds * inv * e[c];
        gp[n - 1 - t] += ds;
    }
}

/* The query tower's input for (user, history, context cf: feature rows), or its gradient din sent
 * back (G non-NULL). */
static void query_input(tt_state *s, const float *P, float *G, int user, const int *hist, int len, int features_only, const int *vf, int nvf,
                        const int32_t *cf, int ncf, float *x, const float *din) {
    int E = s->E, o = 0;
    if (x) memset(x, 0, (size_t)s->qw[0] * sizeof(float));
    if (features_only) len = 0;
    if (s->quser) {
        if (user >= 0 && !features_only) {
            if (G) grad_row(s, G, T_USER, user, 1, din + o);
            else add_row(s, P, T_USER, user, 1, x + o);
        }
        o += E;
    }
    if (s->qfeat) { /* a known user's features, or a visitor's (user -1) */
        const int32_t *f = user >= 0 ? s->ufeat + s->ustart[user] : NULL;
        int nf = user >= 0 ? (int)(s->ustart[user + 1] - s->ustart[user]) : nvf;
        for (int k = 0; k < nf; k++) {
            int id = f ? f[k] : vf[k];
            if (G) grad_row(s, G, T_FEAT, id, 1.0f / (float)nf, din + o);
            else add_row(s, P, T_FEAT, id, 1.0f / (float)nf, x + o);
        }
        o += E;
    }
    if (s->qhist) {
        int from = len > s->H ? len - s->H : 0;
        if (s->attn_q >= 0) {
            if (len > from) history_attention(s, P, G, hist + from, len - from, x ? x + o : NULL, din ? din + o : NULL);
        } else
            for (int t = from; t < len; t++) {
                if (G) grad_row(s, G, T_ITEM, hist[t], 1.0f / (float)(len - from), din + o);
                else add_row(s, P, T_ITEM, hist[t], 1.0f / (float)(len - from), x + o);
            }
        o += E;
    }
    if (s->qlast) {
        if (len > 0) {
            if (G) grad_row(s, G, T_ITEM, hist[len - 1], 1, din + o);
            else add_row(s, P, T_ITEM, hist[len - 1], 1, x + o);
        }
        o += E;
    }
    for (int k = 0; s->qctx && k < ncf; k++) {
        if (G) grad_row(s, G, T_FEAT, cf[k], 1.0f / (float)ncf, din + o);
        else add_row(s, P, T_FEAT, cf[k], 1.0f / (float)ncf, x + o);
    }
}

static void item_input(tt_state *s, const float *P, float *G, int item, int features_only, float *x, const float *din) {
    int E = s->E, o = 0;
    if (x) memset(x, 0, (size_t)s->iw[0] * sizeof(float));
    if (s->iid) {
        if (features_only) {
        } else if (G) grad_row(s, G, T_ITEM, item, 1, din);
        else add_row(s, P, T_ITEM, item, 1, x);
        o += E;
    }
    if (s->ifeats) {
        int64_t a = s->istart[item], b = s->istart[item + 1];
        for (int64_t k = a; k < b; k++) {
            if (G) grad_row(s, G, T_FEAT, s->ifeat[k], 1.0f / (float)(b - a), din + o);
            else add_row(s, P, T_FEAT, s->ifeat[k], 1.0f / (float)(b - a), x + o);
        }
    }
}

/* The tower (0 query, 1 item) over n rows of act[0]: normalised outputs into out (n, D). */
static void tower_forward(tt_state *s, const float *P, int item, int n, float *out, float *norms) {
    const float *W[MAX_LAYERS + 1], *b[MAX_LAYERS + 1];
    for (int l = 0; l <= s->L; l++)
        W[l] = view(s, (float *)P, item ? s->iW[l] : s->qW[l]), b[l] = view(s, (float *)P, item ? s->ib[l] : s->qb[l]);
    float *const *act = item ? s->ia : s->qa;
    wr_mlp_forward(act, W, b, item ? s->iw : s->qw, s->L + 1, n, 0);
    int D = s->D;
    for (int r = 0; r < n; r++) {
        const float *a = act[s->L + 1] + (size_t)r * D;
        float nrm = sqrtf(wr_dot(a, a, D)) + 1e-12f;
        norms[r] = nrm;
        for (int c = 0; c < D; c++) out[(size_t)r * D + c] = a[c] / nrm;
    }
}

/* From the gradient g (n, D) at the normalised outputs out: the tower's weights, and din into
 * dact[0]. */
static void tower_backward(tt_state *s, const float *P, float *G, int item, int n, const float *out, const float *norms, const float *g) {
    int D = s->D;
    float *const *dact = item ? s->id : s->qd;
    for (int r = 0; r < n; r++) { /* through x / |x|: (g - y (y . g)) / |x| */
        const float *y = out + (size_t)r * D, *gr = g + (size_t)r * D;
        float yg = wr_dot(y, gr, D), *d = dact[s->L + 1] + (size_t)r * D;
        for (int c = 0; c < D; c++) d[c] = (gr[c] - y[c] * yg) / norms[r];
    }
    const float *W[MAX_LAYERS + 1], *acts[MAX_LAYERS + 2];
    float *dW[MAX_LAYERS + 1], *db[MAX_LAYERS + 1];
    for (int l = 0; l <= s->L; l++) {
        int wv = item ? s->iW[l] : s->qW[l], bv = item ? s->ib[l] : s->qb[l];
        W[l] = view(s, (float *)P, wv), dW[l] = view(s, G, wv), db[l] = view(s, G, bv);
    }
    for (int l = 0; l <= s->L + 1; l++) acts[l] = (item ? s->ia : s->qa)[l];
    wr_mlp_backward(dact, dW, db, acts, W, item ? s->iw : s->qw, s->L + 1, n, 0);
}

static void clear_grad(tt_state *s) {
    for (int v = 0; v < s->layout.n; v++)
        if (!s->layout.v[v].embedding) memset(view(s, s->grad, v), 0, s->layout.v[v].size * sizeof(float));
    for (int t = 0; t < 3; t++) {
        touched *k = &s->tt[t];
        for (int r = 0; r < k->n; r++) memset(view(s, s->grad, s->tab[t]) + (size_t)k->rows[r] * s->E, 0, (size_t)s->E * sizeof(float)), k->mark[k->rows[r]] = 0;
        k->n = 0;
    }
}

/* Loss (mean over the n events users/items, whose histories end before at[b] in train) and its
 * gradient (*grad); negs: n_neg shared uniform negatives; drop (n + n + n_neg, or NULL): the query
 * rows, then the item columns, that see their side features alone. What the gradient check calls. */
double wr__twotower_loss_grad(wr_model *m, const int32_t *users, const int32_t *items, const int64_t *at, int n, const int32_t *negs,
                              int n_neg, const unsigned char *drop, const float **grad) {
    tt_state *s = m->state;
    const float *P = m->params;
    const wr_seqs *tr = s->train;
    int D = s->D, J = n + n_neg;
    clear_grad(s);
    *grad = s->grad;
    if (alloc_acts(s, J) < 0) return -1;
    /* the towers */
    for (int b = 0; b < n; b++) {
        int u = users[b];
        const int32_t *h = tr->items + tr->start[u];
        const int32_t *cf = NULL;
        int ncf = wr__seq_context(tr, at[b], &cf);
        query_input(s, P, NULL, u, h, (int)(at[b] - tr->start[u]), drop && drop[b], NULL, 0, cf, ncf, s->qa[0] + (size_t)b * s->qw[0], NULL);
    }
    for (int j = 0; j < J; j++) {
        s->bitems[j] = j < n ? items[j] : negs[j - n];
        item_input(s, P, NULL, s->bitems[j], drop && drop[n + j], s->ia[0] + (size_t)j * s->iw[0], NULL);
    }
    tower_forward(s, P, 0, n, s->qn, s->qnorm);
    tower_forward(s, P, 1, J, s->in, s->inorm);
    /* logits (n, J) = u v^T / tau - log expected count; the row's own item elsewhere masked */
    float ltau = *view(s, (float *)P, s->ltau), inv_tau = wr_expf(-ltau) / (float)wr__hp(m, "temperature");
    wr_linear_forward(s->logits, s->qn, s->in, NULL, n, D, J);
    int logq = wr__hp(m, "logq") != 0, learn_tau = wr__hp(m, "learn_temperature") != 0;
    float *corr = s->qnorm + n; /* scratch after the n query norms: each column's log expected count */
    float lq_batch = wr_logf((float)n), lq_uniform = n_neg ? wr_logf((float)n_neg / (float)s->V) : 0;
    for (int j = 0; j < J; j++) corr[j] = logq ? (j < n ? lq_batch + s->logp[s->bitems[j]] : lq_uniform) : 0;
    for (int b = 0; b < n; b++) {
        float *z = s->logits + (size_t)b * J;
        for (int j = 0; j < J; j++) {
            z[j] = z[j] * inv_tau - corr[j];
            if (j != b && s->bitems[j] == items[b]) z[j] = -1e30f;
        }
        s->target[b] = b;
    }
    /* dz into the same buffer: softmax - onehot, over n */
    double loss = wr_ce_loss(s->logits, s->logits, s->logits, s->target, -1, 1.0f / (float)n, n, J) / n;
    /* back to the cosines: d/dcos = dz / tau; the temperature gets -sum dz cos / tau */
    float dlt = 0;
    for (int b = 0; b < n; b++) {
        float *z = s->logits + (size_t)b * J;
        for (int j = 0; j < J; j++) {
            if (learn_tau) dlt -= z[j] * wr_dot(s->qn + (size_t)b * D, s->in + (size_t)j * D, D) * inv_tau;
            z[j] *= inv_tau;
        }
    }
    *view(s, s->grad, s->ltau) += dlt;
    memset(s->ig, 0, (size_t)J * D * sizeof(float));
    wr_linear_backward(s->qg, s->ig, NULL, s->logits, s->qn, s->in, n, D, J);
    tower_backward(s, P, s->grad, 0, n, s->qn, s->qnorm, s->qg);
    tower_backward(s, P, s->grad, 1, J, s->in, s->inorm, s->ig);
    for (int b = 0; b < n; b++) {
        int u = users[b];
        const int32_t *cf = NULL;
        int ncf = wr__seq_context(tr, at[b], &cf);
        query_input(s, P, s->grad, u, tr->items + tr->start[u], (int)(at[b] - tr->start[u]), drop && drop[b], NULL, 0, cf, ncf, NULL, s->qd[0] + (size_t)b * s->qw[0]);
    }
    for (int j = 0; j < J; j++) item_input(s, P, s->grad, s->bitems[j], drop && drop[n + j], NULL, s->id[0] + (size_t)j * s->iw[0]);
    float reg = (float)wr__hp(m, "reg");
    for (int t = 0; reg > 0 && t < 3; t++) {
        touched *k = &s->tt[t];
        for (int r = 0; r < k->n; r++) {
            const float *p = view(s, (float *)P, s->tab[t]) + (size_t)k->rows[r] * s->E;
            float *g = view(s, s->grad, s->tab[t]) + (size_t)k->rows[r] * s->E;
            for (int c = 0; c < s->E; c++) loss += reg * p[c] * p[c], g[c] += 2 * reg * p[c];
        }
    }
    return loss;
}

/* The side features of data (ids 0..F-1) as CSR over n entities (side 0 users, 1 items). */
static int copy_csr(const wr_features *X, int side, int n, int64_t **start, int32_t **feat) {
    const int64_t *st = X && X->start[side] ? X->start[side] : NULL;
    int64_t nnz = st ? st[n] : 0;
    *start = wr__calloc((size_t)n + 1, sizeof **start), *feat = wr__malloc((size_t)nnz * sizeof **feat + 4);
    if (!*start || !*feat) return -1;
    if (st) memcpy(*start, st, ((size_t)n + 1) * sizeof **start), memcpy(*feat, X->feat[side], (size_t)nnz * sizeof **feat);
    return 0;
}

static int tt_fit(wr_model *m, const wr_seqs *train) {
    tt_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "allocating twotower");
    m->state = s;
    const wr_features *X = train->features;
    int U = m->users.n, V = train->n_items, F = X ? X->values.n : 0;
    if (copy_csr(X, 0, U, &s->ustart, &s->ufeat) < 0 || copy_csr(X, 1, V, &s->istart, &s->ifeat) < 0) return wr__oom(m->ctx, "allocating twotower");
    int rc = build_layout(m, U, V, F, s->ustart[U] > 0, s->istart[V] > 0, X && X->start[2] && train->ctx_row);
    if (rc) return rc;
    wr__layout_init(&s->layout, m->params, &m->rng);
    *view(s, m->params, s->ltau) = 0;
    /* ids without a training event keep zero rows: their towers read their features alone */
    float *counts = wr__calloc((size_t)V + 1, sizeof *counts);
    if (!counts) return wr__oom(m->ctx, "allocating twotower");
    wr__count_items(train, counts);
    for (int i = 0; s->tab[T_ITEM] >= 0 && i < V; i++)
        if (counts[i] == 0) memset(view(s, m->params, s->tab[T_ITEM]) + (size_t)i * s->E, 0, (size_t)s->E * sizeof(float));
    for (int u = 0; s->tab[T_USER] >= 0 && u < U; u++)
        if (u >= train->n || train->len[u] == 0) memset(view(s, m->params, s->tab[T_USER]) + (size_t)u * s->E, 0, (size_t)s->E * sizeof(float));
    double total = 0;
    for (int i = 0; i < V; i++) total += counts[i];
    s->logp = wr__malloc((size_t)V * sizeof *s->logp + 4);
    if (!s->logp) {
        free(counts);
        return wr__oom(m->ctx, "allocating twotower");
    }
    for (int i = 0; i < V; i++) s->logp[i] = wr_logf((float)((counts[i] > 0 ? counts[i] : 0.5) / (total > 0 ? total : 1)));
    free(counts);
    int B = (int)wr__hp(m, "batch"), S = (int)wr__hp(m, "n_uniform");
    size_t T = s->layout.total + 4;
    double width = 4.0 * s->D + 3;
    for (int l = 0; l <= s->L + 1; l++) width += 2.0 * (s->qw[l] + s->iw[l]);
    char what[160];
    snprintf(what, sizeof what, "twotower: the activations of batch %d (+ n_uniform %d) with dim %d", B, S, s->D);
    if ((rc = wr__budget(m->ctx, 16.0 * (double)T + 4.0 * ((double)B * (B + S) + (double)(B + S + 256) * width + (double)V * s->D), what))) return rc;
    s->grad = wr__calloc(T, sizeof(float)), s->m1 = wr__calloc(T, sizeof(float)), s->m2 = wr__calloc(T, sizeof(float));
    int sizes[3] = {U, V, F};
    for (int t = 0; t < 3; t++) s->tt[t].rows = wr__malloc((size_t)sizes[t] * sizeof(int32_t) + 4), s->tt[t].mark = wr__calloc((size_t)sizes[t] + 1, 1);
    s->logits = wr__malloc((size_t)B * (B + S) * sizeof(float) + 16);
    s->bitems = wr__malloc((size_t)(B + S) * sizeof(int32_t) + 4), s->target = wr__malloc((size_t)B * sizeof(int32_t) + 4);
    s->negs = wr__malloc((size_t)S * sizeof(int32_t) + 4), s->drop = wr__calloc((size_t)2 * B + S + 1, 1);
    if (!s->grad || !s->m1 || !s->m2 || !s->tt[0].rows || !s->tt[1].rows || !s->tt[2].rows || !s->tt[0].mark || !s->tt[1].mark ||
        !s->tt[2].mark || !s->logits || !s->bitems || !s->target || !s->negs || !s->drop || wr__events_init(&s->ev, train, WR_TARGET_NONE, B, 0, 0, NULL) < 0)
        return wr__oom(m->ctx, "allocating twotower's training state");
    if (!s->ev.n) return wr__err(m->ctx, WR_ERR_ARG, "twotower: no training events");
    s->train = train;
    s->adam = wr_adamw_init((float)wr__hp(m, "lr"), 0);
    return WR_OK;
}

static int tt_train_step(wr_model *m, const wr_seqs *train, double *loss, int64_t *positions, int *epoch_end) {
    tt_state *s = m->state;
    s->train = train;
    wr_events *e = &s->ev;
    int n = wr__events_next(e, &m->rng, (int)wr__hp(m, "batch"), epoch_end), S = (int)wr__hp(m, "n_uniform");
    int32_t *negs = s->negs; /* drawn once for the whole batch */
    for (int j = 0; j < S; j++) negs[j] = (int32_t)(wr__rng_u64(&m->rng) % (uint64_t)s->V);
    /* cold_dropout: rows whose tower has features see them alone (DropoutNet, Volkovs et al. 2017) */
    float pd = (float)wr__hp(m, "cold_dropout");
    for (int j = 0; j < 2 * n + S; j++) s->drop[j] = (j < n ? s->qfeat : s->ifeats) && pd > 0 && wr__rng_float(&m->rng) < pd;
    const float *grad;
    *loss = wr__twotower_loss_grad(m, e->bu, e->bi, e->bat, n, negs, S, s->drop, &grad);
    if (*loss < 0) return wr__oom(m->ctx, "training twotower");
    wr_adamw_begin_step(&s->adam);
    float *P = m->params;
    for (int v = 0; v < s->layout.n; v++) {
        const wr_view *w = &s->layout.v[v];
        if (v == s->ltau && wr__hp(m, "learn_temperature") == 0) continue;
        if (!w->embedding) {
            wr_adamw_dense(P + w->offset, s->m1 + w->offset, s->m2 + w->offset, s->grad + w->offset, &s->adam, w->size);
            continue;
        }
        int t = v == s->tab[T_USER] ? T_USER : v == s->tab[T_ITEM] ? T_ITEM : T_FEAT;
        wr_adamw_rows(P + w->offset, s->m1 + w->offset, s->m2 + w->offset, s->grad + w->offset, s->tt[t].rows, s->tt[t].n, &s->adam,
                      (int)w->shape[0], (int)w->shape[1]);
    }
    /* the temperature stays within [0.001, 10] */
    float *lt = view(s, P, s->ltau), t0 = (float)wr__hp(m, "temperature"), lo = wr_logf(0.001f / t0), hi = wr_logf(10.0f / t0);
    *lt = *lt < lo ? lo : *lt > hi ? hi : *lt;
    *positions = n;
    return WR_OK;
}

/* The item vectors (V, D) for the current weights. */
static int item_vectors(wr_model *m) {
    tt_state *s = m->state;
    if (s->vec_ready && s->vec_version == m->params_version) return 0;
    if (!s->ivec && !(s->ivec = wr__malloc((size_t)s->V * s->D * sizeof(float) + 16))) return -1;
    int chunk = 256;
    if (alloc_acts(s, chunk) < 0) return -1;
    for (int i0 = 0; i0 < s->V; i0 += chunk) {
        int n = s->V - i0 < chunk ? s->V - i0 : chunk;
        for (int r = 0; r < n; r++) item_input(s, m->params, NULL, i0 + r, 0, s->ia[0] + (size_t)r * s->iw[0], NULL);
        tower_forward(s, m->params, 1, n, s->ivec + (size_t)i0 * s->D, s->inorm);
    }
    s->vec_ready = 1, s->vec_version = m->params_version;
    return 0;
}

static float inv_temperature(const wr_model *m) {
    const tt_state *s = m->state;
    return wr_expf(-*view(s, m->params, s->ltau)) / (float)wr__hp(m, "temperature");
}

static int tt_score_batch(wr_model *m, const wr_query *qs, int n, float *scores) {
    tt_state *s = m->state;
    if (item_vectors(m) < 0 || alloc_acts(s, n > 256 ? n : 256) < 0) return wr__oom(m->ctx, "scoring");
    for (int q = 0; q < n; q++) query_input(s, m->params, NULL, qs[q].user, qs[q].items, qs[q].len, 0, qs[q].features, qs[q].n_features, qs[q].context, qs[q].n_context, s->qa[0] + (size_t)q * s->qw[0], NULL);
    tower_forward(s, m->params, 0, n, s->qn, s->qnorm);
    wr_linear_forward(scores, s->qn, s->ivec, NULL, n, s->D, s->V);
    wr_scale(scores, inv_temperature(m), (size_t)n * s->V);
    return WR_OK;
}

static int tt_score(wr_model *m, const wr_query *q, float *scores) { return tt_score_batch(m, q, 1, scores); }

static int tt_score_items(wr_model *m, const wr_query *q, const int *items, int n, float *out) {
    tt_state *s = m->state;
    if (item_vectors(m) < 0 || alloc_acts(s, 256) < 0) return wr__oom(m->ctx, "scoring");
    query_input(s, m->params, NULL, q->user, q->items, q->len, 0, q->features, q->n_features, q->context, q->n_context, s->qa[0], NULL);
    tower_forward(s, m->params, 0, 1, s->qn, s->qnorm);
    float it = inv_temperature(m);
    for (int j = 0; j < n; j++) out[j] = wr_dot(s->qn, s->ivec + (size_t)items[j] * s->D, s->D) * it;
    return WR_OK;
}

/* An item the model has never seen, from its side features alone (the item tower without an id). */
static int tt_feature_item_vector(wr_model *m, const int *features, int n, float *out) {
    tt_state *s = m->state;
    if (!s->ifeats) return wr__err(m->ctx, WR_ERR_STATE, "twotower: this model was trained without item features (--items)");
    if (alloc_acts(s, 256) < 0) return wr__oom(m->ctx, "computing an item vector");
    float *x = s->ia[0];
    memset(x, 0, (size_t)s->iw[0] * sizeof(float));
    for (int k = 0; k < n; k++) add_row(s, m->params, T_FEAT, features[k], 1.0f / (float)n, x + (s->iid ? s->E : 0));
    tower_forward(s, m->params, 1, 1, out, s->inorm);
    return WR_OK;
}

static int tt_query_vector(wr_model *m, const wr_query *q, float *out) {
    tt_state *s = m->state;
    if (alloc_acts(s, 256) < 0) return wr__oom(m->ctx, "computing a query vector");
    query_input(s, m->params, NULL, q->user, q->items, q->len, 0, q->features, q->n_features, q->context, q->n_context, s->qa[0], NULL);
    tower_forward(s, m->params, 0, 1, out, s->qnorm);
    return WR_OK;
}

static int tt_item_vectors(wr_model *m, const float **rows, int *dim, int *stride) {
    tt_state *s = m->state;
    *dim = *stride = s->D;
    if (!rows) return WR_OK;
    if (item_vectors(m) < 0) return wr__oom(m->ctx, "computing the item vectors");
    *rows = s->ivec;
    return WR_OK;
}

static int tt_save(wr_model *m, wr_st_file *f) {
    tt_state *s = m->state;
    if (wr__features_save(m, f, "twotower", "user", s->U, s->ustart, s->ufeat) || wr__features_save(m, f, "twotower", "item", s->V, s->istart, s->ifeat))
        return WR_ERR_NOMEM;
    return wr__layout_save(m, &s->layout, m->params, f);
}

static int tt_load(wr_model *m, const wr_st_file *f) {
    tt_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "loading twotower");
    m->state = s;
    int64_t F = 0;
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, "twotower.feature_emb") && f->t[i].ndim == 2) F = f->t[i].shape[0];
    if (F < 0 || F > 100000000) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: twotower.feature_emb has %lld rows", (long long)F);
    int U = m->users.n, V = m->items.n;
    int rc = wr__features_load(m, f, "twotower", "user", U, 0, (int)F, &s->ustart, &s->ufeat);
    if (!rc) rc = wr__features_load(m, f, "twotower", "item", V, 0, (int)F, &s->istart, &s->ifeat);
    /* a context part when the query tower's input is one row wider than the other parts */
    int64_t width = 0, E = (int64_t)wr__hp(m, "dim");
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->t[i].name, "twotower.query.layer0.weight") && f->t[i].ndim == 2) width = f->t[i].shape[1];
    int has_ctx = !rc && width == E * (query_parts(m, s->ustart[U] > 0) + 1);
    if (!rc) rc = build_layout(m, U, V, (int)F, s->ustart[U] > 0, s->istart[V] > 0, has_ctx);
    return rc ? rc : wr__layout_load(m, &s->layout, m->params, f);
}

const wr_model_vt wr__twotower_vt = {
    .name = "twotower",
    .caps = WR_USES_USERS | WR_USES_FEATURES,
    .params = tt_params,
    .n_params = (int)(sizeof tt_params / sizeof tt_params[0]),
    .fit = tt_fit,
    .score = tt_score,
    .score_batch = tt_score_batch,
    .save = tt_save,
    .load = tt_load,
    .free_state = tt_free,
    .train_step = tt_train_step,
    .item_vectors = tt_item_vectors,
    .query_vector = tt_query_vector,
    .score_items = tt_score_items,
    .feature_item_vector = tt_feature_item_vector,
};
