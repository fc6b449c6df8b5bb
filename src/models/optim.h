/* optim.h: the optimisers of src/nn applied to a whole parameter layout (params.h). Dense views
 * are updated whole; embedding views either whole (rows = NULL) or only on the rows a step
 * touched (lazy updates: an unused row keeps its weights and its optimiser state). */
#ifndef WR_OPTIM_H
#define WR_OPTIM_H

#include "../nn/nn.h"
#include "params.h"

/* One AdamW step (wr_adamw from src/nn: decay skips embedding views unless decay_embeddings). */
void wr__adam_step(wr_adamw *a, const wr_layout *l, float *p, const float *g, float *m, float *v,
                   const int32_t *rows, int n_rows);
/* One Adagrad step: acc += g^2; p -= lr g / (sqrt(acc) + 1e-6). */
void wr__adagrad_step(float lr, const wr_layout *l, float *p, const float *g, float *acc,
                      const int32_t *rows, int n_rows);
/* Scales g so that its global L2 norm over the entries a step updates is at most max_norm and
 * returns the norm before clipping (max_norm <= 0: clipping is off, nothing is read, 0 is
 * returned). */
double wr__clip_grad(const wr_layout *l, float *g, const int32_t *rows, int n_rows, float max_norm);

#endif
