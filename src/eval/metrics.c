/* metrics.c: HR@K, NDCG@K, MRR@K for a single held-out target (Recall@K equals HR@K then). */
#include <math.h>
#include <stdlib.h>

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

void wr__metrics_add(wr_metrics *m, int64_t rank, int user) {
    int hit = rank >= 0 && rank < m->k;
    /* log2 through wr__log so native and wasm print the same digits */
    double ndcg = hit ? 0.69314718055994530942 / wr__log((double)rank + 2.0) : 0, rr = hit ? 1.0 / ((double)rank + 1.0) : 0;
    if (m->per && m->users < m->per_cap) {
        double *p = m->per + 3 * m->users;
        p[0] = hit, p[1] = ndcg, p[2] = rr;
        m->per_user[m->users] = user;
    }
    m->users++;
    if (!hit) return;
    m->hr += 1.0;
    m->recall += 1.0;
    m->ndcg += ndcg;
    m->mrr += rr;
    m->ndcg2 += ndcg * ndcg;
    m->mrr2 += rr * rr;
}

void wr__metrics_add_set(wr_metrics *m, const int64_t *ranks, int n, int user) {
    if (n == 1) {
        wr__metrics_add(m, ranks[0], user);
        return;
    }
    double dcg = 0, idcg = 0, hits = 0;
    int64_t first = -1;
    for (int j = 0; j < n; j++) {
        if (ranks[j] < 0 || ranks[j] >= m->k) continue;
        dcg += 0.69314718055994530942 / wr__log((double)ranks[j] + 2.0), hits++;
        if (first < 0 || ranks[j] < first) first = ranks[j];
    }
    int ideal = n < m->k ? n : m->k;
    for (int j = 0; j < ideal; j++) idcg += 0.69314718055994530942 / wr__log((double)j + 2.0);
    double ndcg = idcg > 0 ? dcg / idcg : 0, rr = first >= 0 ? 1.0 / ((double)first + 1.0) : 0, hr = first >= 0;
    if (m->per && m->users < m->per_cap) {
        double *p = m->per + 3 * m->users;
        p[0] = hr, p[1] = ndcg, p[2] = rr;
        m->per_user[m->users] = user;
    }
    m->users++;
    m->hr += hr, m->ndcg += ndcg, m->mrr += rr, m->recall += ideal ? hits / ideal : 0;
    m->ndcg2 += ndcg * ndcg, m->mrr2 += rr * rr;
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

static int cmp_score(const void *a, const void *b, void *arg) {
    const float *s = arg;
    float x = s[*(const int64_t *)a], y = s[*(const int64_t *)b];
    return x < y ? -1 : x > y;
}

int wr__auc(const float *score, const uint8_t *label, int64_t n, double *auc) {
    int64_t pos = 0;
    for (int64_t i = 0; i < n; i++) pos += label[i] != 0;
    if (pos == 0 || pos == n) return 1;
    int64_t *order = wr__malloc((size_t)n * sizeof *order);
    if (!order) return -1;
    for (int64_t i = 0; i < n; i++) order[i] = i;
    if (wr__sort_stable(order, (size_t)n, sizeof *order, cmp_score, (void *)score) < 0) {
        free(order);
        return -1;
    }
    /* Mann-Whitney: the positives' rank sum, ties sharing their mean rank */
    double ranks = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j + 1 < n && score[order[j + 1]] == score[order[i]]) j++;
        double mean_rank = (double)(i + j) / 2.0 + 1.0;
        for (int64_t t = i; t <= j; t++) ranks += label[order[t]] ? mean_rank : 0;
        i = j + 1;
    }
    free(order);
    double npos = (double)pos, nneg = (double)(n - pos);
    *auc = (ranks - npos * (npos + 1) / 2) / (npos * nneg);
    return 0;
}
