/* interleave.c: two threads against one inside a single training run, natively. Steps run in
 * runs of CHUNK on one thread, then on two, in turn; the second half of each run is timed (the
 * first absorbs the switch: wr_threads_set starts or stops the helper, which the system then
 * places). On a shared machine whose speed drifts from minute to minute, this ratio of the
 * median step times compares the two thread counts at the same moments, which separate runs
 * cannot. Prints one JSON object.
 *   build/bench/interleave FILE MODEL STEPS [key=value ...]   (`make build/bench/interleave`;
 *   bench/train/run.sh builds and runs it) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/wasmrec.h"

double wr__now_ms(void);

#define CHUNK 8

static int cmp(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fail(const char *what, const char *why) {
    fprintf(stderr, "interleave: %s: %s\n", what, why);
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: interleave FILE MODEL STEPS [key=value ...]\n");
        return 2;
    }
    const int steps = atoi(argv[3]);
    FILE *f = fopen(argv[1], "rb");
    if (steps < 2 * CHUNK) fail(argv[3], "STEPS must be at least 16");
    if (!f) fail(argv[1], "cannot open");
    fseek(f, 0, SEEK_END);
    const long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *bytes = NULL;
    if (len < 0 || !(bytes = malloc((size_t)len + 1)) || fread(bytes, 1, (size_t)len, f) != (size_t)len) fail(argv[1], "cannot read");
    fclose(f);
    wr_ctx *ctx;
    wr_data *data;
    wr_model *m;
    if (wr_ctx_new(&ctx)) fail("starting", "out of memory");
    if (wr_data_load(ctx, bytes, (size_t)len, "auto", argv[1], 0, &data)) fail("loading", wr_last_error(ctx));
    if (wr_model_new(ctx, argv[2], 42, &m)) fail(argv[2], wr_last_error(ctx));
    for (int i = 4; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) fail(argv[i], "expected key=value");
        *eq = 0;
        if (wr_model_set(m, argv[i], eq + 1)) fail(argv[i], wr_last_error(ctx));
    }
    if (wr_model_set(m, "epochs", "100000") || wr_train_begin(m, data, NULL, NULL)) fail("training", wr_last_error(ctx));
    double *ms[2] = {malloc(sizeof(double) * (size_t)steps), malloc(sizeof(double) * (size_t)steps)};
    int n[2] = {0, 0};
    for (int i = 0; i < steps; i++) {
        const int two = (i / CHUNK) & 1;
        if (i % CHUNK == 0) wr_threads_set(two ? 2 : 1);
        const double t = wr__now_ms();
        if (wr_train_steps(m, 1, NULL)) fail("training", wr_last_error(ctx));
        if (i % CHUNK >= CHUNK / 2) ms[two][n[two]++] = wr__now_ms() - t;
    }
    wr_train_end(m);
    qsort(ms[0], (size_t)n[0], sizeof(double), cmp);
    qsort(ms[1], (size_t)n[1], sizeof(double), cmp);
    const double m1 = ms[0][n[0] / 2], m2 = ms[1][n[1] / 2];
    printf("{\"model\":\"%s\",\"timed_steps\":%d,\"step_ms_1t\":%.3f,\"step_ms_2t\":%.3f,\"ratio_2t_over_1t\":%.3f}\n",
           argv[2], n[0] + n[1], m1, m2, m1 / m2);
    wr_model_free(m);
    wr_data_free(data);
    wr_ctx_free(ctx);
    free(bytes);
    free(ms[0]);
    free(ms[1]);
    return 0;
}
