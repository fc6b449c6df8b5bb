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
    /* with features: the same sessions, byte for byte, plus a label; side tables that load; the
     * planted device x group cross, and neither alone */
    char *ev = NULL, *us = NULL, *it = NULL, *plain = NULL;
    size_t np;
    CHECK(wr_gen(ctx, 2000, 200, 3, &plain, &np) == WR_OK);
    CHECK(wr_gen_features(ctx, 2000, 200, 3, &ev, &us, &it) == WR_OK);
    if (ev && plain) {
        wr_buf stripped = {0};
        const char *p = strchr(ev, '\n') + 1;
        wr__buf_puts(&stripped, "session,item,category,title,timestamp\n");
        for (const char *nl; (nl = strchr(p, '\n')); p = nl + 1) {
            const char *comma = nl - 2; /* ",0" or ",1" before the newline */
            CHECK(*comma == ',' && (comma[1] == '0' || comma[1] == '1'));
            wr__buf_append(&stripped, p, (size_t)(comma - p));
            wr__buf_puts(&stripped, "\n");
        }
        CHECK(stripped.len == np && !memcmp(stripped.data, plain, np));
        wr__buf_free(&stripped);
        d = NULL;
        CHECK(wr_data_load(ctx, ev, strlen(ev), "csv", "store.csv", 0, &d) == WR_OK);
        CHECK(wr_data_label(d, "label==1", NULL) == WR_OK);
        CHECK(wr_data_load_side(d, 0, us, strlen(us), "sessions.csv") == WR_OK && wr_data_side_matched(d, 0) == 2000);
        CHECK(wr_data_load_side(d, 1, it, strlen(it), "items.csv") == WR_OK && wr_data_side_matched(d, 1) == wr_data_n_items(d));
        /* purchase rates by device and item group */
        double buys[2][2] = {{0}}, n[2][2] = {{0}};
        for (int u = 0; u < d->users.n; u++) {
            int mobile = !strcmp(d->features.values.keys[d->features.feat[0][d->features.start[0][u]]], "user.device=mobile");
            for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++) {
                int accessory = 0, i = d->seq[e];
                for (int64_t k = d->features.start[1][i]; k < d->features.start[1][i + 1]; k++)
                    accessory |= !strcmp(d->features.values.keys[d->features.feat[1][k]], "item.group=accessory");
                buys[mobile][accessory] += d->label[e], n[mobile][accessory]++;
            }
        }
        double mm = buys[1][1] / n[1][1], md = buys[1][0] / n[1][0], dm = buys[0][0] / n[0][0], da = buys[0][1] / n[0][1];
        printf("purchase rates: mobile accessory %.2f, mobile main %.2f, desktop main %.2f, desktop accessory %.2f\n", mm, md, dm, da);
        CHECK(mm > md + 0.2 && dm > da + 0.2);
        wr_data_free(d);
    }
    wr_free(ev), wr_free(us), wr_free(it), wr_free(plain);
    wr_free(a);
    wr_free(b);
    wr_free(c);
    wr_ctx_free(ctx);
    TEST_END("gen");
}
