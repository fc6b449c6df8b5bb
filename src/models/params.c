/* params.c: named views over one parameter buffer (see params.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

int wr__layout_add(wr_layout *l, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2,
                   wr_init init, float scale, int embedding) {
    if (l->n == WR_MAX_VIEWS) return -1;
    wr_view *v = &l->v[l->n];
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    v->ndim = ndim;
    v->shape[0] = d0;
    v->shape[1] = ndim > 1 ? d1 : 1;
    v->shape[2] = ndim > 2 ? d2 : 1;
    v->init = init;
    v->scale = scale;
    v->embedding = embedding;
    v->offset = l->total;
    v->size = (size_t)(v->shape[0] * v->shape[1] * v->shape[2]);
    l->total += (v->size + 3) & ~(size_t)3;
    return l->n++;
}

void wr__layout_init(const wr_layout *l, float *buf, wr_rng *rng) {
    memset(buf, 0, l->total * sizeof *buf);
    for (int i = 0; i < l->n; i++) {
        const wr_view *v = &l->v[i];
        float *p = buf + v->offset;
        for (size_t k = 0; k < v->size; k++) {
            switch (v->init) {
            case WR_INIT_ZERO: p[k] = 0; break;
            case WR_INIT_ONE: p[k] = 1; break;
            case WR_INIT_NORMAL: p[k] = v->scale * wr__rng_normal(rng); break;
            case WR_INIT_UNIFORM: p[k] = v->scale * (2 * wr__rng_float(rng) - 1); break;
            }
        }
    }
}

int wr__layout_save(wr_model *m, const wr_layout *l, const float *buf, wr_st_file *f) {
    for (int i = 0; i < l->n; i++) {
        const wr_view *v = &l->v[i];
        if (wr__st_add(f, v->name, WR_DT_F32, v->ndim, v->shape, buf + v->offset) < 0) return wr__oom(m->ctx, "saving a model");
    }
    return WR_OK;
}

int wr__layout_load(wr_model *m, const wr_layout *l, float *buf, const wr_st_file *f) {
    for (int i = 0; i < l->n; i++) {
        const wr_view *v = &l->v[i];
        const wr_st_tensor *t;
        int rc = wr__st_get(m->ctx, f, v->name, WR_DT_F32, v->ndim, v->shape, &t);
        if (rc) return rc;
        float *p = buf + v->offset;
        wr__st_copy(p, t);
        for (size_t k = 0; k < v->size; k++)
            if (!isfinite(p[k])) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: tensor \"%s\" has a non-finite value at %zu", v->name, k);
    }
    return WR_OK;
}

int wr__layout_alloc(wr_model *m, const wr_layout *l) {
    /* counted in double: in wasm32 a size_t product of absurd settings wraps around */
    double floats = 0, largest = -1;
    const wr_view *big = NULL;
    for (int i = 0; i < l->n; i++) {
        const wr_view *v = &l->v[i];
        const double f = (double)v->shape[0] * (double)v->shape[1] * (double)v->shape[2];
        floats += f + 3;
        if (f > largest) largest = f, big = v;
    }
    const int loading = m->loading_bytes >= 0;
    if (loading && floats * 4 > (double)m->loading_bytes + 4.0 * 4 * l->n)
        return wr__err(m->ctx, WR_ERR_FORMAT, "model file: its settings (%s) need %.0f MB of weights, but the file holds %.1f MB of tensors",
                       m->params_json ? m->params_json : "params", floats * 4 / (1 << 20), (double)m->loading_bytes / (1 << 20));
    char what[200];
    snprintf(what, sizeof what, "%s: the weights%s for these settings (the largest, %s, is %lld x %lld)", m->vt->name,
             loading ? "" : " and their training state (gradients, optimiser moments)", big ? big->name : "-",
             big ? (long long)big->shape[0] : 0, big ? (long long)big->shape[1] : 0);
    int rc = wr__budget(m->ctx, floats * 4 * (loading ? 1 : 4), what);
    if (rc) return rc;
    m->n_params = l->total;
    m->params = wr__calloc(l->total + 4, sizeof(float));
    return m->params ? 0 : wr__oom(m->ctx, "allocating the weights");
}
