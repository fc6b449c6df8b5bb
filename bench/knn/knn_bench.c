/* knn_bench.c: session-kNN fit time, memory and recommendation latency, native build.
 *   knn_bench DATA.csv QUERIES.txt MODEL  -> one JSON object on stdout */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    if (fread(b, 1, *len, f) != *len) *len = 0;
    b[*len] = 0;
    fclose(f);
    return b;
}

/* Resident memory in MB (from /proc/self/statm). */
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

int main(int argc, char **argv) {
    if (argc != 4) return fprintf(stderr, "usage: knn_bench DATA QUERIES MODEL\n"), 2;
    size_t dlen, qlen;
    char *text = slurp(argv[1], &dlen), *queries = slurp(argv[2], &qlen);
    wr_ctx *ctx;
    wr_data *data;
    wr_model *m;
    if (!text || !queries || wr_ctx_new(&ctx) || wr_data_load(ctx, text, dlen, "csv", argv[1], 0, &data)) return fprintf(stderr, "load failed\n"), 1;
    free(text);
    double rss0 = rss_mb(), t0 = now_ms();
    if (wr_model_new(ctx, argv[3], 1, &m) || wr_model_fit(m, data)) return fprintf(stderr, "%s\n", wr_last_error(ctx)), 1;
    double fit_s = (now_ms() - t0) / 1e3, rss1 = rss_mb();
    double *lat = malloc(100000 * sizeof *lat);
    int nq = 0, hist[64], items[10];
    float scores[10];
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
    }
    qsort(lat, (size_t)nq, sizeof *lat, cmp_double);
    printf("{\"model\":\"%s\",\"events\":%lld,\"fit_seconds\":%.3f,\"index_mb\":%.1f,\"queries\":%d,"
           "\"ms_median\":%.4f,\"ms_p99\":%.4f}\n",
           argv[3], (long long)wr_data_n_events(data), fit_s, rss1 - rss0, nq, lat[nq / 2], lat[(int)(nq * 0.99)]);
    return 0;
}
