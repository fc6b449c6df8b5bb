/* optim.c: AdamW, Adagrad and SGD over flat buffers, each in a dense form and a lazy form that
 * updates only the embedding rows a step touched; global-norm clipping over several tensors.
 * Lazy means an untouched row keeps its weights and its optimiser state: with 25,000 items and
 * a batch touching 3,000, a step costs 3,000 rows, not 25,000. */
#include <math.h>
#include <string.h>

#include "../core/core.h"
#include "../kernels/kernels.h"
#include "nn.h"

/* Threads split an update by rows, or a dense buffer by spans of ELEMS (wr__parallel_for): every
 * element's update is the same arithmetic on its own values, so any split gives the same bits.
 * An update is a few loads and stores per element and, for Adam and Adagrad, a square root and
 * a division: it splits from 64k elements (GRU4Rec's two 1682 x 64 tables on the MovieLens-shaped
 * set: 0.10-0.11 s an epoch on two threads against 0.17-0.19 s unsplit; smaller updates, SASRec's,
 * lost on two: 0.55x). */
#define ELEMS 4096

typedef struct {
    char kind; /* 'a' AdamW, 'g' Adagrad, 's' SGD */
    float *p, *m, *v;
    const float *g;
    const wr_adamw *adam;
    float lr, wd, eps;
    const int32_t *rows; /* NULL: dense, n elements */
    size_t n, C;
} update_job;

static void update_span(const update_job *u, size_t o, size_t n);

static void update_parts(void *arg, int lo, int hi) {
    const update_job *u = arg;
    for (int k = lo; k < hi; k++) {
        if (u->rows) {
            update_span(u, (size_t)u->rows[k] * u->C, u->C);
        } else {
            const size_t o = (size_t)k * ELEMS;
            update_span(u, o, u->n - o < ELEMS ? u->n - o : ELEMS);
        }
    }
}

static void update(const update_job *u, int R) {
    const size_t n = u->rows ? (size_t)R * u->C : u->n;
    if (!u->rows && n > (size_t)ELEMS * 0x7fffffff) { update_span(u, 0, n); return; }
    const int parts = u->rows ? R : (int)((n + ELEMS - 1) / ELEMS);
    wr__parallel_for(parts, 1, 2.0 * (double)n, update_parts, (void *)u);
}

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
    update_job u = {.kind = 'a', .p = p, .m = m, .v = v, .g = g, .adam = a, .wd = a->weight_decay, .n = n};
    update(&u, 0);
}

void wr_adamw_rows(float *p, float *m, float *v, const float *g, const int32_t *rows, int R,
                   const wr_adamw *a, int V, int C) {
    // p, m, v, g (V,C), rows (R) or NULL
    update_job u = {.kind = 'a', .p = p, .m = m, .v = v, .g = g, .adam = a, .rows = rows,
                    .wd = a->decay_embeddings ? a->weight_decay : 0.0f, .n = (size_t)V * C, .C = (size_t)C};
    update(&u, R);
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
    update_job u = {.kind = 'g', .p = p, .m = acc, .g = g, .lr = lr, .eps = eps, .n = n};
    update(&u, 0);
}

void wr_adagrad_rows(float *p, float *acc, const float *g, const int32_t *rows, int R, float lr,
                     float eps, int V, int C) {
    // p, acc, g (V,C), rows (R) or NULL
    update_job u = {.kind = 'g', .p = p, .m = acc, .g = g, .lr = lr, .eps = eps, .rows = rows,
                    .n = (size_t)V * C, .C = (size_t)C};
    update(&u, R);
}

static void sgd_span(float *p, const float *g, float lr, float wd, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
}

void wr_sgd_dense(float *p, const float *g, float lr, float weight_decay, size_t n) {
    update_job u = {.kind = 's', .p = p, .g = g, .lr = lr, .wd = weight_decay, .n = n};
    update(&u, 0);
}

void wr_sgd_rows(float *p, const float *g, const int32_t *rows, int R, float lr,
                 float weight_decay, int V, int C) {
    update_job u = {.kind = 's', .p = p, .g = g, .lr = lr, .wd = weight_decay, .rows = rows,
                    .n = (size_t)V * C, .C = (size_t)C};
    update(&u, R);
}

static void update_span(const update_job *u, size_t o, size_t n) {
    if (u->kind == 'a') adamw_span(u->p + o, u->m + o, u->v + o, u->g + o, u->adam, u->wd, n);
    else if (u->kind == 'g') adagrad_span(u->p + o, u->m + o, u->g + o, u->lr, u->eps, n);
    else sgd_span(u->p + o, u->g + o, u->lr, u->wd, n);
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
