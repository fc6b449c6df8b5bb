/* ease.c: EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019), a
 * closed-form item-item model and a strong simple baseline. With X the binary user x item matrix
 * of the training data (an item counts once per user) and G = X^T X + lambda I:
 *   P = G^-1,   B[i][j] = -P[i][j] / P[j][j] (i != j),   B[j][j] = 0,
 * and a history scores item j by sum over its distinct items i of B[i][j]. B is dense (n x n),
 * so fitting needs 12 bytes per item pair (G and P in double, B in float): above the memory
 * budget (memory_mb) it refuses with the item count it could take. The inverse is Gauss-Jordan
 * without pivoting, which G (symmetric, positive definite, lambda on the diagonal) allows, in
 * double with one fixed order of operations: the same bits natively and in wasm. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "model.h"

static const wr_param_def ease_params[] = {
    {"lambda", WR_PARAM_FLOAT, 500, 1e-3, 1e9, NULL, "L2 penalty on the item-item weights (the diagonal added to X^T X; the paper's 500)"},
    {"memory_mb", WR_PARAM_INT, 1024, 1, 65536, NULL, "memory budget of the fit: 12 bytes per item pair"},
};

typedef struct {
    int n;
    float *B;        /* (n, n): B[i * n + j] is what item i in a history adds to item j */
    int32_t *stamp;  /* (n) marks distinct history items */
    int32_t tick;
} ease_state;

static void ease_free(wr_model *m) {
    ease_state *s = m->state;
    free(s->B);
    free(s->stamp);
    free(s);
}

static int ease_alloc(wr_model *m, int n) {
    ease_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "creating ease");
    m->state = s;
    s->n = n;
    s->B = wr__malloc((size_t)n * n * sizeof *s->B + 1);
    s->stamp = wr__calloc((size_t)n + 1, sizeof *s->stamp);
    return s->B && s->stamp ? WR_OK : wr__oom(m->ctx, "allocating ease's item-item matrix");
}

/* The budget check comes before any allocation: the matrices grow with the square of the
 * catalogue. */
static int check_budget(wr_model *m, int n) {
    double need_mb = 12.0 * n * (double)n / 1048576.0, budget = wr__hp(m, "memory_mb");
    char what[80];
    snprintf(what, sizeof what, "ease: %d items (12 bytes per item pair)", n);
    if (need_mb <= budget) return wr__budget(m->ctx, need_mb * 1048576.0, what); /* and the engine's */
    return wr__err(m->ctx, WR_ERR_ARG,
                   "ease: %d items need %.0f MB (12 bytes per item pair) over the memory budget of %.0f MB; "
                   "raise it with --set memory_mb=%.0f, or use itemknn, which keeps a few neighbours per item (this budget "
                   "takes up to %d items)",
                   n, need_mb, budget, ceil(need_mb), (int)sqrt(budget * 1048576.0 / 12.0));
}

/* In-place inverse of the symmetric positive definite A (n x n, row-major). */
static void invert_spd(double *A, int n) {
    for (int k = 0; k < n; k++) {
        double *rk = A + (size_t)k * n, inv = 1.0 / rk[k];
        rk[k] = 1.0;
        for (int j = 0; j < n; j++) rk[j] *= inv;
        for (int i = 0; i < n; i++) {
            if (i == k) continue;
            double *ri = A + (size_t)i * n, f = ri[k];
            if (f == 0.0) continue;
            ri[k] = 0.0;
            for (int j = 0; j < n; j++) ri[j] -= f * rk[j];
        }
    }
}

static int ease_fit(wr_model *m, const wr_seqs *train) {
    int n = train->n_items, rc = check_budget(m, n);
    if (rc) return rc;
    if ((rc = ease_alloc(m, n))) return rc;
    ease_state *s = m->state;
    double *G = wr__calloc((size_t)n * n + 1, sizeof *G);
    int32_t *uniq = wr__malloc((size_t)n * sizeof *uniq + 1);
    if (!G || !uniq) {
        free(G);
        free(uniq);
        return wr__oom(m->ctx, "fitting ease");
    }
    /* G = X^T X: every pair of distinct items in one user's training events */
    for (int u = 0; u < train->n; u++) {
        const int32_t *seq = train->items + train->start[u];
        int32_t tick = ++s->tick, nu = 0;
        for (int t = 0; t < train->len[u]; t++)
            if (s->stamp[seq[t]] != tick) s->stamp[seq[t]] = tick, uniq[nu++] = seq[t];
        for (int a = 0; a < nu; a++)
            for (int b = 0; b < nu; b++) G[(size_t)uniq[a] * n + uniq[b]] += 1.0;
    }
    double lambda = wr__hp(m, "lambda");
    for (int i = 0; i < n; i++) G[(size_t)i * n + i] += lambda;
    invert_spd(G, n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) s->B[(size_t)i * n + j] = i == j ? 0.0f : (float)(-G[(size_t)i * n + j] / G[(size_t)j * n + j]);
    free(G);
    free(uniq);
    return WR_OK;
}

static int ease_score(wr_model *m, const wr_query *q, float *scores) {
    const int *history = q->items, len = q->len;
    ease_state *s = m->state;
    int n = s->n;
    memset(scores, 0, (size_t)n * sizeof *scores);
    if (s->tick == INT32_MAX) {
        memset(s->stamp, 0, (size_t)n * sizeof *s->stamp);
        s->tick = 0;
    }
    int32_t tick = ++s->tick;
    for (int t = 0; t < len; t++) {
        int i = history[t];
        if (s->stamp[i] == tick) continue; /* an item counts once, as in X */
        s->stamp[i] = tick;
        wr_axpy(scores, 1.0f, s->B + (size_t)i * n, n);
    }
    return WR_OK;
}

static int ease_save(wr_model *m, wr_st_file *f) {
    ease_state *s = m->state;
    int64_t shape[2] = {s->n, s->n};
    return wr__st_add(f, "ease.B", WR_DT_F32, 2, shape, s->B) < 0 ? wr__oom(m->ctx, "saving ease") : WR_OK;
}

static int ease_load(wr_model *m, const wr_st_file *f) {
    int n = m->items.n;
    const wr_st_tensor *t;
    int64_t shape[2] = {n, n};
    /* the tensor is checked against the file first, so a hostile n_items cannot make us allocate */
    int rc = wr__st_get(m->ctx, f, "ease.B", WR_DT_F32, 2, shape, &t);
    if (rc == WR_OK) rc = ease_alloc(m, n);
    if (rc) return rc;
    ease_state *s = m->state;
    wr__st_copy(s->B, t);
    for (size_t k = 0; k < (size_t)n * n; k++)
        if (!isfinite(s->B[k])) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: ease.B has a non-finite value at %zu", k);
    return WR_OK;
}

const wr_model_vt wr__ease_vt = {
    .name = "ease",
    .params = ease_params,
    .n_params = (int)(sizeof ease_params / sizeof ease_params[0]),
    .fit = ease_fit,
    .score = ease_score,
    .save = ease_save,
    .load = ease_load,
    .free_state = ease_free,
};
