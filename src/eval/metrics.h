/* metrics.h: ranking metrics for one target per user, accumulated over users. */
#ifndef WR_METRICS_H
#define WR_METRICS_H

#include <stdint.h>

/* Conservative rank (0-based) of scores[target] among the candidates: the number of other
 * candidates whose score is >= the target's, so ties count against the target and a model
 * that scores everything equal earns nothing. skip (may be NULL) marks non-candidates.
 * A NaN target ranks last; NaN others never outrank it. */
int64_t wr__rank_conservative(const float *scores, const unsigned char *skip, int n, int target);

typedef struct {
    int k;
    int64_t users;
    double hr, ndcg, mrr; /* sums over users */
    double recall;        /* sum over users of hits / min(k, relevant) (wr__metrics_add_set; HR's otherwise) */
    double ndcg2, mrr2;   /* sums of squares (HR's equal its sum): the intervals */
    /* Optional, set by the caller (zeroed otherwise): each query's HR, NDCG, MRR (3 doubles)
     * and its data user, for up to per_cap queries (paired tests between models). */
    double *per;
    int32_t *per_user;
    int64_t per_cap;
} wr_metrics;

/* 95% interval of a mean over users from its sum and sum of squares (normal approximation,
 * clipped to [0, 1]); lo = hi = the mean for fewer than 2 users. */
void wr__ci95(double sum, double sum2, int64_t n, double *lo, double *hi);

/* Adds one query (of data user `user`) whose target has 0-based rank `rank` (rank < 0: target
 * unknown, a miss). */
void wr__metrics_add(wr_metrics *m, int64_t rank, int user);

/* Adds one query with a set of n relevant items at 0-based ranks (rank < 0: unknown, a miss):
 * NDCG@k = DCG / the ideal DCG of min(n, k) hits, Recall@k = hits / min(n, k), HR@k = any hit,
 * MRR@k = 1 / (first hit's rank + 1). With n = 1 the same as wr__metrics_add. */
void wr__metrics_add_set(wr_metrics *m, const int64_t *ranks, int n, int user);

/* Leave-one-out evaluation into metric sums (wr_eval_loo without the JSON); see wasmrec.h. */
struct wr_model;
struct wr_data;
int wr__eval_loo(struct wr_model *model, const struct wr_data *data, int split, int k, int exclude_seen,
                 int sampled, uint64_t seed, wr_metrics *full, wr_metrics *samp, double *coverage);
/* Either protocol into metric sums (full keeps its per arrays if the caller set them). */
struct wr_split;
int wr__eval_ranking(struct wr_model *model, const struct wr_split *split, int part, int k, int exclude_seen, wr_metrics *full);

#endif

/* AUC of scores against binary labels (ties count one half, as the Mann-Whitney U statistic):
 * 0, or 1 when one class is absent (no AUC), -1 on OOM. */
int wr__auc(const float *score, const uint8_t *label, int64_t n, double *auc);

/* Metrics of the held-out events of a split part (queries.c). Ranking over the positive (or
 * unlabelled) targets; AUC, GAUC and logloss over the labelled ones (logloss for models whose
 * scores are logits), RMSE and MAE over the rated ones (models that predict ratings). A field
 * is NaN where it does not apply. */
typedef struct {
    wr_metrics rank;
    /* cold-users: most-popular and most-popular within the user's feature groups on the same
     * queries (group_ok 0: no user features, or too many features x items to count);
     * cold-items: pop_group, most-popular within the item's feature groups (group_ok 0: no item
     * features) */
    wr_metrics pop, pop_group;
    int group_ok;
    int64_t labelled, rated, unknown; /* unknown: targets whose item the model lacks */
    double auc, gauc, logloss, rmse, mae;
} wr_split_metrics;
/* A model's view of the data's context: map (the data's feature ids -> the model's feature
 * indices, -1 unknown) and the longest context of an event; map NULL when the data has no
 * context or the model reads no features. wr__event_context: event e's context in the model's
 * feature indices into out (max_ctx), returns how many. */
int wr__context_map(const struct wr_model *m, const struct wr_data *d, int32_t **map, int *max_ctx);
int wr__event_context(const struct wr_data *d, const int32_t *map, int64_t e, int *out);
struct wr_split;
int wr__eval_split(struct wr_model *model, const struct wr_split *split, int part, int k, int exclude_seen,
                   wr_split_metrics *out);
