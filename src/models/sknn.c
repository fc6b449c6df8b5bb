/* sknn.c: the session-kNN family: sknn, vsknn, stan, vstan (Ludewig, Mauro, Latifi & Jannach,
 * UMUAI 2021; Garg et al., SIGIR 2019). All four share one index:
 *   - past sessions, each as its distinct items in order of last occurrence, ordered by time
 *     (so a higher session index is a more recent session);
 *   - an inverted index item -> sessions containing it, oldest first.
 * Scoring the current session S (length L, items s_1..s_L, s_L the latest):
 *   1. candidates: the `sample_size` most recent sessions sharing an item with S;
 *   2. similarity sim(S, N) of each candidate, per model (below); the `k` most similar are kept;
 *   3. score(i) = sum over neighbours N containing i of sim(S, N) * w(i, N), per model.
 * Per model (|S|, |N| = distinct items; p(i) = position of i in S, 1 = oldest; step(N) = 1 + how
 * far back in S the most recent item shared with N is; q = positions inside N, q* = the
 * position in N of that shared item; idf(i) = log(sessions / sessions containing i)):
 *   sknn:  sim = |S n N| / sqrt(|S||N|)                          w = 1
 *   vsknn: sim = sum_{i in S n N} a(p(i)) idf(i)^[idf] / |S|     w = b(step(N))
 *          a = linear recency max(0, 1 - 0.1 (L - p)), b = 1 / step ("div")
 *   stan:  sim = sum_{i in S n N} exp((p(i) - L) / lambda_spw) / sqrt(|S||N|)
 *                * exp(-(t_now - t_N) / lambda_snh)                w = exp(-|q - q*| / lambda_inh)
 *   vstan: stan's sim with each shared item also weighted by 1 + lambda_idf idf(i);
 *          w = stan's w * exp(-(step(N) - 1) / lambda_ipw) * (1 + lambda_idf idf(i))
 * t_N is the time of N's last event and t_now the latest time in the index (the current session
 * happens now). Items with equal scores are ordered by their popularity in training, the more
 * popular first (wr__break_ties in sparse.c: an equal, more popular item gets up to half the way
 * to the next larger score; unequal scores keep their order), and items no neighbour contains are
 * ranked by popularity below every scored item. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "sparse.h" /* wr__break_ties */

enum { SKNN, VSKNN, STAN, VSTAN };

#define COMMON_PARAMS                                                                              \
    {"k", WR_PARAM_INT, 100, 1, 100000, NULL, "neighbour sessions that vote"},                    \
    {"sample_size", WR_PARAM_INT, 1000, 1, 10000000, NULL, "most recent sessions sharing an item that are compared"}

static const wr_param_def sknn_params[] = {COMMON_PARAMS};
static const wr_param_def vsknn_params[] = {
    COMMON_PARAMS,
    {"idf", WR_PARAM_INT, 1, 0, 1, NULL, "weight shared items by their IDF (1) or not (0)"},
};
#define STAN_PARAMS                                                                                \
    COMMON_PARAMS,                                                                                 \
    {"lambda_spw", WR_PARAM_FLOAT, 1.02, 1e-6, 1e9, NULL, "decay over positions in the current session"}, \
    {"lambda_snh", WR_PARAM_FLOAT, 5 * 86400, 1e-6, 1e18, NULL, "decay over neighbour age, in timestamp units (seconds)"}, \
    {"lambda_inh", WR_PARAM_FLOAT, 2.05, 1e-6, 1e9, NULL, "decay over distance from the shared item inside a neighbour"}
static const wr_param_def stan_params[] = {STAN_PARAMS};
static const wr_param_def vstan_params[] = {
    STAN_PARAMS,
    {"lambda_ipw", WR_PARAM_FLOAT, 1.02, 1e-6, 1e9, NULL, "decay over how far back the shared item is in the current session"},
    {"lambda_idf", WR_PARAM_FLOAT, 1, 0, 1e9, NULL, "weight of IDF on shared and scored items (0 = none)"},
};

typedef struct {
    int32_t sess;
    float sim;
} neighbour;

typedef struct {
    int kind;
    /* sessions: distinct items of session s are items[ptr[s] .. ptr[s+1]) */
    int n_sessions, cap_sessions;
    int32_t *ptr;
    int32_t *items;
    int64_t cap_items;
    int64_t *time;
    /* inverted index: post[i][0 .. post_len[i]) are the sessions containing item i, oldest first */
    int n_items;
    int32_t **post, *post_len, *post_cap;
    float *pop;
    float *idf;
    int idf_stale;
    /* scratch for one query */
    float *scores, *sweight;
    int32_t *spos, *item_stamp, *sess_stamp;
    int32_t stamp;
    int32_t *cand;     /* (cap_sessions) candidate sessions of a query */
    int32_t *heads, *lists; /* (n_items) merge cursors over the query's posting lists */
    neighbour *nb;     /* (cap_sessions) their similarities */
    wr_scored *voted;  /* (2 n_items) the items the neighbours voted for, for wr__break_ties */
} knn_state;

static void knn_free(wr_model *m) {
    knn_state *s = m->state;
    for (int i = 0; s->post && i < s->n_items; i++) free(s->post[i]);
    free(s->post);
    free(s->post_len);
    free(s->post_cap);
    free(s->ptr);
    free(s->items);
    free(s->time);
    free(s->pop);
    free(s->idf);
    free(s->scores);
    free(s->sweight);
    free(s->spos);
    free(s->item_stamp);
    free(s->sess_stamp);
    free(s->cand);
    free(s->heads);
    free(s->lists);
    free(s->nb);
    free(s->voted);
    free(s);
}

static int kind_of(const wr_model *m) {
    const char *n = m->vt->name;
    return !strcmp(n, "sknn") ? SKNN : !strcmp(n, "vsknn") ? VSKNN : !strcmp(n, "stan") ? STAN : VSTAN;
}

/* Allocates an empty index for n items. */
static int knn_alloc(wr_model *m, int n) {
    knn_state *s = wr__calloc(1, sizeof *s);
    if (!s) return wr__oom(m->ctx, "creating a session-kNN index");
    m->state = s;
    s->kind = kind_of(m);
    s->n_items = n;
    s->post = wr__calloc((size_t)n + 1, sizeof *s->post);
    s->post_len = wr__calloc((size_t)n + 1, sizeof *s->post_len);
    s->post_cap = wr__calloc((size_t)n + 1, sizeof *s->post_cap);
    s->pop = wr__calloc((size_t)n + 1, sizeof *s->pop);
    s->idf = wr__calloc((size_t)n + 1, sizeof *s->idf);
    s->scores = wr__calloc((size_t)n + 1, sizeof *s->scores);
    s->sweight = wr__calloc((size_t)n + 1, sizeof *s->sweight);
    s->spos = wr__calloc((size_t)n + 1, sizeof *s->spos);
    s->item_stamp = wr__calloc((size_t)n + 1, sizeof *s->item_stamp);
    s->heads = wr__calloc((size_t)n + 1, sizeof *s->heads);
    s->lists = wr__calloc((size_t)n + 1, sizeof *s->lists);
    s->voted = wr__calloc(2 * (size_t)n + 1, sizeof *s->voted);
    s->ptr = wr__calloc(1, sizeof *s->ptr);
    s->idf_stale = 1;
    if (!s->post || !s->post_len || !s->post_cap || !s->pop || !s->idf || !s->scores || !s->sweight || !s->spos ||
        !s->item_stamp || !s->heads || !s->lists || !s->voted || !s->ptr)
        return wr__oom(m->ctx, "creating a session-kNN index");
    return WR_OK;
}

/* A fresh marker for the stamp arrays (which mark "in this query / this session" without
 * clearing); on wrap-around they are cleared once. */
static int32_t next_stamp(knn_state *s) {
    if (s->stamp == INT32_MAX) {
        memset(s->item_stamp, 0, (size_t)s->n_items * sizeof *s->item_stamp);
        if (s->sess_stamp) memset(s->sess_stamp, 0, (size_t)s->cap_sessions * sizeof *s->sess_stamp);
        s->stamp = 0;
    }
    return ++s->stamp;
}

/* Appends one session (distinct items, in order of last occurrence) at time t. */
static int knn_append(wr_model *m, const int32_t *seq, int len, int64_t t) {
    knn_state *s = m->state;
    if (s->n_sessions == INT32_MAX - 1 || (int64_t)s->ptr[s->n_sessions] + len > INT32_MAX)
        return wr__err(m->ctx, WR_ERR_ARG, "session-kNN index is full (2^31 events)");
    if (s->n_sessions + 1 >= s->cap_sessions) {
        int cap = s->cap_sessions ? s->cap_sessions * 2 : 1024;
        int32_t *ptr = wr__realloc_array(s->ptr, (size_t)cap + 1, sizeof *ptr);
        if (ptr) s->ptr = ptr;
        int64_t *time = wr__realloc_array(s->time, (size_t)cap, sizeof *time);
        if (time) s->time = time;
        int32_t *stamp = wr__realloc_array(s->sess_stamp, (size_t)cap, sizeof *stamp);
        if (stamp) {
            memset(stamp + s->cap_sessions, 0, (size_t)(cap - s->cap_sessions) * sizeof *stamp);
            s->sess_stamp = stamp;
        }
        int32_t *cand = wr__realloc_array(s->cand, (size_t)cap, sizeof *cand);
        if (cand) s->cand = cand;
        neighbour *nb = wr__realloc_array(s->nb, (size_t)cap, sizeof *nb);
        if (nb) s->nb = nb;
        if (!ptr || !time || !stamp || !cand || !nb) return wr__oom(m->ctx, "growing the session-kNN index");
        s->cap_sessions = cap;
    }
    int64_t need = (int64_t)s->ptr[s->n_sessions] + len;
    if (need > s->cap_items) {
        int64_t cap = s->cap_items ? s->cap_items : 4096;
        while (cap < need) cap *= 2;
        int32_t *items = wr__realloc_array(s->items, (size_t)cap, sizeof *items);
        if (!items) return wr__oom(m->ctx, "growing the session-kNN index");
        s->items = items;
        s->cap_items = cap;
    }
    /* distinct items, keeping each at its last occurrence */
    int32_t id = s->n_sessions, base = s->ptr[id], n = 0;
    int32_t stamp = next_stamp(s);
    for (int t2 = len - 1; t2 >= 0; t2--) {
        int32_t it = seq[t2];
        if (s->item_stamp[it] == stamp) continue;
        s->item_stamp[it] = stamp;
        s->items[base + n++] = it;
    }
    for (int a = 0, b = n - 1; a < b; a++, b--) {
        int32_t x = s->items[base + a];
        s->items[base + a] = s->items[base + b];
        s->items[base + b] = x;
    }
    for (int j = 0; j < n; j++) {
        int32_t it = s->items[base + j];
        if (s->post_len[it] == s->post_cap[it]) {
            int cap = s->post_cap[it] ? s->post_cap[it] * 2 : 4;
            int32_t *p = wr__realloc_array(s->post[it], (size_t)cap, sizeof *p);
            if (!p) return wr__oom(m->ctx, "growing the session-kNN index");
            s->post[it] = p;
            s->post_cap[it] = cap;
        }
        s->post[it][s->post_len[it]++] = id;
    }
    for (int t2 = 0; t2 < len; t2++) s->pop[seq[t2]] += 1.0f;
    s->ptr[id + 1] = base + n;
    s->time[id] = t;
    s->n_sessions++;
    s->idf_stale = 1;
    return WR_OK;
}

typedef struct {
    int32_t u;
    int64_t t;
} by_time;

static int cmp_time(const void *a, const void *b, void *arg) {
    const by_time *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* The non-empty sequences of seqs ordered by the time of their last event (stable), so that
 * sessions enter an index in recency order; NULL on OOM. */
static by_time *by_last_event(const wr_seqs *seqs, int *n) {
    by_time *order = wr__malloc((size_t)seqs->n * sizeof *order + 1);
    if (!order) return NULL;
    *n = 0;
    for (int u = 0; u < seqs->n; u++)
        if (seqs->len[u] > 0) order[*n].u = u, order[(*n)++].t = seqs->ts[seqs->start[u] + seqs->len[u] - 1];
    if (wr__sort_stable(order, (size_t)*n, sizeof *order, cmp_time, NULL) < 0) {
        free(order);
        return NULL;
    }
    return order;
}

static int knn_fit(wr_model *m, const wr_seqs *train) {
    int rc = knn_alloc(m, train->n_items), n;
    if (rc) return rc;
    by_time *order = by_last_event(train, &n);
    if (!order) return wr__oom(m->ctx, "fitting a session-kNN index");
    for (int i = 0; rc == WR_OK && i < n; i++) {
        int u = order[i].u;
        rc = knn_append(m, train->items + train->start[u], train->len[u], order[i].t);
    }
    free(order);
    return rc;
}

static void refresh_idf(knn_state *s) {
    if (!s->idf_stale) return;
    for (int i = 0; i < s->n_items; i++)
        s->idf[i] = s->post_len[i] ? (float)wr__log((double)s->n_sessions / s->post_len[i]) : 0.0f;
    s->idf_stale = 0;
}

static int cmp_neighbour(const void *a, const void *b, void *arg) {
    const neighbour *x = a, *y = b;
    if (x->sim != y->sim) return x->sim > y->sim ? -1 : 1;
    return x->sess > y->sess ? -1 : x->sess < y->sess; /* ties: the more recent session */
}

static int knn_score(wr_model *m, const wr_query *q, float *scores) {
    const int *history = q->items, len = q->len;
    knn_state *s = m->state;
    int n = s->n_items, K = (int)wr__hp(m, "k"), M = (int)wr__hp(m, "sample_size");
    int kind = s->kind;
    memset(s->scores, 0, (size_t)n * sizeof *s->scores);
    if (len > 0 && s->n_sessions > 0) {
        if (kind == VSKNN || kind == VSTAN) refresh_idf(s);
        double lambda_spw = kind >= STAN ? wr__hp(m, "lambda_spw") : 1, lambda_snh = kind >= STAN ? wr__hp(m, "lambda_snh") : 1,
               lambda_inh = kind >= STAN ? wr__hp(m, "lambda_inh") : 1, lambda_ipw = kind == VSTAN ? wr__hp(m, "lambda_ipw") : 1,
               lambda_idf = kind == VSTAN ? wr__hp(m, "lambda_idf") : 0;
        int use_idf = kind == VSKNN && wr__hp(m, "idf") != 0;
        /* The current session: each distinct item's latest position p (1-based) and weight. */
        int32_t qstamp = next_stamp(s), distinct = 0;
        for (int p = 1; p <= len; p++) {
            int it = history[p - 1];
            if (s->item_stamp[it] != qstamp) distinct++;
            s->item_stamp[it] = qstamp;
            s->spos[it] = p;
        }
        for (int p = 1; p <= len; p++) {
            int it = history[p - 1];
            if (s->spos[it] != p) continue;
            float w = 1.0f;
            if (kind == VSKNN) {
                w = 1.0f - 0.1f * (float)(len - p);
                if (w < 0) w = 0;
                if (use_idf) w *= s->idf[it];
            } else if (kind >= STAN) {
                w = wr_expf((float)((p - len) / lambda_spw));
                if (kind == VSTAN) w *= 1.0f + (float)lambda_idf * s->idf[it];
            }
            s->sweight[it] = w;
        }
        /* 1. candidates: the M most recent sessions sharing an item. Posting lists are oldest
         *    first, so walking them from their ends and always taking the highest session index
         *    (a merge of at most L lists) yields sessions newest first: stop after M. */
        int nl = 0, nc = 0;
        int32_t *heads = s->heads, *lists = s->lists;
        for (int p = 1; p <= len; p++) {
            int it = history[p - 1];
            if (s->spos[it] != p || s->post_len[it] == 0) continue;
            lists[nl] = it;
            heads[nl++] = s->post_len[it] - 1;
        }
        while (nc < M) {
            int best = -1;
            for (int l = 0; l < nl; l++)
                if (heads[l] >= 0 && (best < 0 || s->post[lists[l]][heads[l]] > s->post[lists[best]][heads[best]])) best = l;
            if (best < 0) break;
            int32_t u = s->post[lists[best]][heads[best]--];
            if (s->sess_stamp[u] == qstamp) continue;
            s->sess_stamp[u] = qstamp;
            s->cand[nc++] = u;
        }
        /* 2. similarities */
        int64_t t_now = s->time[s->n_sessions - 1];
        neighbour *nb = s->nb;
        int nn = 0;
        for (int c = 0; c < nc; c++) {
            int32_t u = s->cand[c], b = s->ptr[u], e = s->ptr[u + 1];
            float acc = 0.0f;
            for (int32_t q = b; q < e; q++) {
                int it = s->items[q];
                if (s->item_stamp[it] == qstamp) acc += kind == SKNN ? 1.0f : s->sweight[it];
            }
            if (acc <= 0.0f) continue;
            float sim;
            if (kind == VSKNN) sim = acc / (float)distinct;
            else sim = acc / sqrtf((float)distinct * (float)(e - b));
            /* the age in double: timestamps near the int64 limits would overflow a difference */
            if (kind >= STAN) sim *= wr_expf((float)(-((double)t_now - (double)s->time[u]) / lambda_snh));
            if (!(sim > 0.0f)) continue;
            nb[nn].sess = u;
            nb[nn++].sim = sim;
        }
        if (wr__sort_stable(nb, (size_t)nn, sizeof *nb, cmp_neighbour, NULL) < 0) return wr__oom(m->ctx, "scoring");
        if (nn > K) nn = K;
        /* 3. votes */
        for (int c = 0; c < nn; c++) {
            int32_t u = nb[c].sess, b = s->ptr[u], e = s->ptr[u + 1];
            float vote = nb[c].sim;
            int32_t qstar = -1;
            int step = 1;
            if (kind != SKNN) {
                /* the most recent item of S that N contains: its step back in S, position in N */
                for (int p = len; p >= 1 && qstar < 0; p--, step++) {
                    int it = history[p - 1];
                    for (int32_t q = b; q < e; q++)
                        if (s->items[q] == it) {
                            qstar = q - b;
                            break;
                        }
                    if (qstar >= 0) break;
                }
                if (kind == VSKNN) vote /= (float)step;
                if (kind == VSTAN) vote *= wr_expf((float)(-(double)(step - 1) / lambda_ipw));
            }
            for (int32_t q = b; q < e; q++) {
                int it = s->items[q];
                float w = vote;
                if (kind >= STAN) {
                    int d = q - b - qstar;
                    w *= wr_expf((float)(-(double)(d < 0 ? -d : d) / lambda_inh));
                    if (kind == VSTAN) w *= 1.0f + (float)lambda_idf * s->idf[it];
                }
                s->scores[it] += w;
            }
        }
        for (int p = 1; p <= len; p++) s->sweight[history[p - 1]] = 0;
    }
    /* Unscored items: popularity, scaled below the smallest vote. Equal votes: popularity too
     * (wr__break_ties, which only raises them, so the fallback stays below). */
    float minpos = 1.0f, maxpop = 0.0f;
    int nv = 0;
    for (int i = 0; i < n; i++) {
        if (s->scores[i] > 0) {
            if (s->scores[i] < minpos) minpos = s->scores[i];
            s->voted[nv].v = s->scores[i];
            s->voted[nv++].item = i;
        }
        if (s->pop[i] > maxpop) maxpop = s->pop[i];
    }
    float scale = 0.5f * minpos / (maxpop + 1.0f);
    for (int i = 0; i < n; i++) scores[i] = s->scores[i] > 0 ? s->scores[i] : s->pop[i] * scale;
    wr__break_ties(s->voted, nv, s->pop, maxpop, scores);
    return WR_OK;
}

int wr__knn_add_session(wr_model *m, const int *items, int len) {
    knn_state *s = m->state;
    if (len == 0) return WR_OK; /* as in fit: an empty session is no session (idf, t_now) */
    int64_t last = s->n_sessions ? s->time[s->n_sessions - 1] : -1;
    int64_t t = last < INT64_MAX ? last + 1 : last; /* after the latest session, without overflow */
    int rc = knn_append(m, (const int32_t *)items, len, t);
    if (rc) return rc;
    return WR_OK;
}

int wr__knn_add_sessions(wr_model *m, const wr_seqs *seqs) {
    int n, rc = WR_OK;
    by_time *order = by_last_event(seqs, &n);
    if (!order) return wr__oom(m->ctx, "adding sessions to a session-kNN index");
    for (int i = 0; rc == WR_OK && i < n; i++)
        rc = wr__knn_add_session(m, (const int *)seqs->items + seqs->start[order[i].u], seqs->len[order[i].u]);
    free(order);
    return rc;
}

static int knn_save(wr_model *m, wr_st_file *f) {
    knn_state *s = m->state;
    int64_t np[1] = {s->n_sessions + 1}, ni[1] = {s->ptr[s->n_sessions]}, ns[1] = {s->n_sessions}, nit[1] = {s->n_items};
    int bad = wr__st_add(f, "knn.session_ptr", WR_DT_I32, 1, np, s->ptr) | wr__st_add(f, "knn.session_items", WR_DT_I32, 1, ni, s->items) |
              wr__st_add(f, "knn.session_time", WR_DT_I64, 1, ns, s->time) | wr__st_add(f, "knn.pop", WR_DT_F32, 1, nit, s->pop);
    return bad ? wr__oom(m->ctx, "saving a session-kNN model") : WR_OK;
}

static int knn_load(wr_model *m, const wr_st_file *f) {
    int rc = knn_alloc(m, m->items.n);
    if (rc) return rc;
    const wr_st_tensor *tp, *ti, *tt;
    int64_t any[1] = {-1};
    if ((rc = wr__st_get(m->ctx, f, "knn.session_ptr", WR_DT_I32, 1, any, &tp))) return rc;
    if ((rc = wr__st_get(m->ctx, f, "knn.session_items", WR_DT_I32, 1, any, &ti))) return rc;
    if ((rc = wr__st_get(m->ctx, f, "knn.session_time", WR_DT_I64, 1, any, &tt))) return rc;
    int64_t ns = tt->shape[0];
    if (tp->shape[0] != ns + 1) return wr__err(m->ctx, WR_ERR_FORMAT, "model file: knn.session_ptr has %lld entries, expected %lld", (long long)tp->shape[0], (long long)ns + 1);
    int32_t *ptr = wr__malloc(tp->nbytes), *items = wr__malloc(ti->nbytes + 1);
    int64_t *time = wr__malloc(tt->nbytes + 1);
    if (!ptr || !items || !time) rc = wr__oom(m->ctx, "loading a session-kNN model");
    if (rc == WR_OK) {
        wr__st_copy(ptr, tp);
        wr__st_copy(items, ti);
        wr__st_copy(time, tt);
        if (ptr[0] != 0 || ptr[ns] != ti->shape[0]) rc = wr__err(m->ctx, WR_ERR_FORMAT, "model file: knn.session_ptr does not span knn.session_items");
        for (int64_t u = 0; rc == WR_OK && u < ns; u++) {
            if (ptr[u + 1] < ptr[u]) rc = wr__err(m->ctx, WR_ERR_FORMAT, "model file: knn.session_ptr is not monotonic at %lld", (long long)u);
            else if (u > 0 && time[u] < time[u - 1]) rc = wr__err(m->ctx, WR_ERR_FORMAT, "model file: knn.session_time is not in time order at %lld", (long long)u);
        }
        for (int64_t e = 0; rc == WR_OK && e < ti->shape[0]; e++)
            if (items[e] < 0 || items[e] >= m->items.n) rc = wr__err(m->ctx, WR_ERR_FORMAT, "model file: knn.session_items[%lld] = %d is not an item index", (long long)e, items[e]);
        for (int64_t u = 0; rc == WR_OK && u < ns; u++) rc = knn_append(m, items + ptr[u], ptr[u + 1] - ptr[u], time[u]);
    }
    free(ptr);
    free(items);
    free(time);
    if (rc == WR_OK) {
        /* popularity counts every event, repeats included: take the saved counts */
        float *pop = NULL;
        if ((rc = wr__load_1d(m, f, "knn.pop", WR_DT_F32, m->items.n, (void **)&pop))) return rc;
        knn_state *s = m->state;
        free(s->pop);
        s->pop = pop;
    }
    return rc;
}

#define KNN_VT(var, nm, tbl)                                                                   \
    const wr_model_vt var = {                                                                  \
        .name = nm,                                                                            \
        .params = tbl,                                                                         \
        .n_params = (int)(sizeof tbl / sizeof tbl[0]),                                         \
        .fit = knn_fit,                                                                        \
        .score = knn_score,                                                                    \
        .save = knn_save,                                                                      \
        .load = knn_load,                                                                      \
        .free_state = knn_free,                                                                \
    }

KNN_VT(wr__sknn_vt, "sknn", sknn_params);
KNN_VT(wr__vsknn_vt, "vsknn", vsknn_params);
KNN_VT(wr__stan_vt, "stan", stan_params);
KNN_VT(wr__vstan_vt, "vstan", vstan_params);
