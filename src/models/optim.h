/* optim.h: optimiser steps over a parameter layout (params.h). Dense views are updated whole;
 * embedding views either whole (rows = NULL) or only on the rows a step touched (lazy updates:
 * a row no batch used keeps its weights and its optimiser state). */
#ifndef WR_OPTIM_H
#define WR_OPTIM_H

#include "params.h"

typedef struct {
    float lr, weight_decay, b1, b2, eps;
    int decay_embeddings;  /* decoupled weight decay skips embedding views unless asked */
    float b1t, b2t;        /* b1^step, b2^step (running products: no libm pow) */
} wr_adam;

/* AdamW on params p with gradient g and moments m, v (all laid out by l). */
void wr__adam_step(wr_adam *a, const wr_layout *l, float *p, const float *g, float *m, float *v,
                   const int32_t *rows, int n_rows);
/* Adagrad: acc += g^2; p -= lr g / (sqrt(acc) + eps). */
void wr__adagrad_step(float lr, const wr_layout *l, float *p, const float *g, float *acc,
                      const int32_t *rows, int n_rows);
/* Scales g so that its global L2 norm over the entries a step updates is at most max_norm and
 * returns the norm before clipping (max_norm <= 0: clipping is off, nothing is read, 0 is
 * returned). */
double wr__clip_grad(const wr_layout *l, float *g, const int32_t *rows, int n_rows, float max_norm);

#endif
