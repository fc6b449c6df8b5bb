/* index.c: the public wr_index_* API over the HNSW index (hnsw.c): settings text, argument
 * checks, batches of queries, and files of their own. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

#define IDX_PREFIX "index."

/* One integer setting: decimal, spaces around allowed, no sign for seeds. */
static int parse_int(wr_ctx *ctx, const char *key, const char *v, size_t len, long long lo, long long hi, long long *out) {
    char buf[64];
    while (len && (*v == ' ' || *v == '\t')) v++, len--;
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t')) len--;
    int ok = len > 0 && len < sizeof buf;
    if (ok) {
        memcpy(buf, v, len);
        buf[len] = 0;
        char *end = NULL;
        double d = strtod(buf, &end);
        ok = *end == 0 && strpbrk(buf, "xXiInN") == NULL && d >= (double)lo && d <= (double)hi && d == floor(d);
        if (ok) *out = (long long)d;
    }
    if (!ok) return wr__err(ctx, WR_ERR_ARG, "index: %s must be an integer in [%lld, %lld], got \"%.*s\"", key, lo, hi, (int)(len > 40 ? 40 : len), v);
    return WR_OK;
}

static int parse_seed(wr_ctx *ctx, const char *v, size_t len, uint64_t *out) {
    while (len && (*v == ' ' || *v == '\t')) v++, len--;
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t')) len--;
    uint64_t s = 0;
    int ok = len > 0;
    for (size_t i = 0; ok && i < len; i++) {
        if (v[i] < '0' || v[i] > '9' || s > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10) ok = 0;
        else s = s * 10 + (uint64_t)(v[i] - '0');
    }
    if (!ok) return wr__err(ctx, WR_ERR_ARG, "index: seed must be an integer in [0, 2^64), got \"%.*s\"", (int)(len > 40 ? 40 : len), v);
    *out = s;
    return WR_OK;
}

int wr_index_new(wr_ctx *ctx, int dim, const char *settings, wr_index **out) {
    if (!out) return wr__err(ctx, WR_ERR_ARG, "wr_index_new: out is required");
    *out = NULL;
    if (!ctx) return WR_ERR_ARG;
    int metric = WR_INDEX_IP;
    long long M = 16, efc = 200, capacity = 0;
    uint64_t seed = 42;
    const char *p = settings ? settings : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        const char *k = p;
        size_t klen = eq ? (size_t)(eq - p) : len;
        while (klen && (*k == ' ' || *k == '\t')) k++, klen--;
        while (klen && (k[klen - 1] == ' ' || k[klen - 1] == '\t')) klen--;
        if (klen == 0 && !eq) { /* an empty item ("a=1,,b=2" or trailing comma) */
            p += len + (end ? 1 : 0);
            continue;
        }
        if (!eq) return wr__err(ctx, WR_ERR_ARG, "index: setting \"%.*s\" has no value (key=value, comma separated)", (int)(klen > 40 ? 40 : klen), k);
        const char *v = eq + 1;
        size_t vlen = len - (size_t)(v - p);
        int rc = WR_OK;
        long long x;
        if (klen == 6 && !memcmp(k, "metric", 6)) {
            while (vlen && *v == ' ') v++, vlen--;
            while (vlen && v[vlen - 1] == ' ') vlen--;
            if (vlen == 2 && !memcmp(v, "ip", 2)) metric = WR_INDEX_IP;
            else if (vlen == 6 && !memcmp(v, "cosine", 6)) metric = WR_INDEX_COSINE;
            else rc = wr__err(ctx, WR_ERR_ARG, "index: metric must be ip or cosine, got \"%.*s\"", (int)(vlen > 40 ? 40 : vlen), v);
        } else if (klen == 1 && k[0] == 'M') {
            if (!(rc = parse_int(ctx, "M", v, vlen, WR_HNSW_MIN_M, WR_HNSW_MAX_M, &x))) M = x;
        } else if (klen == 15 && !memcmp(k, "ef_construction", 15)) {
            if (!(rc = parse_int(ctx, "ef_construction", v, vlen, 1, WR_HNSW_MAX_EF, &x))) efc = x;
        } else if (klen == 8 && !memcmp(k, "capacity", 8)) {
            if (!(rc = parse_int(ctx, "capacity", v, vlen, 0, INT32_MAX - 1, &x))) capacity = x;
        } else if (klen == 4 && !memcmp(k, "seed", 4)) {
            rc = parse_seed(ctx, v, vlen, &seed);
        } else {
            rc = wr__err(ctx, WR_ERR_ARG, "index: no setting \"%.*s\"; the settings are metric (ip|cosine), M, ef_construction, seed, capacity",
                         (int)(klen > 40 ? 40 : klen), k);
        }
        if (rc) return rc;
        p += len + (end ? 1 : 0);
    }
    int rc = wr__hnsw_new(ctx, dim, metric, (int)M, (int)efc, seed, out);
    if (rc == WR_OK && capacity > 0 && (rc = wr__hnsw_reserve(*out, (int)capacity))) {
        wr__hnsw_free(*out);
        *out = NULL;
    }
    return rc;
}

int wr_index_add(wr_index *idx, const float *vectors, int n) {
    if (!idx) return WR_ERR_ARG;
    return wr__hnsw_add(idx, vectors, n);
}

int wr_index_search(wr_index *idx, const float *queries, int n_queries, int k, int ef_search, int32_t *ids, float *scores) {
    if (!idx) return WR_ERR_ARG;
    wr_ctx *ctx = wr__hnsw_ctx(idx);
    const int dim = wr__hnsw_dim(idx);
    if (n_queries < 0 || (n_queries > 0 && (!queries || !ids || !scores)))
        return wr__err(ctx, WR_ERR_ARG, "index search: %d queries with missing arrays", n_queries);
    if (k < 1 || k > 1 << 20) return wr__err(ctx, WR_ERR_ARG, "index search: k must be in [1, %d], got %d", 1 << 20, k);
    if (ef_search < 0 || ef_search > WR_HNSW_MAX_EF)
        return wr__err(ctx, WR_ERR_ARG, "index search: ef_search must be in [0, %d] (0: exact scan), got %d", WR_HNSW_MAX_EF, ef_search);
    if ((size_t)n_queries * (size_t)k > SIZE_MAX / 8) return wr__err(ctx, WR_ERR_ARG, "index search: %d queries x k %d is too many", n_queries, k);
    for (int q = 0; q < n_queries; q++)
        for (int j = 0; j < dim; j++)
            if (!isfinite(queries[(size_t)q * dim + j]))
                return wr__err(ctx, WR_ERR_ARG, "index search: query %d, component %d is not a finite number", q, j);
    const int n = wr__hnsw_count(idx);
    if (ef_search == 0 && wr__hnsw_metric(idx) == WR_INDEX_IP) {
        wr__index_exact_batch(wr__hnsw_vectors(idx), n, dim, dim, queries, n_queries, k, ids, scores);
        return WR_OK;
    }
    if (ef_search == 0) { /* cosine: normalised queries, then one pass as above */
        float *qn = wr__realloc_array(NULL, (size_t)(n_queries ? n_queries : 1), (size_t)dim * sizeof(float));
        if (!qn) return wr__oom(ctx, "normalising the queries");
        memcpy(qn, queries, (size_t)n_queries * (size_t)dim * sizeof(float));
        /* the index's own normalisation, so the bits match wr__hnsw_exact's */
        for (int q = 0; q < n_queries; q++) wr__index_normalise(qn + (size_t)q * dim, qn + (size_t)q * dim, dim);
        wr__index_exact_batch(wr__hnsw_vectors(idx), n, dim, dim, qn, n_queries, k, ids, scores);
        free(qn);
        return WR_OK;
    }
    for (int q = 0; q < n_queries; q++) {
        int32_t *id = ids + (size_t)q * k;
        float *sc = scores + (size_t)q * k;
        int m = wr__hnsw_search(idx, queries + (size_t)q * dim, k, ef_search, id, sc);
        if (m < 0) return m;
        for (int i = m; i < k; i++) {
            id[i] = -1;
            sc[i] = 0.0f;
        }
    }
    return WR_OK;
}

int wr_index_count(const wr_index *idx) { return wr__hnsw_count(idx); }
int wr_index_dim(const wr_index *idx) { return wr__hnsw_dim(idx); }
size_t wr_index_memory_bytes(const wr_index *idx) { return wr__hnsw_memory(idx); }
void wr_index_free(wr_index *idx) { wr__hnsw_free(idx); }

int wr_index_save(wr_index *idx, uint8_t **out_bytes, size_t *out_len) {
    if (!idx || !out_bytes || !out_len) return WR_ERR_ARG;
    *out_bytes = NULL;
    *out_len = 0;
    wr_st_file w;
    wr__st_init(&w);
    int rc = wr__hnsw_save(idx, &w, IDX_PREFIX);
    if (rc == WR_OK && wr__st_set_meta(&w, "format", "wasmrec-index") < 0) rc = wr__oom(wr__hnsw_ctx(idx), "saving the index");
    if (rc == WR_OK && wr__st_serialize(&w, out_bytes, out_len) < 0) rc = wr__oom(wr__hnsw_ctx(idx), "saving the index");
    wr__st_free(&w);
    return rc;
}

int wr_index_load(wr_ctx *ctx, const uint8_t *bytes, size_t len, const char *source, wr_index **out) {
    if (!out) return wr__err(ctx, WR_ERR_ARG, "wr_index_load: out is required");
    *out = NULL;
    if (!ctx) return WR_ERR_ARG;
    if (!bytes && len) return wr__err(ctx, WR_ERR_ARG, "wr_index_load: no bytes");
    wr_st_file f;
    int rc = wr__st_parse(ctx, bytes ? bytes : (const uint8_t *)"", len, source ? source : "index", &f);
    if (rc) return rc;
    const char *fmt = wr__st_meta(&f, "format");
    if (!fmt || strcmp(fmt, "wasmrec-index"))
        rc = wr__err(ctx, WR_ERR_FORMAT, "%s: not an index file (its metadata has no format \"wasmrec-index\")", source ? source : "index");
    else
        rc = wr__hnsw_load(ctx, &f, IDX_PREFIX, -1, -1, out);
    wr__st_free(&f);
    return rc;
}
