/* sparse.h: item x item scores in compressed sparse rows, shared by markov (transition counts)
 * and itemknn (neighbour similarities). Row r's entries are col[ptr[r]..ptr[r+1]). Also the
 * popularity tie-break every neighbourhood model (these two and sknn.c's) applies to the items
 * it scores. */
#ifndef WR_SPARSE_H
#define WR_SPARSE_H

#include "model.h"

/* One item a query scored (a row entry, an item the neighbours voted for): primary score v. */
typedef struct {
    float v;
    int32_t item;
} wr_scored;

/* Writes scores[e[k].item] for the n scored entries e[0..n) (distinct items; e has room for 2n,
 * the second half is scratch; e is reordered), breaking exact ties of v by popularity without
 * changing the order of unequal values. With gap(v) the distance from v to the next larger
 * distinct v among the n (for the largest: v itself, or 1 if v <= 0) and lo the smallest pop in
 * v's group of equal values,
 *     score = v + 0.5 gap(v) (pop[item] - lo) / (maxpop + 1)     (in double, rounded to float)
 * which stays strictly below the next larger value, also after the rounding, so unequal values
 * keep their order. Only tied items move: an item that ties with no less popular one keeps v
 * exactly. Items equal in both v and pop stay tied; so may items whose popularity differs by
 * less than a float step near v can show (float precision: when gap(v) is only a few float steps
 * of v, or maxpop is large). One radix sort of the n by v; the result depends on the values
 * alone, so it has the same bits natively and in wasm. */
void wr__break_ties(wr_scored *e, int n, const float *pop, float maxpop, float *scores);

typedef struct {
    int n;          /* rows = items */
    int32_t *ptr;   /* (n + 1) */
    int32_t *col;   /* (nnz) */
    float *val;     /* (nnz) */
    float *pop;     /* (n) item counts: the fallback for items a row says nothing about */
    wr_scored *tmp;  /* (2 x longest row) scratch of wr__csr_score (wr__csr_ready) */
} wr_csr;

void wr__csr_free(wr_csr *c);
/* Allocates the scoring scratch (after fit or load). */
int wr__csr_ready(wr_model *m, wr_csr *c);
/* The vtable entries of a model whose state is one wr_csr (markov, itemknn): tensors are named
 * "<model name>.ptr" etc., the score is the row of the history's last item. */
int wr__csr_model_score(wr_model *m, const wr_query *q, float *scores);
int wr__csr_model_save(wr_model *m, wr_st_file *f);
/* The last item's entry for item (its similarity or transition count), 0 elsewhere. */
int wr__csr_model_explain(wr_model *m, const int *history, int len, int item, float *weight);
int wr__csr_model_load(wr_model *m, const wr_st_file *f);
void wr__csr_model_free(wr_model *m);

/* Writes scores (n) for the row of `last`: val + 1 for the row's entries (so any entry outranks
 * every fallback), with equal entries ordered by popularity (wr__break_ties: a less popular
 * equal entry stays at val + 1, a more popular one gets up to half the way to the next larger
 * entry), and pop / (max pop + 1) < 1 for the rest. last < 0: popularity only. */
void wr__csr_score(wr_csr *c, int last, float *scores);
/* Saves as "<prefix>.ptr", ".col", ".val", ".pop". */
int wr__csr_save(wr_model *m, const wr_csr *c, const char *prefix, wr_st_file *f);
/* Loads and validates (monotonic ptr, columns in range, finite values). */
int wr__csr_load(wr_model *m, wr_csr *c, const char *prefix, const wr_st_file *f);

#endif
