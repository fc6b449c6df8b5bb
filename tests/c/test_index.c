/* test_index.c: the nearest-neighbour index (src/index/): the exact scan against a full sort;
 * HNSW recall@10 against exact on clustered vectors (inner product and cosine); the same seed, the
 * same graph bytes; save and load give the same answers; adding in two parts keeps recall and, with
 * a save and load between them, gives the same graph; hostile files (bad neighbour ids, shapes,
 * counts, levels) are refused naming the tensor; native and wasm give the same graph and answers
 * (one hash both builds check). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/index/index.h"
#include "../../src/io/safetensors.h"
#include "../../src/kernels/kernels.h"
#include "check.h"

static wr_ctx *ctx;

/* n vectors of dim around `centres` Gaussian centres (spread 1 around centres of spread `spread`): every
 * bit from the seeded wr_rng, so both builds see the same vectors. */
static float *clustered(int n, int dim, int centres, uint64_t seed, float spread) {
    wr_rng r;
    wr__rng_seed(&r, seed);
    float *c = malloc((size_t)centres * dim * sizeof *c), *v = malloc((size_t)n * dim * sizeof *v);
    for (int i = 0; i < centres * dim; i++) c[i] = spread * wr__rng_normal(&r);
    for (int i = 0; i < n; i++) {
        int k = (int)wr__rng_below(&r, (uint32_t)centres);
        for (int j = 0; j < dim; j++) v[(size_t)i * dim + j] = c[(size_t)k * dim + j] + wr__rng_normal(&r);
    }
    free(c);
    return v;
}

typedef struct {
    float s;
    int id;
} scored;

static int cmp_scored(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static void exact_vs_sort(void) {
    enum { N = 1000, D = 19, STRIDE = 23, K = 25 };
    wr_rng r;
    wr__rng_seed(&r, 5);
    float *v = malloc(N * STRIDE * sizeof *v), q[D];
    for (int i = 0; i < N * STRIDE; i++) v[i] = wr__rng_normal(&r);
    for (int i = 0; i < 40; i++) memcpy(v + (size_t)(500 + i) * STRIDE, v + (size_t)(3 + i % 7) * STRIDE, D * sizeof *v); /* ties */
    for (int t = 0; t < 20; t++) {
        if (t < 10) memcpy(q, v + (size_t)(3 + t % 7) * STRIDE, sizeof q); /* a tied vector's own query */
        else for (int j = 0; j < D; j++) q[j] = wr__rng_normal(&r);
        scored all[N];
        for (int i = 0; i < N; i++) all[i] = (scored){wr_dot(q, v + (size_t)i * STRIDE, D), i};
        qsort(all, N, sizeof all[0], cmp_scored);
        int32_t ids[K];
        float sc[K];
        CHECK(wr__index_exact(v, N, D, STRIDE, q, K, ids, sc) == K);
        int same = 1;
        for (int i = 0; i < K; i++) same &= ids[i] == all[i].id && sc[i] == all[i].s;
        CHECK(same);
        /* the batch scan gives the same bits */
        int32_t bids[3 * K];
        float bsc[3 * K], qs[3 * D];
        for (int j = 0; j < 3; j++) memcpy(qs + j * D, q, sizeof q);
        wr__index_exact_batch(v, N, D, STRIDE, qs, 3, K, bids, bsc);
        CHECK(!memcmp(bids + 2 * K, ids, sizeof ids) && !memcmp(bsc + K, sc, sizeof sc));
    }
    int32_t ids[5];
    float sc[5];
    CHECK(wr__index_exact(v, 3, D, STRIDE, q, 5, ids, sc) == 3); /* fewer than k */
    CHECK(wr__index_exact(v, 0, D, STRIDE, q, 5, ids, sc) == 0);
    free(v);
}

/* recall@k of HNSW against exact over nq queries */
static double recall(wr_hnsw *h, const float *qs, int nq, int dim, int k, int ef) {
    int32_t a[64], b[64];
    float sa[64], sb[64];
    long hit = 0, tot = 0;
    for (int q = 0; q < nq; q++) {
        int ne = wr__hnsw_exact(h, qs + (size_t)q * dim, k, a, sa);
        int nh = wr__hnsw_search(h, qs + (size_t)q * dim, k, ef, b, sb);
        for (int i = 0; i < ne; i++)
            for (int j = 0; j < nh; j++) hit += a[i] == b[j];
        tot += ne;
    }
    return (double)hit / (double)tot;
}

static uint32_t fnv(uint32_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

static uint8_t *save_bytes(wr_hnsw *h, size_t *len) {
    wr_st_file w;
    wr__st_init(&w);
    uint8_t *b = NULL;
    CHECK(wr__hnsw_save(h, &w, "ix.") == WR_OK);
    CHECK(wr__st_serialize(&w, &b, len) == 0);
    wr__st_free(&w);
    return b;
}

static wr_hnsw *load_bytes(const uint8_t *b, size_t len, int expect_n, int expect_dim, int *rc) {
    wr_st_file f;
    wr_hnsw *h = NULL;
    *rc = wr__st_parse(ctx, b, len, "t", &f);
    if (*rc) return NULL;
    *rc = wr__hnsw_load(ctx, &f, "ix.", expect_n, expect_dim, &h);
    wr__st_free(&f);
    return h;
}

enum { N = 3000, D = 32, NQ = 200 };
static uint32_t build_hash = 2166136261u;

static void hnsw_recall(int metric) {
    /* the queries: further draws from the same mixture */
    float *all = clustered(N + NQ, D, 60, 11, 1.0f), *qs = all + (size_t)N * D;
    wr_hnsw *h = NULL;
    CHECK(wr__hnsw_new(ctx, D, metric, 12, 100, 7, &h) == WR_OK);
    CHECK(wr__hnsw_add(h, all, N) == WR_OK);
    CHECK(wr__hnsw_count(h) == N);
    double r10 = recall(h, qs, NQ, D, 10, 40), r_low = recall(h, qs, NQ, D, 10, 10);
    printf("%s: recall@10 %.4f at ef 40, %.4f at ef 10\n", metric ? "cosine" : "ip", r10, r_low);
    CHECK(r10 >= 0.95);
    CHECK(r_low <= r10);
    /* scores are inner products (cosines) of the stored vectors, best first */
    int32_t ids[10];
    float sc[10];
    int m = wr__hnsw_search(h, qs, 10, 40, ids, sc);
    CHECK(m == 10);
    for (int i = 1; i < m; i++) CHECK(sc[i - 1] >= sc[i]);
    if (metric == WR_INDEX_COSINE)
        for (int i = 0; i < m; i++) CHECK(sc[i] <= 1.0001f && sc[i] >= -1.0001f);

    /* the same seed: the same bytes; another seed: another graph */
    wr_hnsw *h2 = NULL, *h3 = NULL;
    CHECK(wr__hnsw_new(ctx, D, metric, 12, 100, 7, &h2) == WR_OK && wr__hnsw_add(h2, all, N) == WR_OK);
    CHECK(wr__hnsw_new(ctx, D, metric, 12, 100, 8, &h3) == WR_OK && wr__hnsw_add(h3, all, N) == WR_OK);
    size_t l1, l2, l3;
    uint8_t *b1 = save_bytes(h, &l1), *b2 = save_bytes(h2, &l2), *b3 = save_bytes(h3, &l3);
    CHECK(l1 == l2 && !memcmp(b1, b2, l1));
    CHECK(l1 != l3 || memcmp(b1, b3, l1));
    build_hash = fnv(build_hash, b1, l1);

    /* save, load: the same answers, bit for bit */
    int rc;
    wr_hnsw *g = load_bytes(b1, l1, N, D, &rc);
    CHECK(rc == WR_OK && g);
    if (g) {
        int same = 1;
        for (int q = 0; q < NQ; q++) {
            int32_t a[10], b[10];
            float sa[10], sb[10];
            int na = wr__hnsw_search(h, qs + (size_t)q * D, 10, 30, a, sa), nb = wr__hnsw_search(g, qs + (size_t)q * D, 10, 30, b, sb);
            same &= na == nb && !memcmp(a, b, sizeof(int32_t) * na) && !memcmp(sa, sb, sizeof(float) * na);
            build_hash = fnv(build_hash, a, sizeof(int32_t) * na);
            build_hash = fnv(build_hash, sa, sizeof(float) * na);
        }
        CHECK(same);
        size_t lg;
        uint8_t *bg = save_bytes(g, &lg);
        CHECK(lg == l1 && !memcmp(bg, b1, l1));
        free(bg);
        wr__hnsw_free(g);
    }
    /* expectations of the caller */
    CHECK(!load_bytes(b1, l1, N + 1, D, &rc) && rc == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "ix.settings");
    CHECK(!load_bytes(b1, l1, -1, D + 1, &rc) && rc == WR_ERR_FORMAT);

    /* incremental: two halves keep recall (the same graph as one call); a save and load between
     * them changes nothing */
    wr_hnsw *a = NULL;
    CHECK(wr__hnsw_new(ctx, D, metric, 12, 100, 7, &a) == WR_OK);
    CHECK(wr__hnsw_add(a, all, N / 2) == WR_OK);
    size_t lh;
    uint8_t *bh = save_bytes(a, &lh);
    CHECK(wr__hnsw_add(a, all + (size_t)(N / 2) * D, N - N / 2) == WR_OK);
    double ri = recall(a, qs, NQ, D, 10, 40);
    printf("%s: recall@10 %.4f added in two halves\n", metric ? "cosine" : "ip", ri);
    CHECK(ri >= 0.95);
    CHECK(wr__hnsw_count(a) == N);
    size_t la0;
    uint8_t *ba0 = save_bytes(a, &la0); /* insertion is sequential: two calls build what one does */
    CHECK(la0 == l1 && !memcmp(ba0, b1, l1));
    free(ba0);
    wr_hnsw *c = load_bytes(bh, lh, N / 2, D, &rc);
    CHECK(rc == WR_OK && c);
    if (c) {
        CHECK(wr__hnsw_add(c, all + (size_t)(N / 2) * D, N - N / 2) == WR_OK);
        size_t la, lc;
        uint8_t *ba = save_bytes(a, &la), *bc = save_bytes(c, &lc);
        CHECK(la == lc && !memcmp(ba, bc, la));
        free(ba);
        free(bc);
        wr__hnsw_free(c);
    }
    free(bh);
    wr__hnsw_free(a);
    free(b1), free(b2), free(b3);
    wr__hnsw_free(h), wr__hnsw_free(h2), wr__hnsw_free(h3);
    free(all);
}

/* ---- hostile files ------------------------------------------------------------------------------ */

/* A copy of the file b with tensor `name` replaced (its data and shape; ndim < 0 drops it). */
static uint8_t *replace_tensor(const uint8_t *b, size_t len, const char *name, wr_dtype dt, int ndim, const int64_t *shape,
                               const void *data, size_t *out_len) {
    wr_st_file f, w;
    CHECK(wr__st_parse(ctx, b, len, "t", &f) == WR_OK);
    wr__st_init(&w);
    void *copies[16] = {0};
    for (int i = 0; i < f.n && i < 16; i++) {
        const wr_st_tensor *t = &f.t[i];
        if (!strcmp(t->name, name)) {
            if (ndim >= 0) wr__st_add(&w, name, dt, ndim, shape, data);
            continue;
        }
        copies[i] = malloc(t->nbytes + 1);
        wr__st_copy(copies[i], t);
        wr__st_add(&w, t->name, t->dtype, t->ndim, t->shape, copies[i]);
    }
    uint8_t *out = NULL;
    CHECK(wr__st_serialize(&w, &out, out_len) == 0);
    for (int i = 0; i < 16; i++) free(copies[i]);
    wr__st_free(&w);
    wr__st_free(&f);
    return out;
}

/* Copies of a tensor's bytes, to alter. */
static void *tensor_copy(const uint8_t *b, size_t len, const char *name, int64_t *shape0, int64_t *shape1) {
    wr_st_file f;
    CHECK(wr__st_parse(ctx, b, len, "t", &f) == WR_OK);
    void *out = NULL;
    for (int i = 0; i < f.n; i++)
        if (!strcmp(f.t[i].name, name)) {
            out = malloc(f.t[i].nbytes + 1);
            wr__st_copy(out, &f.t[i]);
            *shape0 = f.t[i].shape[0];
            *shape1 = f.t[i].ndim > 1 ? f.t[i].shape[1] : 0;
        }
    wr__st_free(&f);
    return out;
}

/* Loads b with tensor name's I32 element [at] set to value: expects a format error naming want. */
static void expect_i32(const uint8_t *b, size_t len, const char *name, int64_t at, int32_t value, const char *want) {
    int64_t s0, s1;
    int32_t *x = tensor_copy(b, len, name, &s0, &s1);
    x[at] = value;
    int64_t shape[2] = {s0, s1};
    size_t l2;
    uint8_t *b2 = replace_tensor(b, len, name, WR_DT_I32, s1 ? 2 : 1, shape, x, &l2);
    int rc;
    wr_hnsw *h = load_bytes(b2, l2, -1, -1, &rc);
    CHECK(!h && rc == WR_ERR_FORMAT);
    if (h || rc != WR_ERR_FORMAT) printf("  (%s[%lld] = %d loaded)\n", name, (long long)at, value);
    CHECK_CONTAINS(wr_last_error(ctx), want);
    wr__hnsw_free(h);
    free(x);
    free(b2);
}

static void hostile(void) {
    enum { HN = 400, HD = 8, HM = 4 };
    float *v = clustered(HN, HD, 10, 3, 3.0f);
    wr_hnsw *h = NULL;
    CHECK(wr__hnsw_new(ctx, HD, WR_INDEX_IP, HM, 40, 1, &h) == WR_OK && wr__hnsw_add(h, v, HN) == WR_OK);
    size_t len;
    uint8_t *b = save_bytes(h, &len);
    int rc;
    wr_hnsw *ok = load_bytes(b, len, HN, HD, &rc);
    CHECK(ok && rc == WR_OK);
    wr__hnsw_free(ok);
    const int row0 = 2 * HM + 1, row1 = HM + 1;
    /* find a vector with a full-ish level 0 list and one with an upper level */
    int64_t s0, s1;
    int32_t *l0 = tensor_copy(b, len, "ix.links", &s0, &s1), *lv = tensor_copy(b, len, "ix.levels", &s0, &s1);
    int32_t *st = tensor_copy(b, len, "ix.settings", &s0, &s1);
    int node = 0;
    while (l0[node * row0] < 2) node++;
    int up = 0;
    while (lv[up] < 1) up++;
    int64_t up_list = 0; /* the first upper list of vector up */
    for (int i = 0; i < up; i++) up_list += lv[i];
    /* neighbour ids */
    expect_i32(b, len, "ix.links", node * row0 + 1, HN, "neighbour 400 is not a vector id");
    expect_i32(b, len, "ix.links", node * row0 + 1, -1, "\"ix.links\": vector");
    expect_i32(b, len, "ix.links", node * row0 + 1, node, "links to itself");
    expect_i32(b, len, "ix.links", node * row0 + 1, l0[node * row0 + 2], "appears twice");
    expect_i32(b, len, "ix.links", node * row0, row0, "neighbours on level 0, at most 8 fit");
    expect_i32(b, len, "ix.links", node * row0, -3, "neighbours on level 0");
    expect_i32(b, len, "ix.upper_links", up_list * row1, HM + 1, "\"ix.upper_links\": vector");
    /* an upper list pointing at a vector that has no such level */
    int low = 0;
    while (lv[low] != 0 || low == up) low++;
    int64_t us0, us1;
    int32_t *ul = tensor_copy(b, len, "ix.upper_links", &us0, &us1);
    if (ul[up_list * row1] > 0) expect_i32(b, len, "ix.upper_links", up_list * row1 + 1, low, "only reaches level 0");
    free(ul);
    /* levels, entry point, counts */
    expect_i32(b, len, "ix.levels", 0, 99, "outside 0..");
    expect_i32(b, len, "ix.levels", 0, -1, "\"ix.levels\": vector 0 has level -1");
    expect_i32(b, len, "ix.levels", st[7], 0, "the entry point"); /* or the upper-list count */
    expect_i32(b, len, "ix.settings", 7, HN, "entry point 400");
    expect_i32(b, len, "ix.settings", 6, 40, "max level 40");
    expect_i32(b, len, "ix.settings", 5, 2147483647, "\"ix.vectors\" has shape [400,8], expected [2147483647,8]");
    expect_i32(b, len, "ix.settings", 5, -5, "count -5");
    expect_i32(b, len, "ix.settings", 3, 1000000000, "M must be in [2, 1024]");
    expect_i32(b, len, "ix.settings", 3, 8, "\"ix.links\" has shape [400,9], expected [400,17]");
    expect_i32(b, len, "ix.settings", 1, 0, "dim must be in");
    expect_i32(b, len, "ix.settings", 1, 65536, "\"ix.vectors\" has shape [400,8], expected [400,65536]");
    expect_i32(b, len, "ix.settings", 2, 7, "metric must be");
    expect_i32(b, len, "ix.settings", 0, 2, "index format 2");
    expect_i32(b, len, "ix.settings", 4, 0, "ef_construction");
    /* a cosine index whose vectors are not unit length */
    expect_i32(b, len, "ix.settings", 2, WR_INDEX_COSINE, "a cosine index stores unit vectors");
    /* wrong shapes and dtypes, a missing tensor */
    size_t l2;
    int64_t sh[2] = {HN, HD - 1};
    float *vv = calloc(HN * HD, sizeof *vv);
    uint8_t *b2 = replace_tensor(b, len, "ix.vectors", WR_DT_F32, 2, sh, vv, &l2);
    CHECK(!load_bytes(b2, l2, -1, -1, &rc) && rc == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "\"ix.vectors\" has shape [400,7], expected [400,8]");
    free(b2);
    vv[5] = NAN;
    sh[1] = HD;
    b2 = replace_tensor(b, len, "ix.vectors", WR_DT_F32, 2, sh, vv, &l2);
    CHECK(!load_bytes(b2, l2, -1, -1, &rc) && rc == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "vector 0, component 5 is not a finite number");
    free(b2);
    b2 = replace_tensor(b, len, "ix.levels", WR_DT_F32, 1, sh, vv, &l2);
    CHECK(!load_bytes(b2, l2, -1, -1, &rc) && rc == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "\"ix.levels\" has dtype F32, expected I32");
    free(b2);
    int64_t big[2] = {us0 + 1, us1};
    int32_t *zeros = calloc((size_t)(us0 + 1) * us1 + 1, sizeof *zeros);
    b2 = replace_tensor(b, len, "ix.upper_links", WR_DT_I32, 2, big, zeros, &l2);
    CHECK(!load_bytes(b2, l2, -1, -1, &rc) && rc == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "lists, the levels need");
    free(b2);
    free(zeros);
    b2 = replace_tensor(b, len, "ix.rng", WR_DT_I64, -1, NULL, NULL, &l2);
    CHECK(!load_bytes(b2, l2, -1, -1, &rc) && rc == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "\"ix.rng\" is missing");
    free(b2);
    /* every truncation of the file: an error, never a crash */
    for (size_t cut = 0; cut < len; cut += 1 + len / 97) {
        wr_hnsw *t = load_bytes(b, cut, -1, -1, &rc);
        CHECK(!t && rc != WR_OK);
        wr__hnsw_free(t);
    }
    /* random corruption of the graph's bytes: an error or a valid index, never a crash */
    wr_rng r;
    wr__rng_seed(&r, 99);
    int loaded = 0;
    for (int t = 0; t < 300; t++) {
        int32_t *x = malloc((size_t)HN * row0 * sizeof *x);
        memcpy(x, l0, (size_t)HN * row0 * sizeof *x);
        for (int e = 0; e < 3; e++) x[wr__rng_below(&r, HN * row0)] = (int32_t)wr__rng_below(&r, HN + 20) - 10;
        int64_t s[2] = {HN, row0};
        b2 = replace_tensor(b, len, "ix.links", WR_DT_I32, 2, s, x, &l2);
        wr_hnsw *g = load_bytes(b2, l2, -1, -1, &rc);
        if (g) {
            loaded++;
            int32_t ids[10];
            float sc[10];
            CHECK(wr__hnsw_search(g, v, 10, 50, ids, sc) >= 0);
            CHECK(wr__hnsw_add(g, v, 10) == WR_OK);
        }
        wr__hnsw_free(g);
        free(x);
        free(b2);
    }
    printf("hostile: %d of 300 corrupted graphs were still valid and searched\n", loaded);
    free(vv);
    free(l0), free(lv), free(st);
    free(b);
    wr__hnsw_free(h);
    free(v);
}

/* ---- the public API ----------------------------------------------------------------------------- */

static void public_api(void) {
    wr_index *ix = NULL;
    CHECK(wr_index_new(ctx, 8, "metric=cosine,M=0", &ix) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "M must be an integer in [2, 1024], got \"0\"");
    CHECK(wr_index_new(ctx, 8, "metric=l2", &ix) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "metric must be ip or cosine, got \"l2\"");
    CHECK(wr_index_new(ctx, 8, "efc=3", &ix) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "no setting \"efc\"");
    CHECK(wr_index_new(ctx, 8, "seed=-1", &ix) == WR_ERR_ARG);
    CHECK(wr_index_new(ctx, 8, "ef_construction=1e9", &ix) == WR_ERR_ARG);
    CHECK(wr_index_new(ctx, 0, "", &ix) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "dim must be in [1, 65536], got 0");
    CHECK(wr_index_new(ctx, 16, " metric = cosine , M=8, ef_construction=64,seed=18446744073709551615,", &ix) == WR_OK);
    float *v = clustered(1000, 16, 20, 4, 3.0f);
    CHECK(wr_index_add(ix, v, 1000) == WR_OK);
    float keep = v[7];
    v[7] = INFINITY;
    CHECK(wr_index_add(ix, v, 1) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "vector 0, component 7 is not a finite number");
    v[7] = keep;
    CHECK(wr_index_count(ix) == 1000 && wr_index_dim(ix) == 16);
    CHECK(wr_index_memory_bytes(ix) > 1000 * 16 * 4);
    int32_t ids[2 * 12], eids[2 * 12];
    float sc[2 * 12], esc[2 * 12];
    CHECK(wr_index_search(ix, v, 2, 12, 0, eids, esc) == WR_OK);
    CHECK(wr_index_search(ix, v, 2, 12, 50, ids, sc) == WR_OK);
    CHECK(eids[0] == 0 && eids[12] == 1); /* each vector is its own best cosine */
    CHECK(ids[0] == 0 && ids[12] == 1);
    CHECK_CLOSE(esc[0], 1.0, 1e-5, 0);
    int32_t one[12];
    float osc[12];
    CHECK(wr__hnsw_exact(ix, v + 16, 12, one, osc) == 12);
    CHECK(!memcmp(one, eids + 12, sizeof one) && !memcmp(osc, esc + 12, sizeof osc));
    CHECK(wr_index_search(ix, v, 1, 0, 10, ids, sc) == WR_ERR_ARG);
    CHECK(wr_index_search(ix, v, 1, 5, -1, ids, sc) == WR_ERR_ARG);
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(wr_index_save(ix, &bytes, &len) == WR_OK);
    wr_index *back = NULL;
    CHECK(wr_index_load(ctx, bytes, len, "ix.safetensors", &back) == WR_OK);
    int32_t bids[12];
    float bsc[12];
    CHECK(back && wr_index_search(back, v, 1, 12, 50, bids, bsc) == WR_OK);
    CHECK(!memcmp(bids, ids, sizeof bids) && !memcmp(bsc, sc, sizeof bsc));
    wr_index_free(back);
    CHECK(wr_index_load(ctx, bytes, len / 2, "ix.safetensors", &back) == WR_ERR_FORMAT && !back);
    CHECK_CONTAINS(wr_last_error(ctx), "ix.safetensors");
    wr_free(bytes);
    wr_index_free(ix);
    /* capacity: room made at once; adding past it still works */
    CHECK(wr_index_new(ctx, 16, "capacity=-1", &ix) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "capacity must be an integer");
    CHECK(wr_index_new(ctx, 16, "capacity=500", &ix) == WR_OK);
    size_t room = wr_index_memory_bytes(ix);
    CHECK(room > 500 * 16 * 4);
    CHECK(wr_index_add(ix, v, 400) == WR_OK && wr_index_memory_bytes(ix) < 2 * room);
    CHECK(wr_index_add(ix, v, 600) == WR_OK && wr_index_count(ix) == 1000);
    wr_index_free(ix);
    /* fewer vectors than k: rows end with -1 */
    CHECK(wr_index_new(ctx, 16, NULL, &ix) == WR_OK);
    CHECK(wr_index_search(ix, v, 1, 4, 10, ids, sc) == WR_OK && ids[0] == -1);
    CHECK(wr_index_add(ix, v, 3) == WR_OK);
    CHECK(wr_index_search(ix, v, 1, 5, 10, ids, sc) == WR_OK && ids[2] >= 0 && ids[3] == -1 && ids[4] == -1);
    CHECK(wr_index_search(ix, v, 1, 5, 0, ids, sc) == WR_OK && ids[2] >= 0 && ids[3] == -1);
    wr_index_free(ix);
    free(v);
}

/* same on every build: changes only if the graph construction or the file layout changes */
#define INDEX_HASH 0x687b872bu

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    exact_vs_sort();
    hnsw_recall(WR_INDEX_IP);
    hnsw_recall(WR_INDEX_COSINE);
    printf("index hash 0x%08x\n", build_hash);
    CHECK(build_hash == INDEX_HASH);
    hostile();
    public_api();
    wr_ctx_free(ctx);
    TEST_END("index");
}
