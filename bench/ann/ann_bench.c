/* ann_bench.c: the native side of bench/ann (linked with build/libwasmrec.a).
 *   ann_bench gen BASE QUERIES N NQ DIM CENTRES SEED
 *       a Gaussian mixture (CENTRES centres ~ N(0, 1) per component, points = centre + N(0, 0.5^2)),
 *       the queries further draws from the same mixture; raw little-endian float32 files
 *   ann_bench sample VECTORS QUERIES N NQ DIM SEED
 *       queries for a file of other vectors (VECTORS_FILE): NQ of its rows plus N(0, 0.05^2) noise
 *   ann_bench run BASE QUERIES N NQ DIM METRIC M EFC EF_LIST TRUTH TOP_OUT
 *       HNSW build seconds and memory; the ground truth (top-10 ids, int32 NQ x 10, written to
 *       TRUTH) by the batched exact scan (ef_search 0 over the index's vectors); the exact scan's
 *       queries/s one query per call (the first 100 queries, the fastest of 3 passes); then for each
 *       ef_search in EF_LIST (comma separated) recall@10 against TRUTH and queries/s (one query
 *       per call, one thread; the fastest of 5 passes); TOP_OUT gets every query's top-10 ids at each ef (to compare with
 *       the wasm build). One JSON object on stdout. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/core/core.h"
#include "../../src/wasmrec.h"

/* Each figure of queries/s is the fastest of REPS timed passes over the queries (after one
 * warm-up pass): the machine is shared, and the fastest pass is the one least disturbed. */
#define REPS 5

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double rss_mb(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    if (f) fclose(f);
    return resident * 4096.0 / 1048576.0;
}

static void *read_file(const char *path, size_t want) {
    FILE *f = fopen(path, "rb");
    if (!f) return fprintf(stderr, "ann_bench: cannot open %s\n", path), exit(1), NULL;
    void *b = malloc(want ? want : 1);
    if (!b || fread(b, 1, want, f) != want) fprintf(stderr, "ann_bench: %s is shorter than %zu bytes\n", path, want), exit(1);
    fclose(f);
    return b;
}

static void write_file(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n) fprintf(stderr, "ann_bench: cannot write %s\n", path), exit(1);
    fclose(f);
}

static void die(wr_ctx *ctx, int rc) {
    if (rc) fprintf(stderr, "ann_bench: %s\n", wr_last_error(ctx)), exit(1);
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: see the comment at the top of ann_bench.c\n"), 2;
    const char *mode = argv[1];
    if (!strcmp(mode, "gen") && argc == 9) {
        int n = atoi(argv[4]), nq = atoi(argv[5]), dim = atoi(argv[6]), nc = atoi(argv[7]);
        wr_rng r;
        wr__rng_seed(&r, strtoull(argv[8], NULL, 10));
        float *c = malloc((size_t)nc * dim * sizeof *c), *v = malloc((size_t)(n + nq) * dim * sizeof *v);
        for (size_t i = 0; i < (size_t)nc * dim; i++) c[i] = wr__rng_normal(&r);
        for (size_t i = 0; i < (size_t)(n + nq); i++) {
            int k = (int)wr__rng_below(&r, (uint32_t)nc);
            for (int j = 0; j < dim; j++) v[i * dim + j] = c[(size_t)k * dim + j] + 0.5f * wr__rng_normal(&r);
        }
        write_file(argv[2], v, (size_t)n * dim * sizeof *v);
        write_file(argv[3], v + (size_t)n * dim, (size_t)nq * dim * sizeof *v);
        return 0;
    }
    if (!strcmp(mode, "sample") && argc == 8) {
        int n = atoi(argv[4]), nq = atoi(argv[5]), dim = atoi(argv[6]);
        wr_rng r;
        wr__rng_seed(&r, strtoull(argv[7], NULL, 10));
        float *v = read_file(argv[2], (size_t)n * dim * sizeof(float)), *q = malloc((size_t)nq * dim * sizeof *q);
        for (int i = 0; i < nq; i++) {
            uint32_t k = wr__rng_below(&r, (uint32_t)n);
            for (int j = 0; j < dim; j++) q[(size_t)i * dim + j] = v[(size_t)k * dim + j] + 0.05f * wr__rng_normal(&r);
        }
        write_file(argv[3], q, (size_t)nq * dim * sizeof *q);
        return 0;
    }
    wr_ctx *ctx;
    if (wr_ctx_new(&ctx)) return 1;
    if (!strcmp(mode, "run") && argc == 13) {
        int n = atoi(argv[4]), nq = atoi(argv[5]), dim = atoi(argv[6]), M = atoi(argv[8]), efc = atoi(argv[9]);
        const char *metric = argv[7], *ef_list = argv[10], *truth_path = argv[11], *top_path = argv[12];
        float *v = read_file(argv[2], (size_t)n * dim * sizeof(float)), *q = read_file(argv[3], (size_t)nq * dim * sizeof(float));
        const int K = 10;
        char settings[128];
        snprintf(settings, sizeof settings, "metric=%s,M=%d,ef_construction=%d,seed=1,capacity=%d", metric, M, efc, n);
        double rss0 = rss_mb(), t0 = now_s();
        wr_index *ix;
        die(ctx, wr_index_new(ctx, dim, settings, &ix));
        fprintf(stderr, "ann_bench: native build of %d x %d (M %d, ef_construction %d)\n", n, dim, M, efc);
        die(ctx, wr_index_add(ix, v, n));
        double build_s = now_s() - t0, rss1 = rss_mb();
        int32_t *truth = malloc((size_t)nq * K * sizeof *truth), *ids = malloc((size_t)nq * K * sizeof *ids);
        float *sc = malloc((size_t)nq * K * sizeof *sc);
        /* ground truth: the batched exact scan */
        t0 = now_s();
        die(ctx, wr_index_search(ix, q, nq, K, 0, truth, sc));
        double batch_qps = nq / (now_s() - t0);
        write_file(truth_path, truth, (size_t)nq * K * sizeof *truth);
        /* the exact scan one query per call, on the first queries (it is slow) */
        int nx = nq < 100 ? nq : 100;
        double exact_best = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            t0 = now_s();
            for (int i = 0; i < nx; i++) die(ctx, wr_index_search(ix, q + (size_t)i * dim, 1, K, 0, ids + (size_t)i * K, sc + (size_t)i * K));
            if (now_s() - t0 < exact_best) exact_best = now_s() - t0;
        }
        double exact_qps = nx / exact_best;
        int same = !memcmp(ids, truth, (size_t)nx * K * sizeof *ids);
        FILE *top = fopen(top_path, "w");
        wr_buf js = {0};
        wr__buf_printf(&js, "{\"build\":\"native\",\"items\":%d,\"dim\":%d,\"queries\":%d,\"metric\":\"%s\",\"M\":%d,\"ef_construction\":%d,", n, dim, nq,
                       metric, M, efc);
        wr__buf_printf(&js, "\"exact_qps\":%.1f,\"exact_batched_qps\":%.1f,\"exact_queries_timed\":%d,\"exact_same_as_batched\":%s,", exact_qps,
                       batch_qps, nx, same ? "true" : "false");
        wr__buf_printf(&js, "\"build_s\":%.3f,\"index_mb\":%.2f,\"rss_build_mb\":%.1f,\"sweep\":[", build_s, wr_index_memory_bytes(ix) / 1048576.0,
                       rss1 - rss0);
        const char *p = ef_list;
        for (int first = 1; *p; first = 0) {
            int ef = atoi(p);
            double best = 1e30;
            for (int rep = 0; rep < 1 + REPS; rep++) { /* a warm-up pass, then the fastest of REPS */
                t0 = now_s();
                for (int i = 0; i < nq; i++) die(ctx, wr_index_search(ix, q + (size_t)i * dim, 1, K, ef, ids + (size_t)i * K, sc + (size_t)i * K));
                if (rep > 0 && now_s() - t0 < best) best = now_s() - t0;
            }
            double qps = nq / best;
            long hit = 0;
            for (int i = 0; i < nq; i++)
                for (int a = 0; a < K; a++)
                    for (int b = 0; b < K; b++) hit += truth[(size_t)i * K + a] == ids[(size_t)i * K + b];
            double rec = (double)hit / ((double)nq * K);
            wr__buf_printf(&js, "%s{\"ef\":%d,\"recall@10\":%.4f,\"qps\":%.1f}", first ? "" : ",", ef, rec, qps);
            fprintf(stderr, "ann_bench: native ef %d: recall@10 %.4f, %.0f queries/s\n", ef, rec, qps);
            for (int i = 0; i < nq; i++) {
                fprintf(top, "%d", ef);
                for (int a = 0; a < K; a++) fprintf(top, " %d", ids[(size_t)i * K + a]);
                fprintf(top, "\n");
            }
            while (*p && *p != ',') p++;
            if (*p == ',') p++;
        }
        fclose(top);
        wr__buf_puts(&js, "]}");
        puts(js.data);
        wr__buf_free(&js);
        wr_index_free(ix);
        free(v), free(q), free(truth), free(ids), free(sc);
        wr_ctx_free(ctx);
        return 0;
    }
    return fprintf(stderr, "usage: see the comment at the top of ann_bench.c\n"), 2;
}
