/* test_gen.c: the demo store generator: argument checks, determinism, and that the text parses
 * back (format auto) into the requested sessions with 3..50 events each and planted structure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/data/data.h"
#include "../../src/wasmrec.h"
#include "check.h"

int main(void) {
    wr_ctx *ctx;
    if (wr_ctx_new(&ctx) != WR_OK) return 1;
    char *t = NULL;
    size_t n = 0;
    CHECK(wr_gen(ctx, 0, 100, 1, &t, &n) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "sessions must be between 1 and 10000000, got 0");
    CHECK(wr_gen(ctx, 10, 5, 1, &t, &n) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "items must be between 20 and 1000000");
    CHECK_CONTAINS(wr_last_error(ctx), "got 5");
    CHECK(wr_gen(ctx, 10, 2000000, 1, &t, &n) == WR_ERR_ARG);
    CHECK(t == NULL);

    char *a = NULL, *b = NULL, *c = NULL;
    size_t na = 0, nb = 0, nc = 0;
    CHECK(wr_gen(ctx, 300, 200, 42, &a, &na) == WR_OK);
    CHECK(wr_gen(ctx, 300, 200, 42, &b, &nb) == WR_OK);
    CHECK(wr_gen(ctx, 300, 200, 43, &c, &nc) == WR_OK);
    CHECK(a && b && c && na == nb && memcmp(a, b, na) == 0);
    CHECK(na == strlen(a));
    CHECK(na != nc || memcmp(a, c, na) != 0);
    CHECK(strncmp(a, "session,item,category,title,timestamp\n", 38) == 0);
    /* a fixed-seed fingerprint: FNV-1a of the text, the same natively and in wasm */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < na; i++) h = (h ^ (unsigned char)a[i]) * 16777619u;
    printf("gen fingerprint (300 sessions, 200 items, seed 42): %08x, %zu bytes\n", (unsigned)h, na);
    CHECK(h == 0x9fbfc256u); /* pinned: changes only when the generator changes on purpose */

    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, a, na, "auto", "store.csv", 0, &d) == WR_OK);
    if (d) {
        CHECK_STR(wr_data_format(d), "csv");
        CHECK(wr_data_n_users(d) == 300);
        CHECK(wr_data_n_items(d) <= 200 && wr_data_n_items(d) >= 50);
        int short_ = 0, long_ = 0;
        for (int u = 0; u < wr_data_n_users(d); u++) {
            int64_t l = d->user_start[u + 1] - d->user_start[u];
            short_ += l < 3;
            long_ += l > 50;
        }
        CHECK(short_ == 0 && long_ == 0);
        double mean = (double)wr_data_n_events(d) / wr_data_n_users(d);
        CHECK(mean > 6 && mean < 12);
        int cam = -1;
        for (int i = 0; i < wr_data_n_items(d) && cam < 0; i++)
            if (!strncmp(wr_data_item_id(d, i), "cam-", 4)) cam = i;
        CHECK(cam >= 0);
        CHECK_STR(wr_data_item_category(d, cam), "Cameras");
        CHECK(strlen(wr_data_item_title(d, cam)) > 8);
        /* planted first-order structure: many transitions repeat across sessions (random
         * sessions over 200 items would almost never repeat a pair) */
        int ni = wr_data_n_items(d), rep = 0, tot = 0;
        int *pairs = calloc((size_t)ni * ni, sizeof(int));
        for (int pass = 0; pass < 2 && pairs; pass++)
            for (int u = 0; u < wr_data_n_users(d); u++)
                for (int64_t e = d->user_start[u] + 1; e < d->user_start[u + 1]; e++) {
                    int *c2 = &pairs[d->seq[e - 1] * ni + d->seq[e]];
                    if (pass == 0) c2[0]++;
                    else tot++, rep += c2[0] >= 2;
                }
        printf("transitions seen at least twice: %d of %d\n", rep, tot);
        CHECK(tot > 0 && rep * 4 > tot);
        /* planted resumes after a detour: the next item is a known successor of the item two
         * back, while the pair with the last item is seen only this once */
        int resumes = 0;
        for (int u = 0; u < wr_data_n_users(d) && pairs; u++)
            for (int64_t e = d->user_start[u] + 2; e < d->user_start[u + 1]; e++)
                resumes += pairs[d->seq[e - 1] * ni + d->seq[e]] == 1 && pairs[d->seq[e - 2] * ni + d->seq[e]] >= 2;
        printf("resumes from the item two back: %d of %d\n", resumes, tot);
        CHECK(resumes * 20 > tot);
        free(pairs);
        wr_data_free(d);
    }
    /* the smallest store works too */
    wr_free(c);
    c = NULL;
    CHECK(wr_gen(ctx, 5, 20, 7, &c, &nc) == WR_OK);
    d = NULL;
    CHECK(wr_data_load(ctx, c, nc, "auto", "tiny.csv", 0, &d) == WR_OK);
    CHECK(d && wr_data_n_users(d) == 5 && wr_data_n_items(d) <= 20);
    wr_data_free(d);
    wr_free(a);
    wr_free(b);
    wr_free(c);
    wr_ctx_free(ctx);
    TEST_END("gen");
}
