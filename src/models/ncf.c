/* ncf.c: neural collaborative filtering (He et al. 2017): gmf, mlp and neumf.
 *   gmf:   phi = p_u * q_i (elementwise, dim)
 *   mlp:   phi = relu(W_L ... relu(W_1 [p'_u ; q'_i] + b_1) ... + b_L), the tower halving from
 *          2 x dim x 2^(layers-1) inputs to dim outputs (dim 16, layers 3: 128 -> 64 -> 32 -> 16)
 *   neumf: phi = [gmf's ; mlp's] with their own embeddings
 *   y = h . phi + c, a logit: binary cross-entropy on labels, or on implicit data each positive
 *   against n_neg items the user never touched (the paper's 4). Adam (lazy on embedding rows).
 * neumf can start from trained gmf and mlp models (wr_model_ncf_pretrained): their embeddings
 * and tower, and h = [alpha h_gmf ; (1 - alpha) h_mlp], as the paper. A user the model does not
 * know gets the training counts (most popular first), whatever their history: the user and item
 * embeddings live in different spaces (the tower reads them side by side), so no fold-in from
 * item vectors means anything here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "../nn/nn.h"
#include "batch.h"
#include "optim.h"

enum { GMF = 1, MLP = 2 };
#define MAX_LAYERS 5

#define NCF_PARAMS                                                                                                  \
    {"dim", WR_PARAM_INT, 16, 1, 512, NULL, "predictive factors: GMF's size and the MLP tower's last layer"},      \
    {"lr", WR_PARAM_FLOAT, 0.001, 1e-6, 10, NULL, "Adam learning rate"},                                           \
    {"reg", WR_PARAM_FLOAT, 0, 0, 100, NULL, "L2 penalty on the embedding rows a step uses"},                      \
    {"batch", WR_PARAM_INT, 256, 1, 1 << 16, NULL, "training events per step"},                                   \
    {"epochs", WR_PARAM_INT, 100, 1, 100000, NULL, "maximum epochs (early stopping usually ends it sooner)"},     \
    {"patience", WR_PARAM_INT, 5, 0, 1000, NULL, "epochs without validation gain before stopping (0 = never)"},   \
    {"n_neg", WR_PARAM_INT, 4, 1, 1000, NULL, "sampled negatives per positive event (unlabelled data)"},          \
    {"init", WR_PARAM_FLOAT, 0.01, 0, 10, NULL, "standard deviation of the initial embeddings"}
#define TOWER_PARAM {"layers", WR_PARAM_INT, 3, 1, MAX_LAYERS, NULL, "MLP layers (each half the width of the one before)"}

static const wr_param_def gmf_params[] = {NCF_PARAMS};
static const wr_param_def mlp_params[] = {NCF_PARAMS, TOWER_PARAM};
static const wr_param_def neumf_params[] = {NCF_PARAMS, TOWER_PARAM};

typedef struct {
    int kind, U, V, D, L, E;   /* E: the MLP embedding size; D: dim */
    int width[MAX_LAYERS + 1]; /* tower widths: width[0] = 2E, width[L] = D */
    wr_layout layout;
    int gp, gq, mp, mq, w[MAX_LAYERS], b[MAX_LAYERS], h, c; /* views (-1 absent) */
    float *grad, *m1, *m2;
    wr_adamw adam;
    /* training */
    wr_events ev;
    int32_t *urows, *irows;
    unsigned char *utouch, *itouch;
    int nur, nir, cap;         /* cap: rows a forward pass can hold */
    /* activations (cap rows) */
    float *act[MAX_LAYERS + 1], *dact[MAX_LAYERS + 1], *phi, *dphi, *logit;
    int32_t *bu, *bi;
} ncf_state;

static inline float *view(const ncf_state *s, float *buf, int v) { return buf + s->layout.v[v].offset; }

static int phi_width(const ncf_state *s) { return (s->kind & GMF ? s->D : 0) + (s->kind & MLP ? s->D : 0); }

static int build_layout(wr_model *m, int U, int V) {
    ncf_state *s = m->state;
    const char *name = m->vt->name;
    s->kind = !strcmp(name, "gmf") ? GMF : !strcmp(name, "mlp") ? MLP : GMF | MLP;
    s->U = U, s->V = V, s->D = (int)wr__hp(m, "dim"), s->L = s->kind & MLP ? (int)wr__hp(m, "layers") : 0;
    s->E = s->D << (s->L > 0 ? s->L - 1 : 0);
    for (int l = 0; l <= s->L; l++) s->width[l] = s->D << (s->L - l);
    float init = (float)wr__hp(m, "init");
    wr_layout *lay = &s->layout;
    memset(lay, 0, sizeof *lay);
    char nm[48];
    s->gp = s->gq = s->mp = s->mq = -1;
    if (s->kind & GMF) {
        s->gp = wr__layout_add(lay, "ncf.gmf.user_emb", 2, U, s->D, 0, WR_INIT_NORMAL, init, 1);
        s->gq = wr__layout_add(lay, "ncf.gmf.item_emb", 2, V, s->D, 0, WR_INIT_NORMAL, init, 1);
    }
    if (s->kind & MLP) {
        s->mp = wr__layout_add(lay, "ncf.mlp.user_emb", 2, U, s->E, 0, WR_INIT_NORMAL, init, 1);
        s->mq = wr__layout_add(lay, "ncf.mlp.item_emb", 2, V, s->E, 0, WR_INIT_NORMAL, init, 1);
        for (int l = 0; l < s->L; l++) { /* Glorot uniform, as the NCF code */
            float bound = sqrtf(6.0f / (float)(s->width[l] + s->width[l + 1]));
            snprintf(nm, sizeof nm, "ncf.mlp.layer%d.weight", l);
            s->w[l] = wr__layout_add(lay, nm, 2, s->width[l + 1], s->width[l], 0, WR_INIT_UNIFORM, bound, 0);
            snprintf(nm, sizeof nm, "ncf.mlp.layer%d.bias", l);
            s->b[l] = wr__layout_add(lay, nm, 1, s->width[l + 1], 0, 0, WR_INIT_ZERO, 0, 0);
        }
    }
    int P = phi_width(s);
    s->h = wr__layout_add(lay, "ncf.out.weight", 2, 1, P, 0, WR_INIT_UNIFORM, sqrtf(6.0f / (float)(P + 1)), 0);
    s->c = wr__layout_add(lay, "ncf.out.bias", 1, 1, 0, 0, WR_INIT_ZERO, 0, 0);
    int alloc_rc = wr__layout_alloc(m, lay);
    if (alloc_rc) return alloc_rc;
    return m->params ? WR_OK : wr__oom(m->ctx, "allocating the model");
}

/* Activation buffers for cap rows. */
static void free_acts(ncf_state *s) {
    for (int l = 0; l <= MAX_LAYERS; l++) free(s->act[l]), free(s->dact[l]), s->act[l] = s->dact[l] = NULL;
    free(s->phi), free(s->dphi), free(s->logit), free(s->bu), free(s->bi);
    s->phi = s->dphi = s->logit = NULL, s->bu = s->bi = NULL;
    s->cap = 0;
}

static int alloc_acts(ncf_state *s, int cap) {
    free_acts(s); /* what a failed call left */
    int P = phi_width(s);
    for (int l = 0; l <= s->L; l++) {
        s->act[l] = wr__malloc((size_t)cap * s->width[l] * sizeof(float) + 4);
        s->dact[l] = wr__malloc((size_t)cap * s->width[l] * sizeof(float) + 4);
        if (!s->act[l] || !s->dact[l]) return -1;
    }
    s->phi = wr__malloc((size_t)cap * P * sizeof(float) + 4), s->dphi = wr__malloc((size_t)cap * P * sizeof(float) + 4);
    s->logit = wr__malloc((size_t)cap * sizeof(float) + 4);
    s->bu = wr__malloc((size_t)cap * sizeof(int32_t) + 4), s->bi = wr__malloc((size_t)cap * sizeof(int32_t) + 4);
    if (!s->phi || !s->dphi || !s->logit || !s->bu || !s->bi) return -1;
    s->cap = cap; /* only now: after a failure the next call tries again */
    return 0;
}

static void ncf_free(wr_model *m) {
    ncf_state *s = m->state;
    free(m->params);
    wr__events_free(&s->ev);
    free_acts(s);
    void *bufs[] = {s->grad, s->m1, s->m2, s->urows, s->irows, s->utouch, s->itouch};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(s);
}

/* Forward for n pairs (bu, bi): logits into s->logit, activations kept for backward. */
static void forward(ncf_state *s, const float *P, int n) {
    int D = s->D, E = s->E, W = phi_width(s);
    for (int r = 0; r < n; r++) {
        int u = s->bu[r], i = s->bi[r];
        float *phi = s->phi + (size_t)r * W;
        if (s->kind & GMF) {
            const float *pu = view(s, (float *)P, s->gp) + (size_t)u * D, *qi = view(s, (float *)P, s->gq) + (size_t)i * D;
            for (int c = 0; c < D; c++) phi[c] = pu[c] * qi[c];
        }
        if (s->kind & MLP) {
            const float *pu = view(s, (float *)P, s->mp) + (size_t)u * E, *qi = view(s, (float *)P, s->mq) + (size_t)i * E;
            memcpy(s->act[0] + (size_t)r * 2 * E, pu, (size_t)E * sizeof(float));
            memcpy(s->act[0] + (size_t)r * 2 * E + E, qi, (size_t)E * sizeof(float));
        }
    }
    const float *Wl[MAX_LAYERS], *bl[MAX_LAYERS];
    for (int l = 0; l < s->L; l++) Wl[l] = view(s, (float *)P, s->w[l]), bl[l] = view(s, (float *)P, s->b[l]);
    wr_mlp_forward(s->act, Wl, bl, s->width, s->L, n, 1);
    if (s->kind & MLP)
        for (int r = 0; r < n; r++) memcpy(s->phi + (size_t)r * W + (s->kind & GMF ? D : 0), s->act[s->L] + (size_t)r * D, (size_t)D * sizeof(float));
    wr_linear_forward(s->logit, s->phi, view(s, (float *)P, s->h), view(s, (float *)P, s->c), n, W, 1);
}

static void touch(int32_t *rows, unsigned char *mark, int *n, int r) {
    if (!mark[r]) mark[r] = 1, rows[(*n)++] = r;
}

/* dlogit (n) in s->logit's place: gradients of every weight the pairs used. */
static void backward(ncf_state *s, const float *P, float *G, int n, const float *dlogit) {
    int D = s->D, E = s->E, W = phi_width(s);
    wr_linear_backward(s->dphi, view(s, G, s->h), view(s, G, s->c), dlogit, s->phi, view(s, (float *)P, s->h), n, W, 1);
    if (s->kind & MLP) {
        for (int r = 0; r < n; r++) memcpy(s->dact[s->L] + (size_t)r * D, s->dphi + (size_t)r * W + (s->kind & GMF ? D : 0), (size_t)D * sizeof(float));
        const float *Wl[MAX_LAYERS], *acts[MAX_LAYERS + 1];
        float *dW[MAX_LAYERS], *db[MAX_LAYERS];
        for (int l = 0; l < s->L; l++) Wl[l] = view(s, (float *)P, s->w[l]), dW[l] = view(s, G, s->w[l]), db[l] = view(s, G, s->b[l]);
        for (int l = 0; l <= s->L; l++) acts[l] = s->act[l];
        wr_mlp_backward(s->dact, dW, db, acts, Wl, s->width, s->L, n, 1);
    }
    for (int r = 0; r < n; r++) {
        int u = s->bu[r], i = s->bi[r];
        if (s->kind & GMF) {
            const float *pu = view(s, (float *)P, s->gp) + (size_t)u * D, *qi = view(s, (float *)P, s->gq) + (size_t)i * D, *d = s->dphi + (size_t)r * W;
            float *gp = view(s, G, s->gp) + (size_t)u * D, *gq = view(s, G, s->gq) + (size_t)i * D;
            for (int c = 0; c < D; c++) gp[c] += d[c] * qi[c], gq[c] += d[c] * pu[c];
        }
        if (s->kind & MLP) {
            const float *d = s->dact[0] + (size_t)r * 2 * E;
            float *gp = view(s, G, s->mp) + (size_t)u * E, *gq = view(s, G, s->mq) + (size_t)i * E;
            for (int c = 0; c < E; c++) gp[c] += d[c], gq[c] += d[E + c];
        }
        touch(s->urows, s->utouch, &s->nur, u);
        touch(s->irows, s->itouch, &s->nir, i);
    }
}

static void clear_grad(ncf_state *s) {
    for (int v = 0; v < s->layout.n; v++)
        if (!s->layout.v[v].embedding) memset(view(s, s->grad, v), 0, s->layout.v[v].size * sizeof(float));
    int tables[4] = {s->gp, s->mp, s->gq, s->mq};
    for (int t = 0; t < 4; t++) {
        if (tables[t] < 0) continue;
        int C = (int)s->layout.v[tables[t]].shape[1], items = t >= 2;
        const int32_t *rows = items ? s->irows : s->urows;
        for (int r = 0, nr = items ? s->nir : s->nur; r < nr; r++) memset(view(s, s->grad, tables[t]) + (size_t)rows[r] * C, 0, (size_t)C * sizeof(float));
    }
    for (int r = 0; r < s->nur; r++) s->utouch[s->urows[r]] = 0;
    for (int r = 0; r < s->nir; r++) s->itouch[s->irows[r]] = 0;
    s->nur = s->nir = 0;
}

double wr__ncf_loss_grad(wr_model *m, const int32_t *users, const int32_t *items, const float *y, const int32_t *negs, int n,
                         const float **grad) {
    ncf_state *s = m->state;
    const float *P = m->params;
    clear_grad(s);
    *grad = s->grad;
    int nn = y ? 0 : (int)wr__hp(m, "n_neg"), rows = 0;
    float *target = s->dphi; /* scratch until backward: the targets of the rows */
    for (int b = 0; b < n; b++)
        for (int k = -1; k < nn; k++) {
            s->bu[rows] = users[b], s->bi[rows] = k < 0 ? items[b] : negs[(size_t)b * nn + k];
            target[rows++] = y ? y[b] : k < 0;
        }
    float *dlogit = wr__malloc((size_t)rows * sizeof *dlogit + 4);
    if (!dlogit) return -1;
    forward(s, P, rows);
    double loss = 0, inv = 1.0 / n;
    for (int r = 0; r < rows; r++) {
        float dz;
        loss += wr_bce_logit(s->logit[r], target[r], &dz);
        dlogit[r] = (float)(dz * inv);
    }
    backward(s, P, s->grad, rows, dlogit);
    free(dlogit);
    loss *= inv;
    float reg = (float)wr__hp(m, "reg");
    int tables[4] = {s->gp, s->mp, s->gq, s->mq};
    for (int t = 0; reg > 0 && t < 4; t++) {
        if (tables[t] < 0) continue;
        int C = (int)s->layout.v[tables[t]].shape[1], it = t >= 2;
        const int32_t *rws = it ? s->irows : s->urows;
        for (int r = 0, nr = it ? s->nir : s->nur; r < nr; r++) {
            const float *p = view(s, (float *)P, tables[t]) + (size_t)rws[r] * C;
            float *g = view(s, s->grad, tables[t]) + (size_t)rws[r] * C;
            for (int c = 0; c < C; c++) loss += reg * p[c] * p[c], g[c] += 2 * reg * p[c];
        }
    }
    return loss;
}

static int ncf_fit(wr_model *m, const wr_seqs *train) {
    ncf_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "allocating the model");
    m->state = s;
    int rc = build_layout(m, m->users.n, train->n_items);
    if (rc) return rc;
    wr__layout_init(&s->layout, m->params, &m->rng);
    /* every event: with its label on labelled data, else each against n_neg sampled negatives */
    int target = train->label ? WR_TARGET_LABEL : WR_TARGET_NONE, B = (int)wr__hp(m, "batch");
    int nn = target == WR_TARGET_LABEL ? 0 : (int)wr__hp(m, "n_neg");
    size_t T = s->layout.total + 4;
    s->grad = wr__calloc(T, sizeof(float)), s->m1 = wr__calloc(T, sizeof(float)), s->m2 = wr__calloc(T, sizeof(float));
    int rows = B * (1 + nn);
    double width = phi_width(s) + 2;
    for (int l = 0; l <= s->L; l++) width += 2.0 * s->width[l];
    char what[160];
    snprintf(what, sizeof what, "%s: the activations of batch %d x (1 + n_neg %d) rows (dim %d, layers %d)", m->vt->name, B, nn, s->D, s->L);
    if ((rc = wr__budget(m->ctx, 16.0 * (double)T + 4.0 * (double)B * (1 + nn) * width, what))) return rc;
    s->urows = wr__malloc((size_t)rows * sizeof(int32_t) + 4), s->irows = wr__malloc((size_t)rows * sizeof(int32_t) + 4);
    s->utouch = wr__calloc((size_t)s->U + 1, 1), s->itouch = wr__calloc((size_t)s->V + 1, 1);
    if (!s->grad || !s->m1 || !s->m2 || !s->urows || !s->irows || !s->utouch || !s->itouch || alloc_acts(s, rows > 256 ? rows : 256) < 0 ||
        wr__events_init(&s->ev, train, target, B, nn, 0, NULL) < 0)
        return wr__oom(m->ctx, "allocating the model's training state");
    if (!s->ev.n) return wr__err(m->ctx, WR_ERR_ARG, "%s: no training events", m->vt->name);
    s->adam = wr_adamw_init((float)wr__hp(m, "lr"), 0);
    return WR_OK;
}

static int ncf_train_step(wr_model *m, const wr_seqs *train, double *loss, int64_t *positions, int *epoch_end) {
    ncf_state *s = m->state;
    (void)train;
    wr_events *e = &s->ev;
    int n = wr__events_next(e, &m->rng, (int)wr__hp(m, "batch"), epoch_end);
    const float *grad;
    *loss = wr__ncf_loss_grad(m, e->bu, e->bi, e->by, e->bneg, n, &grad);
    if (*loss < 0) return wr__oom(m->ctx, "training the model");
    wr_adamw_begin_step(&s->adam);
    float *P = m->params;
    for (int v = 0; v < s->layout.n; v++) {
        const wr_view *w = &s->layout.v[v];
        if (!w->embedding) {
            wr_adamw_dense(P + w->offset, s->m1 + w->offset, s->m2 + w->offset, s->grad + w->offset, &s->adam, w->size);
            continue;
        }
        int items_table = v == s->gq || v == s->mq;
        wr_adamw_rows(P + w->offset, s->m1 + w->offset, s->m2 + w->offset, s->grad + w->offset, items_table ? s->irows : s->urows,
                      items_table ? s->nir : s->nur, &s->adam, (int)w->shape[0], (int)w->shape[1]);
    }
    *positions = n;
    return WR_OK;
}

static int ncf_score(wr_model *m, const wr_query *q, float *scores) {
    ncf_state *s = m->state;
    const float *P = m->params;
    int V = s->V;
    if (!s->cap && alloc_acts(s, 256) < 0) return wr__oom(m->ctx, "scoring");
    if (q->user < 0) { /* an unknown user: the training counts (see the top) */
        for (int i = 0; i < V; i++) scores[i] = m->counts ? m->counts[i] : 0;
        return WR_OK;
    }
    for (int i0 = 0; i0 < V; i0 += s->cap) {
        int n = V - i0 < s->cap ? V - i0 : s->cap;
        for (int r = 0; r < n; r++) s->bu[r] = q->user, s->bi[r] = i0 + r;
        forward(s, P, n);
        memcpy(scores + i0, s->logit, (size_t)n * sizeof(float));
    }
    return WR_OK;
}

static int ncf_predicts(const wr_model *m) {
    (void)m;
    return WR_PREDICTS_PROB;
}

static int ncf_save(wr_model *m, wr_st_file *f) {
    ncf_state *s = m->state;
    return wr__layout_save(m, &s->layout, m->params, f);
}

static int ncf_load(wr_model *m, const wr_st_file *f) {
    ncf_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "loading the model");
    m->state = s;
    int rc = build_layout(m, m->users.n, m->items.n);
    return rc ? rc : wr__layout_load(m, &s->layout, m->params, f);
}

static void copy_view(const ncf_state *to, float *tp, int tv, const ncf_state *from, const float *fp, int fv) {
    memcpy(view(to, tp, tv), view(from, (float *)fp, fv), to->layout.v[tv].size * sizeof(float));
}

/* NeuMF from trained GMF and MLP models (the same users, items, dim and layers): their
 * embeddings and tower, h = [alpha h_gmf ; (1 - alpha) h_mlp], c = alpha c_gmf + (1 - alpha) c_mlp. */
int wr_model_ncf_pretrained(wr_model *neumf, const wr_model *gmf, const wr_model *mlp, double alpha) {
    if (!neumf || !gmf || !mlp) return WR_ERR_ARG;
    wr_ctx *ctx = neumf->ctx;
    if (strcmp(neumf->vt->name, "neumf") || strcmp(gmf->vt->name, "gmf") || strcmp(mlp->vt->name, "mlp"))
        return wr__err(ctx, WR_ERR_ARG, "pretraining takes a neumf model and trained gmf and mlp models");
    if (!gmf->fitted || !mlp->fitted || !neumf->fitted)
        return wr__err(ctx, WR_ERR_STATE, "pretraining: the neumf model (fitted once, to set its shapes) and the gmf and mlp models must be trained");
    if (!(alpha >= 0 && alpha <= 1)) return wr__err(ctx, WR_ERR_ARG, "pretraining: alpha must be in [0, 1], got %g", alpha);
    const ncf_state *g = gmf->state, *p = mlp->state;
    ncf_state *s = neumf->state;
    if (g->U != s->U || p->U != s->U || g->V != s->V || p->V != s->V || g->D != s->D || p->D != s->D || p->L != s->L)
        return wr__err(ctx, WR_ERR_ARG, "pretraining: gmf and mlp must have neumf's users, items, dim and layers");
    for (int i = 0; i < s->U; i++)
        if (strcmp(gmf->users.keys[i], neumf->users.keys[i]) || strcmp(mlp->users.keys[i], neumf->users.keys[i]))
            return wr__err(ctx, WR_ERR_ARG, "pretraining: the models were trained on different users");
    for (int i = 0; i < s->V; i++)
        if (strcmp(gmf->items.keys[i], neumf->items.keys[i]) || strcmp(mlp->items.keys[i], neumf->items.keys[i]))
            return wr__err(ctx, WR_ERR_ARG, "pretraining: the models were trained on different items");
    float *P = neumf->params;
    const float *GP = gmf->params, *MP = mlp->params;
    copy_view(s, P, s->gp, g, GP, g->gp);
    copy_view(s, P, s->gq, g, GP, g->gq);
    copy_view(s, P, s->mp, p, MP, p->mp);
    copy_view(s, P, s->mq, p, MP, p->mq);
    for (int l = 0; l < s->L; l++) {
        copy_view(s, P, s->w[l], p, MP, p->w[l]);
        copy_view(s, P, s->b[l], p, MP, p->b[l]);
    }
    float *h = view(s, P, s->h);
    for (int c = 0; c < s->D; c++) h[c] = (float)alpha * view(g, (float *)GP, g->h)[c], h[s->D + c] = (float)(1 - alpha) * view(p, (float *)MP, p->h)[c];
    *view(s, P, s->c) = (float)(alpha * *view(g, (float *)GP, g->c) + (1 - alpha) * *view(p, (float *)MP, p->c));
    return WR_OK;
}

#define NCF_VT(id, nm, table)                                                                          \
    const wr_model_vt id = {                                                                           \
        .name = nm,                                                                                    \
        .caps = WR_USES_USERS | WR_USES_LABELS | WR_NO_HISTORY,                                                        \
        .params = table,                                                                               \
        .n_params = (int)(sizeof table / sizeof table[0]),                                             \
        .fit = ncf_fit,                                                                                \
        .score = ncf_score,                                                                            \
        .predicts = ncf_predicts,                                                                      \
        .save = ncf_save,                                                                              \
        .load = ncf_load,                                                                              \
        .free_state = ncf_free,                                                                        \
        .train_step = ncf_train_step,                                                                  \
    }
NCF_VT(wr__gmf_vt, "gmf", gmf_params);
NCF_VT(wr__mlp_vt, "mlp", mlp_params);
NCF_VT(wr__neumf_vt, "neumf", neumf_params);
