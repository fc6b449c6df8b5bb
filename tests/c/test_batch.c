/* test_batch.c: the mini-batch makers of the neural models: padded windows cover every
 * (item, next item) pair once per epoch, long sequences cut into several windows, left-padded,
 * with targets one step ahead; session-parallel lanes walk
 * every (item, next item) pair exactly once per epoch and reset the state at sequence starts. */
#include <stdlib.h>
#include <string.h>

#include "../../src/models/batch.h"
#include "check.h"

/* sequences: u0 = 5 6 7 8 (len 4), u1 = 1 (len 1, untrainable), u2 = 2 3 (len 2), u3 = 4 9 4 */
static const int32_t items[] = {5, 6, 7, 8, 1, 2, 3, 4, 9, 4};
static const int64_t start[] = {0, 4, 5, 7};
static const int32_t len[] = {4, 1, 2, 3};

static void test_windows(void) {
    wr_seqs s = {.n = 4, .n_items = 10, .start = start, .len = len, .items = items};
    wr_windows w;
    wr_rng rng;
    wr__rng_seed(&rng, 1);
    CHECK(wr__windows_init(&w, &s, 2, 3) == 0);
    CHECK(w.n_win == 3);
    int32_t inp[6], tgt[6];
    int end = 0, seen_u0 = 0;
    int64_t total = 0;
    for (int step = 0; step < 2; step++) {
        total += wr__windows_next(&w, &s, &rng, inp, tgt, &end);
        CHECK(end == (step == 1));
        for (int b = 0; b < 2; b++) {
            /* u0 (T=3 of its 3 pairs): inputs 5 6 7 -> targets 6 7 8, 1-based */
            if (inp[b * 3] == 6) {
                seen_u0 = 1;
                CHECK(inp[b * 3 + 1] == 7 && inp[b * 3 + 2] == 8);
                CHECK(tgt[b * 3] == 7 && tgt[b * 3 + 1] == 8 && tgt[b * 3 + 2] == 9);
            }
            /* u2: one pair, left-padded: 0 0 3 -> 0 0 4 */
            if (inp[b * 3 + 2] == 3) CHECK(inp[b * 3] == 0 && inp[b * 3 + 1] == 0 && tgt[b * 3 + 2] == 4);
            for (int t = 0; t < 3; t++) CHECK((inp[b * 3 + t] == 0) == (tgt[b * 3 + t] == 0));
        }
    }
    CHECK(seen_u0);
    CHECK(total == 3 + 1 + 2);
    /* T=2 cuts u0's three pairs into two windows: the last two pairs, inputs 6 7 -> 7 8 (0-based),
     * i.e. 7 8 -> 8 9, and the first one left-padded, 0 6 -> 0 7; an epoch is 4 windows, 6 pairs */
    wr__windows_free(&w);
    CHECK(wr__windows_init(&w, &s, 3, 2) == 0);
    CHECK(w.n_win == 4);
    int last = 0, first = 0;
    total = 0;
    for (int step = 0; step < 2; step++) {
        total += wr__windows_next(&w, &s, &rng, inp, tgt, &end);
        CHECK(end == (step == 1));
        for (int b = 0; b < 3; b++) {
            if (tgt[b * 2 + 1] == 9) last += inp[b * 2] == 7 && inp[b * 2 + 1] == 8 && tgt[b * 2] == 8;
            if (tgt[b * 2 + 1] == 7) first += inp[b * 2] == 0 && inp[b * 2 + 1] == 6 && tgt[b * 2] == 0;
        }
    }
    CHECK(last == 1 && first == 1);
    CHECK(total == 3 + 1 + 2);
    wr__windows_free(&w);
}

static void test_lanes(void) {
    wr_seqs s = {.n = 4, .n_items = 10, .start = start, .len = len, .items = items};
    wr_lanes l;
    wr_rng rng;
    wr__rng_seed(&rng, 2);
    CHECK(wr__lanes_init(&l, &s, 2, &rng) == 0);
    for (int epoch = 0; epoch < 2; epoch++) {
        int pairs[11][11];
        memset(pairs, 0, sizeof pairs);
        int end = 0, steps = 0, resets = 0, active = 0;
        int32_t inp[2], tgt[2];
        unsigned char reset[2];
        while (!end && steps < 100) {
            active += wr__lanes_next(&l, &s, &rng, inp, tgt, reset, &end);
            for (int b = 0; b < 2; b++) {
                if (inp[b]) pairs[inp[b]][tgt[b]]++;
                resets += reset[b] && inp[b];
            }
            steps++;
        }
        CHECK(end);
        CHECK(active == 3 + 1 + 2);             /* every pair once */
        CHECK(resets == 3);                    /* one reset per trainable sequence */
        CHECK(pairs[6][7] == 1 && pairs[7][8] == 1 && pairs[8][9] == 1); /* u0 */
        CHECK(pairs[3][4] == 1);                                          /* u2 */
        CHECK(pairs[5][10] == 1 && pairs[10][5] == 1);                    /* u3 */
    }
    wr__lanes_free(&l);
}

/* The guide-table draw picks exactly the item a binary search over the cumulative probabilities
 * picks, for skewed, flat and zero-probability (repeated cum) items alike. */
static void test_sampler(void) {
    enum { V = 997, N = 20000 };
    int32_t *its = malloc(N * sizeof *its), len1[1] = {N};
    int64_t st[1] = {0};
    wr_rng rng;
    wr__rng_seed(&rng, 5);
    for (int k = 0; k < N; k++) { /* Zipf-like counts over ids 1..V-3: the last items never occur */
        int it = 1 + (int)(wr__rng_float(&rng) * wr__rng_float(&rng) * (V - 3));
        its[k] = it;
    }
    wr_seqs seqs = {.n = 1, .n_items = V, .start = st, .len = len1, .items = its};
    for (int a = 0; a < 3; a++) {
        wr_sampler smp;
        CHECK(wr__sampler_init(&smp, &seqs, a * 0.5) == 0);
        wr_rng r1, r2;
        wr__rng_seed(&r1, 9 + a);
        wr__rng_seed(&r2, 9 + a);
        int same = 1;
        for (int k = 0; k < 200000; k++) {
            int32_t got = wr__sampler_draw(&smp, &r1);
            float u = wr__rng_float(&r2);
            int lo = 0, hi = V - 1;
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (smp.cum[mid] > u) hi = mid;
                else lo = mid + 1;
            }
            same &= got == lo + 1;
        }
        CHECK(same);
        wr__sampler_free(&smp);
    }
    free(its);
}

int main(void) {
    test_windows();
    test_lanes();
    test_sampler();
    TEST_END("batch");
}
