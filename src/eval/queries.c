/* queries.c: evaluation on a split's held-out events (random, temporal, cold-users, cold-items;
 * see split.h). A query per user (its training history), scored once against the whole
 * catalogue; each of its held-out events is then a ranking target (when positive or unlabelled)
 * and a pointwise prediction (the target's score) for AUC, GAUC, logloss, RMSE and MAE.
 * cold-users: the user has no training events, so the query is the user alone (what the model
 * knows of them: their side features) with no history, and its relevant set is all of the user's
 * held-out positive items at once (NDCG@K and Recall@K over the set), next to most-popular and
 * most-popular within the user's feature groups (each item's share of the training events of
 * the users with each of the user's feature values, averaged over those values).
 * cold-items: the targets are items with no training event, so they are ranked among the items
 * with no training event (the held-out items): against the warm catalogue a cold item is never
 * seen, and every model would score 0. Its baseline is most-popular within the item's feature
 * groups (each cold item scored by the mean training positives of the warm items sharing each
 * of its feature values, averaged over those values). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "../models/model.h"
#include "metrics.h"
#include "split.h"

typedef struct {
    int user;           /* data user */
    int64_t first, end; /* its target events: part events in [first, end) of the user */
} query_span;

/* One query's history into h: the user's training events, positives only when labelled, in the
 * model's ids (none for a cold user). */
static int history_of(const wr_split *s, const int32_t *map, int u, int *h) {
    const wr_data *d = s->data;
    int n = 0;
    for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++) {
        if (s->part[e] != WR_PART_TRAIN) continue;
        if (d->label && !d->label[e]) continue;
        if (map[d->seq[e]] >= 0) h[n++] = map[d->seq[e]];
    }
    return n;
}

/* Most-popular within feature groups: cnt (F, n) training positives of each item among the users
 * with each user feature, tot (F) their sums. NULL when the data has no user features or F x n is
 * over 2^26. */
static float *group_counts(const wr_split *s, const int32_t *map, int n, float **tot) {
    const wr_data *d = s->data;
    const wr_features *X = &d->features;
    int F = X->values.n;
    *tot = NULL;
    if (!X->start[0] || F == 0 || (int64_t)F * n > (1 << 26)) return NULL;
    float *cnt = wr__calloc((size_t)F * n, sizeof *cnt);
    *tot = wr__calloc((size_t)F, sizeof **tot);
    if (!cnt || !*tot) {
        free(cnt), free(*tot);
        *tot = NULL;
        return NULL;
    }
    for (int u = 0; u < d->users.n; u++)
        for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++) {
            if (s->part[e] != WR_PART_TRAIN || (d->label && !d->label[e]) || map[d->seq[e]] < 0) continue;
            for (int64_t k = X->start[0][u]; k < X->start[0][u + 1]; k++) cnt[(size_t)X->feat[0][k] * n + map[d->seq[e]]] += 1, (*tot)[X->feat[0][k]] += 1;
        }
    return cnt;
}

/* Most-popular: the training positives of each of the model's n items. */
static void train_counts(const wr_split *s, const int32_t *map, int n, float *out) {
    const wr_data *d = s->data;
    memset(out, 0, (size_t)n * sizeof *out);
    for (int64_t e = 0; e < d->n_events; e++)
        if (s->part[e] == WR_PART_TRAIN && (!d->label || d->label[e]) && map[d->seq[e]] >= 0) out[map[d->seq[e]]] += 1;
}

/* cold-items: each item's most-popular-within-its-feature-groups score into out (n); warm (n):
 * the items with training events. 0 when the data has no item features. */
static int item_group_scores(const wr_split *s, const int32_t *map, int n, const float *counts, const unsigned char *warm, float *out) {
    const wr_data *d = s->data;
    const wr_features *X = &d->features;
    int F = X->values.n;
    memset(out, 0, (size_t)n * sizeof *out);
    if (!X->start[1] || F == 0) return 0;
    double *sum = wr__calloc((size_t)F, sizeof *sum), *cnt = wr__calloc((size_t)F, sizeof *cnt);
    if (!sum || !cnt) {
        free(sum), free(cnt);
        return -1;
    }
    for (int i = 0; i < d->items.n; i++)
        if (map[i] >= 0 && warm[map[i]])
            for (int64_t k = X->start[1][i]; k < X->start[1][i + 1]; k++) sum[X->feat[1][k]] += counts[map[i]], cnt[X->feat[1][k]] += 1;
    for (int i = 0; i < d->items.n; i++) {
        if (map[i] < 0 || warm[map[i]]) continue;
        double a = 0;
        int nf = 0;
        for (int64_t k = X->start[1][i]; k < X->start[1][i + 1]; k++)
            if (cnt[X->feat[1][k]] > 0) a += sum[X->feat[1][k]] / cnt[X->feat[1][k]], nf++;
        out[map[i]] = nf ? (float)(a / nf) : 0;
    }
    free(sum), free(cnt);
    return 0;
}

/* The group scores of data user u into out (n); the training counts when u has no features. */
static void group_scores(const wr_data *d, const float *cnt, const float *tot, const float *counts, int u, int n, float *out) {
    const wr_features *X = &d->features;
    int nf = 0;
    memset(out, 0, (size_t)n * sizeof *out);
    for (int64_t k = X->start[0][u]; k < X->start[0][u + 1]; k++) {
        int f = X->feat[0][k];
        if (tot[f] <= 0) continue;
        wr_axpy(out, 1.0f / tot[f], cnt + (size_t)f * n, n), nf++;
    }
    if (!nf && counts) memcpy(out, counts, (size_t)n * sizeof *out);
}

static double sigmoid_logloss(float s, int y) {
    double p = 1.0 / (1.0 + (double)wr_expf(-s));
    if (p < 1e-7) p = 1e-7;
    if (p > 1 - 1e-7) p = 1 - 1e-7;
    return -(y ? wr__log(p) : wr__log(1 - p));
}

/* Whether some value of the data maps (map) to a model key of field (its first len bytes, "ctx.hour"
 * of "ctx.hour=13"). */
static int field_in_data(const wr_model *m, const wr_data *d, const int32_t *map, const char *field, size_t len) {
    for (int f = 0; map && f < d->features.values.n; f++)
        if (map[f] >= 0 && !strncmp(m->features.keys[map[f]], field, len) && m->features.keys[map[f]][len] == '=') return 1;
    return 0;
}

int wr__context_map(const wr_model *m, const wr_data *d, int32_t **map, int *max_ctx) {
    const wr_features *F = &d->features;
    *map = NULL, *max_ctx = 0;
    if (!(m->vt->caps & WR_USES_FEATURES) || !m->features.n) return WR_OK;
    if (d->ctx_row && F->start[2]) {
        if (!(*map = wr__malloc((size_t)F->values.n * sizeof **map + 4))) return wr__oom(m->ctx, "evaluating");
        for (int f = 0; f < F->values.n; f++) (*map)[f] = wr__vocab_find(&m->features, F->values.keys[f], strlen(F->values.keys[f]));
    }
    /* a context field the model was trained on must be in the data: without it every query would
     * silently lose that part (a timestamp context not asked for again, other CSV columns) */
    for (int k = 0; k < m->features.n; k++) {
        const char *key = m->features.keys[k];
        size_t len = strcspn(key, "=");
        if (strncmp(key, "ctx.", 4) || field_in_data(m, d, *map, key, len)) continue;
        free(*map), *map = NULL;
        int timed = !strncmp(key, "ctx.hour=", 9) || !strncmp(key, "ctx.weekday=", 12);
        return wr__err(m->ctx, WR_ERR_ARG, "%s was trained with the context field %.*s, which the data does not have: give it the context it was trained with (%s)",
                       m->vt->name, (int)len, key, timed ? "--time-context, timeContext in JS" : "the event file's own columns");
    }
    if (!*map) return WR_OK;
    for (int64_t e = 0; e < d->n_events; e++) {
        int64_t r = d->ctx_row[e], c = F->start[2][r + 1] - F->start[2][r];
        if (c > *max_ctx) *max_ctx = (int)c;
    }
    return WR_OK;
}

int wr__event_context(const wr_data *d, const int32_t *map, int64_t e, int *out) {
    const wr_features *F = &d->features;
    int n = 0;
    for (int64_t k = F->start[2][d->ctx_row[e]]; k < F->start[2][d->ctx_row[e] + 1]; k++)
        if (map[F->feat[2][k]] >= 0) out[n++] = map[F->feat[2][k]];
    return n;
}

int wr__eval_split(wr_model *m, const wr_split *s, int part, int k, int exclude_seen, wr_split_metrics *out) {
    wr_ctx *ctx = m->ctx;
    const wr_data *d = s->data;
    if (!m->fitted) return wr__err(ctx, WR_ERR_STATE, "%s: the model is not trained yet", m->vt->name);
    int n = m->items.n, nu = d->users.n, rc = WR_OK;
    int predicts = m->vt->predicts ? m->vt->predicts(m) : WR_PREDICTS_SCORE;
    int64_t maxlen = 0, nt = s->n_part[part];
    for (int u = 0; u < nu; u++)
        if (d->user_start[u + 1] - d->user_start[u] > maxlen) maxlen = d->user_start[u + 1] - d->user_start[u];
    int64_t widest = n > maxlen ? n : maxlen;
    int batch = widest > (1 << 22) / 64 ? (int)((1 << 22) / widest) : 64;
    if (batch < 1) batch = 1;
    int32_t *map = wr__malloc((size_t)d->items.n * sizeof *map + 1);
    float *scores = wr__malloc((size_t)batch * n * sizeof *scores + 1), *tscore = wr__malloc((size_t)nt * sizeof *tscore + 1);
    int *hist = wr__malloc((size_t)batch * maxlen * sizeof *hist + 1);
    wr_query *bq = wr__malloc((size_t)batch * sizeof *bq);
    int cold = s->kind == WR_EVAL_COLD_USERS, coldi = s->kind == WR_EVAL_COLD_ITEMS;
    int64_t *ranks = wr__malloc((size_t)(3 * maxlen + 1) * sizeof *ranks);
    unsigned char *relevant = wr__calloc((size_t)n + 1, 1);
    float *gcnt = NULL, *gtot = NULL, *gsc = cold || coldi ? wr__malloc((size_t)n * sizeof *gsc + 4) : NULL;
    float *popc = cold || coldi ? wr__malloc((size_t)n * sizeof *popc + 4) : NULL;
    query_span *bs = wr__malloc((size_t)batch * sizeof *bs);
    uint8_t *tlabel = wr__malloc((size_t)nt + 1), *skip = wr__calloc((size_t)n + 1, 1);
    int *tuser = wr__malloc((size_t)nt * sizeof *tuser + 1);
    /* with a context the model reads, each held-out event is a query of its own (its context) */
    int32_t *cmap = NULL;
    int max_ctx = 0, *cbuf = NULL;
    if (!cold && (rc = wr__context_map(m, d, &cmap, &max_ctx))) goto done;
    if (cmap && !(cbuf = wr__malloc((size_t)batch * max_ctx * sizeof *cbuf + 4))) rc = wr__oom(ctx, "evaluating");
    if (rc || !map || !scores || !tscore || !hist || !bq || !bs || !tlabel || !skip || !tuser || !ranks || !relevant || ((cold || coldi) && (!gsc || !popc))) {
        rc = wr__oom(ctx, "evaluating");
        goto done;
    }
    for (int i = 0; i < d->items.n; i++) map[i] = wr__vocab_find(&m->items, d->items.keys[i], strlen(d->items.keys[i]));
    wr_split_metrics r = {.rank = {.k = k, .per = out->rank.per, .per_user = out->rank.per_user, .per_cap = out->rank.per_cap},
                          .pop = {.k = k}, .pop_group = {.k = k}};
    if (cold) gcnt = group_counts(s, map, n, &gtot), train_counts(s, map, n, popc);
    r.group_ok = gcnt != NULL;
    if (coldi) { /* the warm items are no candidates: skip holds them for every query */
        for (int64_t t = 0; t < d->n_events; t++)
            if (s->part[t] == WR_PART_TRAIN && map[d->seq[t]] >= 0) skip[map[d->seq[t]]] = 1;
        train_counts(s, map, n, popc);
        if (item_group_scores(s, map, n, popc, skip, gsc) < 0) {
            rc = wr__oom(ctx, "evaluating");
            goto done;
        }
        r.group_ok = d->features.start[1] != NULL;
    }
    double se = 0, ae = 0, ll = 0;
    int64_t nl = 0;
    int u = 0;
    int64_t e = nu ? d->user_start[0] : 0;
    while (rc == WR_OK) {
        /* the next batch of queries */
        int nb = 0;
        for (; u < nu && nb < batch;) {
            int64_t end = d->user_start[u + 1];
            while (e < end && s->part[e] != part) e++;
            if (e >= end) {
                if (++u < nu) e = d->user_start[u];
                continue;
            }
            int64_t first = e, last = end;
            int *h = hist + (size_t)nb * maxlen;
            /* a cold user is known by their features alone: their id was never trained */
            int user = !m->users.n ? -1 : wr__vocab_find(&m->users, d->users.keys[u], strlen(d->users.keys[u]));
            bq[nb] = (wr_query){.user = user, .items = h, .len = history_of(s, map, u, h)};
            if (cmap) {
                last = e + 1;
                int *c = cbuf + (size_t)nb * max_ctx;
                bq[nb].context = c, bq[nb].n_context = wr__event_context(d, cmap, e, c);
            }
            bs[nb++] = (query_span){u, first, last};
            e = last;
        }
        if (nb == 0 || (rc = wr__score_batch(m, bq, nb, scores))) break;
        for (int q = 0; q < nb; q++) {
            const float *sc = scores + (size_t)q * n;
            const wr_query *qq = &bq[q];
            if (exclude_seen && !coldi) /* cold-items: history items are warm, skipped already */
                for (int i = 0; i < qq->len; i++) skip[qq->items[i]] = 1;
            if (cold) { /* the user's distinct held-out positive items, as one relevant set */
                int nr = 0;
                for (int64_t t = bs[q].first; t < bs[q].end; t++) {
                    int target = map[d->seq[t]];
                    if (s->part[t] != part || (d->label && !d->label[t]) || (target >= 0 && relevant[target])) continue;
                    if (target >= 0) relevant[target] = 1;
                    ranks[nr] = target >= 0 ? wr__rank_conservative(sc, skip, n, target) : -1;
                    ranks[maxlen + nr] = target >= 0 ? wr__rank_conservative(popc, skip, n, target) : -1;
                    ranks[2 * maxlen + nr++] = target;
                }
                if (gcnt) group_scores(d, gcnt, gtot, popc, bs[q].user, n, gsc);
                for (int j = 0; j < nr; j++) {
                    int target = (int)ranks[2 * maxlen + j];
                    if (target >= 0) relevant[target] = 0;
                    ranks[2 * maxlen + j] = gcnt && target >= 0 ? wr__rank_conservative(gsc, skip, n, target) : -1;
                }
                if (nr) {
                    wr__metrics_add_set(&r.rank, ranks, nr, bs[q].user);
                    wr__metrics_add_set(&r.pop, ranks + maxlen, nr, bs[q].user);
                    wr__metrics_add_set(&r.pop_group, ranks + 2 * maxlen, nr, bs[q].user);
                }
            }
            for (int64_t t = bs[q].first; t < bs[q].end; t++) {
                if (s->part[t] != part) continue;
                int target = map[d->seq[t]];
                if (target >= 0 && sc[target] != sc[target]) {
                    rc = wr__err(ctx, WR_ERR_NAN, "%s produced a NaN score (item %d): training diverged", m->vt->name, target);
                    break;
                }
                if (!cold && (!d->label || d->label[t])) {
                    int was = target >= 0 ? skip[target] : 0;
                    if (target >= 0) skip[target] = 0; /* a repeated target stays a candidate */
                    wr__metrics_add(&r.rank, target >= 0 ? wr__rank_conservative(sc, skip, n, target) : -1, bs[q].user);
                    if (coldi && r.group_ok) wr__metrics_add(&r.pop_group, target >= 0 ? wr__rank_conservative(gsc, skip, n, target) : -1, bs[q].user);
                    if (target >= 0) skip[target] = (unsigned char)was;
                }
                if (target < 0) {
                    r.unknown++;
                    continue;
                }
                if (d->label) {
                    tscore[nl] = sc[target], tlabel[nl] = d->label[t], tuser[nl++] = bs[q].user;
                    if (predicts == WR_PREDICTS_PROB) ll += sigmoid_logloss(sc[target], d->label[t]);
                }
                if (d->rating && predicts == WR_PREDICTS_RATING) {
                    double err = (double)sc[target] - d->rating[t];
                    se += err * err, ae += fabs(err), r.rated++;
                }
            }
            if (!coldi)
                for (int i = 0; i < qq->len; i++) skip[qq->items[i]] = 0;
        }
    }
    if (rc) goto done;
    r.labelled = nl;
    r.auc = r.gauc = r.logloss = r.rmse = r.mae = NAN;
    if (nl) {
        if (wr__auc(tscore, tlabel, nl, &r.auc) < 0) {
            rc = wr__oom(ctx, "computing AUC");
            goto done;
        }
        if (predicts == WR_PREDICTS_PROB) r.logloss = ll / (double)nl;
        /* GAUC: per-user AUC (users with both classes), weighted by their labelled events */
        double sum = 0, w = 0;
        for (int64_t i = 0; i < nl;) {
            int64_t j = i;
            while (j < nl && tuser[j] == tuser[i]) j++;
            double a;
            int st = wr__auc(tscore + i, tlabel + i, j - i, &a);
            if (st < 0) {
                rc = wr__oom(ctx, "computing GAUC");
                goto done;
            }
            if (st == 0) sum += a * (double)(j - i), w += (double)(j - i);
            i = j;
        }
        if (w > 0) r.gauc = sum / w;
    }
    if (r.rated) r.rmse = sqrt(se / (double)r.rated), r.mae = ae / (double)r.rated;
    *out = r;
done:
    free(map), free(scores), free(tscore), free(hist), free(bq), free(bs), free(tlabel), free(skip), free(tuser);
    free(ranks), free(relevant), free(gcnt), free(gtot), free(gsc), free(popc), free(cmap), free(cbuf);
    return rc;
}

static void num_or_null(wr_buf *b, const char *key, double x) {
    wr__buf_printf(b, ",\"%s\":", key);
    if (x == x) wr__buf_json_num(b, x);
    else wr__buf_puts(b, "null");
}

int wr_eval(wr_model *m, const wr_split *s, int part, int k, int exclude_seen, int sampled, uint64_t seed, char **out_json) {
    if (!m || !s || !out_json) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "wr_eval: model, split and out_json are required");
    if (s->kind == WR_EVAL_LOO) return wr_eval_loo(m, s->data, part, k, exclude_seen, sampled, seed, out_json);
    if (part != WR_SPLIT_TEST && part != WR_SPLIT_VALID) return wr__err(m->ctx, WR_ERR_ARG, "part must be test (0) or valid (1), got %d", part);
    if (k < 1) return wr__err(m->ctx, WR_ERR_ARG, "k must be a positive integer, got %d", k);
    if (exclude_seen < WR_SEEN_KEEP || exclude_seen > WR_SEEN_AUTO)
        return wr__err(m->ctx, WR_ERR_ARG, "exclude_seen must be 0 (keep), 1 (exclude) or 2 (auto), got %d", exclude_seen);
    char reason[200];
    int applied = wr__resolve_seen(m, exclude_seen, -1, reason, sizeof reason);
    wr_split_metrics r;
    memset(&r, 0, sizeof r);
    int rc = wr__eval_split(m, s, part == WR_SPLIT_TEST ? WR_PART_TEST : WR_PART_VALID, k, applied, &r);
    if (rc) return rc;
    wr_buf b = {0};
    static const char *const modes[] = {"no", "yes", "auto"};
    wr__buf_printf(&b, "{\"exclude_seen\":{\"mode\":\"%s\",\"applied\":%s,\"repeat_share\":", modes[exclude_seen], applied ? "true" : "false");
    if (m->repeat_share >= 0) wr__buf_json_num(&b, m->repeat_share);
    else wr__buf_puts(&b, "null");
    wr__buf_puts(&b, ",\"reason\":");
    wr__buf_json_str(&b, reason);
    const wr_metrics *x = &r.rank;
    double u = x->users ? (double)x->users : 1.0, lo, hi;
    wr__buf_printf(&b, "},\"full\":{\"queries\":%lld,\"HR@%d\":", (long long)x->users, k);
    wr__buf_json_num(&b, x->hr / u);
    wr__buf_printf(&b, ",\"NDCG@%d\":", k);
    wr__buf_json_num(&b, x->ndcg / u);
    wr__buf_printf(&b, ",\"MRR@%d\":", k);
    wr__buf_json_num(&b, x->mrr / u);
    wr__buf_printf(&b, ",\"ci95\":{\"NDCG@%d\":[", k);
    wr__ci95(x->ndcg, x->ndcg2, x->users, &lo, &hi);
    wr__buf_json_num(&b, lo), wr__buf_puts(&b, ","), wr__buf_json_num(&b, hi);
    wr__buf_puts(&b, "]}");
    if (s->kind == WR_EVAL_COLD_USERS) { /* each query is a user's whole held-out set */
        wr__buf_printf(&b, ",\"Recall@%d\":", k);
        wr__buf_json_num(&b, x->recall / u);
        const wr_metrics *base[2] = {&r.pop, r.group_ok ? &r.pop_group : NULL};
        wr__buf_puts(&b, ",\"baselines\":{");
        for (int i = 0; i < 2; i++) {
            wr__buf_printf(&b, "%s\"%s\":", i ? "," : "", i ? "pop_group" : "pop");
            if (!base[i]) {
                wr__buf_puts(&b, "null");
                continue;
            }
            double bu = base[i]->users ? (double)base[i]->users : 1.0;
            wr__buf_printf(&b, "{\"NDCG@%d\":", k);
            wr__buf_json_num(&b, base[i]->ndcg / bu);
            wr__buf_printf(&b, ",\"Recall@%d\":", k);
            wr__buf_json_num(&b, base[i]->recall / bu);
            wr__buf_puts(&b, "}");
        }
        wr__buf_puts(&b, "}");
    }
    if (s->kind == WR_EVAL_COLD_ITEMS) { /* pop is 0 for every candidate: only the feature groups */
        wr__buf_puts(&b, ",\"baselines\":{\"pop_group\":");
        if (!r.group_ok) wr__buf_puts(&b, "null");
        else {
            double bu = r.pop_group.users ? (double)r.pop_group.users : 1.0;
            wr__buf_printf(&b, "{\"HR@%d\":", k);
            wr__buf_json_num(&b, r.pop_group.hr / bu);
            wr__buf_printf(&b, ",\"NDCG@%d\":", k);
            wr__buf_json_num(&b, r.pop_group.ndcg / bu);
            wr__buf_puts(&b, "}");
        }
        wr__buf_puts(&b, "}");
    }
    wr__buf_printf(&b, ",\"labelled\":%lld", (long long)r.labelled);
    num_or_null(&b, "AUC", r.auc);
    num_or_null(&b, "GAUC", r.gauc);
    num_or_null(&b, "logloss", r.logloss);
    wr__buf_printf(&b, ",\"rated\":%lld", (long long)r.rated);
    num_or_null(&b, "RMSE", r.rmse);
    num_or_null(&b, "MAE", r.mae);
    wr__buf_printf(&b, ",\"unknown_items\":%lld}}", (long long)r.unknown);
    *out_json = wr__buf_take(&b, NULL);
    return *out_json ? WR_OK : wr__oom(m->ctx, "writing evaluation results");
}

int wr__eval_ranking(wr_model *m, const wr_split *s, int part, int k, int exclude_seen, wr_metrics *full) {
    if (s->kind == WR_EVAL_LOO) {
        wr_metrics samp;
        double cov;
        return wr__eval_loo(m, s->data, part, k, exclude_seen, 0, 0, full, &samp, &cov);
    }
    wr_split_metrics r = {.rank = *full};
    int rc = wr__eval_split(m, s, part == WR_SPLIT_TEST ? WR_PART_TEST : WR_PART_VALID, k, exclude_seen, &r);
    if (rc == WR_OK) *full = r.rank;
    return rc;
}
