/* sparse.c: the item x item sparse matrix of markov and itemknn: scoring, saving, loading. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sparse.h"

void wr__csr_free(wr_csr *c) {
    free(c->ptr);
    free(c->col);
    free(c->val);
    free(c->pop);
    c->ptr = c->col = NULL;
    c->val = c->pop = NULL;
}

void wr__csr_score(const wr_csr *c, int last, float *scores) {
    float maxpop = 0;
    for (int i = 0; i < c->n; i++)
        if (c->pop[i] > maxpop) maxpop = c->pop[i];
    float inv = 1.0f / (maxpop + 1.0f);
    for (int i = 0; i < c->n; i++) scores[i] = c->pop[i] * inv;
    if (last < 0) return;
    for (int32_t e = c->ptr[last]; e < c->ptr[last + 1]; e++) scores[c->col[e]] = c->val[e] + 1.0f;
}

int wr__csr_save(wr_model *m, const wr_csr *c, const char *prefix, wr_st_file *f) {
    char name[WR_ST_MAX_NAME];
    int64_t nrow[1] = {c->n + 1}, nnz[1] = {c->ptr[c->n]}, n[1] = {c->n};
    int bad = 0;
    snprintf(name, sizeof name, "%s.ptr", prefix);
    bad |= wr__st_add(f, name, WR_DT_I32, 1, nrow, c->ptr);
    snprintf(name, sizeof name, "%s.col", prefix);
    bad |= wr__st_add(f, name, WR_DT_I32, 1, nnz, c->col);
    snprintf(name, sizeof name, "%s.val", prefix);
    bad |= wr__st_add(f, name, WR_DT_F32, 1, nnz, c->val);
    snprintf(name, sizeof name, "%s.pop", prefix);
    bad |= wr__st_add(f, name, WR_DT_F32, 1, n, c->pop);
    return bad ? wr__oom(m->ctx, "saving a model") : WR_OK;
}

int wr__csr_load(wr_model *m, wr_csr *c, const char *prefix, const wr_st_file *f) {
    char name[WR_ST_MAX_NAME];
    c->n = m->items.n;
    snprintf(name, sizeof name, "%s.ptr", prefix);
    int rc = wr__load_1d(m, f, name, WR_DT_I32, c->n + 1, (void **)&c->ptr);
    if (rc) return rc;
    if (c->ptr[0] != 0) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s[0] must be 0", name);
    for (int i = 0; i < c->n; i++)
        if (c->ptr[i + 1] < c->ptr[i]) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s is not monotonic at row %d", name, i);
    int32_t nnz = c->ptr[c->n];
    snprintf(name, sizeof name, "%s.col", prefix);
    if ((rc = wr__load_1d(m, f, name, WR_DT_I32, nnz, (void **)&c->col))) return rc;
    for (int32_t e = 0; e < nnz; e++)
        if (c->col[e] < 0 || c->col[e] >= c->n) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s[%d] = %d is not an item index", name, e, c->col[e]);
    snprintf(name, sizeof name, "%s.val", prefix);
    if ((rc = wr__load_1d(m, f, name, WR_DT_F32, nnz, (void **)&c->val))) return rc;
    for (int32_t e = 0; e < nnz; e++)
        if (!isfinite(c->val[e])) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s[%d] is not finite", name, e);
    snprintf(name, sizeof name, "%s.pop", prefix);
    if ((rc = wr__load_1d(m, f, name, WR_DT_F32, c->n, (void **)&c->pop))) return rc;
    for (int i = 0; i < c->n; i++)
        if (!isfinite(c->pop[i]) || c->pop[i] < 0) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s[%d] is not a count", name, i);
    return WR_OK;
}

int wr__csr_model_score(wr_model *m, const int *history, int len, float *scores) {
    wr__csr_score(m->state, len > 0 ? history[len - 1] : -1, scores);
    return WR_OK;
}

int wr__csr_model_explain(wr_model *m, const int *history, int len, int item, float *weight) {
    const wr_csr *c = m->state;
    for (int t = 0; t < len; t++) weight[t] = 0;
    if (len == 0) return WR_OK;
    int last = history[len - 1];
    for (int32_t e = c->ptr[last]; e < c->ptr[last + 1]; e++)
        if (c->col[e] == item) weight[len - 1] = c->val[e];
    return WR_OK;
}

int wr__csr_model_save(wr_model *m, wr_st_file *f) { return wr__csr_save(m, m->state, m->vt->name, f); }

void wr__csr_model_free(wr_model *m) {
    wr__csr_free(m->state);
    free(m->state);
}

int wr__csr_model_load(wr_model *m, const wr_st_file *f) {
    wr_csr *c = wr__calloc(1, sizeof *c);
    if (!c) return wr__oom(m->ctx, "loading a model");
    m->state = c;
    return wr__csr_load(m, c, m->vt->name, f);
}
