/* sparse.h: item x item scores in compressed sparse rows, shared by markov (transition counts)
 * and itemknn (neighbour similarities). Row r's entries are col[ptr[r]..ptr[r+1]). */
#ifndef WR_SPARSE_H
#define WR_SPARSE_H

#include "model.h"

typedef struct {
    int n;          /* rows = items */
    int32_t *ptr;   /* (n + 1) */
    int32_t *col;   /* (nnz) */
    float *val;     /* (nnz) */
    float *pop;     /* (n) item counts: the fallback for items a row says nothing about */
} wr_csr;

void wr__csr_free(wr_csr *c);
/* The vtable entries of a model whose state is one wr_csr (markov, itemknn): tensors are named
 * "<model name>.ptr" etc., the score is the row of the history's last item. */
int wr__csr_model_score(wr_model *m, const int *history, int len, float *scores);
int wr__csr_model_save(wr_model *m, wr_st_file *f);
/* The last item's entry for item (its similarity or transition count), 0 elsewhere. */
int wr__csr_model_explain(wr_model *m, const int *history, int len, int item, float *weight);
int wr__csr_model_load(wr_model *m, const wr_st_file *f);
void wr__csr_model_free(wr_model *m);

/* Writes scores (n) for the row of `last`: val + 1 for the row's entries (so any entry outranks
 * every fallback), pop / (max pop + 1) < 1 for the rest. last < 0: popularity only. */
void wr__csr_score(const wr_csr *c, int last, float *scores);
/* Saves as "<prefix>.ptr", ".col", ".val", ".pop". */
int wr__csr_save(wr_model *m, const wr_csr *c, const char *prefix, wr_st_file *f);
/* Loads and validates (monotonic ptr, columns in range, finite values). */
int wr__csr_load(wr_model *m, wr_csr *c, const char *prefix, const wr_st_file *f);

#endif
