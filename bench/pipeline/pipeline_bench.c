/* pipeline_bench.c: latency of a two-stage pipeline's recommendation, per stage, native build.
 *   pipeline_bench MODEL.safetensors QUERIES.txt PASSES SETTINGS [TOP10_PREFIX] -> one JSON object
 * QUERIES.txt: one history per line (comma-separated item ids, oldest first). SETTINGS:
 * "hnsw:200,hnsw:2000,exact:0:2", each index[:ef_search[:passes]] (index=exact: stage 1's full
 * scan, its ef_search 0: not set). For each, rerank=0 (stage 1 alone: its candidates in its order) and rerank=1 (the whole
 * pipeline): every query is one top-10 wr_model_recommend call, timed alone. The settings take
 * turns pass by pass (so the shared machine's load falls on all alike), each pass after a
 * 10-query untimed warm-up; reported: the best pass's p50 and p99, the spread (min, median, max)
 * of the passes' p50 and p99, and the best pass's percentiles of each query's CPU time (this
 * thread's: what other processes' load does not add); and over each query's fastest pass
 * ("fastest_per_query": a neighbour's load rarely hits one query in every pass) the p50 and p99,
 * and the p50 of total - retrieve (stage 2) per query. TOP10_PREFIX.<index>-<ef>.<rerank> gets
 * each query's top-10 ids of the first pass (run.sh compares them with the wasm build's).
 *   pipeline_bench --sweep MODEL QUERIES EF,EF,... -> per ef_search, stage 1's p50 and both
 *     lists' top-10 overlap with index=exact's (the index's recall where it matters)
 *   pipeline_bench --build IN.safetensors OUT.safetensors -> {"load_and_build_s", "save_s"}
 *     loads a pipeline file saved without an index but with index=hnsw (the pipeline builds the
 *     index over stage 1's item vectors as it loads) and saves it with the index. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/wasmrec.h"

#define MAX_Q 10000
#define MAX_H 256
#define MAX_PASSES 64

static double clock_ms(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
static double now_ms(void) { return clock_ms(CLOCK_MONOTONIC); }
static double cpu_ms(void) { return clock_ms(CLOCK_THREAD_CPUTIME_ID); }

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*len + 1);
    if (b && fread(b, 1, *len, f) != *len) *len = 0;
    if (b) b[*len] = 0;
    fclose(f);
    return b;
}

static double rss_mb(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    if (f) fclose(f);
    return resident * 4096.0 / 1048576.0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double p) { return sorted[(int)(p * (n - 1) + 0.5)]; }

static int hist[MAX_Q][MAX_H], hlen[MAX_Q];

static int build(const char *in, const char *out) {
    size_t len;
    uint8_t *bytes = (uint8_t *)slurp(in, &len), *saved = NULL;
    wr_ctx *ctx;
    wr_model *m;
    if (!bytes) return fprintf(stderr, "pipeline_bench: cannot read %s\n", in), 1;
    if (wr_ctx_new(&ctx)) return 1;
    double t0 = now_ms();
    if (wr_model_load(ctx, bytes, len, in, &m)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
    double t1 = now_ms();
    free(bytes);
    if (wr_model_save(m, &saved, &len)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(saved, 1, len, f) != len || fclose(f)) return fprintf(stderr, "pipeline_bench: cannot write %s\n", out), 1;
    printf("{\"load_and_build_s\":%.3f,\"save_s\":%.3f}\n", (t1 - t0) / 1e3, (now_ms() - t1) / 1e3);
    wr_free(saved);
    wr_model_free(m);
    wr_ctx_free(ctx);
    return 0;
}

/* Each history's top 10 (and latencies) under the model's current settings. */
static int run_queries(wr_model *m, int nq, int (*tops)[10], double *lat) {
    float scores[10];
    for (int q = 0; q < nq; q++) {
        int got = 0;
        memset(tops[q], -1, sizeof tops[q]);
        double t = now_ms();
        if (wr_model_recommend(m, -1, hist[q], hlen[q], 10, 2, tops[q], scores, &got)) return -1;
        if (lat) lat[q] = now_ms() - t;
    }
    return 0;
}

static double overlap(int (*a)[10], int (*b)[10], int nq) {
    long hit = 0;
    for (int q = 0; q < nq; q++)
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < 10; j++) hit += a[q][i] >= 0 && a[q][i] == b[q][j];
    return hit / (10.0 * nq);
}

static int load_queries(wr_model *m, char *queries, int *unknown);

/* ef_search against recall: for each ef, the top 10 of stage 1 alone (rerank=0) and of the
 * pipeline against the same lists with index=exact, and stage 1's p50 (best of 3 passes). */
static int sweep(const char *model_path, const char *query_path, const char *efs) {
    size_t len, qlen;
    uint8_t *bytes = (uint8_t *)slurp(model_path, &len);
    char *queries = slurp(query_path, &qlen);
    wr_ctx *ctx;
    wr_model *m;
    if (!bytes || !queries) return fprintf(stderr, "pipeline_bench: cannot read %s or %s\n", model_path, query_path), 1;
    if (wr_ctx_new(&ctx) || wr_model_load(ctx, bytes, len, model_path, &m)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
    free(bytes);
    int unknown = 0, nq = load_queries(m, queries, &unknown);
    free(queries);
    int(*exact[2])[10], (*got)[10] = malloc((size_t)nq * sizeof *got);
    double *lat = malloc((size_t)nq * sizeof *lat);
    for (int rr = 0; rr < 2; rr++) {
        exact[rr] = malloc((size_t)nq * sizeof *exact[rr]);
        if (wr_model_set(m, "index", "exact") || wr_model_set(m, "rerank", rr ? "1" : "0") || run_queries(m, nq, exact[rr], NULL))
            return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
    }
    printf("[");
    char list[256];
    snprintf(list, sizeof list, "%s", efs);
    int first = 1;
    for (char *ef = strtok(list, ","); ef; ef = strtok(NULL, ",")) {
        double rec[2], best = 1e30;
        for (int rr = 0; rr < 2; rr++) {
            if (wr_model_set(m, "index", "hnsw") || wr_model_set(m, "ef_search", ef) || wr_model_set(m, "rerank", rr ? "1" : "0"))
                return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
            for (int pass = 0; pass < (rr ? 1 : 3); pass++) {
                if (run_queries(m, nq, got, lat)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
                qsort(lat, (size_t)nq, sizeof *lat, cmp_double);
                if (!rr && pct(lat, nq, 0.5) < best) best = pct(lat, nq, 0.5);
            }
            rec[rr] = overlap(got, exact[rr], nq);
        }
        printf("%s{\"ef_search\":%s,\"retrieve_ms_p50\":%.4f,\"retrieve_top10_vs_exact\":%.4f,\"total_top10_vs_exact\":%.4f}", first ? "" : ",", ef, best, rec[0], rec[1]);
        first = 0;
        fflush(stdout);
    }
    printf("]\n");
    free(got), free(lat), free(exact[0]), free(exact[1]);
    wr_model_free(m);
    wr_ctx_free(ctx);
    return 0;
}

static int load_queries(wr_model *m, char *queries, int *unknown) {
    int nq = 0;
    for (char *line = strtok(queries, "\n"); line && nq < MAX_Q; line = strtok(NULL, "\n")) {
        int h = 0;
        for (char *p = line; p && *p && h < MAX_H;) {
            char *c = strchr(p, ',');
            if (c) *c = 0;
            int idx = wr_model_item_index(m, p);
            if (idx >= 0) hist[nq][h++] = idx;
            else ++*unknown;
            p = c ? c + 1 : NULL;
        }
        hlen[nq++] = h;
    }
    return nq;
}

/* One setting of the bench: index (hnsw or exact), ef_search, how many passes. */
typedef struct {
    char index[8];
    int ef, passes;
    double p50[2][MAX_PASSES], p99[2][MAX_PASSES], c50[2][MAX_PASSES], c99[2][MAX_PASSES];
    double *best[2]; /* each query's fastest time over the passes */
} setting;

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "--build")) return build(argv[2], argv[3]);
    if (argc == 5 && !strcmp(argv[1], "--sweep")) return sweep(argv[2], argv[3], argv[4]);
    if (argc != 5 && argc != 6) return fprintf(stderr, "usage: pipeline_bench MODEL QUERIES PASSES SETTINGS [TOP10_PREFIX]\n"), 2;
    int passes = atoi(argv[3]);
    if (passes < 1 || passes > MAX_PASSES) return fprintf(stderr, "pipeline_bench: PASSES must be 1..%d\n", MAX_PASSES), 2;
    static setting set[16];
    int ns = 0;
    char list[512];
    snprintf(list, sizeof list, "%s", argv[4]);
    for (char *tok = strtok(list, ","); tok && ns < 16; tok = strtok(NULL, ","), ns++) {
        setting *st = &set[ns];
        st->ef = 200, st->passes = passes;
        if (sscanf(tok, "%7[a-z]:%d:%d", st->index, &st->ef, &st->passes) < 1 || st->passes < 1 || st->passes > passes)
            return fprintf(stderr, "pipeline_bench: a setting is index[:ef_search[:passes]], got %s\n", tok), 2;
    }
    size_t mlen, qlen;
    double rss0 = rss_mb();
    uint8_t *bytes = (uint8_t *)slurp(argv[1], &mlen);
    char *queries = slurp(argv[2], &qlen);
    if (!bytes || !queries) return fprintf(stderr, "pipeline_bench: cannot read %s or %s\n", argv[1], argv[2]), 1;
    wr_ctx *ctx;
    wr_model *m;
    if (wr_ctx_new(&ctx)) return 1;
    double t0 = now_ms();
    if (wr_model_load(ctx, bytes, mlen, argv[1], &m)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
    double load_s = (now_ms() - t0) / 1e3;
    free(bytes);
    double rss_model = rss_mb() - rss0;
    int unknown = 0, nq = load_queries(m, queries, &unknown);
    free(queries);
    if (!nq) return fprintf(stderr, "pipeline_bench: no queries in %s\n", argv[2]), 1;
    double *lat = malloc((size_t)nq * sizeof *lat), *cpu = malloc((size_t)nq * sizeof *cpu);
    int items[10];
    float scores[10];
    long total_len = 0;
    for (int q = 0; q < nq; q++) total_len += hlen[q];
    for (int si = 0; si < ns; si++)
        for (int rr = 0; rr < 2; rr++) {
            set[si].best[rr] = malloc((size_t)nq * sizeof(double));
            for (int q = 0; q < nq; q++) set[si].best[rr][q] = 1e30;
        }
    for (int pass = 0; pass < passes; pass++) {
        for (int si = 0; si < ns; si++) {
            setting *st = &set[si];
            if (pass >= st->passes) continue;
            for (int rr = 0; rr < 2; rr++) {
                char rerank[2] = {(char)('0' + rr), 0}, ef[16];
                snprintf(ef, sizeof ef, "%d", st->ef);
                if (wr_model_set(m, "index", st->index) || (st->ef > 0 && wr_model_set(m, "ef_search", ef)) || wr_model_set(m, "rerank", rerank))
                    return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
                FILE *top = NULL;
                if (argc == 6 && pass == 0) {
                    char path[4096];
                    snprintf(path, sizeof path, "%.3000s.%.7s-%d.%d", argv[5], st->index, st->ef, rr);
                    top = fopen(path, "w");
                }
                int got;
                for (int w = 0; w < 10 && w < nq; w++) /* warm-up: caches and branch predictors for this setting */
                    if (wr_model_recommend(m, -1, hist[w], hlen[w], 10, 2, items, scores, &got)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
                for (int q = 0; q < nq; q++) {
                    double t = now_ms(), c = cpu_ms();
                    if (wr_model_recommend(m, -1, hist[q], hlen[q], 10, 2, items, scores, &got)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
                    lat[q] = now_ms() - t, cpu[q] = cpu_ms() - c;
                    if (lat[q] < st->best[rr][q]) st->best[rr][q] = lat[q];
                    for (int i = 0; top && i < got; i++) fprintf(top, "%s%s", i ? "," : "", wr_model_item_id(m, items[i]));
                    if (top) fputc('\n', top);
                }
                if (top) fclose(top);
                qsort(lat, (size_t)nq, sizeof *lat, cmp_double);
                qsort(cpu, (size_t)nq, sizeof *cpu, cmp_double);
                st->p50[rr][pass] = pct(lat, nq, 0.5), st->p99[rr][pass] = pct(lat, nq, 0.99);
                st->c50[rr][pass] = pct(cpu, nq, 0.5), st->c99[rr][pass] = pct(cpu, nq, 0.99);
            }
        }
    }
    printf("{\"model_load_s\":%.3f,\"rss_mb_model\":%.1f,\"queries\":%d,\"mean_history\":%.2f,\"unknown_history_ids\":%d,\"settings\":[",
           load_s, rss_model, nq, (double)total_len / nq, unknown);
    for (int si = 0; si < ns; si++) {
        setting *st = &set[si];
        int np = st->passes;
        printf("%s{\"index\":\"%s\",\"ef_search\":%d,\"passes\":%d", si ? "," : "", st->index, st->ef, np);
        for (int rr = 0; rr < 2; rr++) {
            double *v[4] = {st->p50[rr], st->p99[rr], st->c50[rr], st->c99[rr]};
            for (int k = 0; k < 4; k++) qsort(v[k], (size_t)np, sizeof *v[k], cmp_double);
            printf(",\"%s\":{\"ms_p50\":%.4f,\"ms_p99\":%.4f,\"ms_p50_passes\":[%.4f,%.4f,%.4f],\"ms_p99_passes\":[%.4f,%.4f,%.4f],"
                   "\"cpu_ms_p50\":%.4f,\"cpu_ms_p99\":%.4f}",
                   rr ? "total" : "retrieve", v[0][0], v[1][0], v[0][0], v[0][np / 2], v[0][np - 1], v[1][0], v[1][np / 2], v[1][np - 1], v[2][0], v[3][0]);
        }
        /* per query, the fastest of its passes: p50 and p99 of those, and of total - retrieve */
        double *d = malloc((size_t)nq * sizeof *d);
        for (int q = 0; q < nq; q++) d[q] = st->best[1][q] - st->best[0][q];
        qsort(d, (size_t)nq, sizeof *d, cmp_double);
        for (int rr = 0; rr < 2; rr++) qsort(st->best[rr], (size_t)nq, sizeof(double), cmp_double);
        printf(",\"fastest_per_query\":{\"retrieve_ms_p50\":%.4f,\"retrieve_ms_p99\":%.4f,\"total_ms_p50\":%.4f,\"total_ms_p99\":%.4f,\"rank_ms_p50\":%.4f}}",
               pct(st->best[0], nq, 0.5), pct(st->best[0], nq, 0.99), pct(st->best[1], nq, 0.5), pct(st->best[1], nq, 0.99), pct(d, nq, 0.5));
        free(d), free(st->best[0]), free(st->best[1]);
    }
    printf("]}\n");
    free(lat), free(cpu);
    wr_model_free(m);
    wr_ctx_free(ctx);
    return 0;
}
