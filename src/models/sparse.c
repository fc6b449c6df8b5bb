/* sparse.c: the item x item sparse matrix of markov and itemknn: scoring, saving, loading; and
 * the popularity tie-break of the neighbourhood models (wr__break_ties). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparse.h"

/* The bits of v as an unsigned key in v's order (sign bit flipped for v >= 0, all bits for v < 0). */
static uint32_t order_key(float v) {
    uint32_t x;
    memcpy(&x, &v, sizeof x);
    return x & 0x80000000u ? ~x : x | 0x80000000u;
}

/* Sorts e (n) by v ascending through tmp (n): an LSD radix sort on order_key, one pass per byte
 * that is not the same in every key (several times faster than qsort on the few hundred entries
 * of a query, which matters for the session-kNN models' per-query budget). */
static void sort_scored(wr_scored *e, wr_scored *tmp, int n) {
    uint32_t count[4][256];
    memset(count, 0, sizeof count);
    for (int k = 0; k < n; k++) {
        uint32_t x = order_key(e[k].v);
        for (int p = 0; p < 4; p++) count[p][x >> (8 * p) & 255]++;
    }
    wr_scored *src = e, *dst = tmp;
    for (int p = 0; p < 4; p++) {
        uint32_t sum = 0, *c = count[p];
        if (c[order_key(src[0].v) >> (8 * p) & 255] == (uint32_t)n) continue; /* one bucket: nothing to do */
        for (int b = 0; b < 256; b++) {
            uint32_t here = c[b];
            c[b] = sum;
            sum += here;
        }
        for (int k = 0; k < n; k++) dst[c[order_key(src[k].v) >> (8 * p) & 255]++] = src[k];
        wr_scored *t = src;
        src = dst;
        dst = t;
    }
    if (src != e) memcpy(e, src, (size_t)n * sizeof *e);
}

void wr__break_ties(wr_scored *e, int n, const float *pop, float maxpop, float *scores) {
    if (n <= 0) return;
    sort_scored(e, e + n, n);
    double inv = 1.0 / ((double)maxpop + 1.0);
    for (int a = 0, b; a < n; a = b) {
        float v = e[a].v, lo = pop[e[a].item];
        for (b = a + 1; b < n && e[b].v == v; b++)
            if (pop[e[b].item] < lo) lo = pop[e[b].item];
        /* e[a..b) hold v; alone (b = a + 1), its item gets exactly v */
        double gap = b < n ? (double)e[b].v - (double)v : v > 0 ? (double)v : 1.0;
        for (int k = a; k < b; k++)
            scores[e[k].item] = (float)((double)v + 0.5 * gap * ((double)pop[e[k].item] - (double)lo) * inv);
    }
}

void wr__csr_free(wr_csr *c) {
    free(c->ptr);
    free(c->col);
    free(c->val);
    free(c->pop);
    free(c->tmp);
    c->ptr = c->col = NULL;
    c->val = c->pop = NULL;
    c->tmp = NULL;
}

int wr__csr_ready(wr_model *m, wr_csr *c) {
    int32_t longest = 0;
    for (int i = 0; i < c->n; i++)
        if (c->ptr[i + 1] - c->ptr[i] > longest) longest = c->ptr[i + 1] - c->ptr[i];
    free(c->tmp);
    c->tmp = wr__malloc(2 * (size_t)longest * sizeof *c->tmp + 1);
    return c->tmp ? WR_OK : wr__oom(m->ctx, "preparing a model for scoring");
}

void wr__csr_score(wr_csr *c, int last, float *scores) {
    float maxpop = 0;
    for (int i = 0; i < c->n; i++)
        if (c->pop[i] > maxpop) maxpop = c->pop[i];
    float inv = 1.0f / (maxpop + 1.0f);
    for (int i = 0; i < c->n; i++) scores[i] = c->pop[i] * inv;
    if (last < 0) return;
    int32_t b = c->ptr[last], n = c->ptr[last + 1] - b;
    for (int32_t k = 0; k < n; k++) {
        c->tmp[k].v = c->val[b + k] + 1.0f;
        c->tmp[k].item = c->col[b + k];
    }
    wr__break_ties(c->tmp, n, c->pop, maxpop, scores);
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
    return wr__csr_ready(m, c);
}

int wr__csr_model_score(wr_model *m, const wr_query *q, float *scores) {
    const int *history = q->items, len = q->len;
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
