/* test_nn.c: the neural building blocks of src/nn. Every backward is checked against central
 * finite differences of a random linear probe L = sum(w * out), evaluated in double (for the
 * losses, L is the loss itself), on up to CAP elements of every input and weight; plus known
 * answers: CE of uniform logits = log V, the log-Q correction's direction, gBCE's beta, Adam's
 * first steps by hand, lazy rows left untouched, dropout's mask, GRU resets, attention's causal
 * mask and packed sequences.
 * Two compositions are checked end to end as the models will chain them: a pre-LN Transformer
 * block (SASRec's) and a GRU4Rec step (input table, GRU with resets, output table, CE/BPR-max).
 *
 * Tolerances (float32 forward, central differences): |numeric - analytic| <= atol + rtol |numeric|
 * with eps 1e-2 (layers that are linear in the checked tensor are exact up to rounding; smooth
 * nonlinear ones have an O(eps^2) truncation error far below atol) and atol 2e-3 .. 5e-3,
 * rtol 1e-2 .. 2e-2; ReLU: elements whose perturbation flips the sign of any pre-activation are
 * skipped (kinks). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/kernels.h"
#include "../../src/nn/nn.h"
#include "check.h"

#define CAP 48 /* elements checked per tensor */

// ----------------------------------------------------------------------------
// helpers

static float *fnew(size_t n) {
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) {
        printf("out of memory\n");
        exit(2);
    }
    return p;
}

static void frand(float *p, size_t n, float scale, wr_rng *rng) {
    for (size_t i = 0; i < n; i++) p[i] = scale * wr__rng_normal(rng);
}

static double probe(const float *out, const float *w, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)w[i] * out[i];
    return s;
}

/* The function checked: runs the forward pass at the current inputs and returns L. It may set
 * *kink when the evaluation crossed a non-differentiable point (then the element is skipped). */
typedef double (*loss_fn)(void *ctx, int *kink);

/* Central differences on up to CAP elements of x (n) against the analytic gradient g (n). */
static void gradcheck(const char *label, float *x, const float *g, size_t n, loss_fn f, void *ctx,
                      float eps, double atol, double rtol, wr_rng *rng) {
    int bad = 0, nonzero = 0, checked = 0, skipped = 0;
    double worst = 0.0;
    size_t count = n < CAP ? n : CAP;
    for (size_t c = 0; c < count; c++) {
        size_t i = n <= CAP ? c : wr__rng_below(rng, (uint32_t)n);
        float keep = x[i];
        int kink = 0;
        x[i] = keep + eps;
        double up = f(ctx, &kink);
        x[i] = keep - eps;
        double down = f(ctx, &kink);
        x[i] = keep;
        if (kink) {
            skipped++;
            continue;
        }
        double num = (up - down) / (2.0 * (double)eps);
        double err = fabs(num - g[i]);
        checked++;
        nonzero += fabs(num) > 1e-4;
        if (err > worst) worst = err;
        if (err > atol + rtol * fabs(num) && bad++ < 5)
            printf("  %s[%zu]: numeric %.6f analytic %.6f\n", label, i, num, (double)g[i]);
    }
    printf("gradcheck %-22s %3d checked %2d skipped, max |err| %.2e\n", label, checked, skipped, worst);
    CHECK(bad == 0);
    CHECK(checked > 0 && nonzero > 0); /* the check saw real gradients */
}

// ----------------------------------------------------------------------------
// embedding and positions

typedef struct {
    int N, C, V, T;
    int32_t *ids, *t;
    float *table, *pos, *out, *w;
} emb_case;

static double emb_loss(void *arg, int *kink) {
    emb_case *e = arg;
    wr_embedding_forward(e->out, e->ids, e->table, 1.5f, e->N, e->C);
    wr_position_forward(e->out, e->t, e->pos, e->N, e->C);
    return probe(e->out, e->w, (size_t)e->N * e->C);
}

static void test_embedding(wr_rng *rng) {
    emb_case e = {.N = 12, .T = 4, .C = 5, .V = 7};
    int32_t ids[12] = {0, 3, 3, 5, 1, 2, 0, 6, 0, 0, 3, 2}; /* repeats and padding */
    int32_t t[12] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
    e.ids = ids, e.t = t;
    e.table = fnew((size_t)e.V * e.C);
    e.pos = fnew((size_t)e.T * e.C);
    e.out = fnew((size_t)e.N * e.C);
    e.w = fnew((size_t)e.N * e.C);
    frand(e.table, (size_t)e.V * e.C, 1.0f, rng);
    frand(e.pos, (size_t)e.T * e.C, 1.0f, rng);
    frand(e.w, (size_t)e.N * e.C, 1.0f, rng);
    int dummy;
    emb_loss(&e, &dummy);
    /* padding gives a zero embedding: only its position is left */
    for (int c = 0; c < e.C; c++) CHECK(e.out[c] == e.pos[c] && e.out[(size_t)6 * e.C + c] == e.pos[2 * e.C + c]);
    CHECK_CLOSE(e.out[(size_t)1 * e.C + 2], 1.5 * e.table[3 * e.C + 2] + e.pos[1 * e.C + 2], 1e-6, 1e-6);

    float *dtable = fnew((size_t)e.V * e.C), *dpos = fnew((size_t)e.T * e.C);
    int32_t rows[7];
    unsigned char seen[7] = {0};
    int n_rows = 0;
    wr_embedding_backward(dtable, rows, &n_rows, seen, e.w, ids, 1.5f, e.N, e.C);
    wr_position_backward(dpos, e.w, t, e.N, e.C);
    /* touched rows: 3, 5, 1, 2, 6 in first-use order, each once; 0 (padding) never */
    CHECK(n_rows == 5 && rows[0] == 3 && rows[1] == 5 && rows[2] == 1 && rows[3] == 2 && rows[4] == 6);
    CHECK(seen[0] == 0 && seen[4] == 0 && seen[3] == 1);
    for (int c = 0; c < e.C; c++) CHECK(dtable[c] == 0.0f && dtable[4 * e.C + c] == 0.0f);
    gradcheck("embedding.table", e.table, dtable, (size_t)e.V * e.C, emb_loss, &e, 1e-2f, 2e-3, 1e-2, rng);
    gradcheck("embedding.pos", e.pos, dpos, (size_t)e.T * e.C, emb_loss, &e, 1e-2f, 2e-3, 1e-2, rng);
    /* without a seen record (dense optimisers): the same gradient, no rows */
    float *dplain = fnew((size_t)e.V * e.C);
    wr_embedding_backward(dplain, NULL, NULL, NULL, e.w, ids, 1.5f, e.N, e.C);
    CHECK(memcmp(dplain, dtable, (size_t)e.V * e.C * sizeof(float)) == 0);
    free(dplain);

    /* a second call (the output use of a shared table) adds rows without repeating them */
    int32_t more[3] = {4, 3, 0};
    wr_embedding_backward(dtable, rows, &n_rows, seen, e.w, more, 1.0f, 3, e.C);
    CHECK(n_rows == 6 && rows[5] == 4);
    wr_embedding_clear_rows(dtable, seen, rows, n_rows, e.C);
    int clean = 1;
    for (int i = 0; i < e.V * e.C; i++) clean &= dtable[i] == 0.0f;
    for (int i = 0; i < e.V; i++) clean &= seen[i] == 0;
    CHECK(clean);
    free(e.table), free(e.pos), free(e.out), free(e.w), free(dtable), free(dpos);
}

// ----------------------------------------------------------------------------
// linear

typedef struct {
    int N, C, OC;
    float *inp, *W, *b, *out, *w;
} lin_case;

static double lin_loss(void *arg, int *kink) {
    lin_case *l = arg;
    wr_linear_forward(l->out, l->inp, l->W, l->b, l->N, l->C, l->OC);
    return probe(l->out, l->w, (size_t)l->N * l->OC);
}

static double lin_loss1(void *arg) {
    int kink = 0;
    return lin_loss(arg, &kink);
}

static void test_linear(wr_rng *rng) {
    lin_case l = {.N = 7, .C = 9, .OC = 6};
    l.inp = fnew((size_t)l.N * l.C), l.W = fnew((size_t)l.OC * l.C), l.b = fnew((size_t)l.OC);
    l.out = fnew((size_t)l.N * l.OC), l.w = fnew((size_t)l.N * l.OC);
    frand(l.inp, (size_t)l.N * l.C, 1.0f, rng), frand(l.W, (size_t)l.OC * l.C, 0.5f, rng);
    frand(l.b, (size_t)l.OC, 0.5f, rng), frand(l.w, (size_t)l.N * l.OC, 1.0f, rng);
    float *dinp = fnew((size_t)l.N * l.C), *dW = fnew((size_t)l.OC * l.C), *db = fnew((size_t)l.OC);
    /* dW and db accumulate: start them at 1 and subtract it after; dinp is overwritten: start it
     * at a value no gradient has */
    for (int i = 0; i < l.N * l.C; i++) dinp[i] = 1e30f;
    for (int i = 0; i < l.OC * l.C; i++) dW[i] = 1.0f;
    for (int i = 0; i < l.OC; i++) db[i] = 1.0f;
    int dummy;
    lin_loss(&l, &dummy);
    wr_linear_backward(dinp, dW, db, l.w, l.inp, l.W, l.N, l.C, l.OC);
    for (int i = 0; i < l.OC * l.C; i++) dW[i] -= 1.0f;
    for (int i = 0; i < l.OC; i++) db[i] -= 1.0f;
    gradcheck("linear.inp", l.inp, dinp, (size_t)l.N * l.C, lin_loss, &l, 1e-2f, 2e-3, 1e-2, rng);
    gradcheck("linear.W", l.W, dW, (size_t)l.OC * l.C, lin_loss, &l, 1e-2f, 2e-3, 1e-2, rng);
    gradcheck("linear.b", l.b, db, (size_t)l.OC, lin_loss, &l, 1e-2f, 2e-3, 1e-2, rng);
    int nz; /* and once through check.h's shared helper, which the model tests use */
    CHECK(check_gradients(l.b, db, (size_t)l.OC, lin_loss1, &l, 1e-2f, 2e-3, 1e-2, "linear.b", &nz) == 0 && nz > 0);
    free(l.inp), free(l.W), free(l.b), free(l.out), free(l.w), free(dinp), free(dW), free(db);
}

// ----------------------------------------------------------------------------
// layernorm

typedef struct {
    int N, C;
    float *inp, *gw, *gb, *out, *mean, *rstd, *w;
} ln_case;

static double ln_loss(void *arg, int *kink) {
    ln_case *l = arg;
    wr_layernorm_forward(l->out, l->mean, l->rstd, l->inp, l->gw, l->gb, l->N, l->C);
    return probe(l->out, l->w, (size_t)l->N * l->C);
}

static void test_layernorm(wr_rng *rng) {
    ln_case l = {.N = 6, .C = 16};
    size_t n = (size_t)l.N * l.C;
    l.inp = fnew(n), l.gw = fnew(l.C), l.gb = fnew(l.C), l.out = fnew(n), l.w = fnew(n);
    l.mean = fnew(l.N), l.rstd = fnew(l.N);
    frand(l.inp, n, 1.0f, rng), frand(l.w, n, 1.0f, rng);
    for (int c = 0; c < l.C; c++) l.gw[c] = 1.0f + 0.3f * wr__rng_normal(rng), l.gb[c] = 0.1f * wr__rng_normal(rng);
    float *dinp = fnew(n), *dw = fnew(l.C), *db = fnew(l.C);
    int dummy;
    ln_loss(&l, &dummy);
    wr_layernorm_backward(dinp, dw, db, l.w, l.inp, l.mean, l.rstd, l.gw, l.N, l.C);
    gradcheck("layernorm.inp", l.inp, dinp, n, ln_loss, &l, 1e-2f, 3e-3, 1e-2, rng);
    gradcheck("layernorm.w", l.gw, dw, (size_t)l.C, ln_loss, &l, 1e-2f, 3e-3, 1e-2, rng);
    gradcheck("layernorm.b", l.gb, db, (size_t)l.C, ln_loss, &l, 1e-2f, 3e-3, 1e-2, rng);
    free(l.inp), free(l.gw), free(l.gb), free(l.out), free(l.w), free(l.mean), free(l.rstd);
    free(dinp), free(dw), free(db);
}

// ----------------------------------------------------------------------------
// feed-forward

typedef struct {
    int N, C, F, act;
    float *inp, *W1, *b1, *W2, *b2, *out, *pre, *post, *w;
    unsigned char *sign; /* pre > 0 at the unperturbed point (ReLU kink detection) */
} ffn_case;

static double ffn_loss(void *arg, int *kink) {
    ffn_case *f = arg;
    wr_ffn_forward(f->out, f->pre, f->post, f->inp, f->W1, f->b1, f->W2, f->b2, f->act, f->N, f->C, f->F);
    if (f->act == WR_ACT_RELU && f->sign)
        for (int i = 0; i < f->N * f->F; i++)
            if ((f->pre[i] > 0.0f) != f->sign[i]) *kink = 1;
    return probe(f->out, f->w, (size_t)f->N * f->C);
}

static void test_ffn(wr_rng *rng, int act) {
    ffn_case f = {.N = 5, .C = 6, .F = 12, .act = act};
    size_t nc = (size_t)f.N * f.C, nf = (size_t)f.N * f.F, wf = (size_t)f.F * f.C;
    f.inp = fnew(nc), f.W1 = fnew(wf), f.b1 = fnew(f.F), f.W2 = fnew(wf), f.b2 = fnew(f.C);
    f.out = fnew(nc), f.pre = fnew(nf), f.post = fnew(nf), f.w = fnew(nc);
    frand(f.inp, nc, 1.0f, rng), frand(f.W1, wf, 0.5f, rng), frand(f.b1, f.F, 0.3f, rng);
    frand(f.W2, wf, 0.5f, rng), frand(f.b2, f.C, 0.3f, rng), frand(f.w, nc, 1.0f, rng);
    float *dinp = fnew(nc), *dW1 = fnew(wf), *db1 = fnew(f.F), *dW2 = fnew(wf), *db2 = fnew(f.C);
    float *dpost = fnew(nf);
    for (size_t i = 0; i < nc; i++) dinp[i] = 1e30f; /* both overwritten */
    for (size_t i = 0; i < nf; i++) dpost[i] = 1e30f;
    int dummy;
    ffn_loss(&f, &dummy);
    f.sign = malloc(nf);
    for (size_t i = 0; i < nf; i++) f.sign[i] = f.pre[i] > 0.0f;
    wr_ffn_backward(dinp, dW1, db1, dW2, db2, dpost, f.w, f.inp, f.pre, f.post, f.W1, f.W2, act, f.N, f.C, f.F);
    const char *names[2][5] = {{"ffn_relu.inp", "ffn_relu.W1", "ffn_relu.b1", "ffn_relu.W2", "ffn_relu.b2"},
                               {"ffn_gelu.inp", "ffn_gelu.W1", "ffn_gelu.b1", "ffn_gelu.W2", "ffn_gelu.b2"}};
    float eps = act == WR_ACT_RELU ? 1e-3f : 1e-2f; /* ReLU: small steps cross fewer kinks */
    double atol = act == WR_ACT_RELU ? 5e-3 : 3e-3;
    gradcheck(names[act][0], f.inp, dinp, nc, ffn_loss, &f, eps, atol, 2e-2, rng);
    gradcheck(names[act][1], f.W1, dW1, wf, ffn_loss, &f, eps, atol, 2e-2, rng);
    gradcheck(names[act][2], f.b1, db1, (size_t)f.F, ffn_loss, &f, eps, atol, 2e-2, rng);
    gradcheck(names[act][3], f.W2, dW2, wf, ffn_loss, &f, eps, atol, 2e-2, rng);
    gradcheck(names[act][4], f.b2, db2, (size_t)f.C, ffn_loss, &f, eps, atol, 2e-2, rng);
    free(f.inp), free(f.W1), free(f.b1), free(f.W2), free(f.b2), free(f.out), free(f.pre);
    free(f.post), free(f.w), free(f.sign), free(dinp), free(dW1), free(db1), free(dW2), free(db2);
    free(dpost);
}

/* GELU's tanh approximation by hand at x = 1 and -2, and ReLU, through a 1x1 FFN. */
static void test_activations(void) {
    float one = 1.0f, zero = 0.0f, out, pre, post;
    float xs[3] = {1.0f, -2.0f, 0.5f};
    double want_gelu[3] = {0.841191990, -0.045402306, 0.345714152};
    for (int i = 0; i < 3; i++) {
        wr_ffn_forward(&out, &pre, &post, &xs[i], &one, &zero, &one, &zero, WR_ACT_GELU, 1, 1, 1);
        CHECK_CLOSE(out, want_gelu[i], 1e-6, 1e-5);
        wr_ffn_forward(&out, &pre, &post, &xs[i], &one, &zero, &one, &zero, WR_ACT_RELU, 1, 1, 1);
        CHECK(out == (xs[i] > 0 ? xs[i] : 0.0f));
    }
}

// ----------------------------------------------------------------------------
// dropout

typedef struct {
    int N;
    float p;
    float *inp, *out, *w;
    unsigned char *mask;
} drop_case;

static double drop_loss(void *arg, int *kink) {
    drop_case *d = arg;
    wr_rng rng;
    wr__rng_seed(&rng, 99); /* the same mask at every evaluation */
    wr_dropout_forward(d->out, d->mask, d->inp, NULL, d->p, 1, &rng, d->N);
    return probe(d->out, d->w, (size_t)d->N);
}

static void test_dropout(wr_rng *rng) {
    drop_case d = {.N = 4000, .p = 0.3f};
    d.inp = fnew(d.N), d.out = fnew(d.N), d.w = fnew(d.N), d.mask = malloc(d.N);
    frand(d.inp, d.N, 1.0f, rng), frand(d.w, d.N, 1.0f, rng);
    int dummy, kept = 0, exact = 1;
    drop_loss(&d, &dummy);
    for (int i = 0; i < d.N; i++) {
        kept += d.mask[i];
        exact &= d.mask[i] ? d.out[i] == d.inp[i] * (1.0f / 0.7f) : d.out[i] == 0.0f;
    }
    CHECK(exact);
    CHECK(kept > 0.7 * d.N - 120 && kept < 0.7 * d.N + 120); /* ~4.7 sigma */
    float *dinp = fnew(d.N);
    for (int i = 0; i < d.N; i++) dinp[i] = 5.0f; /* written, not added to */
    wr_dropout_backward(dinp, d.w, d.mask, d.p, d.N);
    gradcheck("dropout.inp", d.inp, dinp, (size_t)d.N, drop_loss, &d, 1e-2f, 2e-3, 1e-2, rng);
    /* the keep rate at other rates, and two calls draw two masks */
    const float rates[] = {0.05f, 0.5f, 0.9f};
    for (int k = 0; k < 3; k++) {
        wr_rng r;
        wr__rng_seed(&r, 7 + k);
        wr_dropout_forward(d.out, d.mask, d.inp, NULL, rates[k], 1, &r, d.N);
        int n = 0, same = 0;
        for (int i = 0; i < d.N; i++) n += d.mask[i];
        unsigned char *first = malloc(d.N);
        memcpy(first, d.mask, d.N);
        wr_dropout_forward(d.out, d.mask, d.inp, NULL, rates[k], 1, &r, d.N);
        for (int i = 0; i < d.N; i++) same += first[i] == d.mask[i];
        free(first);
        double keep = 1.0 - rates[k], sd = sqrt(d.N * keep * (1 - keep));
        CHECK(fabs(n - keep * d.N) < 5 * sd);
        CHECK(same < d.N); /* independent masks agree on keep^2 + (1 - keep)^2 of the elements, not all */
    }
    /* identity at p = 0 and at evaluation, and the rng is not consumed */
    wr_rng r1, r2;
    wr__rng_seed(&r1, 5), wr__rng_seed(&r2, 5);
    wr_dropout_forward(d.out, d.mask, d.inp, NULL, 0.5f, 0, &r1, d.N);
    CHECK(memcmp(d.out, d.inp, (size_t)d.N * sizeof(float)) == 0 && d.mask[17] == 1);
    wr_dropout_forward(d.out, d.mask, d.inp, NULL, 0.0f, 1, &r1, d.N);
    CHECK(memcmp(d.out, d.inp, (size_t)d.N * sizeof(float)) == 0);
    CHECK(wr__rng_u64(&r1) == wr__rng_u64(&r2));
    /* with a residual: res + the dropped input, the same mask as without (same seed), and res +
     * inp at evaluation */
    float *res = fnew(d.N), *plain = fnew(d.N);
    unsigned char *mask2 = malloc(d.N);
    frand(res, (size_t)d.N, 1.0f, rng);
    wr__rng_seed(&r1, 9), wr__rng_seed(&r2, 9);
    wr_dropout_forward(plain, d.mask, d.inp, NULL, 0.3f, 1, &r1, d.N);
    wr_dropout_forward(d.out, mask2, d.inp, res, 0.3f, 1, &r2, d.N);
    int same_res = memcmp(mask2, d.mask, (size_t)d.N) == 0, eval_res = 1;
    for (int i = 0; i < d.N; i++) same_res &= d.out[i] == res[i] + plain[i];
    wr_dropout_forward(d.out, mask2, d.inp, res, 0.3f, 0, &r2, d.N);
    for (int i = 0; i < d.N; i++) eval_res &= d.out[i] == res[i] + d.inp[i] && mask2[i] == 1;
    CHECK(same_res && eval_res);
    free(res), free(plain), free(mask2);
    free(d.inp), free(d.out), free(d.w), free(d.mask), free(dinp);
}

// ----------------------------------------------------------------------------
// GRU: one step, and through time

typedef struct {
    int T, B, G;
    float *xg, *h0, *W, *b, *h, *hprev, *gh, *gates, *w;
    unsigned char *reset;
} gru_case;

static double gru_loss(void *arg, int *kink) {
    gru_case *g = arg;
    wr_gru_forward(g->h, g->hprev, g->gh, g->gates, g->xg, g->reset, g->h0, g->W, g->b, g->T, g->B, g->G);
    return probe(g->h, g->w, (size_t)g->T * g->B * g->G);
}

/* one step from h0: the loss and its gradients through wr_gru_step_* alone */
static double gru_step_loss(void *arg, int *kink) {
    gru_case *g = arg;
    wr_gru_step_forward(g->h, g->gh, g->gates, g->xg, g->h0, g->W, g->b, g->B, g->G);
    return probe(g->h, g->w, (size_t)g->B * g->G);
}

static void gru_alloc(gru_case *g, wr_rng *rng) {
    size_t BG = (size_t)g->B * g->G, TBG = (size_t)g->T * BG, GG = (size_t)3 * g->G * g->G;
    g->xg = fnew(3 * TBG), g->h0 = fnew(BG), g->W = fnew(GG), g->b = fnew((size_t)3 * g->G);
    g->h = fnew(TBG), g->hprev = fnew(TBG), g->gh = fnew(3 * TBG), g->gates = fnew(3 * TBG), g->w = fnew(TBG);
    frand(g->xg, 3 * TBG, 1.0f, rng), frand(g->h0, BG, 0.5f, rng), frand(g->W, GG, 0.6f, rng);
    frand(g->b, (size_t)3 * g->G, 0.3f, rng), frand(g->w, TBG, 1.0f, rng);
}

static void gru_free(gru_case *g) {
    free(g->xg), free(g->h0), free(g->W), free(g->b), free(g->h), free(g->hprev), free(g->gh), free(g->gates), free(g->w);
}

static void test_gru_step(wr_rng *rng) {
    gru_case g = {.T = 1, .B = 3, .G = 6};
    gru_alloc(&g, rng);
    size_t BG = (size_t)g.B * g.G, GG = (size_t)3 * g.G * g.G;
    float *dxg = fnew(3 * BG), *dhp = fnew(BG), *dW = fnew(GG), *db = fnew((size_t)3 * g.G), *scratch = fnew(3 * BG);
    int dummy;
    gru_step_loss(&g, &dummy);
    /* h = (1 - z) n + z hp by hand for one element, from the kept gates */
    const float *r = g.gates, *z = r + g.G, *n = z + g.G;
    CHECK_CLOSE(g.h[2], (1.0 - z[2]) * n[2] + z[2] * g.h0[2], 1e-6, 1e-5);
    CHECK_CLOSE(n[2], tanh(g.xg[2 * g.G + 2] + r[2] * g.gh[2 * g.G + 2]), 1e-6, 1e-5);
    wr_gru_step_backward(dxg, dhp, dW, db, scratch, g.w, g.h0, g.gh, g.gates, g.W, g.B, g.G);
    gradcheck("gru_step.xg", g.xg, dxg, 3 * BG, gru_step_loss, &g, 1e-2f, 3e-3, 1e-2, rng);
    gradcheck("gru_step.hp", g.h0, dhp, BG, gru_step_loss, &g, 1e-2f, 3e-3, 1e-2, rng);
    gradcheck("gru_step.W", g.W, dW, GG, gru_step_loss, &g, 1e-2f, 3e-3, 1e-2, rng);
    gradcheck("gru_step.b", g.b, db, (size_t)3 * g.G, gru_step_loss, &g, 1e-2f, 3e-3, 1e-2, rng);
    /* dhp NULL (GRU4Rec, no BPTT): the weights' gradients are the same */
    float *dW2 = fnew(GG);
    gru_step_loss(&g, &dummy);
    memset(dW, 0, GG * sizeof(float));
    wr_gru_step_backward(dxg, dhp, dW, db, scratch, g.w, g.h0, g.gh, g.gates, g.W, g.B, g.G);
    wr_gru_step_backward(dxg, NULL, dW2, db, scratch, g.w, g.h0, g.gh, g.gates, g.W, g.B, g.G);
    CHECK(memcmp(dW, dW2, GG * sizeof(float)) == 0);
    gru_free(&g);
    free(dxg), free(dhp), free(dW), free(db), free(scratch), free(dW2);
}

static void test_gru(wr_rng *rng) {
    gru_case g = {.T = 5, .B = 3, .G = 6};
    /* row 1 starts a new session at t = 2, row 2 at t = 0 (h0 ignored there) */
    unsigned char reset[15] = {0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}; /* (T,B) */
    g.reset = reset;
    gru_alloc(&g, rng);
    size_t BG = (size_t)g.B * g.G, TBG = (size_t)g.T * BG, GG = (size_t)3 * g.G * g.G;
    float *dxg = fnew(3 * TBG), *dW = fnew(GG), *db = fnew((size_t)3 * g.G), *dh0 = fnew(BG), *scratch = fnew(5 * BG);
    int dummy;
    gru_loss(&g, &dummy);
    wr_gru_backward(dxg, dW, db, dh0, scratch, g.w, g.hprev, g.gh, g.gates, g.reset, g.W, g.T, g.B, g.G);
    gradcheck("gru.xg", g.xg, dxg, 3 * TBG, gru_loss, &g, 1e-2f, 3e-3, 1e-2, rng);
    gradcheck("gru.W", g.W, dW, GG, gru_loss, &g, 1e-2f, 3e-3, 1e-2, rng);
    gradcheck("gru.b", g.b, db, (size_t)3 * g.G, gru_loss, &g, 1e-2f, 3e-3, 1e-2, rng);
    gradcheck("gru.h0", g.h0, dh0, BG, gru_loss, &g, 1e-2f, 3e-3, 1e-2, rng);
    /* no gradient reaches h0 of row 2 (reset at its first step) */
    int zero = 1;
    for (int j = 0; j < g.G; j++) zero &= dh0[2 * g.G + j] == 0.0f;
    CHECK(zero);
    /* row 1 after its reset equals a fresh run from t = 2: nothing leaks across sessions */
    gru_case f = {.T = 3, .B = 1, .G = g.G};
    gru_alloc(&f, rng);
    for (int t = 0; t < 3; t++) memcpy(f.xg + (size_t)t * 3 * g.G, g.xg + ((size_t)(t + 2) * g.B + 1) * 3 * g.G, 3 * g.G * sizeof(float));
    memcpy(f.W, g.W, GG * sizeof(float));
    memcpy(f.b, g.b, (size_t)3 * g.G * sizeof(float));
    wr_gru_forward(f.h, f.hprev, f.gh, f.gates, f.xg, NULL, NULL, f.W, f.b, 3, 1, g.G);
    gru_loss(&g, &dummy); /* the gradient check left g.h at a perturbed point */
    int same = 1;
    for (int t = 0; t < 3; t++)
        for (int j = 0; j < g.G; j++)
            same &= fabsf(f.h[(size_t)t * g.G + j] - g.h[((size_t)(t + 2) * g.B + 1) * g.G + j]) <= 1e-6f;
    CHECK(same);
    gru_free(&f);
    gru_free(&g);
    free(dxg), free(dW), free(db), free(dh0), free(scratch);
}

// ----------------------------------------------------------------------------
// attention

typedef struct {
    int B, T, C, H, N, causal;
    const int *off;
    float *qkv, *out, *att, *w;
} att_case;

static double att_loss(void *arg, int *kink) {
    att_case *a = arg;
    wr_attention_forward(a->out, a->att, a->qkv, a->off, a->causal, a->B, a->T, a->C, a->H);
    return probe(a->out, a->w, (size_t)a->N * a->C);
}

static void test_attention(wr_rng *rng, int causal) {
    /* two packed sequences: 5 rows (T) and 3 rows */
    static const int off[3] = {0, 5, 8};
    att_case a = {.B = 2, .T = 5, .C = 8, .H = 2, .N = 8, .causal = causal, .off = off};
    size_t n3 = (size_t)a.N * 3 * a.C, n = (size_t)a.N * a.C;
    a.qkv = fnew(n3), a.out = fnew(n), a.att = fnew((size_t)a.B * a.H * a.T * a.T), a.w = fnew(n);
    frand(a.qkv, n3, 1.0f, rng), frand(a.w, n, 1.0f, rng);
    int dummy;
    att_loss(&a, &dummy);
    /* probabilities: rows sum to 1, zero at keys past the query (causal) or past the sequence */
    int ok = 1;
    for (int b = 0; b < a.B; b++)
        for (int h = 0; h < a.H; h++)
            for (int t = 0; t < off[b + 1] - off[b]; t++) {
                const float *p = a.att + (((size_t)b * a.H + h) * a.T + t) * a.T;
                double s = 0;
                for (int t2 = 0; t2 < a.T; t2++) {
                    if (t2 >= off[b + 1] - off[b] || (causal && t2 > t)) ok &= p[t2] == 0.0f;
                    s += p[t2];
                }
                ok &= fabs(s - 1.0) < 1e-5;
            }
    CHECK(ok);
    /* changing sequence 1 leaves sequence 0 alone, and (causal) a later row leaves earlier ones */
    float *before = fnew(n);
    memcpy(before, a.out, n * sizeof(float));
    for (int c = 0; c < 3 * a.C; c++) a.qkv[(size_t)6 * 3 * a.C + c] += 1.0f; /* b 1, t 1 */
    att_loss(&a, &dummy);
    int same = 1;
    for (int i = 0; i < 5 * a.C; i++) same &= a.out[i] == before[i];
    if (causal)
        for (int c = 0; c < a.C; c++) same &= a.out[(size_t)5 * a.C + c] == before[(size_t)5 * a.C + c];
    CHECK(same);
    float *dqkv = fnew(n3);
    att_loss(&a, &dummy);
    wr_attention_backward(dqkv, a.w, a.qkv, a.att, a.off, causal, a.B, a.T, a.C, a.H);
    gradcheck(causal ? "attention_causal.qkv" : "attention_bidir.qkv", a.qkv, dqkv, n3, att_loss, &a,
              1e-2f, 3e-3, 1e-2, rng);
    /* every q, k and v slice gets checked: pick them explicitly as well, in both sequences */
    int bad = 0;
    for (int row = 3; row <= 6; row += 3)
        for (int part = 0; part < 3; part++) {
            size_t i = (size_t)row * 3 * a.C + (size_t)part * a.C + 5; /* head 1 */
            float keep = a.qkv[i];
            a.qkv[i] = keep + 1e-2f;
            double up = att_loss(&a, &dummy);
            a.qkv[i] = keep - 1e-2f;
            double down = att_loss(&a, &dummy);
            a.qkv[i] = keep;
            double num = (up - down) / 2e-2;
            bad += fabs(num - dqkv[i]) > 3e-3 + 1e-2 * fabs(num);
        }
    CHECK(bad == 0);
    free(a.qkv), free(a.out), free(a.att), free(a.w), free(before), free(dqkv);
}

// ----------------------------------------------------------------------------
// a pre-LN Transformer block composed from the pieces (SASRec's), checked end to end:
//   a = LN1(x); o = attention(a Wqkv^T + bqkv); x2 = x + o Wp^T + bp; y = x2 + FFN(LN2(x2))

typedef struct {
    int B, T, C, H, F, N;
    const int *off;
    float *x, *ln1w, *ln1b, *Wqkv, *bqkv, *Wp, *bp, *ln2w, *ln2b, *W1, *b1, *W2, *b2;
    float *a, *m1, *r1, *qkv, *att, *o, *x2, *bb, *m2, *r2, *pre, *post, *f, *y, *w;
} blk_case;

static double blk_loss(void *arg, int *kink) {
    blk_case *k = arg;
    int N = k->N, C = k->C;
    wr_layernorm_forward(k->a, k->m1, k->r1, k->x, k->ln1w, k->ln1b, N, C);
    wr_linear_forward(k->qkv, k->a, k->Wqkv, k->bqkv, N, C, 3 * C);
    wr_attention_forward(k->o, k->att, k->qkv, k->off, 1, k->B, k->T, C, k->H);
    wr_linear_forward(k->x2, k->o, k->Wp, k->bp, N, C, C);
    for (int i = 0; i < N * C; i++) k->x2[i] += k->x[i];
    wr_layernorm_forward(k->bb, k->m2, k->r2, k->x2, k->ln2w, k->ln2b, N, C);
    wr_ffn_forward(k->f, k->pre, k->post, k->bb, k->W1, k->b1, k->W2, k->b2, WR_ACT_GELU, N, C, k->F);
    for (int i = 0; i < N * C; i++) k->y[i] = k->x2[i] + k->f[i];
    return probe(k->y, k->w, (size_t)N * C);
}

static void test_block(wr_rng *rng) {
    static const int off[3] = {0, 4, 7}; /* packed: 4 rows, then 3 */
    blk_case k = {.B = 2, .T = 4, .C = 8, .H = 2, .F = 16, .off = off};
    int N = k.N = off[2], C = k.C, F = k.F;
    size_t nc = (size_t)N * C;
    float **params[] = {&k.ln1w, &k.ln1b, &k.Wqkv, &k.bqkv, &k.Wp, &k.bp, &k.ln2w, &k.ln2b, &k.W1, &k.b1, &k.W2, &k.b2};
    size_t sizes[] = {C, C, (size_t)3 * C * C, (size_t)3 * C, (size_t)C * C, C, C, C, (size_t)F * C, F, (size_t)F * C, C};
    float *grads[12];
    for (int i = 0; i < 12; i++) {
        *params[i] = fnew(sizes[i]);
        frand(*params[i], sizes[i], 0.4f, rng);
        grads[i] = fnew(sizes[i]);
    }
    for (int c = 0; c < C; c++) k.ln1w[c] += 1.0f, k.ln2w[c] += 1.0f;
    k.x = fnew(nc), k.a = fnew(nc), k.m1 = fnew(N), k.r1 = fnew(N), k.qkv = fnew(3 * nc);
    k.att = fnew((size_t)k.B * k.H * k.T * k.T), k.o = fnew(nc), k.x2 = fnew(nc), k.bb = fnew(nc);
    k.m2 = fnew(N), k.r2 = fnew(N), k.pre = fnew((size_t)N * F), k.post = fnew((size_t)N * F);
    k.f = fnew(nc), k.y = fnew(nc), k.w = fnew(nc);
    frand(k.x, nc, 1.0f, rng), frand(k.w, nc, 1.0f, rng);
    int dummy;
    blk_loss(&k, &dummy);
    // backward, in reverse; residuals copy the gradient to both branches
    float *dx = fnew(nc), *dx2 = fnew(nc), *dbb = fnew(nc), *do_ = fnew(nc), *dqkv = fnew(3 * nc);
    float *da = fnew(nc), *dpost = fnew((size_t)N * F);
    memcpy(dx2, k.w, nc * sizeof(float));
    wr_ffn_backward(dbb, grads[8], grads[9], grads[10], grads[11], dpost, k.w, k.bb, k.pre, k.post, k.W1, k.W2,
                    WR_ACT_GELU, N, C, F);
    wr_layernorm_backward(dx2, grads[6], grads[7], dbb, k.x2, k.m2, k.r2, k.ln2w, N, C);
    memcpy(dx, dx2, nc * sizeof(float));
    wr_linear_backward(do_, grads[4], grads[5], dx2, k.o, k.Wp, N, C, C);
    wr_attention_backward(dqkv, do_, k.qkv, k.att, k.off, 1, k.B, k.T, C, k.H);
    wr_linear_backward(da, grads[2], grads[3], dqkv, k.a, k.Wqkv, N, C, 3 * C);
    wr_layernorm_backward(dx, grads[0], grads[1], da, k.x, k.m1, k.r1, k.ln1w, N, C);
    const char *names[] = {"block.ln1.w", "block.ln1.b", "block.Wqkv", "block.bqkv", "block.Wproj", "block.bproj",
                           "block.ln2.w", "block.ln2.b", "block.W1", "block.b1", "block.W2", "block.b2"};
    gradcheck("block.x", k.x, dx, nc, blk_loss, &k, 1e-2f, 5e-3, 2e-2, rng);
    for (int i = 0; i < 12; i++) gradcheck(names[i], *params[i], grads[i], sizes[i], blk_loss, &k, 1e-2f, 5e-3, 2e-2, rng);
    for (int i = 0; i < 12; i++) free(*params[i]), free(grads[i]);
    free(k.x), free(k.a), free(k.m1), free(k.r1), free(k.qkv), free(k.att), free(k.o), free(k.x2), free(k.bb);
    free(k.m2), free(k.r2), free(k.pre), free(k.post), free(k.f), free(k.y), free(k.w);
    free(dx), free(dx2), free(dbb), free(do_), free(dqkv), free(da), free(dpost);
}

// ----------------------------------------------------------------------------
// a tiny GRU4Rec step composed from the pieces, checked end to end: session-parallel ids
// (T,B) -> rows of a (V,3G) input table (GRU4Rec's one-hot input) -> GRU with resets ->
// scores against a (V,G) output table -> CE over all items, or BPR-max over the targets

typedef struct {
    int T, B, G, V, bpr;
    int32_t *ids, *tgt;
    unsigned char *reset;
    float *Ein, *W, *b, *Eout, *xg, *h, *hprev, *gh, *gates, *logits, *probs, *blogits;
    int32_t *cols, *pos;
} g4r_case;

static double g4r_loss(void *arg, int *kink) {
    g4r_case *k = arg;
    int N = k->T * k->B;
    wr_embedding_forward(k->xg, k->ids, k->Ein, 1.0f, N, 3 * k->G);
    wr_gru_forward(k->h, k->hprev, k->gh, k->gates, k->xg, k->reset, NULL, k->W, k->b, k->T, k->B, k->G);
    wr_linear_forward(k->logits, k->h, k->Eout, NULL, N, k->G, k->V);
    if (!k->bpr) return wr_ce_loss(NULL, k->probs, k->logits, k->tgt, 0, 1.0f, N, k->V);
    /* BPR-max over the columns of the step's targets (GRU4Rec's mini-batch negatives) */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < k->B; j++) k->blogits[i * k->B + j] = k->logits[(size_t)i * k->V + k->cols[(i / k->B) * k->B + j]];
    return wr_bpr_max_loss(NULL, k->probs, k->blogits, k->pos, 0.3f, 1.0f, N, k->B);
}

static void test_gru4rec_step(wr_rng *rng, int bpr) {
    g4r_case k = {.T = 3, .B = 3, .G = 5, .V = 8, .bpr = bpr};
    int N = k.T * k.B, G = k.G, V = k.V;
    int32_t ids[9] = {1, 2, 3, 4, 5, 6, 7, 1, 2};
    int32_t tgt[9] = {4, 5, 6, 7, 1, 2, 3, 6, 5};
    unsigned char reset[9] = {1, 1, 1, 0, 1, 0, 0, 0, 0}; /* (T,B): row 1 starts a session at t 1 */
    int32_t pos[9] = {0, 1, 2, 0, 1, 2, 0, 1, 2};
    k.ids = ids, k.tgt = tgt, k.reset = reset, k.cols = tgt, k.pos = pos;
    k.Ein = fnew((size_t)V * 3 * G), k.W = fnew((size_t)3 * G * G), k.b = fnew((size_t)3 * G);
    k.Eout = fnew((size_t)V * G), k.xg = fnew((size_t)N * 3 * G), k.h = fnew((size_t)N * G);
    k.hprev = fnew((size_t)N * G), k.gh = fnew((size_t)N * 3 * G), k.gates = fnew((size_t)N * 3 * G);
    k.logits = fnew((size_t)N * V), k.probs = fnew((size_t)N * V), k.blogits = fnew((size_t)N * k.B);
    frand(k.Ein, (size_t)V * 3 * G, 0.7f, rng), frand(k.W, (size_t)3 * G * G, 0.6f, rng);
    frand(k.b, (size_t)3 * G, 0.3f, rng), frand(k.Eout, (size_t)V * G, 0.7f, rng);
    int dummy;
    g4r_loss(&k, &dummy);
    float *dEin = fnew((size_t)V * 3 * G), *dW = fnew((size_t)3 * G * G), *db = fnew((size_t)3 * G);
    float *dEout = fnew((size_t)V * G), *dlogits = fnew((size_t)N * V), *dh = fnew((size_t)N * G);
    float *dxg = fnew((size_t)N * 3 * G), *scratch = fnew((size_t)5 * k.B * G), *dbl = fnew((size_t)N * k.B);
    if (!bpr) {
        wr_ce_loss(dlogits, k.probs, k.logits, tgt, 0, 1.0f, N, V);
    } else {
        wr_bpr_max_loss(dbl, k.probs, k.blogits, pos, 0.3f, 1.0f, N, k.B);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < k.B; j++) dlogits[(size_t)i * V + tgt[(i / k.B) * k.B + j]] += dbl[i * k.B + j];
    }
    wr_linear_backward(dh, dEout, NULL, dlogits, k.h, k.Eout, N, G, V);
    wr_gru_backward(dxg, dW, db, NULL, scratch, dh, k.hprev, k.gh, k.gates, reset, k.W, k.T, k.B, G);
    int32_t rows[8];
    unsigned char seen[8] = {0};
    int n_rows = 0;
    wr_embedding_backward(dEin, rows, &n_rows, seen, dxg, ids, 1.0f, N, 3 * G);
    CHECK(n_rows == 7);
    const char *lbl[2][4] = {{"gru4rec_ce.Ein", "gru4rec_ce.W", "gru4rec_ce.b", "gru4rec_ce.Eout"},
                             {"gru4rec_bprmax.Ein", "gru4rec_bprmax.W", "gru4rec_bprmax.b", "gru4rec_bprmax.Eout"}};
    gradcheck(lbl[bpr][0], k.Ein, dEin, (size_t)V * 3 * G, g4r_loss, &k, 1e-2f, 3e-3, 2e-2, rng);
    gradcheck(lbl[bpr][1], k.W, dW, (size_t)3 * G * G, g4r_loss, &k, 1e-2f, 3e-3, 2e-2, rng);
    gradcheck(lbl[bpr][2], k.b, db, (size_t)3 * G, g4r_loss, &k, 1e-2f, 3e-3, 2e-2, rng);
    gradcheck(lbl[bpr][3], k.Eout, dEout, (size_t)V * G, g4r_loss, &k, 1e-2f, 3e-3, 2e-2, rng);
    free(k.Ein), free(k.W), free(k.b), free(k.Eout), free(k.xg), free(k.h), free(k.hprev), free(k.gh);
    free(k.gates), free(k.logits), free(k.probs), free(k.blogits);
    free(dEin), free(dW), free(db), free(dEout), free(dlogits), free(dh), free(dxg), free(scratch), free(dbl);
}

// ----------------------------------------------------------------------------
// losses

typedef struct {
    int kind; /* 0 ce, 1 sampled, 2 bce, 3 bpr-max */
    int N, J;
    float *logits, *probs, *logq, beta, bpreg;
    int32_t *target;
    unsigned char *skip, *valid;
} loss_case;

static double loss_eval(loss_case *l, float *dlogits) {
    switch (l->kind) {
    case 0: return wr_ce_loss(dlogits, l->probs, l->logits, l->target, 0, 1.0f, l->N, l->J);
    case 1: return wr_sampled_softmax_loss(dlogits, l->probs, l->logits, l->logq, l->skip, l->valid, 1.0f, l->N, l->J - 1);
    case 2: return wr_bce_loss(dlogits, l->logits, l->valid, l->beta, 1.0f, l->N, l->J - 1);
    default: return wr_bpr_max_loss(dlogits, l->probs, l->logits, l->target, l->bpreg, 1.0f, l->N, l->J);
    }
}

static double loss_fn_(void *arg, int *kink) {
    return loss_eval(arg, NULL);
}

static void test_loss_grad(wr_rng *rng, int kind, float beta, const char *label) {
    loss_case l = {.kind = kind, .N = 5, .J = 9, .beta = beta, .bpreg = 0.5f};
    size_t n = (size_t)l.N * l.J;
    l.logits = fnew(n), l.probs = fnew(n), l.logq = fnew(n);
    frand(l.logits, n, 1.5f, rng);
    for (size_t i = 0; i < n; i++) l.logq[i] = -1.0f - 3.0f * wr__rng_float(rng);
    int32_t target[5] = {3, 0, 8, 1, 0}; /* ce: row 1 and 4 are padding (ignore = 0) */
    int32_t pos[5] = {0, 1, 2, -1, 4};   /* bpr-max: GRU4Rec's diagonal, one skipped row */
    l.target = kind == 3 ? pos : target;
    unsigned char skip[45] = {0}, valid[5] = {1, 1, 0, 1, 1};
    skip[1 * 9 + 4] = 1; /* an accidental hit */
    l.skip = skip, l.valid = valid;
    float *dlogits = fnew(n);
    loss_eval(&l, dlogits);
    gradcheck(label, l.logits, dlogits, n, loss_fn_, &l, 1e-2f, 2e-3, 1e-2, rng);
    /* rows that do not count get no gradient */
    int untouched = 1;
    for (int j = 0; j < l.J; j++) {
        if (kind == 0) untouched &= dlogits[1 * 9 + j] == 0.0f && dlogits[4 * 9 + j] == 0.0f;
        if (kind == 1 || kind == 2) untouched &= dlogits[2 * 9 + j] == 0.0f;
        if (kind == 3) untouched &= dlogits[3 * 9 + j] == 0.0f;
    }
    if (kind == 1) untouched &= dlogits[1 * 9 + 4] == 0.0f;
    CHECK(untouched);
    free(l.logits), free(l.probs), free(l.logq), free(dlogits);
}

static void test_loss_known(wr_rng *rng) {
    /* CE of uniform logits is log V, and its gradient is 1/V - onehot */
    enum { V = 1000 };
    float *z = fnew(2 * V), *p = fnew(2 * V), *dz = fnew(2 * V);
    for (int i = 0; i < 2 * V; i++) z[i] = 0.25f;
    int32_t tg[2] = {7, 999};
    double L = wr_ce_loss(dz, p, z, tg, -1, 0.5f, 2, V);
    CHECK_CLOSE(L, 2 * log((double)V), 1e-5, 1e-6);
    CHECK_CLOSE(dz[7], 0.5 * (1.0 / V - 1.0), 1e-7, 1e-5);
    CHECK_CLOSE(dz[8], 0.5 / V, 1e-9, 1e-5);
    /* in place (probs = logits, as the models call it): the same loss and gradient */
    float *dzi = fnew(2 * V);
    frand(z, 2 * V, 2.0f, rng);
    memset(dz, 0, 2 * V * sizeof(float));
    double Lsep = wr_ce_loss(dz, p, z, tg, -1, 0.5f, 2, V);
    CHECK(wr_ce_loss(dzi, z, z, tg, -1, 0.5f, 2, V) == Lsep);
    CHECK(memcmp(dz, dzi, 2 * V * sizeof(float)) == 0 && memcmp(p, z, 2 * V * sizeof(float)) == 0);
    /* and the gradient in place too (dlogits = probs = logits): the row becomes its gradient */
    frand(z, 2 * V, 2.0f, rng);
    memcpy(dzi, z, 2 * V * sizeof(float));
    memset(dz, 0, 2 * V * sizeof(float));
    Lsep = wr_ce_loss(dz, p, z, tg, -1, 0.5f, 2, V);
    CHECK(wr_ce_loss(dzi, dzi, dzi, tg, -1, 0.5f, 2, V) == Lsep);
    CHECK(memcmp(dz, dzi, 2 * V * sizeof(float)) == 0);
    free(dzi);
    /* a target 100 below the best: p underflows to 0 but the loss stays finite and exact */
    float z2[3] = {0.0f, 100.0f, 0.0f}, p2[3], dz2[3] = {0};
    int32_t t2 = 0;
    L = wr_ce_loss(dz2, p2, z2, &t2, -1, 1.0f, 1, 3);
    CHECK_CLOSE(L, 100.0, 1e-4, 1e-6);

    /* log-Q direction, one row: two negatives with equal logits; the popular one (higher q) is
     * sampled more often, so after the correction it must weigh less than the rare one */
    float zq[3] = {1.0f, 0.5f, 0.5f}, lq[3] = {0.0f, logf(0.5f), logf(0.01f)}, pq[3], dq[3] = {0};
    wr_sampled_softmax_loss(dq, pq, zq, lq, NULL, NULL, 1.0f, 1, 2);
    CHECK(pq[1] < pq[2]);
    CHECK(dq[1] < dq[2]);

    /* log-Q by Monte Carlo: sampling K negatives from a skewed q, the corrected sampled loss
     * is close to the full softmax CE on average; without the correction, or with the wrong
     * sign, it is far off. */
    enum { NV = 50, K = 10, TRIALS = 4000 };
    float s[NV], q[NV], cdf[NV];
    double qs = 0;
    for (int i = 0; i < NV; i++) s[i] = 0.8f * wr__rng_normal(rng), q[i] = 1.0f / (float)(i + 1), qs += q[i];
    double acc = 0;
    for (int i = 0; i < NV; i++) q[i] = (float)(q[i] / qs), acc += q[i], cdf[i] = (float)acc;
    int target = 20; /* a fairly rare item */
    float pf[NV];
    int32_t tt = target;
    double full = wr_ce_loss(NULL, pf, s, &tt, -1, 1.0f, 1, NV);
    double mean[3] = {0, 0, 0};
    float zs[1 + K], lqs[3][1 + K], ps[1 + K];
    for (int tr = 0; tr < TRIALS; tr++) {
        zs[0] = s[target];
        for (int v = 0; v < 3; v++) lqs[v][0] = 0.0f; /* the positive is always in the sample */
        for (int k = 1; k <= K; k++) {
            float u = wr__rng_float(rng);
            int j = 0;
            while (j < NV - 1 && cdf[j] <= u) j++;
            zs[k] = s[j];
            float lk = logf((float)K * q[j]); /* log of the expected count */
            lqs[0][k] = lk, lqs[1][k] = 0.0f, lqs[2][k] = -lk;
        }
        for (int v = 0; v < 3; v++) mean[v] += wr_sampled_softmax_loss(NULL, ps, zs, lqs[v], NULL, NULL, 1.0f, 1, K);
    }
    for (int v = 0; v < 3; v++) mean[v] /= TRIALS;
    printf("log-Q Monte Carlo: full CE %.4f, corrected %.4f, uncorrected %.4f, wrong sign %.4f\n", full,
           mean[0], mean[1], mean[2]);
    CHECK(fabs(mean[0] - full) < 0.3); /* E log != log E: a small bias is left at K = 10 */
    CHECK(fabs(mean[0] - full) < fabs(mean[1] - full));
    CHECK(fabs(mean[1] - full) < fabs(mean[2] - full));

    /* BCE at zero logits: (beta + K) log 2 */
    float zb[2 * 5] = {0};
    double Lb = wr_bce_loss(NULL, zb, NULL, 1.0f, 1.0f, 2, 4);
    CHECK_CLOSE(Lb, 2 * 5 * log(2.0), 1e-6, 1e-6);
    /* gBCE's beta: t = 0 is BCE; t = 1 is alpha; 256 negatives of 10,001 items at t = 0.75 */
    CHECK_CLOSE(wr_gbce_beta(256, 10001, 0.0f), 1.0, 1e-7, 0);
    CHECK_CLOSE(wr_gbce_beta(256, 10001, 1.0f), 0.0256, 1e-7, 1e-6);
    CHECK_CLOSE(wr_gbce_beta(256, 10001, 0.75f), 1.0 - 0.75 * (1.0 - 0.0256), 1e-7, 1e-6);
    Lb = wr_bce_loss(NULL, zb, NULL, 0.25f, 1.0f, 1, 4);
    CHECK_CLOSE(Lb, (0.25 + 4) * log(2.0), 1e-6, 1e-6);
    /* gBCE's positive term is -log(sigmoid(s)^beta): the transformed logit of gSASRec's code,
     * log(1 / (sigmoid(s)^-beta - 1)), has that sigmoid */
    float zp[2] = {0.7f, -0.3f};
    double beta = 0.3, sg = 1.0 / (1.0 + exp(-0.7));
    double s_t = log(1.0 / (pow(sg, -beta) - 1.0));
    double want = log1p(exp(-s_t)) + log1p(exp(-0.3)) /* -log(1 - sigmoid(-0.3)) */;
    CHECK_CLOSE(wr_bce_loss(NULL, zp, NULL, (float)beta, 1.0f, 1, 1), want, 1e-6, 1e-6);

    /* BPR-max with equal scores: w uniform, sigmoid 0.5, loss = log 2 + bpreg r^2 */
    float zr[4] = {0.5f, 0.5f, 0.5f, 0.5f}, wr_[4];
    int32_t pp = 2;
    CHECK_CLOSE(wr_bpr_max_loss(NULL, wr_, zr, &pp, 0.1f, 1.0f, 1, 4), log(2.0) + 0.1 * 0.25, 1e-6, 1e-6);
    CHECK(wr_[2] == 0.0f);
    CHECK_CLOSE(wr_[0], 1.0 / 3, 1e-7, 1e-6);
    free(z), free(p), free(dz);
}

// ----------------------------------------------------------------------------
// optimisers

static void test_optim(void) {
    /* Adam's first two steps by hand: p = 1, g = 0.5 then -0.25, lr 0.1, decay 0.01 */
    float p[1] = {1.0f}, m[1] = {0}, v[1] = {0}, g[1] = {0.5f};
    wr_adamw a = wr_adamw_init(0.1f, 0.01f);
    wr_adamw_begin_step(&a);
    wr_adamw_dense(p, m, v, g, &a, 1);
    /* m = 0.05, v = 0.00025; mhat = 0.5, vhat = 0.25: step lr (1 + wd p) */
    CHECK_CLOSE(m[0], 0.05, 1e-8, 1e-6);
    CHECK_CLOSE(v[0], 0.00025, 1e-10, 1e-4); /* 1 - b2 is inexact in float */
    CHECK_CLOSE(p[0], 1.0 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.01 * 1.0), 1e-6, 0);
    double p1 = p[0];
    g[0] = -0.25f;
    wr_adamw_begin_step(&a);
    wr_adamw_dense(p, m, v, g, &a, 1);
    double m2 = 0.9 * 0.05 + 0.1 * -0.25, v2 = 0.999 * 0.00025 + 0.001 * 0.0625;
    double mh = m2 / (1 - 0.81), vh = v2 / (1 - 0.999 * 0.999);
    CHECK_CLOSE(p[0], p1 - 0.1 * (mh / (sqrt(vh) + 1e-8) + 0.01 * p1), 1e-6, 0);
    CHECK(a.t == 2);

    /* lazy rows: a (4,3) table, rows 2 and 0 touched; rows 1 and 3 keep weights and moments,
     * even though their gradient is nonzero (it was not this step's) and decay is on */
    float P[12], M[12] = {0}, Vv[12] = {0}, G[12];
    for (int i = 0; i < 12; i++) P[i] = 1.0f + i, G[i] = 0.5f;
    int32_t rows[2] = {2, 0};
    wr_adamw b = wr_adamw_init(0.1f, 0.5f);
    wr_adamw_begin_step(&b);
    wr_adamw_rows(P, M, Vv, G, rows, 2, &b, 4, 3);
    int lazy = 1;
    for (int c = 0; c < 3; c++) {
        lazy &= P[3 + c] == 4.0f + c && M[3 + c] == 0.0f && Vv[3 + c] == 0.0f;
        lazy &= P[9 + c] == 10.0f + c && M[9 + c] == 0.0f && Vv[9 + c] == 0.0f;
    }
    CHECK(lazy);
    /* touched rows moved by lr and, as embeddings, were not decayed */
    CHECK_CLOSE(P[6], 7.0 - 0.1, 1e-6, 0);
    CHECK_CLOSE(P[0], 1.0 - 0.1, 1e-6, 0);
    /* decay_embeddings: decayed too */
    float Q[3] = {2.0f, 2.0f, 2.0f}, MQ[3] = {0}, VQ[3] = {0}, GQ[3] = {0.5f, 0.5f, 0.5f};
    b = wr_adamw_init(0.1f, 0.5f);
    b.decay_embeddings = 1;
    wr_adamw_begin_step(&b);
    wr_adamw_rows(Q, MQ, VQ, GQ, NULL, 0, &b, 1, 3);
    CHECK_CLOSE(Q[1], 2.0 - 0.1 * (1.0 + 0.5 * 2.0), 1e-6, 0);

    /* Adagrad: first step moves lr sign(g); lazy rows the same */
    float pa[4] = {0}, acc[4] = {0}, ga[4] = {2.0f, -0.5f, 0.0f, 1.0f};
    wr_adagrad_dense(pa, acc, ga, 0.5f, 1e-6f, 4);
    CHECK_CLOSE(pa[0], -0.5, 1e-5, 0);
    CHECK_CLOSE(pa[1], 0.5, 1e-5, 0);
    CHECK(pa[2] == 0.0f && acc[2] == 0.0f && acc[0] == 4.0f);
    int32_t r1[1] = {1};
    float pr[4] = {0}, accr[4] = {0};
    wr_adagrad_rows(pr, accr, ga, r1, 1, 0.5f, 1e-6f, 2, 2);
    CHECK(pr[0] == 0.0f && pr[1] == 0.0f && accr[0] == 0.0f);
    CHECK_CLOSE(pr[3], -0.5, 1e-5, 0);
    /* SGD with decay, dense and rows */
    float ps[2] = {1.0f, 1.0f}, gs[2] = {0.5f, 0.5f};
    wr_sgd_dense(ps, gs, 0.1f, 0.2f, 2);
    CHECK_CLOSE(ps[0], 1.0 - 0.1 * (0.5 + 0.2), 1e-7, 0);
    float pq[4] = {1, 1, 1, 1}, gq[4] = {1, 1, 1, 1};
    wr_sgd_rows(pq, gq, r1, 1, 0.1f, 0.0f, 2, 2);
    CHECK(pq[0] == 1.0f && pq[1] == 1.0f);
    CHECK_CLOSE(pq[2], 0.9, 1e-7, 0);

    /* clipping over a dense span (3, 4) and row 1 of a (3,2) table (0, 12): norm 13 */
    float dg[2] = {3.0f, 4.0f}, eg[6] = {5.0f, 5.0f, 0.0f, 12.0f, 7.0f, 7.0f};
    int32_t er[1] = {1};
    wr_grad_span spans[2] = {{.g = dg, .n = 2}, {.g = eg, .rows = er, .R = 1, .C = 2}};
    CHECK(wr_clip_grad_norm(spans, 2, 0.0f) == 0.0 && dg[0] == 3.0f); /* off */
    CHECK_CLOSE(wr_clip_grad_norm(spans, 2, 100.0f), 13.0, 1e-9, 0);
    CHECK(dg[0] == 3.0f && eg[3] == 12.0f);
    CHECK_CLOSE(wr_clip_grad_norm(spans, 2, 1.3f), 13.0, 1e-9, 0);
    CHECK_CLOSE(dg[0], 0.3, 1e-7, 1e-6);
    CHECK_CLOSE(eg[3], 1.2, 1e-7, 1e-6);
    CHECK(eg[0] == 5.0f && eg[4] == 7.0f); /* untouched rows are not part of the step */
}

int main(void) {
    wr_rng rng;
    wr__rng_seed(&rng, 20240601);
    test_embedding(&rng);
    test_linear(&rng);
    test_layernorm(&rng);
    test_ffn(&rng, WR_ACT_RELU);
    test_ffn(&rng, WR_ACT_GELU);
    test_activations();
    test_dropout(&rng);
    test_gru_step(&rng);
    test_gru(&rng);
    test_attention(&rng, 1);
    test_attention(&rng, 0);
    test_block(&rng);
    test_gru4rec_step(&rng, 0);
    test_gru4rec_step(&rng, 1);
    test_loss_grad(&rng, 0, 1.0f, "loss.ce");
    test_loss_grad(&rng, 1, 1.0f, "loss.sampled_logq");
    test_loss_grad(&rng, 2, 1.0f, "loss.bce");
    test_loss_grad(&rng, 2, 0.27f, "loss.gbce");
    test_loss_grad(&rng, 3, 1.0f, "loss.bpr_max");
    test_loss_known(&rng);
    test_optim();
    TEST_END("test_nn");
}
