/* loo.c: the leave-one-out protocol. Per user: last event = test target, second-last =
 * validation target, history = every event before the target; users with fewer than 3 events
 * are only trained on (as in the SASRec code). Full ranking over all items is the headline;
 * the papers' sampled variant ranks the target against `sampled` items the user never touched,
 * on at most 10,000 users drawn with a fixed seed, and is always labelled as such. With a
 * context the model reads (a CSV's extra columns), each query carries its target event's. */
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "../models/model.h"
#include "metrics.h"

#define WR_SAMPLED_MAX_USERS 10000

static void metrics_json(wr_buf *b, const wr_metrics *m, int with_recall, double coverage) {
    double u = m->users ? (double)m->users : 1.0;
    wr__buf_printf(b, "{\"users\":%lld,\"HR@%d\":", (long long)m->users, m->k);
    wr__buf_json_num(b, m->hr / u);
    wr__buf_printf(b, ",\"NDCG@%d\":", m->k);
    wr__buf_json_num(b, m->ndcg / u);
    wr__buf_printf(b, ",\"MRR@%d\":", m->k);
    wr__buf_json_num(b, m->mrr / u);
    if (with_recall) {
        wr__buf_printf(b, ",\"Recall@%d\":", m->k);
        wr__buf_json_num(b, m->hr / u);
        wr__buf_printf(b, ",\"coverage@%d\":", m->k);
        wr__buf_json_num(b, coverage);
    }
    /* a 95% interval over users for each mean: with few users a "best" model is often noise */
    double lo, hi;
    wr__buf_printf(b, ",\"ci95\":{\"HR@%d\":[", m->k);
    wr__ci95(m->hr, m->hr, m->users, &lo, &hi);
    wr__buf_json_num(b, lo), wr__buf_puts(b, ","), wr__buf_json_num(b, hi);
    wr__buf_printf(b, "],\"NDCG@%d\":[", m->k);
    wr__ci95(m->ndcg, m->ndcg2, m->users, &lo, &hi);
    wr__buf_json_num(b, lo), wr__buf_puts(b, ","), wr__buf_json_num(b, hi);
    wr__buf_printf(b, "],\"MRR@%d\":[", m->k);
    wr__ci95(m->mrr, m->mrr2, m->users, &lo, &hi);
    wr__buf_json_num(b, lo), wr__buf_puts(b, ","), wr__buf_json_num(b, hi);
    wr__buf_puts(b, "]}");
    wr__buf_puts(b, "}");
}

/* One batch's ranking over threads (wr__parallel_for): query q reads its scores and writes only
 * its own slices (skip, cand, top) and results; the sampled protocol's draws were taken before,
 * in user order, so every thread count gives the same ranks. */
typedef struct {
    const wr_data *data;
    const int32_t *map;
    const wr_query *bq;
    const int *bu, *target, *take; /* take < 0: the user is not in the sampled protocol */
    const uint32_t *draw;          /* per query, its ns draws */
    const float *scores;
    unsigned char *skip;
    int32_t *cand;
    int *top, *got, *nan_at;
    float *topv;
    int64_t *rank, *srank;
    int n, kk, ns, exclude_seen; /* ns: the draws per query */
} rank_job;

static void rank_queries(void *arg, int lo, int hi) {
    const rank_job *j = arg;
    const int n = j->n;
    for (int q = lo; q < hi; q++) {
        const float *sc = j->scores + (size_t)q * n;
        unsigned char *skip = j->skip + (size_t)q * n;
        const int *hu = j->bq[q].items, h = j->bq[q].len, target = j->target[q];
        j->nan_at[q] = -1;
        for (int i = 0; i < n; i++)
            if (sc[i] != sc[i]) {
                j->nan_at[q] = i;
                break;
            }
        if (j->nan_at[q] >= 0) continue;
        if (j->exclude_seen)
            for (int i = 0; i < h; i++) skip[hu[i]] = 1;
        if (target >= 0) skip[target] = 0; /* a repeated target stays a candidate */
        j->rank[q] = target >= 0 ? wr__rank_conservative(sc, skip, n, target) : -1;
        j->got[q] = wr_topk(sc, skip, n, j->kk, j->top + (size_t)q * j->kk, j->topv + (size_t)q * j->kk);
        if (j->exclude_seen)
            for (int i = 0; i < h; i++) skip[hu[i]] = 0;
        if (j->take[q] < 0) continue;
        /* Candidates: the target and `sampled` distinct items the user never touched (skip marks them). */
        const int64_t b = j->data->user_start[j->bu[q]], len = j->data->user_start[j->bu[q] + 1] - b;
        int32_t *cand = j->cand + (size_t)q * n;
        const uint32_t *draw = j->draw + (size_t)q * j->ns;
        for (int64_t t = 0; t < len; t++)
            if (j->map[j->data->seq[b + t]] >= 0) skip[j->map[j->data->seq[b + t]]] = 1;
        int nc = 0;
        for (int i = 0; i < n; i++)
            if (!skip[i]) cand[nc++] = i;
        int64_t rank = -1;
        if (target >= 0) {
            rank = 0;
            for (int i = 0; i < j->take[q]; i++) {
                int k = i + (int)draw[i];
                int32_t t = cand[i];
                cand[i] = cand[k];
                cand[k] = t;
                if (sc[cand[i]] >= sc[target]) rank++;
            }
        }
        j->srank[q] = rank;
        for (int64_t t = 0; t < len; t++)
            if (j->map[j->data->seq[b + t]] >= 0) skip[j->map[j->data->seq[b + t]]] = 0;
    }
}

int wr__eval_loo(wr_model *model, const wr_data *data, int split, int k, int exclude_seen, int sampled,
                 uint64_t seed, wr_metrics *full_out, wr_metrics *samp_out, double *coverage) {
    wr_ctx *ctx = model->ctx;
    if (split != WR_SPLIT_TEST && split != WR_SPLIT_VALID) return wr__err(ctx, WR_ERR_ARG, "split must be test (0) or valid (1), got %d", split);
    if (k < 1) return wr__err(ctx, WR_ERR_ARG, "k must be a positive integer, got %d", k);
    if (sampled < 0) return wr__err(ctx, WR_ERR_ARG, "sampled must be 0 or a positive count, got %d", sampled);
    if (!model->fitted) return wr__err(ctx, WR_ERR_STATE, "%s: the model is not trained yet", model->vt->name);
    int n = model->items.n, n_users = data->users.n, rc = WR_OK;
    int offset = split == WR_SPLIT_TEST ? 1 : 2; /* target = len - offset */
    int64_t maxlen = 0;
    for (int u = 0; u < n_users; u++) {
        int64_t l = data->user_start[u + 1] - data->user_start[u];
        if (l > maxlen) maxlen = l;
    }
    /* users scored together: up to 64, with at most ~4M scores and history items (16 MB each);
     * each has its own slices of the ranking's scratch (skip marks and candidates: n each) */
    int64_t widest = n > maxlen ? n : maxlen;
    int batch = widest > (1 << 22) / 64 ? (int)((1 << 22) / widest) : 64;
    if (batch < 1) batch = 1;
    int kk = k < n ? k : n; /* the top list (coverage) never holds more than the catalogue: k = 2^30 allocates nothing huge */
    int ns = sampled < n ? sampled : n; /* the sampled draws a user can take */
    size_t bn = (size_t)batch * n;
    /* Data items -> model items by id; -1 where the model never saw the item. */
    int32_t *map = wr__malloc((size_t)data->items.n * sizeof *map + 1);
    unsigned char *skip = wr__calloc(bn + 1, 1), *hit = wr__calloc((size_t)n + 1, 1), *touched = wr__calloc((size_t)n + 1, 1);
    int *hist = wr__malloc((size_t)batch * maxlen * sizeof *hist + 1), *eligible = wr__malloc(((size_t)n_users + 1) * sizeof *eligible);
    int *top = wr__malloc((size_t)batch * kk * sizeof *top + 1), *bu = wr__malloc((size_t)batch * 5 * sizeof *bu);
    float *topv = wr__malloc((size_t)batch * kk * sizeof *topv + 1), *scores = wr__malloc(bn * sizeof *scores + 1);
    unsigned char *in_sample = wr__calloc((size_t)n_users + 1, 1);
    int32_t *cand = wr__malloc((sampled ? bn : 0) * sizeof *cand + 1);
    uint32_t *draw = wr__malloc((size_t)batch * ns * sizeof *draw + 1);
    int64_t *ranks = wr__malloc((size_t)batch * 2 * sizeof *ranks);
    wr_query *bq = wr__malloc((size_t)batch * sizeof *bq);
    int32_t *cmap = NULL;
    int max_ctx = 0, *cbuf = NULL;
    if ((rc = wr__context_map(model, data, &cmap, &max_ctx))) goto done;
    if (!bu || !bq || (cmap && !(cbuf = wr__malloc((size_t)batch * max_ctx * sizeof *cbuf + 4))) || !map || !scores || !skip || !hit || !touched || !hist || !top || !topv || !eligible || !in_sample || !cand || !draw || !ranks) {
        rc = wr__oom(ctx, "evaluating");
        goto done;
    }
    int *target = bu + batch, *take = bu + 2 * batch, *got = bu + 3 * batch, *nan_at = bu + 4 * batch;
    for (int i = 0; i < data->items.n; i++) map[i] = wr__vocab_find(&model->items, data->items.keys[i], strlen(data->items.keys[i]));

    /* The sampled protocol's users: all eligible ones, or a fixed random 10,000 of them. */
    int n_elig = 0;
    for (int u = 0; u < n_users; u++)
        if (data->user_start[u + 1] - data->user_start[u] >= 3) eligible[n_elig++] = u;
    wr_rng rng;
    wr__rng_seed(&rng, seed);
    if (sampled) {
        int take_u = n_elig < WR_SAMPLED_MAX_USERS ? n_elig : WR_SAMPLED_MAX_USERS;
        for (int i = 0; i < take_u; i++) { /* partial Fisher-Yates */
            int j = i + (int)wr__rng_below(&rng, (uint32_t)(n_elig - i));
            int t = eligible[i];
            eligible[i] = eligible[j];
            eligible[j] = t;
            in_sample[eligible[i]] = 1;
        }
    }
    wr_metrics full = {.k = k, .per = full_out->per, .per_user = full_out->per_user, .per_cap = full_out->per_cap}, samp = {.k = k};
    rank_job job = {.data = data, .map = map, .bq = bq, .bu = bu, .target = target, .take = take, .draw = draw, .scores = scores,
                    .skip = skip, .cand = cand, .top = top, .got = got, .nan_at = nan_at, .topv = topv, .rank = ranks,
                    .srank = ranks + batch, .n = n, .kk = kk, .ns = ns, .exclude_seen = exclude_seen};
    for (int u0 = 0; u0 < n_users && rc == WR_OK;) {
        /* the next batch of users with a target: their histories, mapped to the model's items,
         * and the sampled protocol's draws, in user order from the one stream */
        int nb = 0;
        for (; u0 < n_users && nb < batch; u0++) {
            int64_t b = data->user_start[u0], len = data->user_start[u0 + 1] - b;
            if (len < 3) continue;
            int *hb = hist + (size_t)nb * maxlen, h = 0;
            for (int64_t t = 0; t < len - offset; t++)
                if (map[data->seq[b + t]] >= 0) hb[h++] = map[data->seq[b + t]];
            bu[nb] = u0;
            target[nb] = map[data->seq[b + len - offset]];
            take[nb] = -1;
            if (sampled && in_sample[u0]) { /* nc: the items the user never touched */
                int nc = n;
                for (int64_t t = 0; t < len; t++) {
                    int it = map[data->seq[b + t]];
                    if (it >= 0 && !touched[it]) touched[it] = 1, nc--;
                }
                for (int64_t t = 0; t < len; t++)
                    if (map[data->seq[b + t]] >= 0) touched[map[data->seq[b + t]]] = 0;
                take[nb] = nc < sampled ? nc : sampled;
                for (int i = 0; target[nb] >= 0 && i < take[nb]; i++) draw[(size_t)nb * ns + i] = wr__rng_below(&rng, (uint32_t)(nc - i));
            }
            bq[nb] = (wr_query){.user = model->users.n ? wr__vocab_find(&model->users, data->users.keys[u0], strlen(data->users.keys[u0])) : -1, .items = hb, .len = h};
            if (cmap) bq[nb].context = cbuf + (size_t)nb * max_ctx, bq[nb].n_context = wr__event_context(data, cmap, b + len - offset, cbuf + (size_t)nb * max_ctx);
            nb++;
        }
        if (nb == 0 || (rc = wr__score_batch(model, bq, nb, scores))) break;
        wr__parallel_for(nb, 1, (sampled ? 6.0 : 3.0) * nb * n, rank_queries, &job);
        /* the metrics and coverage marks in user order */
        for (int q = 0; q < nb; q++) {
            if (nan_at[q] >= 0) {
                rc = wr__err(ctx, WR_ERR_NAN, "%s produced a NaN score (item %d): training diverged", model->vt->name, nan_at[q]);
                break;
            }
            wr__metrics_add(&full, job.rank[q], bu[q]);
            for (int i = 0; i < got[q]; i++) hit[top[(size_t)q * kk + i]] = 1;
            if (take[q] >= 0) wr__metrics_add(&samp, job.srank[q], bu[q]);
        }
    }
    if (rc == WR_OK) {
        int covered = 0;
        for (int i = 0; i < n; i++) covered += hit[i];
        *full_out = full;
        *samp_out = samp;
        *coverage = n ? (double)covered / n : 0.0;
    }
done:
    free(bu);
    free(bq);
    free(map);
    free(scores);
    free(skip);
    free(hit);
    free(touched);
    free(hist);
    free(top);
    free(topv);
    free(eligible);
    free(in_sample);
    free(cand);
    free(draw);
    free(ranks);
    free(cmap), free(cbuf);
    return rc;
}

int wr_eval_loo(wr_model *model, const wr_data *data, int split, int k, int exclude_seen,
                int sampled, uint64_t seed, char **out_json) {
    if (!model || !data || !out_json) return wr__err(model ? model->ctx : NULL, WR_ERR_ARG, "wr_eval_loo: model, data and out_json are required");
    if (exclude_seen < WR_SEEN_KEEP || exclude_seen > WR_SEEN_AUTO)
        return wr__err(model->ctx, WR_ERR_ARG, "exclude_seen must be 0 (keep), 1 (exclude) or 2 (auto), got %d", exclude_seen);
    /* auto, for a model that does not know its training data: the evaluated histories decide */
    double share = -1;
    if (exclude_seen == WR_SEEN_AUTO && model->repeat_share < 0) {
        wr_seqs seqs;
        int32_t *len = NULL;
        if (wr__seqs_from_data(data, split == WR_SPLIT_TEST ? 1 : 2, &seqs, &len) < 0) return wr__oom(model->ctx, "evaluating");
        share = wr__repeat_share(&seqs);
        wr_free(len);
        if (share < 0) return wr__oom(model->ctx, "evaluating");
    }
    char reason[200];
    int applied = wr__resolve_seen(model, exclude_seen, share, reason, sizeof reason);
    wr_metrics full = {0}, samp;
    double coverage;
    int rc = wr__eval_loo(model, data, split, k, applied, sampled, seed, &full, &samp, &coverage);
    if (rc) return rc;
    wr_buf out = {0};
    static const char *const modes[] = {"no", "yes", "auto"};
    double known = model->repeat_share >= 0 ? model->repeat_share : share;
    wr__buf_printf(&out, "{\"exclude_seen\":{\"mode\":\"%s\",\"applied\":%s,\"repeat_share\":", modes[exclude_seen], applied ? "true" : "false");
    if (known >= 0) wr__buf_json_num(&out, known);
    else wr__buf_puts(&out, "null");
    wr__buf_puts(&out, ",\"reason\":");
    wr__buf_json_str(&out, reason);
    wr__buf_puts(&out, "},\"full\":");
    metrics_json(&out, &full, 1, coverage);
    if (sampled) {
        wr__buf_printf(&out, ",\"sampled%d\":", sampled);
        metrics_json(&out, &samp, 0, 0);
    }
    wr__buf_puts(&out, "}");
    *out_json = wr__buf_take(&out, NULL);
    return *out_json ? WR_OK : wr__oom(model->ctx, "writing evaluation results");
}
