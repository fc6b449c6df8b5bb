/* test_ncf.c: GMF, MLP and NeuMF: finite-difference gradients (labels and sampled negatives), a
 * planted two-group problem, NeuMF started from trained GMF and MLP (its logit is then exactly
 * alpha GMF's + (1 - alpha) MLP's), and the model file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/models/model.h"
#include "check.h"

static wr_ctx *ctx;

/* Two groups of 20 users, each rating 9 of its group's 10 items. */
static wr_data *planted(void) {
    wr_buf b = {0};
    for (int u = 0; u < 40; u++)
        for (int i = 0; i < 10; i++)
            if (i != u % 10) wr__buf_printf(&b, "u%d\ti%d_%d\t%d\t%d\n", u, u / 20, i, 1 + (u + i) % 5, 1000 + u * 100 + i);
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "movielens", "planted", 0, &d) == WR_OK);
    wr__buf_free(&b);
    return d;
}

static wr_model *make(const char *name, int epochs) {
    wr_model *m = NULL;
    char e[16];
    snprintf(e, sizeof e, "%d", epochs);
    CHECK(wr_model_new(ctx, name, 3, &m) == WR_OK);
    CHECK(wr_model_set(m, "dim", "4") == WR_OK);
    CHECK(wr_model_set(m, "epochs", e) == WR_OK);
    if (strcmp(name, "gmf")) CHECK(wr_model_set(m, "layers", "2") == WR_OK);
    return m;
}

static void gradient_check(const char *name, int labelled) {
    wr_data *d = planted();
    if (labelled) CHECK(wr_data_label(d, "rating>=3", NULL) == WR_OK);
    wr_model *m = make(name, 1);
    CHECK(wr_model_set(m, "init", "0.5") == WR_OK);
    CHECK(wr_model_set(m, "reg", "0.01") == WR_OK);
    CHECK(wr_model_set(m, "n_neg", "2") == WR_OK);
    double p[WR_PROGRESS_N];
    CHECK(wr_train_begin(m, d, NULL, p) == WR_OK);
    int32_t users[3] = {0, 5, 25}, items[3] = {1, 2, 12}, negs[6] = {3, 14, 15, 0, 17, 9};
    float y[3] = {1, 0, 1};
    const float *yy = labelled ? y : NULL, *g;
    wr__ncf_loss_grad(m, users, items, yy, negs, 3, &g);
    float *grad = malloc(m->n_params * sizeof *grad);
    memcpy(grad, g, m->n_params * sizeof *grad);
    int bad = 0, nonzero = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        float keep = m->params[i];
        m->params[i] = keep + 3e-4f;
        double up = wr__ncf_loss_grad(m, users, items, yy, negs, 3, &g);
        m->params[i] = keep - 3e-4f;
        double down = wr__ncf_loss_grad(m, users, items, yy, negs, 3, &g);
        m->params[i] = keep;
        double num = (up - down) / 6e-4;
        /* a small step: a wider one can cross a relu kink near an activation of zero */
        if (fabs(num - grad[i]) > 2e-3 + 2e-2 * fabs(num) && bad++ < 3) printf("%s: param %zu analytic %.6g numeric %.6g\n", name, i, grad[i], num);
        nonzero += grad[i] != 0;
    }
    CHECK(bad == 0);
    CHECK(nonzero > 20);
    free(grad);
    wr_train_end(m);
    wr_model_free(m);
    wr_data_free(d);
}

/* Users whose held-back item (of their own group) comes before every item of the other group. */
static int group_hits(wr_model *m) {
    int hits = 0;
    float sc[20];
    for (int u = 0; u < 40; u++) {
        char id[16], want[16];
        snprintf(id, sizeof id, "u%d", u);
        snprintf(want, sizeof want, "i%d_%d", u / 20, u % 10);
        CHECK(wr_model_score(m, wr_model_user_index(m, id), NULL, 0, sc) == WR_OK);
        float mine = sc[wr_model_item_index(m, want)], best_other = -INFINITY;
        for (int i = 0; i < 20; i++)
            if (wr_model_item_id(m, i)[1] - '0' != u / 20 && sc[i] > best_other) best_other = sc[i];
        hits += mine > best_other;
    }
    return hits;
}

static void planted_and_pretrained(void) {
    wr_data *d = planted();
    wr_model *g = make("gmf", 100), *p = make("mlp", 40), *n = make("neumf", 40);
    CHECK(wr_model_set(g, "lr", "0.05") == WR_OK);
    CHECK(wr_model_set(p, "lr", "0.02") == WR_OK);
    CHECK(wr_model_set(g, "batch", "32") == WR_OK);
    CHECK(wr_model_set(p, "batch", "32") == WR_OK);
    CHECK(wr_model_fit(g, d) == WR_OK);
    CHECK(wr_model_fit(p, d) == WR_OK);
    int hg = group_hits(g), hp = group_hits(p);
    printf("planted: gmf %d/40, mlp %d/40\n", hg, hp);
    CHECK(hg >= 36);
    CHECK(hp >= 36);
    /* NeuMF from them: before any step its logit is alpha gmf's + (1 - alpha) mlp's */
    double prog[WR_PROGRESS_N];
    CHECK(wr_train_begin(n, d, NULL, prog) == WR_OK);
    CHECK(wr_model_ncf_pretrained(n, g, p, 0.5) == WR_OK);
    float a[20], b[20], c[20];
    CHECK(wr_model_score(n, 7, NULL, 0, a) == WR_OK);
    CHECK(wr_model_score(g, 7, NULL, 0, b) == WR_OK);
    CHECK(wr_model_score(p, 7, NULL, 0, c) == WR_OK);
    double worst = 0;
    for (int i = 0; i < 20; i++) worst = fmax(worst, fabs(a[i] - (0.5 * b[i] + 0.5 * c[i])));
    CHECK(worst < 1e-5);
    CHECK(wr_model_ncf_pretrained(n, p, g, 0.5) == WR_ERR_ARG); /* the wrong way round */
    CHECK(wr_model_ncf_pretrained(n, g, p, 1.5) == WR_ERR_ARG);
    while (!prog[WR_PROGRESS_DONE]) CHECK(wr_train_steps(n, 1 << 20, prog) == WR_OK);
    wr_train_end(n);
    CHECK(group_hits(n) >= 36);
    /* the model file: same scores after the round trip, users included */
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(n, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "neumf.safetensors", &back) == WR_OK);
    if (back) {
        CHECK(wr_model_score(n, 3, NULL, 0, a) == WR_OK);
        CHECK(wr_model_score(back, 3, NULL, 0, b) == WR_OK);
        CHECK(memcmp(a, b, sizeof a) == 0);
        /* an unknown user, whatever the history: the training counts */
        int hist[2] = {wr_model_item_index(back, "i1_0"), wr_model_item_index(back, "i1_1")};
        CHECK(wr_model_score(back, -1, hist, 2, a) == WR_OK);
        CHECK(wr_model_score(back, -1, NULL, 0, b) == WR_OK);
        CHECK(memcmp(a, b, sizeof a) == 0);
        wr_model_free(back);
    }
    wr_free(bytes);
    wr_model_free(g);
    wr_model_free(p);
    wr_model_free(n);
    wr_data_free(d);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    gradient_check("gmf", 0);
    gradient_check("mlp", 0);
    gradient_check("neumf", 0);
    gradient_check("neumf", 1);
    planted_and_pretrained();
    wr_ctx_free(ctx);
    TEST_END("ncf");
}
