/* optim.c: walks a parameter layout and hands each view to the optimisers of src/nn (the math
 * lives there, once): dense views whole, embedding views on the touched rows. */
#include "optim.h"

/* (V, C) of an embedding view: rows and the width of one row. */
static int rows_of(const wr_view *w) { return (int)w->shape[0]; }
static int width_of(const wr_view *w) { return w->ndim >= 2 ? (int)(w->shape[1] * w->shape[2]) : 1; }

void wr__adam_step(wr_adamw *a, const wr_layout *l, float *p, const float *g, float *m, float *v,
                   const int32_t *rows, int n_rows) {
    wr_adamw_begin_step(a);
    for (int i = 0; i < l->n; i++) {
        const wr_view *w = &l->v[i];
        size_t o = w->offset;
        wr_adamw plain = *a;
        plain.weight_decay = 0;
        if (w->embedding) wr_adamw_rows(p + o, m + o, v + o, g + o, rows, n_rows, w->no_decay ? &plain : a, rows_of(w), width_of(w));
        else wr_adamw_dense(p + o, m + o, v + o, g + o, w->no_decay ? &plain : a, w->size);
    }
}

void wr__adagrad_step(float lr, const wr_layout *l, float *p, const float *g, float *acc,
                      const int32_t *rows, int n_rows) {
    for (int i = 0; i < l->n; i++) {
        const wr_view *w = &l->v[i];
        size_t o = w->offset;
        if (w->embedding) wr_adagrad_rows(p + o, acc + o, g + o, rows, n_rows, lr, 1e-6f, rows_of(w), width_of(w));
        else wr_adagrad_dense(p + o, acc + o, g + o, lr, 1e-6f, w->size);
    }
}

double wr__clip_grad(const wr_layout *l, float *g, const int32_t *rows, int n_rows, float max_norm) {
    if (max_norm <= 0) return 0;
    wr_grad_span spans[WR_MAX_VIEWS];
    for (int i = 0; i < l->n; i++) {
        const wr_view *w = &l->v[i];
        int sparse = w->embedding && rows;
        spans[i] = (wr_grad_span){.g = g + w->offset, .n = sparse ? 0 : w->size, .rows = sparse ? rows : NULL,
                                  .R = sparse ? n_rows : 0, .C = width_of(w)};
    }
    return wr_clip_grad_norm(spans, l->n, max_norm);
}
