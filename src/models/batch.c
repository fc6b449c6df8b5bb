/* batch.c: mini-batches for the neural sequence models (see batch.h). */
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "batch.h"
#include "model.h"

static void shuffle(int32_t *a, int n, wr_rng *rng) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)wr__rng_below(rng, (uint32_t)i + 1);
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static int32_t *trainable(const wr_seqs *s, int *n) {
    int32_t *order = wr__malloc(((size_t)s->n + 1) * sizeof *order);
    if (!order) return NULL;
    *n = 0;
    for (int u = 0; u < s->n; u++)
        if (s->len[u] >= 2) order[(*n)++] = u;
    return order;
}

/* A sequence of len items has len - 1 input/target pairs; they are cut from the end into windows
 * of T pairs, so every training event is a target once per epoch however long its sequence
 * (the last window is the most recent; the first, shorter one is left-padded). */
int wr__windows_init(wr_windows *w, const wr_seqs *s, int B, int T) {
    memset(w, 0, sizeof *w);
    w->B = B;
    w->T = T;
    int64_t n = 0;
    for (int u = 0; u < s->n; u++)
        if (s->len[u] >= 2) n += (s->len[u] - 1 + T - 1) / T;
    if (n >= INT32_MAX) return -1;
    w->seq = wr__malloc(((size_t)n + 1) * sizeof *w->seq);
    w->end = wr__malloc(((size_t)n + 1) * sizeof *w->end);
    w->order = wr__malloc(((size_t)n + 1) * sizeof *w->order);
    if (!w->seq || !w->end || !w->order) {
        wr__windows_free(w);
        return -1;
    }
    for (int u = 0; u < s->n; u++)
        for (int end = s->len[u]; end >= 2; end -= T) {
            w->seq[w->n_win] = u;
            w->end[w->n_win] = end;
            w->order[w->n_win] = w->n_win;
            w->n_win++;
        }
    w->next = w->n_win; /* the first call shuffles */
    return 0;
}

void wr__windows_free(wr_windows *w) {
    free(w->order);
    free(w->seq);
    free(w->end);
    w->order = w->seq = w->end = NULL;
}

int64_t wr__windows_next(wr_windows *w, const wr_seqs *s, wr_rng *rng, int32_t *inp, int32_t *tgt,
                         int *epoch_end) {
    int B = w->B, T = w->T;
    if (w->next >= w->n_win) {
        shuffle(w->order, w->n_win, rng);
        w->next = 0;
    }
    memset(inp, 0, (size_t)B * T * sizeof *inp);
    memset(tgt, 0, (size_t)B * T * sizeof *tgt);
    int64_t positions = 0;
    for (int b = 0; b < B && w->next < w->n_win; b++) {
        int k = w->order[w->next++];
        const int32_t *seq = s->items + s->start[w->seq[k]];
        int len = w->end[k], n = len - 1 < T ? len - 1 : T; /* n input/target pairs */
        for (int t = 0; t < n; t++) {
            inp[b * T + T - n + t] = seq[len - 1 - n + t] + 1;
            tgt[b * T + T - n + t] = seq[len - n + t] + 1;
        }
        positions += n;
    }
    *epoch_end = w->next >= w->n_win;
    return positions;
}

int wr__lanes_init(wr_lanes *l, const wr_seqs *s, int B, wr_rng *rng) {
    memset(l, 0, sizeof *l);
    l->B = B;
    l->order = trainable(s, &l->n_seq);
    l->lane_seq = wr__malloc((size_t)B * sizeof *l->lane_seq);
    l->lane_pos = wr__malloc((size_t)B * sizeof *l->lane_pos);
    if (!l->order || !l->lane_seq || !l->lane_pos) {
        wr__lanes_free(l);
        return -1;
    }
    for (int b = 0; b < B; b++) l->lane_seq[b] = -1;
    shuffle(l->order, l->n_seq, rng);
    return 0;
}

void wr__lanes_free(wr_lanes *l) {
    free(l->order);
    free(l->lane_seq);
    free(l->lane_pos);
    memset(l, 0, sizeof *l);
}

int wr__lanes_next(wr_lanes *l, const wr_seqs *s, wr_rng *rng, int32_t *inp, int32_t *tgt,
                   unsigned char *reset, int *epoch_end) {
    int active = 0;
    for (int b = 0; b < l->B; b++) {
        reset[b] = 0;
        /* a lane whose sequence has no next target takes the next sequence */
        if (l->lane_seq[b] < 0 || l->lane_pos[b] + 1 >= s->len[l->lane_seq[b]]) {
            l->lane_seq[b] = l->next < l->n_seq ? l->order[l->next++] : -1;
            l->lane_pos[b] = 0;
            reset[b] = 1;
        }
        if (l->lane_seq[b] < 0) {
            inp[b] = tgt[b] = 0;
            continue;
        }
        const int32_t *seq = s->items + s->start[l->lane_seq[b]];
        inp[b] = seq[l->lane_pos[b]] + 1;
        tgt[b] = seq[l->lane_pos[b] + 1] + 1;
        l->lane_pos[b]++;
        active++;
    }
    /* The epoch ends when no sequence is left to start and every lane has finished. */
    int busy = 0;
    for (int b = 0; b < l->B; b++)
        if (l->lane_seq[b] >= 0 && l->lane_pos[b] + 1 < s->len[l->lane_seq[b]]) busy = 1;
    *epoch_end = l->next >= l->n_seq && !busy;
    if (*epoch_end) {
        shuffle(l->order, l->n_seq, rng);
        l->next = 0;
        for (int b = 0; b < l->B; b++) l->lane_seq[b] = -1;
    }
    return active;
}

int wr__sampler_init(wr_sampler *s, const wr_seqs *train, double alpha) {
    int V = s->V = train->n_items;
    s->cum = wr__calloc((size_t)V + 1, sizeof(float));
    s->guide = wr__calloc((size_t)V + 1, sizeof(int32_t));
    float *pop = wr__calloc((size_t)V + 1, sizeof(float));
    if (!s->cum || !s->guide || !pop) {
        free(pop);
        wr__sampler_free(s);
        return -1;
    }
    wr__count_items(train, pop);
    double total = 0;
    for (int i = 0; i < V; i++) {
        /* no libm: the same bits on every build */
        total += alpha == 0 ? 1.0 : pop[i] > 0 ? wr_expf((float)(alpha * wr__log(pop[i]))) : 0.0f;
        s->cum[i] = (float)total;
    }
    free(pop);
    for (int i = 0; i < V; i++) s->cum[i] = total > 0 ? (float)(s->cum[i] / total) : (float)(i + 1) / V;
    for (int j = 0, i = 0; j < V; j++) {
        while (i < V - 1 && (double)s->cum[i] <= (double)j / V) i++;
        s->guide[j] = i;
    }
    return 0;
}

void wr__sampler_free(wr_sampler *s) {
    free(s->cum);
    free(s->guide);
    s->cum = NULL;
    s->guide = NULL;
}

/* The first index whose cum exceeds u (the last one if none does), found from the guide table
 * (Chen's method) instead of a binary search: a step or two on average instead of log2 V
 * unpredictable branches. Both ends are checked, so rounding in u * V cannot move the answer. */
int32_t wr__sampler_draw(const wr_sampler *s, wr_rng *rng) {
    float u = wr__rng_float(rng);
    int j = (int)((double)u * s->V), i = s->guide[j < s->V ? j : s->V - 1];
    while (i > 0 && s->cum[i - 1] > u) i--;
    while (i < s->V - 1 && s->cum[i] <= u) i++;
    return i + 1;
}

float wr__sampler_prob(const wr_sampler *s, int32_t item) {
    int i = item - 1;
    return s->cum[i] - (i > 0 ? s->cum[i - 1] : 0.0f);
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33, x *= 0xff51afd7ed558ccdULL, x ^= x >> 33, x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

int wr__pairs_init(wr_pair_set *p, const wr_seqs *train) {
    int64_t n = 0;
    for (int u = 0; u < train->n; u++) n += train->len[u];
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)n + 16) cap <<= 1;
    p->slot = wr__calloc(cap, sizeof *p->slot);
    p->mask = cap - 1;
    p->V = (uint64_t)train->n_items;
    if (!p->slot) return -1;
    for (int u = 0; u < train->n; u++)
        for (int e = 0; e < train->len[u]; e++) {
            int64_t k = train->start[u] + e;
            if (train->label && !train->label[k]) continue;
            uint64_t key = (uint64_t)u * p->V + (uint64_t)train->items[k] + 1;
            uint64_t h = mix64(key) & p->mask;
            while (p->slot[h] && p->slot[h] != key) h = (h + 1) & p->mask;
            p->slot[h] = key;
        }
    return 0;
}

void wr__pairs_free(wr_pair_set *p) {
    free(p->slot);
    p->slot = NULL;
}

int wr__pairs_has(const wr_pair_set *p, int user, int item) {
    uint64_t key = (uint64_t)user * p->V + (uint64_t)item + 1;
    for (uint64_t h = mix64(key) & p->mask; p->slot[h]; h = (h + 1) & p->mask)
        if (p->slot[h] == key) return 1;
    return 0;
}

int32_t wr__draw_negative(const wr_sampler *s, const wr_pair_set *p, wr_rng *rng, int user) {
    int32_t j = 0;
    for (int tries = 0; tries < 10; tries++) {
        j = wr__sampler_draw(s, rng) - 1;
        if (!wr__pairs_has(p, user, j)) break;
    }
    return j;
}

int wr__events_init(wr_events *e, const wr_seqs *train, int target, int batch, int n_neg, double alpha, double *mean) {
    memset(e, 0, sizeof *e);
    int64_t n = 0;
    for (int u = 0; u < train->n; u++) n += train->len[u];
    e->n_neg = target == WR_TARGET_RATING ? 0 : n_neg; /* labelled data may add sampled label-0 items */
    e->user = wr__malloc((size_t)n * sizeof *e->user + 4), e->item = wr__malloc((size_t)n * sizeof *e->item + 4);
    e->order = wr__malloc((size_t)n * sizeof *e->order + 4), e->at = wr__malloc((size_t)n * sizeof *e->at + 8);
    e->bat = wr__malloc((size_t)batch * sizeof *e->bat + 8);
    if (target != WR_TARGET_NONE) e->y = wr__malloc((size_t)n * sizeof *e->y + 4), e->by = wr__malloc((size_t)batch * sizeof *e->by + 4);
    e->bu = wr__malloc((size_t)batch * sizeof *e->bu + 4), e->bi = wr__malloc((size_t)batch * sizeof *e->bi + 4);
    e->bneg = wr__malloc((size_t)batch * e->n_neg * sizeof *e->bneg + 4);
    if (!e->user || !e->item || !e->order || !e->at || !e->bat || (target != WR_TARGET_NONE && (!e->y || !e->by)) || !e->bu || !e->bi || !e->bneg ||
        wr__pairs_init(&e->seen, train) < 0)
        return -1;
    double sum = 0;
    for (int u = 0; u < train->n; u++)
        for (int t = 0; t < train->len[u]; t++) {
            int64_t k = train->start[u] + t;
            if (target == WR_TARGET_NONE && train->label && !train->label[k]) continue;
            e->user[e->n] = u, e->item[e->n] = train->items[k], e->at[e->n] = k;
            if (e->y) e->y[e->n] = target == WR_TARGET_RATING ? train->rating[k] : (float)train->label[k], sum += e->y[e->n];
            e->n++;
        }
    if (mean) *mean = e->n ? sum / (double)e->n : 0;
    if (wr__sampler_init(&e->sampler, train, alpha) < 0) return -1;
    e->sampler_ready = 1;
    e->next = e->n; /* the first batch shuffles */
    return 0;
}

void wr__events_free(wr_events *e) {
    wr__pairs_free(&e->seen);
    if (e->sampler_ready) wr__sampler_free(&e->sampler);
    free(e->user), free(e->item), free(e->order), free(e->at), free(e->bat), free(e->y), free(e->bu), free(e->bi), free(e->bneg), free(e->by);
    memset(e, 0, sizeof *e);
}

int wr__events_next(wr_events *e, wr_rng *rng, int batch, int *epoch_end) {
    if (e->next >= e->n) { /* a new epoch: a fresh order */
        for (int64_t i = 0; i < e->n; i++) e->order[i] = (int32_t)i;
        for (int64_t i = e->n - 1; i > 0; i--) {
            int64_t j = (int64_t)(wr__rng_u64(rng) % (uint64_t)(i + 1));
            int32_t t = e->order[i];
            e->order[i] = e->order[j], e->order[j] = t;
        }
        e->next = 0;
    }
    int n = (int)(e->n - e->next < batch ? e->n - e->next : batch), nn = e->n_neg;
    for (int b = 0; b < n; b++) {
        int32_t k = e->order[e->next + b];
        e->bu[b] = e->user[k], e->bi[b] = e->item[k], e->bat[b] = e->at[k];
        if (e->y) e->by[b] = e->y[k];
        for (int j = 0; j < nn; j++) e->bneg[(size_t)b * nn + j] = wr__draw_negative(&e->sampler, &e->seen, rng, e->bu[b]);
    }
    e->next += n;
    *epoch_end = e->next >= e->n;
    return n;
}
