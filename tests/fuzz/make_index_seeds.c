/* make_index_seeds.c: small real index files for fuzz_index's seed corpus (make_seeds.sh builds
 * and runs it): an empty one, exact-scan-sized and multi-level HNSW graphs, inner product and
 * cosine, after a save and reload and more adds. Usage: make_index_seeds DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/wasmrec.h"

static void write(const char *dir, const char *name, wr_index *idx) {
    uint8_t *b = NULL;
    size_t n = 0;
    char path[512];
    if (wr_index_save(idx, &b, &n) != WR_OK) exit(1);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f)) exit(1);
    wr_free(b);
}

static wr_index *make(wr_ctx *ctx, int dim, const char *settings, int n, unsigned seed) {
    wr_index *idx = NULL;
    if (wr_index_new(ctx, dim, settings, &idx) != WR_OK) exit(1);
    float *v = malloc((size_t)n * dim * sizeof *v + sizeof *v);
    for (int i = 0; i < n * dim; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (float)((seed >> 8) % 2001) / 1000.0f - 1.0f;
    }
    if (n && wr_index_add(idx, v, n) != WR_OK) exit(1);
    free(v);
    return idx;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    wr_ctx *ctx = NULL;
    if (wr_ctx_new(&ctx) != WR_OK) return 1;
    static const struct {
        const char *name, *settings;
        int dim, n;
    } seeds[] = {
        {"empty.index", "", 4, 0},
        {"one.index", "metric=ip", 3, 1},
        {"ip-m2.index", "M=2,ef_construction=8,seed=1", 4, 40},
        {"cosine.index", "metric=cosine,M=3,ef_construction=10,seed=7", 5, 30},
        {"ip-m4.index", "M=4,ef_construction=20,capacity=64", 2, 60},
        {"wide.index", "M=2,ef_construction=4", 64, 6},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        wr_index *idx = make(ctx, seeds[i].dim, seeds[i].settings, seeds[i].n, (unsigned)i + 1);
        write(argv[1], seeds[i].name, idx);
        wr_index_free(idx);
    }
    /* reloaded, then added to */
    wr_index *idx = make(ctx, 3, "M=2,ef_construction=6,seed=9", 12, 99), *back = NULL;
    uint8_t *b = NULL;
    size_t n = 0;
    if (wr_index_save(idx, &b, &n) != WR_OK || wr_index_load(ctx, b, n, "x", &back) != WR_OK) return 1;
    float more[6] = {0.5f, -0.25f, 1, 0, 0.75f, -1};
    if (wr_index_add(back, more, 2) != WR_OK) return 1;
    write(argv[1], "reloaded.index", back);
    wr_free(b);
    wr_index_free(idx);
    wr_index_free(back);
    wr_ctx_free(ctx);
    return 0;
}
