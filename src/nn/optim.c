/* optim.c: AdamW, Adagrad and SGD over flat buffers, each in a dense form and a lazy form that
 * updates only the embedding rows a step touched; global-norm clipping over several tensors.
 * Lazy means an untouched row keeps its weights and its optimiser state: with 25,000 items and
 * a batch touching 3,000, a step costs 3,000 rows, not 25,000. */
#include <math.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "nn.h"

// ----------------------------------------------------------------------------
// AdamW

wr_adamw wr_adamw_init(float lr, float weight_decay) {
    wr_adamw a;
    memset(&a, 0, sizeof a);
    a.lr = lr;
    a.b1 = 0.9f;
    a.b2 = 0.999f;
    a.eps = 1e-8f;
    a.weight_decay = weight_decay;
    a.b1t = 1.0f;
    a.b2t = 1.0f;
    return a;
}

void wr_adamw_begin_step(wr_adamw *a) {
    a->t++;
    a->b1t *= a->b1;
    a->b2t *= a->b2;
}

static void adamw_span(float *p, float *m, float *v, const float *g, const wr_adamw *a, float wd,
                       size_t n) {
    float c1 = 1.0f / (1.0f - a->b1t), c2 = 1.0f / (1.0f - a->b2t), b1 = a->b1, b2 = a->b2;
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        p[i] -= a->lr * ((m[i] * c1) / (sqrtf(v[i] * c2) + a->eps) + wd * p[i]);
    }
}

void wr_adamw_dense(float *p, float *m, float *v, const float *g, const wr_adamw *a, size_t n) {
    // p, m, v, g (n)
    adamw_span(p, m, v, g, a, a->weight_decay, n);
}

void wr_adamw_rows(float *p, float *m, float *v, const float *g, const int32_t *rows, int R,
                   const wr_adamw *a, int V, int C) {
    // p, m, v, g (V,C), rows (R) or NULL
    float wd = a->decay_embeddings ? a->weight_decay : 0.0f;
    if (!rows) {
        adamw_span(p, m, v, g, a, wd, (size_t)V * C);
        return;
    }
    for (int k = 0; k < R; k++) {
        size_t o = (size_t)rows[k] * C;
        adamw_span(p + o, m + o, v + o, g + o, a, wd, (size_t)C);
    }
}

// ----------------------------------------------------------------------------
// Adagrad (GRU4Rec's optimiser) and SGD

static void adagrad_span(float *p, float *acc, const float *g, float lr, float eps, size_t n) {
    for (size_t i = 0; i < n; i++) {
        acc[i] += g[i] * g[i];
        p[i] -= lr * g[i] / (sqrtf(acc[i]) + eps);
    }
}

void wr_adagrad_dense(float *p, float *acc, const float *g, float lr, float eps, size_t n) {
    adagrad_span(p, acc, g, lr, eps, n);
}

void wr_adagrad_rows(float *p, float *acc, const float *g, const int32_t *rows, int R, float lr,
                     float eps, int V, int C) {
    // p, acc, g (V,C), rows (R) or NULL
    if (!rows) {
        adagrad_span(p, acc, g, lr, eps, (size_t)V * C);
        return;
    }
    for (int k = 0; k < R; k++) {
        size_t o = (size_t)rows[k] * C;
        adagrad_span(p + o, acc + o, g + o, lr, eps, (size_t)C);
    }
}

static void sgd_span(float *p, const float *g, float lr, float wd, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
}

void wr_sgd_dense(float *p, const float *g, float lr, float weight_decay, size_t n) {
    sgd_span(p, g, lr, weight_decay, n);
}

void wr_sgd_rows(float *p, const float *g, const int32_t *rows, int R, float lr,
                 float weight_decay, int V, int C) {
    if (!rows) {
        sgd_span(p, g, lr, weight_decay, (size_t)V * C);
        return;
    }
    for (int k = 0; k < R; k++) {
        size_t o = (size_t)rows[k] * C;
        sgd_span(p + o, g + o, lr, weight_decay, (size_t)C);
    }
}

// ----------------------------------------------------------------------------
// global-norm clipping

/* Sum of squares in double: the norm of a million small gradients must not lose them. */
static double sumsq(const float *g, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    return s;
}

double wr_clip_grad_norm(wr_grad_span *spans, int n_spans, float max_norm) {
    if (max_norm <= 0.0f) return 0.0; // off: no pass over the gradient
    double sq = 0.0;
    for (int s = 0; s < n_spans; s++) {
        const wr_grad_span *sp = &spans[s];
        if (!sp->rows) sq += sumsq(sp->g, sp->n);
        else
            for (int k = 0; k < sp->R; k++) sq += sumsq(sp->g + (size_t)sp->rows[k] * sp->C, (size_t)sp->C);
    }
    double norm = sqrt(sq);
    if (norm <= max_norm) return norm;
    float f = (float)(max_norm / norm);
    for (int s = 0; s < n_spans; s++) {
        const wr_grad_span *sp = &spans[s];
        if (!sp->rows) {
            for (size_t i = 0; i < sp->n; i++) sp->g[i] *= f;
        } else {
            for (int k = 0; k < sp->R; k++) wr_scale(sp->g + (size_t)sp->rows[k] * sp->C, f, sp->C);
        }
    }
    return norm;
}
