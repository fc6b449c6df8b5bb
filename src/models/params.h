/* params.h: the weights of a neural model as one float buffer with named views (llm.c's
 * ParameterTensors): gradients and optimiser state use the same layout, so zeroing, the
 * optimiser step, keeping the best epoch and save/load are each one loop. */
#ifndef WR_PARAMS_H
#define WR_PARAMS_H

#include "model.h"

/* The most Transformer blocks (sasrec/bert4rec's "blocks" range), and so the most views a model
 * can declare: the embeddings, the final layernorm and the repeat bias (5) and 12 per block. Both follow from the
 * declared parameter ranges, so no setting they allow can run out of views. */
#define WR_MAX_BLOCKS 16
#define WR_MAX_VIEWS (5 + 12 * WR_MAX_BLOCKS)

typedef enum { WR_INIT_ZERO, WR_INIT_ONE, WR_INIT_NORMAL, WR_INIT_UNIFORM } wr_init;

typedef struct {
    char name[48];      /* tensor name in the model file, e.g. "block0.attn.qkv.w" */
    int ndim;
    int64_t shape[3];
    wr_init init;
    float scale;        /* std for NORMAL, bound for UNIFORM */
    int embedding;      /* rows updated sparsely; no weight decay unless asked */
    int no_decay;       /* never decayed (the repeat bias: decay would pull it toward "repeats are common") */
    size_t offset, size;
} wr_view;

typedef struct {
    int n;
    wr_view v[WR_MAX_VIEWS];
    size_t total;       /* floats, each view padded to a multiple of 4 for aligned v128 loads */
} wr_layout;

/* Adds a view and returns its index (or -1 when the table is full). */
int wr__layout_add(wr_layout *l, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2,
                   wr_init init, float scale, int embedding);
/* Allocates m->params for l (zeroed; sets m->n_params). First checks the memory budget (for
 * training: the weights and as much again three times, their gradients and optimiser moments)
 * and, while a model file loads, that the file's tensors hold that many bytes: a few-byte file
 * naming huge settings is refused before gigabytes are allocated. Returns 0, or an error code
 * with the message set. */
int wr__layout_alloc(wr_model *m, const wr_layout *l);
/* Initialises buf (l->total floats) from the seeded rng. */
void wr__layout_init(const wr_layout *l, float *buf, wr_rng *rng);
/* Adds every view as an F32 tensor (referencing buf) to f. */
int wr__layout_save(wr_model *m, const wr_layout *l, const float *buf, wr_st_file *f);
/* Reads every view from f into buf, checking names, dtypes and shapes, and that every value is
 * finite. */
int wr__layout_load(wr_model *m, const wr_layout *l, float *buf, const wr_st_file *f);

#endif
