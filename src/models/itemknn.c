/* itemknn.c: item-kNN on session co-occurrence (the GRU4Rec paper's item-kNN baseline).
 * sim(i, j) = n(i, j) / (sqrt(n(i) n(j)) + lambda): cosine of the items' session-incidence
 * vectors, with lambda damping the similarity of rarely seen pairs. Each item keeps its
 * `neighbors` most similar items; a session is scored by the neighbours of its last item, equal
 * similarities ordered by the items' popularity in training (the more popular first, see
 * wr__csr_score), and items that are not neighbours by popularity below every neighbour. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sparse.h"

static const wr_param_def itemknn_params[] = {
    {"neighbors", WR_PARAM_INT, 100, 1, 100000, NULL, "neighbours kept per item"},
    {"lambda", WR_PARAM_FLOAT, 20, 0, 1e9, NULL, "damping added to the cosine denominator"},
};

typedef struct {
    int32_t j;
    float sim;
} nbr;

static int cmp_nbr(const void *a, const void *b, void *arg) {
    const nbr *x = a, *y = b;
    if (x->sim != y->sim) return x->sim > y->sim ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

/* Moves the k first candidates under cmp_nbr (a total order: sim, then id) to a[0..k), in some
 * order: quickselect with a middle pivot, so a fit that keeps `neighbors` of many candidates
 * does not sort them all (one 8,000-item session took 25 s that way). */
static void select_top(nbr *a, int n, int k) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        nbr pivot = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (cmp_nbr(&a[i], &pivot, NULL) < 0) i++;
            while (cmp_nbr(&a[j], &pivot, NULL) > 0) j--;
            if (i <= j) {
                nbr t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

static int itemknn_fit(wr_model *m, const wr_seqs *train) {
    wr_csr *c = wr__calloc(1, sizeof *c);
    if (!c) return wr__oom(m->ctx, "fitting itemknn");
    m->state = c;
    int n = c->n = train->n_items, K = (int)wr__hp(m, "neighbors");
    float lambda = (float)wr__hp(m, "lambda");
    int64_t events = 0;
    for (int u = 0; u < train->n; u++) events += train->len[u];
    /* Each session's distinct items (uniq), and the inverted index item -> sessions (inv). */
    int32_t *uniq = wr__malloc((size_t)events * sizeof *uniq + 1), *ustart = wr__malloc(((size_t)train->n + 1) * sizeof *ustart);
    int32_t *seen = wr__malloc((size_t)n * sizeof *seen + 1), *iptr = wr__calloc((size_t)n + 1, sizeof *iptr);
    int32_t *inv = wr__malloc((size_t)events * sizeof *inv + 1), *fill = wr__calloc((size_t)n + 1, sizeof *fill);
    float *co = wr__calloc((size_t)n + 1, sizeof *co);
    int32_t *touched = wr__malloc((size_t)n * sizeof *touched + 1);
    nbr *cand = wr__malloc((size_t)n * sizeof *cand + 1);
    c->ptr = wr__calloc((size_t)n + 1, sizeof *c->ptr);
    c->pop = wr__malloc((size_t)n * sizeof *c->pop + 1);
    int rc = WR_OK;
    if (!uniq || !ustart || !seen || !iptr || !inv || !fill || !co || !touched || !cand || !c->ptr || !c->pop) {
        rc = wr__oom(m->ctx, "fitting itemknn");
        goto done;
    }
    if (events > INT32_MAX) {
        rc = wr__err(m->ctx, WR_ERR_ARG, "itemknn: %lld events is over the limit of 2^31", (long long)events);
        goto done;
    }
    wr__count_items(train, c->pop);
    for (int i = 0; i < n; i++) seen[i] = -1;
    int32_t nu = 0;
    for (int u = 0; u < train->n; u++) {
        ustart[u] = nu;
        const int32_t *s = train->items + train->start[u];
        for (int t = 0; t < train->len[u]; t++)
            if (seen[s[t]] != u) {
                seen[s[t]] = u;
                uniq[nu++] = s[t];
                iptr[s[t] + 1]++;
            }
    }
    ustart[train->n] = nu;
    for (int i = 0; i < n; i++) iptr[i + 1] += iptr[i];
    for (int u = 0; u < train->n; u++)
        for (int32_t e = ustart[u]; e < ustart[u + 1]; e++) inv[iptr[uniq[e]] + fill[uniq[e]]++] = u;

    /* Neighbours of each item: co-occurrence counts over the sessions that contain it. */
    size_t cap = 0;
    for (int i = 0; i < n; i++) {
        int nt = 0;
        for (int32_t e = iptr[i]; e < iptr[i + 1]; e++) {
            int u = inv[e];
            for (int32_t q = ustart[u]; q < ustart[u + 1]; q++) {
                int j = uniq[q];
                if (j == i) continue;
                if (co[j] == 0) touched[nt++] = j;
                co[j] += 1.0f;
            }
        }
        float ni = (float)(iptr[i + 1] - iptr[i]);
        for (int t = 0; t < nt; t++) {
            int j = touched[t];
            float nj = (float)(iptr[j + 1] - iptr[j]);
            cand[t].j = j;
            cand[t].sim = co[j] / (sqrtf(ni * nj) + lambda);
            co[j] = 0;
        }
        if (nt > K) select_top(cand, nt, K);
        if (wr__sort_stable(cand, (size_t)(nt < K ? nt : K), sizeof *cand, cmp_nbr, NULL) < 0) {
            rc = wr__oom(m->ctx, "fitting itemknn");
            goto done;
        }
        int keep = nt < K ? nt : K;
        int32_t base = c->ptr[i];
        if ((size_t)base + (size_t)keep > cap) {
            cap = cap ? cap * 2 : 1024;
            while (cap < (size_t)base + (size_t)keep) cap *= 2;
            int32_t *col = wr__realloc_array(c->col, cap, sizeof *col);
            if (col) c->col = col;
            float *val = wr__realloc_array(c->val, cap, sizeof *val);
            if (val) c->val = val;
            if (!col || !val) {
                rc = wr__oom(m->ctx, "fitting itemknn");
                goto done;
            }
        }
        for (int t = 0; t < keep; t++) {
            c->col[base + t] = cand[t].j;
            c->val[base + t] = cand[t].sim;
        }
        c->ptr[i + 1] = base + keep;
    }
    if (!c->col) { /* no co-occurrences at all: keep valid empty arrays */
        c->col = wr__malloc(sizeof *c->col);
        c->val = wr__malloc(sizeof *c->val);
        if (!c->col || !c->val) rc = wr__oom(m->ctx, "fitting itemknn");
    }
    if (rc == WR_OK) rc = wr__csr_ready(m, c);
done:
    free(uniq);
    free(ustart);
    free(seen);
    free(iptr);
    free(inv);
    free(fill);
    free(co);
    free(touched);
    free(cand);
    return rc;
}

const wr_model_vt wr__itemknn_vt = {
    .name = "itemknn",
    .params = itemknn_params,
    .n_params = (int)(sizeof itemknn_params / sizeof itemknn_params[0]),
    .fit = itemknn_fit,
    .score = wr__csr_model_score,
    .save = wr__csr_model_save,
    .load = wr__csr_model_load,
    .free_state = wr__csr_model_free,
    .explain = wr__csr_model_explain,
};
