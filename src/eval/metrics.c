/* metrics.c: HR@K, NDCG@K, MRR@K for a single held-out target (Recall@K equals HR@K then). */
#include <math.h>

#include "../core/core.h"
#include "metrics.h"

int64_t wr__rank_conservative(const float *scores, const unsigned char *skip, int n, int target) {
    float t = scores[target];
    if (t != t) return n;
    int64_t rank = 0;
    for (int i = 0; i < n; i++)
        if (i != target && !(skip && skip[i]) && scores[i] >= t) rank++;
    return rank;
}

void wr__metrics_add(wr_metrics *m, int64_t rank) {
    m->users++;
    if (rank < 0 || rank >= m->k) return;
    m->hr += 1.0;
    /* log2 through wr__log so native and wasm print the same digits */
    double ndcg = 0.69314718055994530942 / wr__log((double)rank + 2.0), rr = 1.0 / ((double)rank + 1.0);
    m->ndcg += ndcg;
    m->mrr += rr;
    m->ndcg2 += ndcg * ndcg;
    m->mrr2 += rr * rr;
}

void wr__ci95(double sum, double sum2, int64_t n, double *lo, double *hi) {
    double mean = n ? sum / (double)n : 0, half = 0;
    if (n > 1) {
        double var = (sum2 - (double)n * mean * mean) / (double)(n - 1);
        half = 1.959963984540054 * sqrt(var > 0 ? var / (double)n : 0);
    }
    *lo = mean - half < 0 ? 0 : mean - half;
    *hi = mean + half > 1 ? 1 : mean + half;
}
