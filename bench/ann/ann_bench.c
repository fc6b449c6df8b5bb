/* ann_bench.c: the native side of bench/ann (linked with build/libwasmrec.a).
 *   ann_bench gen BASE QUERIES N NQ DIM CENTRES SEED
 *       a Gaussian mixture (CENTRES centres ~ N(0, 1) per component, points = centre + N(0, 0.5^2)),
 *       the queries further draws from the same mixture; raw little-endian float32 files
 *   ann_bench sample VECTORS QUERIES N NQ DIM SEED
 *       queries for a file of other vectors (VECTORS_FILE): NQ of its rows plus N(0, 0.05^2) noise
 *   ann_bench serve BASE QUERIES N NQ DIM METRIC M EFC TRUTH
 *       builds the HNSW index (one wr_index_add; capacity N), writes the ground truth (top-10 ids,
 *       int32 NQ x 10) by the batched exact scan to TRUTH and prints one JSON line of build figures;
 *       then answers bench/ann/compare.mjs on stdin, one JSON line per command:
 *         pass EF TOP   every query, one search call each, at ef_search EF: recall@10 against
 *                       TRUTH, CPU and wall seconds; TOP ("-" for none) gets the top-10 ids appended
 *         exact         the exact scan (ef_search 0), one call each, over the first 100 queries
 *         quit
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/core/core.h"
#include "../../src/wasmrec.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The process's CPU seconds: what the queries/s figures are timed by (one thread, so on an idle
 * machine it is the wall time; on a shared one it leaves out the time others had the core). */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
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
    if (!strcmp(mode, "serve") && argc == 11) {
        int n = atoi(argv[4]), nq = atoi(argv[5]), dim = atoi(argv[6]), M = atoi(argv[8]), efc = atoi(argv[9]);
        const char *metric = argv[7], *truth_path = argv[10];
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
        /* the ground truth: the batched exact scan over the index's vectors */
        double c0 = cpu_s();
        die(ctx, wr_index_search(ix, q, nq, K, 0, truth, sc));
        double batch_qps = nq / (cpu_s() - c0);
        write_file(truth_path, truth, (size_t)nq * K * sizeof *truth);
        printf("{\"ready\":true,\"build\":\"native\",\"items\":%d,\"dim\":%d,\"queries\":%d,\"metric\":\"%s\",\"M\":%d,"
               "\"ef_construction\":%d,\"build_s\":%.3f,\"index_mb\":%.2f,\"rss_build_mb\":%.1f,\"exact_batched_qps\":%.1f}\n",
               n, dim, nq, metric, M, efc, build_s, wr_index_memory_bytes(ix) / 1048576.0, rss1 - rss0, batch_qps);
        fflush(stdout);
        char line[1024];
        while (fgets(line, sizeof line, stdin)) {
            char cmd[16] = "", top[900] = "-";
            int ef = 0;
            if (sscanf(line, "%15s %d %899s", cmd, &ef, top) < 1) continue;
            if (!strcmp(cmd, "quit")) break;
            /* exact: the scan one query per call over the first 100 queries */
            int nx = !strcmp(cmd, "exact") ? (nq < 100 ? nq : 100) : nq, search_ef = !strcmp(cmd, "exact") ? 0 : ef;
            c0 = cpu_s();
            t0 = now_s();
            for (int i = 0; i < nx; i++) die(ctx, wr_index_search(ix, q + (size_t)i * dim, 1, K, search_ef, ids + (size_t)i * K, sc + (size_t)i * K));
            double c = cpu_s() - c0, w = now_s() - t0;
            long hit = 0, same = 0;
            for (int i = 0; i < nx; i++) {
                same += !memcmp(ids + (size_t)i * K, truth + (size_t)i * K, K * sizeof *ids);
                for (int a2 = 0; a2 < K; a2++)
                    for (int b2 = 0; b2 < K; b2++) hit += truth[(size_t)i * K + a2] == ids[(size_t)i * K + b2];
            }
            if (strcmp(top, "-")) {
                FILE *f = fopen(top, "a");
                for (int i = 0; f && i < nx; i++) {
                    fprintf(f, "%d", ef);
                    for (int a2 = 0; a2 < K; a2++) fprintf(f, " %d", ids[(size_t)i * K + a2]);
                    fprintf(f, "\n");
                }
                if (f) fclose(f);
            }
            printf("{\"ef\":%d,\"queries\":%d,\"recall@10\":%.4f,\"same_as_truth\":%ld,\"cpu_s\":%.6f,\"wall_s\":%.6f}\n", search_ef, nx,
                   (double)hit / ((double)nx * K), same, c, w);
            fflush(stdout);
        }
        wr_index_free(ix);
        free(v), free(q), free(truth), free(ids), free(sc);
        wr_ctx_free(ctx);
        return 0;
    }
    return fprintf(stderr, "usage: see the comment at the top of ann_bench.c\n"), 2;
}
