/* fuzz_index.c: wr_index_load on an index file's bytes, then what loaded: its count, dim and
 * memory, exact and HNSW searches (every id a vector's or -1, the exact scan's ids distinct and
 * best first), adding vectors and searching again, and save and reload (the same bytes, the
 * same answers).
 * Built twice, as fuzz_model: fuzz_index_header (FZ_FIX_HEADER) sets the header length from the
 * header's JSON. */
#include "fuzz.h"

enum { NQ = 3 };

static void search(wr_index *idx, const float *q, int k, int ef, int32_t *ids, float *sc) {
    const int n = wr_index_count(idx);
    if (fz_status(wr_index_search(idx, q, NQ, k, ef, ids, sc)) != WR_OK) return;
    for (int r = 0; r < NQ; r++) {
        const int32_t *id = ids + (size_t)r * k;
        const float *s = sc + (size_t)r * k;
        int found = 0;
        for (int i = 0; i < k; i++) {
            FZ_CHECK(id[i] >= -1 && id[i] < n);
            if (id[i] < 0) {
                FZ_CHECK(s[i] == 0);
                continue;
            }
            FZ_CHECK(found == i); /* the -1s come last */
            found++;
            for (int j = 0; j < i; j++) FZ_CHECK(id[j] != id[i]);
            if (ef == 0 && i) FZ_CHECK(!(s[i] > s[i - 1]));
        }
        if (ef == 0) FZ_CHECK(found == (k < n ? k : n));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *bytes = data;
    uint8_t *copy = NULL;
#ifdef FZ_FIX_HEADER
    if (size < 8) return 0;
    bytes = copy = fz_fix_header(data, size);
#endif
    wr_ctx *ctx = fz_ctx();
    wr_index *idx = NULL;
    int rc = fz_status(wr_index_load(ctx, bytes, size, "fuzz.index", &idx));
    FZ_CHECK((rc == WR_OK) == (idx != NULL));
    fz_note("load", rc);
    if (rc == WR_OK) {
        const int dim = wr_index_dim(idx), n = wr_index_count(idx);
        FZ_CHECK(dim >= 1 && dim <= 65536 && n >= 0 && wr_index_memory_bytes(idx) > 0);
        float *q = malloc((size_t)NQ * (size_t)dim * sizeof *q);
        FZ_CHECK(q);
        for (size_t i = 0; i < (size_t)NQ * dim; i++) q[i] = (float)((int)(i * 7 % 11) - 5) * 0.25f;
        const int k = (n < 8 ? n : 8) + 2;
        int32_t *ids = malloc((size_t)NQ * k * sizeof *ids), *ids2 = malloc((size_t)NQ * k * sizeof *ids2);
        float *sc = malloc((size_t)NQ * k * sizeof *sc), *sc2 = malloc((size_t)NQ * k * sizeof *sc2);
        FZ_CHECK(ids && ids2 && sc && sc2);
        const unsigned flags = size ? data[size - 1] : 0;
        search(idx, q, k, 0, ids, sc);
        search(idx, q, k, 1, ids, sc);
        search(idx, q, k, 1 + (flags & 63), ids, sc);
        /* save and reload: the same bytes, the same answers */
        uint8_t *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        FZ_CHECK(fz_status(wr_index_save(idx, &a, &na)) == WR_OK);
        wr_index *back = NULL;
        rc = fz_status(wr_index_load(ctx, a, na, "saved.index", &back));
        if (rc) fprintf(stderr, "a saved index does not load: %s\n", wr_last_error(ctx));
        FZ_CHECK(rc == WR_OK);
        FZ_CHECK(fz_status(wr_index_save(back, &b, &nb)) == WR_OK && nb == na && !memcmp(a, b, na));
        search(idx, q, k, 10, ids, sc);
        search(back, q, k, 10, ids2, sc2);
        FZ_CHECK(!memcmp(ids, ids2, (size_t)NQ * k * sizeof *ids) && !memcmp(sc, sc2, (size_t)NQ * k * sizeof *sc));
        wr_free(a), wr_free(b);
        /* adding goes on as it would have without the save */
        if (n < 2000 && (size_t)dim * 4 <= 65536) {
            FZ_CHECK(fz_status(wr_index_add(idx, q, NQ)) == WR_OK && wr_index_count(idx) == n + NQ);
            FZ_CHECK(fz_status(wr_index_add(back, q, NQ)) == WR_OK);
            search(idx, q, k, 0, ids, sc);
            search(idx, q, k, 4, ids, sc);
            search(back, q, k, 4, ids2, sc2);
            FZ_CHECK(!memcmp(ids, ids2, (size_t)NQ * k * sizeof *ids));
        }
        wr_index_free(back);
        free(q), free(ids), free(ids2), free(sc), free(sc2);
        wr_index_free(idx);
    }
    free(copy);
    return 0;
}
