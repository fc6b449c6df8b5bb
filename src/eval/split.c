/* split.c: building the protocols' parts (see split.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "split.h"

static const char *const kinds[] = {"loo", "random", "temporal", "cold-users", "cold-items"};

const char *wr__split_name(int kind) { return kind >= 0 && kind < 5 ? kinds[kind] : "?"; }

static uint64_t below(wr_rng *r, uint64_t n) { return n <= UINT32_MAX ? wr__rng_below(r, (uint32_t)n) : wr__rng_u64(r) % n; }

/* The first frac[0] of order (n units) become train, the next frac[1] valid, the rest test. */
static void cut(const int64_t *order, int64_t n, const double *frac, uint8_t *unit_part) {
    int64_t a = (int64_t)(frac[0] * (double)n + 0.5), b = (int64_t)((frac[0] + frac[1]) * (double)n + 0.5);
    for (int64_t i = 0; i < n; i++) unit_part[order[i]] = i < a ? WR_PART_TRAIN : i < b ? WR_PART_VALID : WR_PART_TEST;
}

static void shuffle(int64_t *order, int64_t n, uint64_t seed) {
    wr_rng r;
    wr__rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) order[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)below(&r, (uint64_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static int cmp_time(const void *a, const void *b, void *arg) {
    const int64_t *ts = arg, x = *(const int64_t *)a, y = *(const int64_t *)b;
    return ts[x] < ts[y] ? -1 : ts[x] > ts[y];
}

static int parse_fractions(wr_ctx *ctx, const char *text, double *frac) {
    frac[0] = 0.8, frac[1] = 0.1, frac[2] = 0.1;
    if (!text || !*text) return WR_OK;
    char *end;
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        frac[i] = strtod(p, &end);
        if (end == p || !(frac[i] >= 0 && frac[i] <= 1) || (i < 2 && *end != ',') || (i == 2 && *end))
            return wr__err(ctx, WR_ERR_ARG, "--split \"%.60s\": expected three fractions train,valid,test like 0.8,0.1,0.1", text);
        p = end + 1;
    }
    double sum = frac[0] + frac[1] + frac[2];
    if (sum < 0.999 || sum > 1.001 || frac[0] <= 0 || frac[2] <= 0)
        return wr__err(ctx, WR_ERR_ARG, "--split \"%.60s\": the fractions must add up to 1, with a training and a test part (they add up to %g)", text, sum);
    return WR_OK;
}

int wr_split_new(const wr_data *d, const char *protocol, const char *fractions, uint64_t seed, wr_split **out) {
    if (!out) return WR_ERR_ARG;
    *out = NULL;
    if (!d) return WR_ERR_ARG;
    int kind = -1;
    for (int i = 0; i < 5; i++)
        if (protocol && !strcmp(protocol, kinds[i])) kind = i;
    if (kind < 0)
        return wr__err(d->ctx, WR_ERR_ARG, "unknown evaluation protocol \"%.40s\"; the protocols are loo, random, temporal, cold-users, cold-items", protocol ? protocol : "");
    wr_split *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(d->ctx, "splitting the data");
    s->data = d, s->kind = kind, s->seed = seed;
    int rc = parse_fractions(d->ctx, fractions, s->frac);
    if (rc == WR_OK && kind == WR_EVAL_LOO && fractions && *fractions)
        rc = wr__err(d->ctx, WR_ERR_ARG, "--split is for random, temporal, cold-users and cold-items; loo holds out each user's last two events");
    if (rc == WR_OK && kind == WR_EVAL_LOO && d->label)
        rc = wr__err(d->ctx, WR_ERR_ARG, "labelled data (--label %s) is evaluated on held-out events: use --eval random, temporal, cold-users or cold-items", d->label_expr);
    if (rc || kind == WR_EVAL_LOO) {
        if (rc) free(s);
        else *out = s;
        return rc;
    }
    int64_t n = d->n_events, units = kind == WR_EVAL_COLD_USERS ? d->users.n : kind == WR_EVAL_COLD_ITEMS ? d->items.n : n;
    int64_t *order = wr__malloc((size_t)units * sizeof *order + 1);
    uint8_t *unit_part = kind >= WR_EVAL_COLD_USERS ? wr__malloc((size_t)units + 1) : NULL;
    s->part = wr__malloc((size_t)n + 1);
    if (!order || !s->part || (kind >= WR_EVAL_COLD_USERS && !unit_part)) {
        free(order), free(unit_part), free(s->part), free(s);
        return wr__oom(d->ctx, "splitting the data");
    }
    if (kind == WR_EVAL_TEMPORAL) { /* events by time; ties keep user order */
        for (int64_t i = 0; i < n; i++) order[i] = i;
        if (wr__sort_stable(order, (size_t)n, sizeof *order, cmp_time, d->ts) < 0) rc = wr__oom(d->ctx, "splitting the data");
    } else {
        shuffle(order, units, seed);
    }
    if (rc == WR_OK) cut(order, units, s->frac, unit_part ? unit_part : s->part);
    for (int u = 0; rc == WR_OK && unit_part && u < d->users.n; u++)
        for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++)
            s->part[e] = unit_part[kind == WR_EVAL_COLD_USERS ? u : d->seq[e]];
    for (int64_t e = 0; rc == WR_OK && e < n; e++) s->n_part[s->part[e]]++;
    free(order);
    free(unit_part);
    if (rc == WR_OK && !s->n_part[WR_PART_TRAIN]) rc = wr__err(d->ctx, WR_ERR_ARG, "%s split: no training events", kinds[kind]);
    if (rc == WR_OK && !s->n_part[WR_PART_TEST]) rc = wr__err(d->ctx, WR_ERR_ARG, "%s split: no test events (the data has %lld)", kinds[kind], (long long)n);
    if (rc) {
        wr_split_free(s);
        return rc;
    }
    *out = s;
    return WR_OK;
}

int wr__split_hold_out(const wr_split *s, double share, wr_split **out) {
    const wr_data *d = s->data;
    *out = NULL;
    wr_split *h = wr__calloc(1, sizeof *h);
    int64_t n = d->n_events, units = s->kind == WR_EVAL_COLD_USERS ? d->users.n : s->kind == WR_EVAL_COLD_ITEMS ? d->items.n : n;
    int64_t *order = wr__malloc((size_t)units * sizeof *order + 1);
    uint8_t *train_unit = wr__calloc((size_t)units + 1, 1);
    if (h) h->part = wr__malloc((size_t)n + 1);
    if (!h || !h->part || !order || !train_unit) {
        free(order), free(train_unit);
        wr_split_free(h);
        return wr__oom(d->ctx, "holding out validation events");
    }
    *h = (wr_split){.data = d, .kind = s->kind, .frac = {s->frac[0], 0, s->frac[2]}, .seed = s->seed, .part = h->part};
    memcpy(h->part, s->part, (size_t)n);
    /* the training units: events, or the users or items whose events are all training ones */
    for (int u = 0; u < d->users.n; u++)
        for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++)
            if (s->part[e] == WR_PART_TRAIN) train_unit[s->kind == WR_EVAL_COLD_USERS ? u : s->kind == WR_EVAL_COLD_ITEMS ? d->seq[e] : e] = 1;
    int rc = WR_OK;
    int64_t m = 0;
    if (s->kind == WR_EVAL_TEMPORAL) { /* the latest training events */
        for (int64_t e = 0; e < n; e++) order[e] = e;
        if (wr__sort_stable(order, (size_t)n, sizeof *order, cmp_time, d->ts) < 0) rc = wr__oom(d->ctx, "holding out validation events");
        for (int64_t i = n - 1; rc == WR_OK && i >= 0; i--)
            if (train_unit[order[i]]) order[m++] = order[i];
    } else {
        shuffle(order, units, s->seed ^ 0x5eed5eedULL);
        for (int64_t i = 0; i < units; i++)
            if (train_unit[order[i]]) order[m++] = order[i];
    }
    int64_t take = (int64_t)(share * (double)m + 0.5);
    memset(train_unit, 0, (size_t)units);
    for (int64_t i = 0; rc == WR_OK && i < take; i++) train_unit[order[i]] = 1; /* now: held out */
    for (int u = 0; rc == WR_OK && u < d->users.n; u++)
        for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++)
            if (h->part[e] == WR_PART_TRAIN && train_unit[s->kind == WR_EVAL_COLD_USERS ? u : s->kind == WR_EVAL_COLD_ITEMS ? d->seq[e] : e])
                h->part[e] = WR_PART_VALID;
    for (int64_t e = 0; e < n; e++) h->n_part[h->part[e]]++;
    free(order), free(train_unit);
    if (rc == WR_OK && (!h->n_part[WR_PART_VALID] || !h->n_part[WR_PART_TRAIN])) rc = WR_ERR_ARG; /* too small to hold any out */
    if (rc) {
        wr_split_free(h);
        return rc;
    }
    *out = h;
    return WR_OK;
}

void wr_split_free(wr_split *s) {
    if (!s) return;
    free(s->part);
    free(s);
}

void wr__own_seqs_free(wr_own_seqs *s) {
    free(s->start), free(s->ts), free(s->len), free(s->items), free(s->rating), free(s->label), free(s->ctx_row);
    memset(s, 0, sizeof *s);
}

int wr__split_train_seqs(const wr_data *d, const wr_split *split, int positives_only, wr_own_seqs *o) {
    memset(o, 0, sizeof *o);
    int nu = d->users.n;
    int64_t n = d->n_events;
    o->start = wr__malloc(((size_t)nu + 1) * sizeof *o->start);
    o->len = wr__malloc(((size_t)nu + 1) * sizeof *o->len);
    o->items = wr__malloc((size_t)n * sizeof *o->items + 1);
    o->ts = wr__malloc((size_t)n * sizeof *o->ts + 1);
    if (d->rating) o->rating = wr__malloc((size_t)n * sizeof *o->rating + 1);
    if (d->label) o->label = wr__malloc((size_t)n + 1);
    int ctx = d->ctx_row && d->features.start[2];
    if (ctx) o->ctx_row = wr__malloc((size_t)n * sizeof *o->ctx_row + 1);
    if (!o->start || !o->len || !o->items || !o->ts || (d->rating && !o->rating) || (d->label && !o->label) || (ctx && !o->ctx_row)) {
        wr__own_seqs_free(o);
        return wr__oom(d->ctx, "preparing training sequences");
    }
    int64_t kept = 0;
    for (int u = 0; u < nu; u++) {
        o->start[u] = kept;
        for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++) {
            if (split && split->part && split->part[e] != WR_PART_TRAIN) continue;
            if (positives_only && d->label && !d->label[e]) continue;
            o->items[kept] = d->seq[e], o->ts[kept] = d->ts[e];
            if (o->rating) o->rating[kept] = d->rating[e];
            if (o->label) o->label[kept] = d->label[e];
            if (o->ctx_row) o->ctx_row[kept] = d->ctx_row[e];
            kept++;
        }
        o->len[u] = (int32_t)(kept - o->start[u]);
    }
    o->start[nu] = kept;
    o->seqs = (wr_seqs){.n = nu, .n_items = d->items.n, .start = o->start, .len = o->len, .items = o->items, .ts = o->ts, .rating = o->rating, .label = o->label,
                       .ctx_row = o->ctx_row, .features = d->features.n_fields ? &d->features : NULL};
    return WR_OK;
}
