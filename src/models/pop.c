/* pop.c: most-popular. Scores every item by how often it occurs in the training data, whatever
 * the session: the floor every other model must clear. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

typedef struct {
    float *counts; /* (n_items) */
} pop_state;

void wr__count_items(const wr_seqs *train, float *counts) {
    memset(counts, 0, (size_t)train->n_items * sizeof *counts);
    for (int u = 0; u < train->n; u++)
        for (int t = 0; t < train->len[u]; t++) counts[train->items[train->start[u] + t]] += 1.0f;
}

int wr__load_1d(wr_model *m, const wr_st_file *f, const char *name, wr_dtype dtype, int64_t n, void **out) {
    const wr_st_tensor *t;
    int64_t shape[1] = {n};
    int rc = wr__st_get(m->ctx, f, name, dtype, 1, shape, &t);
    if (rc) return rc;
    *out = wr__malloc(t->nbytes ? t->nbytes : 1);
    if (!*out) return wr__oom(m->ctx, "loading a model");
    wr__st_copy(*out, t);
    return WR_OK;
}

/* A side-feature list per entity (CSR over n entities) as <pre>.<what>_feature_start (n + 1) and
 * <pre>.<what>_features. */
int wr__features_save(wr_model *m, wr_st_file *f, const char *pre, const char *what, int n, const int64_t *start, const int32_t *feat) {
    char name[64];
    int64_t ns[1] = {(int64_t)n + 1}, nf[1] = {start[n]};
    snprintf(name, sizeof name, "%s.%s_feature_start", pre, what);
    if (wr__st_add(f, name, WR_DT_I64, 1, ns, start) < 0) return wr__oom(m->ctx, "saving the model");
    snprintf(name, sizeof name, "%s.%s_features", pre, what);
    if (wr__st_add(f, name, WR_DT_I32, 1, nf, feat) < 0) return wr__oom(m->ctx, "saving the model");
    return WR_OK;
}

/* Reads it back, checked: offsets rising from 0 (at most 4096 per entity), ids in [lo, F). */
int wr__features_load(wr_model *m, const wr_st_file *f, const char *pre, const char *what, int n, int lo, int F, int64_t **start, int32_t **feat) {
    char name[64];
    snprintf(name, sizeof name, "%s.%s_feature_start", pre, what);
    int rc = wr__load_1d(m, f, name, WR_DT_I64, (int64_t)n + 1, (void **)start);
    if (rc) return rc;
    int64_t *st = *start;
    for (int e = 0; e < n; e++)
        if (st[0] != 0 || st[e + 1] < st[e] || st[e + 1] - st[e] > 4096)
            return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s is not a list of rising offsets from 0", name);
    snprintf(name, sizeof name, "%s.%s_features", pre, what);
    if ((rc = wr__load_1d(m, f, name, WR_DT_I32, st[n], (void **)feat))) return rc;
    for (int64_t k = 0; k < st[n]; k++)
        if ((*feat)[k] < lo || (*feat)[k] >= F) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: %s[%lld] is not a side feature", name, (long long)k);
    return WR_OK;
}

static int pop_fit(wr_model *m, const wr_seqs *train) {
    pop_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "fitting pop");
    m->state = s;
    s->counts = wr__malloc((size_t)train->n_items * sizeof *s->counts + 1);
    if (!s->counts) return wr__oom(m->ctx, "fitting pop");
    wr__count_items(train, s->counts);
    return WR_OK;
}

static int pop_score(wr_model *m, const wr_query *q, float *scores) {
    (void)q;
    pop_state *s = m->state;
    memcpy(scores, s->counts, (size_t)m->items.n * sizeof *scores);
    return WR_OK;
}

static int pop_save(wr_model *m, wr_st_file *f) {
    pop_state *s = m->state;
    int64_t shape[1] = {m->items.n};
    return wr__st_add(f, "pop.counts", WR_DT_F32, 1, shape, s->counts) < 0 ? wr__oom(m->ctx, "saving pop") : WR_OK;
}

static void pop_free(wr_model *m) {
    pop_state *s = m->state;
    free(s->counts);
    free(s);
}

static int pop_load(wr_model *m, const wr_st_file *f) {
    pop_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "loading pop");
    m->state = s;
    int rc = wr__load_1d(m, f, "pop.counts", WR_DT_F32, m->items.n, (void **)&s->counts);
    for (int i = 0; rc == WR_OK && i < m->items.n; i++) /* a NaN would rank (and evaluate) as garbage */
        if (!(s->counts[i] >= 0 && s->counts[i] < 1e30f)) rc = wr__err(m->ctx, WR_ERR_FORMAT, "model file: pop.counts[%d] is not a count", i);
    return rc;
}

const wr_model_vt wr__pop_vt = {
    .name = "pop",
    .params = NULL,
    .n_params = 0,
    .fit = pop_fit,
    .score = pop_score,
    .save = pop_save,
    .load = pop_load,
    .free_state = pop_free,
};
