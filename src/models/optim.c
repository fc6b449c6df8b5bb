/* optim.c: AdamW, Adagrad and global-norm clipping over a parameter layout (optim.h). */
#include <math.h>

#include "optim.h"

/* Calls fn on every contiguous span a step updates: dense views whole, embedding views whole or
 * row by row. */
#define FOR_EACH_SPAN(l, rows, n_rows, BODY)                                                        \
    for (int v_ = 0; v_ < (l)->n; v_++) {                                                          \
        const wr_view *w_ = &(l)->v[v_];                                                          \
        size_t width_ = w_->ndim >= 2 ? (size_t)(w_->shape[1] * w_->shape[2]) : 1;                 \
        int sparse_ = w_->embedding && (rows);                                                     \
        for (int k_ = 0; k_ < (sparse_ ? (n_rows) : 1); k_++) {                                    \
            size_t from = w_->offset + (sparse_ ? (size_t)(rows)[k_] * width_ : 0);                \
            size_t len = sparse_ ? width_ : w_->size;                                             \
            const wr_view *view = w_;                                                             \
            (void)view;                                                                            \
            BODY                                                                                   \
        }                                                                                          \
    }

void wr__adam_step(wr_adam *a, const wr_layout *l, float *p, const float *g, float *m, float *v,
                   const int32_t *rows, int n_rows) {
    a->b1t = (a->b1t ? a->b1t : 1.0f) * a->b1;
    a->b2t = (a->b2t ? a->b2t : 1.0f) * a->b2;
    float c1 = 1.0f - a->b1t, c2 = 1.0f - a->b2t, b1 = a->b1, b2 = a->b2;
    FOR_EACH_SPAN(l, rows, n_rows, {
        float decay = view->embedding && !a->decay_embeddings ? 0.0f : a->weight_decay;
        for (size_t i = from; i < from + len; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            p[i] -= a->lr * ((m[i] / c1) / (sqrtf(v[i] / c2) + a->eps) + decay * p[i]);
        }
    })
}

void wr__adagrad_step(float lr, const wr_layout *l, float *p, const float *g, float *acc,
                      const int32_t *rows, int n_rows) {
    FOR_EACH_SPAN(l, rows, n_rows, {
        for (size_t i = from; i < from + len; i++) {
            acc[i] += g[i] * g[i];
            p[i] -= lr * g[i] / (sqrtf(acc[i]) + 1e-6f);
        }
    })
}

double wr__clip_grad(const wr_layout *l, float *g, const int32_t *rows, int n_rows, float max_norm) {
    if (max_norm <= 0) return 0; /* off: no pass over the gradient */
    double sq = 0;
    FOR_EACH_SPAN(l, rows, n_rows, {
        for (size_t i = from; i < from + len; i++) sq += (double)g[i] * g[i];
    })
    double norm = sqrt(sq);
    if (norm > max_norm) {
        float scale = (float)(max_norm / norm);
        FOR_EACH_SPAN(l, rows, n_rows, {
            for (size_t i = from; i < from + len; i++) g[i] *= scale;
        })
    }
    return norm;
}
