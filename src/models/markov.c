/* markov.c: first-order Markov chain (sequential rules of length one). The score of item j
 * after a history ending in item i is the number of times j directly followed i in training;
 * successors that followed i equally often are ordered by their popularity in training, the more
 * popular first (on small data most counts are 1, and a target tied with them would otherwise
 * rank below all of them; see wr__csr_score); items that never followed i are ranked by
 * popularity below every observed successor. */
#include <stdlib.h>
#include <string.h>

#include "sparse.h"

static int cmp_int(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static int markov_fit(wr_model *m, const wr_seqs *train) {
    wr_csr *c = wr__calloc(1, sizeof *c);
    if (!c) return wr__oom(m->ctx, "fitting markov");
    m->state = c;
    int n = c->n = train->n_items;
    int64_t pairs = 0;
    for (int u = 0; u < train->n; u++) pairs += train->len[u] > 1 ? train->len[u] - 1 : 0;
    if (pairs > INT32_MAX) return wr__err(m->ctx, WR_ERR_ARG, "markov: %lld transitions is over the limit of 2^31", (long long)pairs);
    c->ptr = wr__calloc((size_t)n + 1, sizeof *c->ptr);
    c->col = wr__malloc((size_t)pairs * sizeof *c->col + 1);
    c->pop = wr__malloc((size_t)n * sizeof *c->pop + 1);
    int32_t *fill = wr__calloc((size_t)n + 1, sizeof *fill);
    if (!c->ptr || !c->col || !c->pop || !fill) {
        free(fill);
        return wr__oom(m->ctx, "fitting markov");
    }
    wr__count_items(train, c->pop);
    /* Counting sort of the transitions by their source item. */
    for (int u = 0; u < train->n; u++)
        for (int t = 1; t < train->len[u]; t++) c->ptr[train->items[train->start[u] + t - 1] + 1]++;
    for (int i = 0; i < n; i++) c->ptr[i + 1] += c->ptr[i];
    for (int u = 0; u < train->n; u++) {
        const int32_t *s = train->items + train->start[u];
        for (int t = 1; t < train->len[u]; t++) c->col[c->ptr[s[t - 1]] + fill[s[t - 1]]++] = s[t];
    }
    free(fill);
    c->val = wr__malloc((size_t)pairs * sizeof *c->val + 1);
    if (!c->val) return wr__oom(m->ctx, "fitting markov");
    /* Sort each row and merge repeated successors into counts, compacting in place. */
    int32_t out = 0;
    for (int i = 0; i < n; i++) {
        int32_t b = c->ptr[i], e = c->ptr[i + 1];
        qsort(c->col + b, (size_t)(e - b), sizeof *c->col, cmp_int); /* ints: no stability issue */
        c->ptr[i] = out;
        for (int32_t k = b; k < e; k++) {
            if (k > b && c->col[k] == c->col[k - 1]) c->val[out - 1] += 1.0f;
            else {
                c->col[out] = c->col[k];
                c->val[out++] = 1.0f;
            }
        }
    }
    c->ptr[n] = out;
    return wr__csr_ready(m, c);
}

const wr_model_vt wr__markov_vt = {
    .name = "markov",
    .params = NULL,
    .n_params = 0,
    .fit = markov_fit,
    .score = wr__csr_model_score,
    .save = wr__csr_model_save,
    .load = wr__csr_model_load,
    .free_state = wr__csr_model_free,
    .explain = wr__csr_model_explain,
};
