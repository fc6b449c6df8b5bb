/* test_optim.c: the optimisers applied over a parameter layout, by hand: Adam's first step, lazy rows, weight decay that
 * skips embeddings unless asked, Adagrad, and global-norm clipping. */
#include <math.h>
#include <string.h>

#include "../../src/models/optim.h"
#include "check.h"

int main(void) {
    wr_layout l;
    memset(&l, 0, sizeof l);
    int emb = wr__layout_add(&l, "emb", 2, 3, 2, 0, WR_INIT_ZERO, 0, 1);   /* 3 rows x 2 */
    int w = wr__layout_add(&l, "w", 1, 3, 0, 0, WR_INIT_ZERO, 0, 0);       /* dense, padded to 4 */
    CHECK(l.v[emb].offset == 0 && l.v[w].offset == 8 && l.total == 12);
    float p[12], g[12], m[12], v[12];
    for (int i = 0; i < 12; i++) p[i] = 1.0f, g[i] = (float)(i % 3) - 1.0f; /* -1, 0, 1, ... */
    memset(m, 0, sizeof m);
    memset(v, 0, sizeof v);

    /* Adam's first step with bias correction moves each weight by lr * sign(g) (g != 0). Lazy:
     * only embedding row 1 is touched; rows 0 and 2 keep weights and moments. */
    wr_adamw a = wr_adamw_init(0.1f, 0.5f);
    int32_t rows[1] = {1};
    wr__adam_step(&a, &l, p, g, m, v, rows, 1);
    CHECK(p[0] == 1.0f && p[1] == 1.0f && p[4] == 1.0f && p[5] == 1.0f && m[0] == 0 && v[5] == 0);
    /* row 1 = entries 2, 3 with g = 1, -1: an embedding, so no decay */
    CHECK_CLOSE(p[2], 1.0 - 0.1, 1e-6, 0);
    CHECK_CLOSE(p[3], 1.0 + 0.1, 1e-6, 0);
    /* dense w = entries 8..10 with g = 1, -1, 0, decayed: p -= lr (sign(g) + 0.5 p) */
    CHECK_CLOSE(p[8], 1.0 - 0.1 * (1 + 0.5), 1e-6, 0);
    CHECK_CLOSE(p[9], 1.0 - 0.1 * (-1 + 0.5), 1e-6, 0);
    CHECK_CLOSE(p[10], 1.0 - 0.1 * 0.5, 1e-6, 0);

    /* decay_embeddings: the touched row decays too */
    float q[12];
    for (int i = 0; i < 12; i++) q[i] = 1.0f;
    memset(m, 0, sizeof m);
    memset(v, 0, sizeof v);
    wr_adamw b = wr_adamw_init(0.1f, 0.5f);
    b.decay_embeddings = 1;
    wr__adam_step(&b, &l, q, g, m, v, rows, 1);
    CHECK_CLOSE(q[2], 1.0 - 0.1 * (1 + 0.5), 1e-6, 0);

    /* Adagrad: acc = g^2, p -= lr g / (|g| + eps) on every entry (rows = NULL) */
    float r[12], acc[12] = {0};
    for (int i = 0; i < 12; i++) r[i] = 0.0f;
    wr__adagrad_step(0.5f, &l, r, g, acc, NULL, 0);
    CHECK_CLOSE(r[0], 0.5, 1e-5, 0); /* g = -1 */
    CHECK_CLOSE(r[2], -0.5, 1e-5, 0);
    CHECK(r[1] == 0 && acc[1] == 0);

    /* clipping: the norm over what a step updates; row 1 + w: g = (1, -1) and (1, -1, 0, pad 1) */
    float c[12];
    memcpy(c, g, sizeof c);
    CHECK(wr__clip_grad(&l, c, rows, 1, 0) == 0); /* off */
    double n = wr__clip_grad(&l, c, rows, 1, 1e9f);
    CHECK_CLOSE(n, 2.0, 1e-9, 0); /* sqrt(1 + 1 + 1 + 1): the padding float is outside w's size */
    CHECK(c[2] == g[2]);          /* under the bound: unchanged */
    n = wr__clip_grad(&l, c, rows, 1, 1.0f);
    CHECK_CLOSE(n, 2.0, 1e-9, 0);
    CHECK_CLOSE(c[2], 0.5, 1e-7, 0);
    CHECK_CLOSE(c[8], 0.5, 1e-7, 0);
    CHECK(c[0] == g[0]); /* untouched rows are not scaled */
    TEST_END("optim");
}
