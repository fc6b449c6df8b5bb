/* hnsw.c: exact top-k and the HNSW graph (see index.h for the design). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "index.h"

#if defined(__GNUC__) || defined(__clang__)
#define WR_PREFETCH(p) __builtin_prefetch(p)
#else
#define WR_PREFETCH(p) ((void)0)
#endif

#define WR_HNSW_FORMAT 1

/* ---- exact top-k ------------------------------------------------------------------------------ */

/* The order of wr_topk: a NaN ranks below every number, equal scores by the lower id. */
static inline int ranks_before(float va, int32_t ia, float vb, int32_t ib) {
    const int na = va != va, nb = vb != vb;
    if (na != nb) return nb;
    if (!na && va != vb) return va > vb;
    return ia < ib;
}

/* Inserts (s, id) into the sorted list ids/sc (*cnt entries, room for k) if it ranks high enough. */
static inline void topk_offer(int32_t *ids, float *sc, int *cnt, int k, float s, int32_t id) {
    if (*cnt == k && !ranks_before(s, id, sc[k - 1], ids[k - 1])) return;
    int pos = *cnt < k ? (*cnt)++ : k - 1;
    while (pos > 0 && ranks_before(s, id, sc[pos - 1], ids[pos - 1])) {
        sc[pos] = sc[pos - 1];
        ids[pos] = ids[pos - 1];
        pos--;
    }
    sc[pos] = s;
    ids[pos] = id;
}

int wr__index_exact(const float *vecs, int n, int dim, int stride, const float *q, int k, int32_t *ids,
                    float *scores) {
    if (n <= 0 || k <= 0) return 0;
    if (k > n) k = n;
    int cnt = 0;
    for (int i = 0; i < n; i++) {
        float s = wr_dot(q, vecs + (size_t)i * stride, dim);
        if (cnt == k && !(s > scores[k - 1]) && scores[k - 1] == scores[k - 1]) continue; /* the common case */
        topk_offer(ids, scores, &cnt, k, s, i);
    }
    return cnt;
}

#define EXACT_QBLOCK 16
#define EXACT_ROWS 128

void wr__index_exact_batch(const float *vecs, int n, int dim, int stride, const float *qs, int nq, int k,
                           int32_t *ids, float *scores) {
    if (k <= 0 || nq <= 0) return;
    int kk = n < k ? (n > 0 ? n : 0) : k;
    for (int q0 = 0; q0 < nq; q0 += EXACT_QBLOCK) {
        int qn = nq - q0 < EXACT_QBLOCK ? nq - q0 : EXACT_QBLOCK, cnt[EXACT_QBLOCK] = {0};
        /* rows in blocks that stay in cache while every query of the block scans them */
        for (int r0 = 0; r0 < n && kk > 0; r0 += EXACT_ROWS) {
            int r1 = n - r0 < EXACT_ROWS ? n : r0 + EXACT_ROWS;
            for (int j = 0; j < qn; j++) {
                const float *q = qs + (size_t)(q0 + j) * dim;
                int32_t *id = ids + (size_t)(q0 + j) * k;
                float *sc = scores + (size_t)(q0 + j) * k;
                for (int i = r0; i < r1; i++) {
                    float s = wr_dot(q, vecs + (size_t)i * stride, dim);
                    if (cnt[j] == kk && !(s > sc[kk - 1]) && sc[kk - 1] == sc[kk - 1]) continue;
                    topk_offer(id, sc, &cnt[j], kk, s, i);
                }
            }
        }
        for (int j = 0; j < qn; j++)
            for (int i = cnt[j]; i < k; i++) {
                ids[(size_t)(q0 + j) * k + i] = -1;
                scores[(size_t)(q0 + j) * k + i] = 0.0f;
            }
    }
}

/* ---- the index -------------------------------------------------------------------------------- */

typedef struct {
    float d;
    int32_t id;
} hn_item;

typedef struct {
    uint16_t *visited; /* visited[i] == epoch: seen in this search */
    uint16_t epoch;
    hn_item *cand, *res, *sel, *tmp;
    int cand_cap, res_cap, sel_cap;
    float *qbuf;       /* the normalised query (cosine) */
} hn_scratch;

struct wr_index {
    wr_ctx *ctx;
    int dim, metric, M, M0, ef_construction;
    uint64_t seed;
    int n, cap;
    int max_level, entry;
    double mult;          /* 1 / ln(M) */
    float *vecs;          /* cap x dim */
    int32_t *levels;      /* cap */
    int32_t *links0;      /* cap x (M0 + 1) */
    int64_t *upper_off;   /* cap: the first of a vector's upper lists (its level 1) in upper */
    int32_t *upper;       /* upper_cap lists of (M + 1) */
    int64_t n_upper, upper_cap;
    wr_rng rng;
    hn_scratch s;
    /* what wr__hnsw_save references (kept current by every change) */
    int32_t settings[8];
    int64_t rng_state[5];
};

static void sync_saved(wr_hnsw *h) {
    int32_t s[8] = {WR_HNSW_FORMAT, h->dim, h->metric, h->M, h->ef_construction, h->n, h->max_level, h->entry};
    memcpy(h->settings, s, sizeof s);
    h->rng_state[0] = (int64_t)h->seed;
    for (int i = 0; i < 4; i++) h->rng_state[1 + i] = (int64_t)h->rng.s[i];
}

static inline const float *vec_of(const wr_hnsw *h, int32_t i) { return h->vecs + (size_t)i * h->dim; }

static inline int32_t *links_at(const wr_hnsw *h, int32_t i, int lev) {
    return lev == 0 ? h->links0 + (size_t)i * (h->M0 + 1) : h->upper + (size_t)(h->upper_off[i] + lev - 1) * (h->M + 1);
}

static inline float dist(const wr_hnsw *h, const float *q, int32_t i) { return -wr_dot(q, vec_of(h, i), h->dim); }

static inline int hn_less(hn_item a, hn_item b) { return a.d < b.d || (a.d == b.d && a.id < b.id); }

/* results: a max-heap (the worst on top) */
static inline void maxh_push(hn_item *hp, int *n, hn_item x) {
    int i = (*n)++;
    while (i > 0) {
        int p = (i - 1) >> 1;
        if (!hn_less(hp[p], x)) break;
        hp[i] = hp[p];
        i = p;
    }
    hp[i] = x;
}
/* replaces the top by x and sifts it down (n unchanged) */
static inline void maxh_sift(hn_item *hp, int n, hn_item x) {
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && hn_less(hp[c], hp[c + 1])) c++;
        if (!hn_less(x, hp[c])) break;
        hp[i] = hp[c];
        i = c;
    }
    hp[i] = x;
}
static inline hn_item maxh_pop(hn_item *hp, int *n) {
    hn_item top = hp[0];
    if (--*n > 0) maxh_sift(hp, *n, hp[*n]);
    return top;
}
/* candidates: a min-heap (the nearest on top) */
static inline void minh_push(hn_item *hp, int *n, hn_item x) {
    int i = (*n)++;
    while (i > 0) {
        int p = (i - 1) >> 1;
        if (!hn_less(x, hp[p])) break;
        hp[i] = hp[p];
        i = p;
    }
    hp[i] = x;
}
static inline void minh_pop(hn_item *hp, int *n) {
    int m = --*n;
    if (m <= 0) return;
    hn_item x = hp[m];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= m) break;
        if (c + 1 < m && hn_less(hp[c + 1], hp[c])) c++;
        if (!hn_less(hp[c], x)) break;
        hp[i] = hp[c];
        i = c;
    }
    hp[i] = x;
}

static int grow_items(hn_item **p, int *cap, int need) {
    if (need <= *cap) return 0;
    int c = *cap ? *cap : 64;
    while (c < need) c = c > (1 << 29) ? need : 2 * c;
    hn_item *q = wr__realloc_array(*p, (size_t)c, sizeof *q);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* A fresh visited mark: epochs wrap after 65535 searches, when the list is cleared once. */
static inline uint16_t next_epoch(hn_scratch *s, int n) {
    if (++s->epoch == 0) {
        memset(s->visited, 0, (size_t)n * sizeof *s->visited);
        s->epoch = 1;
    }
    return s->epoch;
}

/* Greedy walk on level lev from cur (distance *cur_d) to a local minimum (ef = 1). */
static int32_t greedy(const wr_hnsw *h, const float *q, int32_t cur, float *cur_d, int lev) {
    hn_item best = {*cur_d, cur};
    for (int changed = 1; changed;) {
        changed = 0;
        const int32_t *l = links_at(h, best.id, lev);
        for (int j = 1; j <= l[0]; j++) {
            hn_item it = {dist(h, q, l[j]), l[j]};
            if (hn_less(it, best)) {
                best = it;
                changed = 1;
            }
        }
    }
    *cur_d = best.d;
    return best.id;
}

/* Beam search on level lev from ep with a list of ef: leaves up to ef nearest in s->res as a
 * max-heap and returns how many, or -1 when the candidate heap cannot grow. */
static int search_layer(const wr_hnsw *h, const float *q, int32_t ep, float ep_d, int ef, int lev) {
    hn_scratch *s = (hn_scratch *)&h->s; /* scratch: the index's searches are not concurrent */
    if (grow_items(&s->res, &s->res_cap, ef + 1) < 0 || grow_items(&s->cand, &s->cand_cap, ef + 1) < 0) return -1;
    const uint16_t mark = next_epoch(s, h->n);
    uint16_t *visited = s->visited;
    hn_item *cand = s->cand, *res = s->res;
    int nc = 0, nr = 0;
    const int dim = h->dim, vbytes = dim * (int)sizeof(float) < 1024 ? dim * (int)sizeof(float) : 1024;
    visited[ep] = mark;
    hn_item e = {ep_d, ep};
    minh_push(cand, &nc, e);
    maxh_push(res, &nr, e);
    while (nc > 0) {
        hn_item c = cand[0];
        if (nr == ef && hn_less(res[0], c)) break;
        minh_pop(cand, &nc);
        if (nc > 0) WR_PREFETCH(links_at(h, cand[0].id, lev)); /* likely the next one expanded */
        const int32_t *l = links_at(h, c.id, lev);
        const int cnt = l[0];
        /* the unvisited neighbours first, their vectors fetched together (the distances wait on
         * memory: asking for all of them at once overlaps the misses) */
        int32_t fresh[2 * WR_HNSW_MAX_M];
        int nf = 0;
        for (int j = 1; j <= cnt; j++) {
            const int32_t x = l[j];
            if (visited[x] == mark) continue;
            visited[x] = mark;
            const char *p = (const char *)(h->vecs + (size_t)x * dim);
            for (int b = 0; b < vbytes; b += 64) WR_PREFETCH(p + b);
            fresh[nf++] = x;
        }
        for (int j = 0; j < nf; j++) {
            const int32_t x = fresh[j];
            hn_item it = {-wr_dot(q, h->vecs + (size_t)x * dim, dim), x};
            if (nr < ef) {
                maxh_push(res, &nr, it);
            } else if (hn_less(it, res[0])) {
                maxh_sift(res, nr, it);
            } else {
                continue;
            }
            if (nc == s->cand_cap) {
                if (grow_items(&s->cand, &s->cand_cap, nc + 1) < 0) return -1;
                cand = s->cand;
            }
            minh_push(cand, &nc, it);
        }
    }
    return nr;
}

/* Pops the max-heap res (n items) into out in ascending order. */
static void heap_to_sorted(hn_item *res, int n, hn_item *out) {
    int m = n;
    for (int i = n - 1; i >= 0; i--) out[i] = maxh_pop(res, &m);
}

/* Algorithm 4 (hnswlib's getNeighborsByHeuristic2) on c (n items, ascending): keeps, in place,
 * at most M candidates each nearer to the base than to every one kept before it. */
static int heuristic(const wr_hnsw *h, hn_item *c, int n, int M) {
    if (n < M) return n;
    int ns = 0;
    for (int i = 0; i < n && ns < M; i++) {
        const float *vi = vec_of(h, c[i].id);
        int good = 1;
        for (int j = 0; j < ns; j++)
            if (dist(h, vi, c[j].id) < c[i].d) {
                good = 0;
                break;
            }
        if (good) c[ns++] = c[i];
    }
    return ns;
}

/* Adds q (at distance d) to e's list on level lev, pruning a full list with the heuristic. */
static void connect(wr_hnsw *h, int32_t e, int32_t q, float d, int lev) {
    const int mmax = lev ? h->M : h->M0;
    int32_t *l = links_at(h, e, lev);
    int cnt = l[0];
    if (cnt < mmax) {
        l[1 + cnt] = q;
        l[0] = cnt + 1;
        return;
    }
    hn_item *t = h->s.tmp;
    const float *ve = vec_of(h, e);
    int n = 0;
    t[n++] = (hn_item){d, q};
    for (int j = 1; j <= cnt; j++) t[n++] = (hn_item){dist(h, ve, l[j]), l[j]};
    for (int i = 1; i < n; i++) { /* insertion sort: at most 2M + 1 */
        hn_item x = t[i];
        int j = i;
        while (j > 0 && hn_less(x, t[j - 1])) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = x;
    }
    int ns = heuristic(h, t, n, mmax);
    l[0] = ns;
    for (int i = 0; i < ns; i++) l[1 + i] = t[i].id;
    for (int i = ns; i < mmax; i++) l[1 + i] = 0;
}

/* Links vector q (already stored, with its level and empty lists) into the graph. */
static int insert(wr_hnsw *h, int32_t q, int level) {
    if (h->entry < 0) {
        h->entry = q;
        h->max_level = level;
        return WR_OK;
    }
    const float *v = vec_of(h, q);
    int32_t cur = h->entry;
    float cur_d = dist(h, v, cur);
    for (int lev = h->max_level; lev > level; lev--) cur = greedy(h, v, cur, &cur_d, lev);
    for (int lev = level < h->max_level ? level : h->max_level; lev >= 0; lev--) {
        int nr = search_layer(h, v, cur, cur_d, h->ef_construction, lev);
        if (nr < 0 || grow_items(&h->s.sel, &h->s.sel_cap, nr) < 0) return wr__oom(h->ctx, "building the HNSW index");
        hn_item *sel = h->s.sel;
        heap_to_sorted(h->s.res, nr, sel);
        cur = sel[0].id; /* the nearest: always kept, and the entry to the level below */
        cur_d = sel[0].d;
        int ns = heuristic(h, sel, nr, h->M);
        int32_t *l = links_at(h, q, lev);
        l[0] = ns;
        for (int i = 0; i < ns; i++) l[1 + i] = sel[i].id;
        for (int i = 0; i < ns; i++) connect(h, sel[i].id, q, sel[i].d, lev);
    }
    if (level > h->max_level) {
        h->max_level = level;
        h->entry = q;
    }
    return WR_OK;
}

/* Room for cap vectors (the arrays and the visited list). */
static int reserve(wr_hnsw *h, int need) {
    if (need <= h->cap) return WR_OK;
    int cap = h->cap ? h->cap + h->cap / 2 : need;
    if (cap < need || cap < 0) cap = need;
    char what[120];
    snprintf(what, sizeof what, "index: %d vectors of dim %d with M %d", cap, h->dim, h->M);
    int rc = wr__budget(h->ctx, (double)cap * (4.0 * h->dim + 4.0 * (h->M0 + 1) + 14), what);
    if (rc) return rc;
    float *v = wr__realloc_array(h->vecs, (size_t)cap, (size_t)h->dim * sizeof(float));
    if (v) h->vecs = v;
    int32_t *lv = wr__realloc_array(h->levels, (size_t)cap, sizeof *lv);
    if (lv) h->levels = lv;
    int32_t *l0 = wr__realloc_array(h->links0, (size_t)cap, (size_t)(h->M0 + 1) * sizeof *l0);
    if (l0) h->links0 = l0;
    int64_t *uo = wr__realloc_array(h->upper_off, (size_t)cap, sizeof *uo);
    if (uo) h->upper_off = uo;
    uint16_t *vis = wr__realloc_array(h->s.visited, (size_t)cap, sizeof *vis);
    if (vis) h->s.visited = vis;
    if (!v || !lv || !l0 || !uo || !vis) return wr__oom(h->ctx, "growing the HNSW index");
    memset(h->s.visited + h->cap, 0, (size_t)(cap - h->cap) * sizeof *vis);
    h->cap = cap;
    return WR_OK;
}

int wr__hnsw_reserve(wr_hnsw *h, int n) {
    if (n < 0) return wr__err(h->ctx, WR_ERR_ARG, "index: capacity %d is negative", n);
    return reserve(h, n);
}

static int reserve_upper(wr_hnsw *h, int64_t need) {
    if (need <= h->upper_cap) return WR_OK;
    int64_t cap = h->upper_cap ? h->upper_cap * 2 : 1024;
    if (cap < need) cap = need;
    int32_t *u = wr__realloc_array(h->upper, (size_t)cap, (size_t)(h->M + 1) * sizeof *u);
    if (!u) return wr__oom(h->ctx, "growing the HNSW index's upper levels");
    h->upper = u;
    h->upper_cap = cap;
    return WR_OK;
}

static int check_settings(wr_ctx *ctx, const char *what, int dim, int metric, int M, int ef_construction) {
    if (dim < 1 || dim > WR_INDEX_MAX_DIM) return wr__err(ctx, WR_ERR_ARG, "%s: dim must be in [1, %d], got %d", what, WR_INDEX_MAX_DIM, dim);
    if (metric != WR_INDEX_IP && metric != WR_INDEX_COSINE) return wr__err(ctx, WR_ERR_ARG, "%s: metric must be ip or cosine", what);
    if (M < WR_HNSW_MIN_M || M > WR_HNSW_MAX_M)
        return wr__err(ctx, WR_ERR_ARG, "%s: M must be in [%d, %d], got %d", what, WR_HNSW_MIN_M, WR_HNSW_MAX_M, M);
    if (ef_construction < 1 || ef_construction > WR_HNSW_MAX_EF)
        return wr__err(ctx, WR_ERR_ARG, "%s: ef_construction must be in [1, %d], got %d", what, WR_HNSW_MAX_EF, ef_construction);
    return WR_OK;
}

static int alloc_index(wr_ctx *ctx, int dim, int metric, int M, int ef_construction, uint64_t seed, wr_hnsw **out) {
    wr_hnsw *h = wr__calloc(1, sizeof *h);
    if (!h) return wr__oom(ctx, "creating an HNSW index");
    h->ctx = ctx;
    h->dim = dim;
    h->metric = metric;
    h->M = M;
    h->M0 = 2 * M;
    h->ef_construction = ef_construction;
    h->seed = seed;
    h->max_level = -1;
    h->entry = -1;
    h->mult = 1.0 / wr__log((double)M);
    wr__rng_seed(&h->rng, seed);
    h->s.qbuf = wr__malloc((size_t)dim * sizeof(float));
    h->s.tmp = wr__malloc((size_t)(2 * M + 1) * sizeof(hn_item));
    if (!h->s.qbuf || !h->s.tmp) {
        wr__hnsw_free(h);
        return wr__oom(ctx, "creating an HNSW index");
    }
    sync_saved(h);
    *out = h;
    return WR_OK;
}

int wr__hnsw_new(wr_ctx *ctx, int dim, int metric, int M, int ef_construction, uint64_t seed, wr_hnsw **out) {
    *out = NULL;
    int rc = check_settings(ctx, "index", dim, metric, M, ef_construction);
    return rc ? rc : alloc_index(ctx, dim, metric, M, ef_construction, seed, out);
}

void wr__hnsw_free(wr_hnsw *h) {
    if (!h) return;
    free(h->vecs);
    free(h->levels);
    free(h->links0);
    free(h->upper_off);
    free(h->upper);
    free(h->s.visited);
    free(h->s.cand);
    free(h->s.res);
    free(h->s.sel);
    free(h->s.tmp);
    free(h->s.qbuf);
    free(h);
}

/* dst = src / |src| (a zero vector stays zero); the same bits on every build. */
void wr__index_normalise(float *dst, const float *src, int dim) {
    float nrm = sqrtf(wr_dot(src, src, dim));
    if (nrm > 0)
        for (int i = 0; i < dim; i++) dst[i] = src[i] / nrm;
    else if (dst != src)
        memcpy(dst, src, (size_t)dim * sizeof *dst);
}

static int draw_level(wr_hnsw *h) {
    double u = 1.0 - (double)wr__rng_float(&h->rng); /* (0, 1] */
    double l = -wr__log(u) * h->mult;
    return l >= WR_HNSW_MAX_LEVEL ? WR_HNSW_MAX_LEVEL : (int)l;
}

int wr__hnsw_add(wr_hnsw *h, const float *vecs, int n) {
    if (n < 0 || (n > 0 && !vecs)) return wr__err(h->ctx, WR_ERR_ARG, "index add: %d vectors is not a count", n);
    if (n > INT32_MAX - 1 - h->n) return wr__err(h->ctx, WR_ERR_ARG, "index add: %d + %d vectors is over the limit", h->n, n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < h->dim; j++)
            if (!isfinite(vecs[(size_t)i * h->dim + j]))
                return wr__err(h->ctx, WR_ERR_ARG, "index add: vector %d, component %d is not a finite number", i, j);
    int rc = reserve(h, h->n + n);
    for (int i = 0; rc == WR_OK && i < n; i++) {
        const int32_t id = h->n;
        float *v = h->vecs + (size_t)id * h->dim;
        if (h->metric == WR_INDEX_COSINE) wr__index_normalise(v, vecs + (size_t)i * h->dim, h->dim);
        else memcpy(v, vecs + (size_t)i * h->dim, (size_t)h->dim * sizeof *v);
        int level = draw_level(h);
        if ((rc = reserve_upper(h, h->n_upper + level))) break;
        h->levels[id] = level;
        h->upper_off[id] = h->n_upper;
        memset(h->links0 + (size_t)id * (h->M0 + 1), 0, (size_t)(h->M0 + 1) * sizeof(int32_t));
        if (level > 0) memset(h->upper + (size_t)h->n_upper * (h->M + 1), 0, (size_t)level * (h->M + 1) * sizeof(int32_t));
        h->n_upper += level;
        h->n = id + 1;
        rc = insert(h, id, level);
    }
    sync_saved(h);
    return rc;
}

static const float *prepare_query(const wr_hnsw *h, const float *q) {
    if (h->metric != WR_INDEX_COSINE) return q;
    wr__index_normalise(h->s.qbuf, q, h->dim);
    return h->s.qbuf;
}

int wr__hnsw_search(const wr_hnsw *h, const float *q, int k, int ef_search, int32_t *ids, float *scores) {
    if (k <= 0 || h->n == 0) return 0;
    if (k > h->n) k = h->n;
    int ef = ef_search > k ? ef_search : k;
    if (ef > h->n) ef = h->n;
    q = prepare_query(h, q);
    int32_t cur = h->entry;
    float cur_d = dist(h, q, cur);
    for (int lev = h->max_level; lev > 0; lev--) cur = greedy(h, q, cur, &cur_d, lev);
    int nr = search_layer(h, q, cur, cur_d, ef, 0);
    hn_scratch *s = (hn_scratch *)&h->s;
    if (nr < 0 || grow_items(&s->sel, &s->sel_cap, nr) < 0) return wr__oom(h->ctx, "searching the HNSW index");
    heap_to_sorted(s->res, nr, s->sel);
    int m = nr < k ? nr : k;
    for (int i = 0; i < m; i++) {
        ids[i] = s->sel[i].id;
        scores[i] = -s->sel[i].d;
    }
    return m;
}

int wr__hnsw_exact(const wr_hnsw *h, const float *q, int k, int32_t *ids, float *scores) {
    q = prepare_query(h, q);
    return wr__index_exact(h->vecs, h->n, h->dim, h->dim, q, k, ids, scores);
}

int wr__hnsw_count(const wr_hnsw *h) { return h ? h->n : 0; }
int wr__hnsw_dim(const wr_hnsw *h) { return h ? h->dim : 0; }
int wr__hnsw_metric(const wr_hnsw *h) { return h ? h->metric : 0; }
const float *wr__hnsw_vectors(const wr_hnsw *h) { return h->vecs; }
wr_ctx *wr__hnsw_ctx(const wr_hnsw *h) { return h->ctx; }

size_t wr__hnsw_memory(const wr_hnsw *h) {
    if (!h) return 0;
    size_t c = (size_t)h->cap;
    return sizeof *h + c * ((size_t)h->dim * sizeof(float) + sizeof(int32_t) + (size_t)(h->M0 + 1) * sizeof(int32_t) +
                            sizeof(int64_t) + sizeof(uint16_t)) +
           (size_t)h->upper_cap * (size_t)(h->M + 1) * sizeof(int32_t) +
           (size_t)(h->s.cand_cap + h->s.res_cap + h->s.sel_cap + 2 * h->M + 1) * sizeof(hn_item) +
           (size_t)h->dim * sizeof(float);
}

/* ---- save and load ---------------------------------------------------------------------------- */

static int tensor_name(wr_ctx *ctx, char *out, const char *prefix, const char *name) {
    size_t a = strlen(prefix), b = strlen(name);
    if (a + b >= WR_ST_MAX_NAME) return wr__err(ctx, WR_ERR_ARG, "index: tensor prefix \"%s\" is too long", prefix);
    memcpy(out, prefix, a);
    memcpy(out + a, name, b + 1);
    return WR_OK;
}

int wr__hnsw_save(const wr_hnsw *h, wr_st_file *w, const char *prefix) {
    if (!prefix) prefix = "";
    char nm[6][WR_ST_MAX_NAME];
    static const char *const names[6] = {"settings", "rng", "vectors", "levels", "links", "upper_links"};
    for (int i = 0; i < 6; i++)
        if (tensor_name(h->ctx, nm[i], prefix, names[i])) return WR_ERR_ARG;
    int64_t s_set[1] = {8}, s_rng[1] = {5}, s_vec[2] = {h->n, h->dim}, s_lev[1] = {h->n}, s_l0[2] = {h->n, h->M0 + 1},
            s_up[2] = {h->n_upper, h->M + 1};
    int bad = wr__st_add(w, nm[0], WR_DT_I32, 1, s_set, h->settings) | wr__st_add(w, nm[1], WR_DT_I64, 1, s_rng, h->rng_state) |
              wr__st_add(w, nm[2], WR_DT_F32, 2, s_vec, h->vecs) | wr__st_add(w, nm[3], WR_DT_I32, 1, s_lev, h->levels) |
              wr__st_add(w, nm[4], WR_DT_I32, 2, s_l0, h->links0) | wr__st_add(w, nm[5], WR_DT_I32, 2, s_up, h->upper);
    return bad ? wr__oom(h->ctx, "saving the HNSW index") : WR_OK;
}

#define LERR(...) wr__err(ctx, WR_ERR_FORMAT, __VA_ARGS__)

/* Checks one neighbour list of node i on level lev (cnt at l[0], room for mmax). */
static int check_list(wr_ctx *ctx, wr_hnsw *h, const char *tname, int32_t i, int lev, const int32_t *l, int mmax) {
    int cnt = l[0];
    if (cnt < 0 || cnt > mmax)
        return LERR("model file: tensor \"%s\": vector %d has %d neighbours on level %d, at most %d fit", tname, i, cnt, lev, mmax);
    uint16_t mark = next_epoch(&h->s, h->n);
    for (int j = 1; j <= cnt; j++) {
        int32_t x = l[j];
        if (x < 0 || x >= h->n)
            return LERR("model file: tensor \"%s\": vector %d, level %d: neighbour %d is not a vector id (the index has %d)", tname, i, lev, x, h->n);
        if (x == i) return LERR("model file: tensor \"%s\": vector %d, level %d: links to itself", tname, i, lev);
        if (h->levels[x] < lev)
            return LERR("model file: tensor \"%s\": vector %d, level %d: neighbour %d only reaches level %d", tname, i, lev, x, h->levels[x]);
        if (h->s.visited[x] == mark) return LERR("model file: tensor \"%s\": vector %d, level %d: neighbour %d appears twice", tname, i, lev, x);
        h->s.visited[x] = mark;
    }
    return WR_OK;
}

int wr__hnsw_load(wr_ctx *ctx, const wr_st_file *f, const char *prefix, int expect_n, int expect_dim, wr_hnsw **out) {
    *out = NULL;
    if (!prefix) prefix = "";
    char nm[6][WR_ST_MAX_NAME];
    static const char *const names[6] = {"settings", "rng", "vectors", "levels", "links", "upper_links"};
    for (int i = 0; i < 6; i++)
        if (tensor_name(ctx, nm[i], prefix, names[i])) return WR_ERR_ARG;
    const wr_st_tensor *ts, *tr, *tv, *tl, *t0, *tu;
    int64_t s8[1] = {8}, s5[1] = {5};
    int rc;
    if ((rc = wr__st_get(ctx, f, nm[0], WR_DT_I32, 1, s8, &ts)) || (rc = wr__st_get(ctx, f, nm[1], WR_DT_I64, 1, s5, &tr))) return rc;
    int32_t st[8];
    int64_t rs[5];
    wr__st_copy(st, ts);
    wr__st_copy(rs, tr);
    const int version = st[0], dim = st[1], metric = st[2], M = st[3], efc = st[4], n = st[5], max_level = st[6], entry = st[7];
    if (version != WR_HNSW_FORMAT)
        return LERR("model file: tensor \"%s\": index format %d, this engine reads %d", nm[0], version, WR_HNSW_FORMAT);
    if (check_settings(ctx, "index", dim, metric, M, efc)) {
        char why[WR_ERR_MSG_MAX];
        snprintf(why, sizeof why, "%s", wr_last_error(ctx));
        return LERR("model file: tensor \"%s\": %s", nm[0], why);
    }
    if (n < 0) return LERR("model file: tensor \"%s\": count %d is negative", nm[0], n);
    if (expect_n >= 0 && n != expect_n) return LERR("model file: tensor \"%s\": the index has %d vectors, expected %d", nm[0], n, expect_n);
    if (expect_dim > 0 && dim != expect_dim) return LERR("model file: tensor \"%s\": the index has dim %d, expected %d", nm[0], dim, expect_dim);
    if (n == 0 ? (max_level != -1 || entry != -1) : (max_level < 0 || max_level > WR_HNSW_MAX_LEVEL || entry < 0 || entry >= n))
        return LERR("model file: tensor \"%s\": max level %d / entry point %d do not fit %d vectors (levels 0..%d)", nm[0], max_level,
                    entry, n, WR_HNSW_MAX_LEVEL);
    if (!(rs[1] | rs[2] | rs[3] | rs[4])) return LERR("model file: tensor \"%s\": the generator state is all zero", nm[1]);
    /* every shape before any allocation: n and M are then backed by the tensors' bytes */
    int64_t s_vec[2] = {n, dim}, s_lev[1] = {n}, s_l0[2] = {n, 2 * (int64_t)M + 1}, s_up[2] = {-1, (int64_t)M + 1};
    if ((rc = wr__st_get(ctx, f, nm[2], WR_DT_F32, 2, s_vec, &tv)) || (rc = wr__st_get(ctx, f, nm[3], WR_DT_I32, 1, s_lev, &tl)) ||
        (rc = wr__st_get(ctx, f, nm[4], WR_DT_I32, 2, s_l0, &t0)) || (rc = wr__st_get(ctx, f, nm[5], WR_DT_I32, 2, s_up, &tu)))
        return rc;
    wr_hnsw *h = NULL;
    if ((rc = alloc_index(ctx, dim, metric, M, efc, (uint64_t)rs[0], &h))) return rc;
    if ((rc = reserve(h, n))) goto fail;
    h->n = n;
    wr__st_copy(h->levels, tl);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        int lv = h->levels[i];
        if (lv < 0 || lv > max_level) {
            rc = LERR("model file: tensor \"%s\": vector %d has level %d, outside 0..%d", nm[3], i, lv, max_level);
            goto fail;
        }
        h->upper_off[i] = total;
        total += lv;
    }
    if (n > 0 && h->levels[entry] != max_level) {
        rc = LERR("model file: tensor \"%s\": the entry point %d has level %d, not the top level %d", nm[3], entry, h->levels[entry], max_level);
        goto fail;
    }
    if (tu->shape[0] != total) {
        rc = LERR("model file: tensor \"%s\" has %lld lists, the levels need %lld", nm[5], (long long)tu->shape[0], (long long)total);
        goto fail;
    }
    if ((rc = reserve_upper(h, total > 0 ? total : 1))) goto fail;
    h->n_upper = total;
    wr__st_copy(h->vecs, tv);
    wr__st_copy(h->links0, t0);
    wr__st_copy(h->upper, tu);
    for (int i = 0; i < n; i++) {
        const float *v = vec_of(h, i);
        for (int j = 0; j < dim; j++)
            if (!isfinite(v[j])) {
                rc = LERR("model file: tensor \"%s\": vector %d, component %d is not a finite number", nm[2], i, j);
                goto fail;
            }
        if (metric == WR_INDEX_COSINE) {
            float sq = wr_dot(v, v, dim);
            if (sq != 0 && fabsf(sq - 1.0f) > 1e-3f) {
                rc = LERR("model file: tensor \"%s\": vector %d has length %g, a cosine index stores unit vectors", nm[2], i, sqrtf(sq));
                goto fail;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        if ((rc = check_list(ctx, h, nm[4], i, 0, links_at(h, i, 0), h->M0))) goto fail;
        for (int lev = 1; lev <= h->levels[i]; lev++)
            if ((rc = check_list(ctx, h, nm[5], i, lev, links_at(h, i, lev), h->M))) goto fail;
    }
    h->max_level = max_level;
    h->entry = entry;
    for (int i = 0; i < 4; i++) h->rng.s[i] = (uint64_t)rs[1 + i];
    sync_saved(h);
    *out = h;
    return WR_OK;
fail:
    wr__hnsw_free(h);
    return rc;
}
