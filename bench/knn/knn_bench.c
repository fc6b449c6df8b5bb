/* knn_bench.c: session-kNN fit time, memory and recommendation latency, native build.
 *   knn_bench DATA.csv QUERIES.txt MODEL [TOP10_OUT] -> one JSON object on stdout
 * Queries are lines of comma-separated item ids (session prefixes); each is one top-10
 * wr_model_recommend call, timed alone. TOP10_OUT gets each query's top-10 ids, one line each, so
 * run.sh can compare with the wasm build. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../../src/wasmrec.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

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

/* Resident memory now, in MB (/proc/self/statm; 0 where there is no /proc). */
static double rss_mb(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    if (f) fclose(f);
    return resident * 4096.0 / 1048576.0;
}

/* Peak resident memory of the process so far, in MB (getrusage: KB on Linux). */
static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) return fprintf(stderr, "usage: knn_bench DATA QUERIES MODEL [TOP10_OUT]\n"), 2;
    size_t dlen, qlen;
    char *text = slurp(argv[1], &dlen), *queries = slurp(argv[2], &qlen);
    wr_ctx *ctx;
    wr_data *data;
    wr_model *m;
    if (!text || !queries) return fprintf(stderr, "knn_bench: cannot read %s or %s\n", argv[1], argv[2]), 1;
    if (wr_ctx_new(&ctx)) return 1;
    if (wr_data_load(ctx, text, dlen, "csv", argv[1], 0, &data)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
    free(text);
    double rss_data = rss_mb(), t0 = now_ms();
    if (wr_model_new(ctx, argv[3], 1, &m) || wr_model_fit(m, data)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
    double fit_s = (now_ms() - t0) / 1e3, rss_fit = rss_mb(), peak_fit = peak_rss_mb();
    FILE *top = argc == 5 ? fopen(argv[4], "w") : NULL;
    double *lat = malloc(100000 * sizeof *lat), *lat_long = malloc(100000 * sizeof *lat_long);
    int nlong = 0; /* queries of 10..20 events */
    int nq = 0, hist[64], items[10];
    float scores[10];
    long total_len = 0;
    for (char *line = strtok(queries, "\n"); line && nq < 100000; line = strtok(NULL, "\n")) {
        int h = 0;
        char *p = line;
        while (p && *p && h < 64) {
            char *c = strchr(p, ',');
            if (c) *c = 0;
            int idx = wr_model_item_index(m, p);
            if (idx >= 0) hist[h++] = idx;
            p = c ? c + 1 : NULL;
        }
        int got;
        double t = now_ms();
        if (wr_model_recommend(m, hist, h, 10, 0, items, scores, &got)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
        lat[nq++] = now_ms() - t;
        if (h >= 10) lat_long[nlong++] = lat[nq - 1];
        total_len += h;
        for (int i = 0; top && i < got; i++) fprintf(top, "%s%s", i ? "," : "", wr_model_item_id(m, items[i]));
        if (top) fputc('\n', top);
    }
    if (top) fclose(top);
    double sum = 0;
    for (int i = 0; i < nq; i++) sum += lat[i];
    qsort(lat, (size_t)nq, sizeof *lat, cmp_double);
    qsort(lat_long, (size_t)nlong, sizeof *lat_long, cmp_double);
    printf("{\"model\":\"%s\",\"events\":%lld,\"fit_seconds\":%.3f,\"rss_mb_after_load\":%.1f,\"rss_mb_after_fit\":%.1f,"
           "\"index_mb\":%.1f,\"peak_rss_mb\":%.1f,\"queries\":%d,\"mean_query_len\":%.2f,"
           "\"ms_mean\":%.4f,\"ms_median\":%.4f,\"ms_p99\":%.4f,\"ms_max\":%.4f,"
           "\"queries_len_10_20\":%d,\"ms_median_len_10_20\":%.4f,\"ms_p99_len_10_20\":%.4f}\n",
           argv[3], (long long)wr_data_n_events(data), fit_s, rss_data, rss_fit, rss_fit - rss_data, peak_fit, nq,
           nq ? (double)total_len / nq : 0.0, nq ? sum / nq : 0.0, lat[nq / 2], lat[(int)(nq * 0.99)], lat[nq - 1],
           nlong, nlong ? lat_long[nlong / 2] : 0.0, nlong ? lat_long[(int)(nlong * 0.99)] : 0.0);
    wr_model_free(m);
    wr_data_free(data);
    wr_ctx_free(ctx);
    free(lat);
    free(lat_long);
    free(queries);
    return 0;
}
