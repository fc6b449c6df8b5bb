/* train.c: fitting a model on data, in steps. One-pass families (pop, markov, the kNN models)
 * do all their work in wr_train_begin. Iterative families train one mini-batch per step; at the
 * end of every epoch the loop measures the validation metric (NDCG@10 on the split's validation
 * part, leave-one-out's second-last events, or AUC on labelled data; history items excluded by
 * the exclude-seen `auto` rule), keeps the best epoch's weights, and stops after
 * `patience` epochs without improvement or after `epochs` epochs. The caller drives the steps, so
 * a worker can report progress and stop between them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../eval/metrics.h"
#include "../eval/split.h"
#include "model.h"

struct wr_train {
    const wr_data *data;
    const wr_split *split;                  /* NULL: every event, no validation */
    wr_split *held;                         /* the split with validation held out of training (owned), or NULL */
    int loo, validate, exclude_seen;
    wr_seqs seqs;
    wr_own_seqs own;                        /* the training part of a split other than loo */
    int32_t *len;
    int epoch, epochs, step, patience, bad_epochs, best_epoch, done, have_best;
    int64_t unknown_events;                 /* fine-tuning: events whose item the model lacks */
    int64_t *own_start, *own_ts;            /* fine-tuning: the data in the model's item ids */
    int32_t *own_items;
    double loss_sum, last_loss, valid_metric, best_metric, pos_per_s;
    int64_t epoch_steps, epoch_positions;
    double epoch_start_ms;
    float *best; /* the best epoch's parameters */
};

void wr__train_source(const wr_model *m, const wr_data **data, const wr_split **split) {
    *data = m->train ? m->train->data : NULL;
    *split = m->train ? m->train->split : NULL;
}

void wr__train_free(wr_model *m) {
    if (!m->train) return;
    wr_free(m->train->len);
    wr_split_free(m->train->held);
    wr__own_seqs_free(&m->train->own);
    free(m->train->own_start);
    free(m->train->own_ts);
    free(m->train->own_items);
    free(m->train->best);
    free(m->train);
    m->train = NULL;
}

static void fill_progress(const wr_model *m, double *p) {
    if (!p) return;
    const wr_train *t = m->train;
    memset(p, 0, WR_PROGRESS_N * sizeof *p);
    p[WR_PROGRESS_DONE] = 1;
    if (!t) return;
    p[WR_PROGRESS_EPOCH] = t->epoch;
    p[WR_PROGRESS_EPOCHS] = t->epochs;
    p[WR_PROGRESS_STEP] = (double)t->epoch_steps;
    p[WR_PROGRESS_LOSS] = t->last_loss;
    p[WR_PROGRESS_POSITIONS_PER_S] = t->pos_per_s;
    p[WR_PROGRESS_VALID_NDCG] = t->valid_metric;
    p[WR_PROGRESS_BEST_EPOCH] = t->best_epoch;
    p[WR_PROGRESS_DONE] = t->done;
    p[WR_PROGRESS_UNKNOWN_EVENTS] = (double)t->unknown_events;
    p[WR_PROGRESS_HELD_OUT] = t->held ? (double)t->held->n_part[WR_PART_VALID] : 0;
}

static int start_epochs(wr_model *m);

/* What early stopping watches (higher is better): validation AUC on labelled data, minus RMSE
 * for a model that predicts the data's ratings, else NDCG@10. */
static int watches(const wr_model *m, const wr_train *t) {
    if (t->loo) return 0;
    if (t->data->label) return 1;
    return t->data->rating && m->vt->predicts && m->vt->predicts(m) == WR_PREDICTS_RATING ? 2 : 0;
}

const char *wr_train_metric(const wr_model *m) {
    static const char *const names[] = {"NDCG@10", "AUC", "-RMSE"};
    return m && m->train ? names[watches(m, m->train)] : "";
}

static int valid_metric(wr_model *m, double *out) {
    wr_train *t = m->train;
    if (t->loo) {
        wr_metrics full = {0}, samp;
        double cov;
        int rc = wr__eval_loo(m, t->data, WR_SPLIT_VALID, 10, t->exclude_seen, 0, 0, &full, &samp, &cov);
        *out = full.users ? full.ndcg / full.users : 0;
        return rc;
    }
    wr_split_metrics r;
    memset(&r, 0, sizeof r);
    int rc = wr__eval_split(m, t->split, WR_PART_VALID, 10, t->exclude_seen, &r);
    if (rc) return rc;
    int w = watches(m, t);
    *out = w == 1 ? r.auc : w == 2 ? -r.rmse : r.rank.users ? r.rank.ndcg / r.rank.users : 0;
    if (*out != *out) *out = 0;
    return WR_OK;
}

int wr_train_begin(wr_model *m, const wr_data *data, const wr_split *split, double *progress) {
    if (!m || !data) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "fit: model and data are required");
    if (split && split->data != data) return wr__err(m->ctx, WR_ERR_ARG, "fit: the split was made for other data");
    wr__model_reset(m);
    wr__vocab_free(&m->items);
    wr__vocab_free(&m->users);
    if (wr__vocab_copy(&m->items, &data->items) < 0) return wr__oom(m->ctx, "copying the item vocabulary");
    if ((m->vt->caps & WR_USES_USERS) && wr__vocab_copy(&m->users, &data->users) < 0) return wr__oom(m->ctx, "copying the user vocabulary");
    wr__vocab_free(&m->features);
    if ((m->vt->caps & WR_USES_FEATURES) && wr__vocab_copy(&m->features, &data->features.values) < 0) return wr__oom(m->ctx, "copying the feature keys");
    int brc = wr__model_take_buckets(m, &data->features);
    if (brc) return brc;
    wr_train *t = wr__calloc(1, sizeof *t);
    if (!t) return wr__oom(m->ctx, "starting training");
    m->train = t;
    t->data = data;
    t->split = split;
    t->loo = split && split->kind == WR_EVAL_LOO;
    int rc = WR_OK;
    /* a split without validation: iterative models that stop early hold some training out */
    if (split && !t->loo && split->n_part[WR_PART_VALID] == 0 && m->vt->train_step && wr__hp_or(m, "patience", 0) > 0) {
        rc = wr__split_hold_out(split, WR_HOLD_OUT_SHARE, &t->held);
        if (rc == WR_ERR_NOMEM) {
            wr__train_free(m);
            return rc;
        }
        if (t->held) t->split = split = t->held;
        rc = WR_OK;
    }
    t->validate = t->loo || (split && split->n_part[WR_PART_VALID] > 0);
    if (t->loo || (!split && !data->label)) { /* views of the data's own arrays */
        if (wr__seqs_from_data(data, t->loo ? 2 : 0, &t->seqs, &t->len) < 0) rc = wr__oom(m->ctx, "preparing training sequences");
    } else if (!(rc = wr__split_train_seqs(data, split, !(m->vt->caps & WR_USES_LABELS), &t->own))) {
        t->seqs = t->own.seqs;
    }
    if (rc) {
        wr__train_free(m);
        return rc;
    }
    if (wr__model_keep_data_info(m, data, &t->seqs)) {
        wr__train_free(m);
        return WR_ERR_NOMEM;
    }
    m->repeat_share = wr__repeat_share(&t->seqs);
    if (m->repeat_share < 0) {
        wr__train_free(m);
        return wr__oom(m->ctx, "counting repeated items");
    }
    /* Validation follows the exclude-seen `auto` rule, as the reports do by default. */
    t->exclude_seen = wr__resolve_seen(m, WR_SEEN_AUTO, -1, NULL, 0);
    wr__rng_seed(&m->rng, m->seed);
    rc = m->vt->fit(m, &t->seqs);
    if (rc) {
        wr__model_reset(m);
        return rc;
    }
    m->fitted = 1;
    if ((rc = start_epochs(m))) {
        wr__model_reset(m);
        return rc;
    }
    fill_progress(m, progress);
    return WR_OK;
}

/* After fit: the epoch budget, and the buffer for the best weights when early stopping. */
static int start_epochs(wr_model *m) {
    wr_train *t = m->train;
    t->epochs = (int)wr__hp_or(m, "epochs", 1);
    t->patience = (int)wr__hp_or(m, "patience", 0);
    t->best_metric = -INFINITY; /* -RMSE is negative */
    t->done = m->vt->train_step == NULL;
    if (!t->done && t->validate && t->patience > 0 && !(t->best = wr__malloc(m->n_params * sizeof *t->best + 1)))
        return wr__oom(m->ctx, "keeping the best weights");
    t->epoch_start_ms = wr__now_ms();
    return WR_OK;
}

/* The training sequences of data in the model's item ids (t->own_*): with loo, each user's
 * leave-one-out training part; events whose item the model does not know are left out. */
static int map_to_model(wr_model *m, wr_train *t) {
    const wr_data *d = t->data;
    int nu = d->users.n;
    int32_t *map = wr__malloc((size_t)d->items.n * sizeof *map + 1);
    t->own_start = wr__malloc(((size_t)nu + 1) * sizeof *t->own_start);
    t->len = wr__calloc((size_t)nu + 1, sizeof *t->len);
    t->own_items = wr__malloc((size_t)d->n_events * sizeof *t->own_items + 1);
    t->own_ts = wr__malloc((size_t)d->n_events * sizeof *t->own_ts + 1);
    if (!map || !t->own_start || !t->len || !t->own_items || !t->own_ts) {
        free(map);
        return wr__oom(m->ctx, "preparing fine-tuning");
    }
    for (int i = 0; i < d->items.n; i++) map[i] = wr__vocab_find(&m->items, d->items.keys[i], strlen(d->items.keys[i]));
    int64_t kept = 0;
    for (int u = 0; u < nu; u++) {
        int64_t b = d->user_start[u], c = d->user_start[u + 1] - b;
        if (t->loo && c >= 3) c -= 2; /* as wr__seqs_from_data */
        t->own_start[u] = kept;
        for (int64_t e = b; e < b + c; e++) {
            if (map[d->seq[e]] < 0) {
                t->unknown_events++;
                continue;
            }
            t->own_items[kept] = map[d->seq[e]];
            t->own_ts[kept++] = d->ts[e];
        }
        t->len[u] = (int32_t)(kept - t->own_start[u]);
    }
    t->own_start[nu] = kept;
    free(map);
    t->seqs = (wr_seqs){.n = nu, .n_items = m->items.n, .start = t->own_start, .len = t->len, .items = t->own_items, .ts = t->own_ts};
    if (kept == 0)
        return wr__err(m->ctx, WR_ERR_ARG, "fine-tuning %s: none of the %lld training events of the data has an item the model knows",
                       m->vt->name, (long long)t->unknown_events);
    return WR_OK;
}

/* What an empty history gets: the counts grow with the new events. */
static void add_counts(wr_model *m, const wr_seqs *seqs) {
    for (int u = 0; m->counts && u < seqs->n; u++)
        for (int e = 0; e < seqs->len[u]; e++) m->counts[seqs->items[seqs->start[u] + e]] += 1.0f;
}

int wr_train_continue(wr_model *m, const wr_data *data, int loo, double *progress) {
    if (!m || !data) return wr__err(m ? m->ctx : NULL, WR_ERR_ARG, "fine-tune: model and data are required");
    if (!m->fitted) return wr__err(m->ctx, WR_ERR_STATE, "%s: fine-tuning needs a trained model (fit it or load a model file first)", m->vt->name);
    if (m->train) return wr__err(m->ctx, WR_ERR_STATE, "%s: training is under way; end it first", m->vt->name);
    if (m->vt->caps & WR_USES_USERS)
        return wr__err(m->ctx, WR_ERR_STATE, "%s scores by user, and fine-tuning cannot map new users yet: refit it on all the data", m->vt->name);
    int knn = m->vt->fit == wr__sknn_vt.fit;
    if (!m->vt->train_step && !knn)
        return wr__err(m->ctx, WR_ERR_STATE, "%s learns in one pass, so it cannot be fine-tuned: refit it on all the data "
                       "(gru4rec, sasrec, bert4rec and the session-kNN models can be)", m->vt->name);
    wr_train *t = wr__calloc(1, sizeof *t);
    if (!t) return wr__oom(m->ctx, "starting fine-tuning");
    t->data = data;
    t->loo = t->validate = loo;
    m->train = t;
    int rc = map_to_model(m, t);
    if (rc == WR_OK && knn) {
        rc = wr__knn_add_sessions(m, &t->seqs); /* the session-kNN models learn by indexing them */
        t->done = 1;
        if (rc == WR_OK) add_counts(m, &t->seqs), fill_progress(m, progress);
        if (rc) wr__train_free(m);
        return rc;
    }
    if (rc) {
        wr__train_free(m);
        return rc;
    }
    /* Neural models: fit builds the training state (buffers, optimiser, sampler over the new
     * data) with fresh weights, which are then replaced by the model's own. The model as it came
     * stays aside until that has worked, so a failure leaves it as it was. */
    wr_model kept = *m;
    m->state = NULL;
    m->params = NULL;
    m->n_params = 0;
    m->fitted = 0;
    wr__rng_seed(&m->rng, m->seed);
    t->exclude_seen = wr__resolve_seen(m, WR_SEEN_AUTO, -1, NULL, 0);
    rc = m->vt->fit(m, &t->seqs);
    if (rc == WR_OK && m->n_params != kept.n_params)
        rc = wr__err(m->ctx, WR_ERR_ARG, "%s: fine-tuning cannot change the model's shape (dim, blocks, max_len ...)", m->vt->name);
    if (rc == WR_OK) {
        memcpy(m->params, kept.params, kept.n_params * sizeof *m->params);
        m->params_version++;
        m->fitted = 1;
        rc = start_epochs(m);
    }
    if (rc == WR_OK && t->best) {
        /* the model as it came is epoch 0: fine-tuning keeps it unless an epoch beats it */
        rc = valid_metric(m, &t->valid_metric);
        t->best_metric = t->valid_metric;
        memcpy(t->best, kept.params, kept.n_params * sizeof *kept.params);
        t->have_best = 1;
    }
    /* free the state that lost: the new one on failure, else the one kept aside */
    wr_model loser = rc == WR_OK ? kept : *m;
    loser.train = NULL;
    if (loser.state) m->vt->free_state(&loser);
    if (rc) {
        m->state = kept.state;
        m->params = kept.params;
        m->n_params = kept.n_params;
        m->fitted = kept.fitted;
        m->rng = kept.rng;
        wr__train_free(m);
        return rc;
    }
    add_counts(m, &t->seqs);
    fill_progress(m, progress);
    return WR_OK;
}

/* Weights that overflowed while the loss stayed finite (a row the later steps do not read):
 * training has diverged as surely as with a NaN loss, and such a model would save a file that
 * its loader refuses. */
static int check_weights(wr_model *m) {
    for (size_t i = 0; m->params && i < m->n_params; i++)
        if (!isfinite(m->params[i])) {
            m->fitted = 0; /* a diverged model refuses to score */
            return wr__err(m->ctx, WR_ERR_NAN, "%s: the weights became non-finite in epoch %d (weight %zu is %s); lower lr or clip gradients",
                           m->vt->name, m->train ? m->train->epoch + 1 : 0, i, m->params[i] != m->params[i] ? "NaN" : "infinite");
        }
    return WR_OK;
}

/* End of an epoch: validation, best weights, stopping. */
static int end_epoch(wr_model *m) {
    wr_train *t = m->train;
    int bad = check_weights(m);
    if (bad) return bad;
    double secs = (wr__now_ms() - t->epoch_start_ms) / 1000.0;
    t->pos_per_s = secs > 0 ? t->epoch_positions / secs : 0;
    t->last_loss = t->epoch_steps ? t->loss_sum / t->epoch_steps : 0;
    t->epoch++;
    if (t->best) {
        int rc = valid_metric(m, &t->valid_metric);
        if (rc) return rc;
        if (t->valid_metric > t->best_metric) {
            t->best_metric = t->valid_metric;
            t->best_epoch = t->epoch;
            t->have_best = 1;
            t->bad_epochs = 0;
            memcpy(t->best, m->params, m->n_params * sizeof *t->best);
        } else if (++t->bad_epochs >= t->patience) {
            t->done = 1;
        }
    }
    if (t->epoch >= t->epochs) t->done = 1;
    if (t->done && t->have_best) memcpy(m->params, t->best, m->n_params * sizeof *t->best), m->params_version++;
    t->loss_sum = 0;
    t->epoch_steps = 0;
    t->epoch_positions = 0;
    t->epoch_start_ms = wr__now_ms();
    return WR_OK;
}

int wr_train_steps(wr_model *m, int max_steps, double *progress) {
    if (!m) return WR_ERR_ARG;
    if (!m->train) return wr__err(m->ctx, WR_ERR_STATE, "%s: no training under way (call wr_train_begin first)", m->vt->name);
    wr_train *t = m->train;
    for (int s = 0; s < max_steps && !t->done; s++) {
        double loss = 0;
        int64_t positions = 0;
        int epoch_end = 0;
        int rc = m->vt->train_step(m, &t->seqs, &loss, &positions, &epoch_end);
        m->params_version++;
        if (rc == WR_OK && !isfinite(loss)) {
            m->fitted = 0; /* a diverged model refuses to score */
            rc = wr__err(m->ctx, WR_ERR_NAN, "%s: the training loss became %s at epoch %d, step %lld; lower lr or clip gradients",
                         m->vt->name, loss != loss ? "NaN" : "infinite", t->epoch + 1, (long long)t->epoch_steps + 1);
        }
        if (rc) {
            fill_progress(m, progress);
            return rc;
        }
        t->loss_sum += loss;
        t->epoch_steps++;
        t->epoch_positions += positions;
        t->last_loss = t->loss_sum / t->epoch_steps;
        if (epoch_end) {
            if ((rc = end_epoch(m))) return rc;
            break; /* return at every epoch end, so the caller sees each epoch */
        }
    }
    fill_progress(m, progress);
    return WR_OK;
}

int wr_train_end(wr_model *m) {
    if (!m) return WR_ERR_ARG;
    wr_train *t = m->train;
    /* Stopped early by the caller: keep the best weights seen, if any. */
    if (t && !t->done && t->have_best) memcpy(m->params, t->best, m->n_params * sizeof *t->best), m->params_version++;
    int rc = t && m->fitted ? check_weights(m) : WR_OK; /* stopped in the middle of an epoch */
    wr__train_free(m);
    return rc;
}

static int fit_all(wr_model *m, const wr_data *data, int loo) {
    double p[WR_PROGRESS_N];
    wr_split *split = NULL;
    int rc = loo ? wr_split_new(data, "loo", NULL, 0, &split) : WR_OK;
    if (rc == WR_OK) rc = wr_train_begin(m, data, split, p);
    while (rc == WR_OK && !p[WR_PROGRESS_DONE]) rc = wr_train_steps(m, 1 << 30, p);
    wr_train_end(m);
    wr_split_free(split);
    return rc;
}

int wr_model_fit(wr_model *m, const wr_data *data) { return fit_all(m, data, 0); }
int wr_model_fit_loo(wr_model *m, const wr_data *data) { return fit_all(m, data, 1); }
