/* test_mf.c: matrix factorisation (finite-difference gradients for each loss, a planted problem
 * it must solve, users in the model file, the unknown-user fold-in), the event splits (exact
 * fractions, time order, no user or item on both sides), AUC against a brute-force pair count,
 * and the --label / --drop conditions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/eval/metrics.h"
#include "../../src/eval/split.h"
#include "../../src/models/model.h"
#include "check.h"

static wr_ctx *ctx;

/* Two groups of 20 users: group g rates items g0..g9 (with ratings 5 and 1 on alternate items),
 * in time order; each user skips one item of the group, which MF should then rank first. */
static char *planted(void) {
    wr_buf b = {0};
    for (int u = 0; u < 40; u++) {
        int g = u / 20;
        for (int i = 0; i < 10; i++) {
            if (i == u % 10) continue;
            wr__buf_printf(&b, "u%d\ti%d_%d\t%d\t%d\n", u, g, i, i % 2 ? 5 : 1, 1000 + u * 100 + i);
        }
    }
    return wr__buf_take(&b, NULL);
}

static wr_data *load(const char *text) {
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, text, strlen(text), "movielens", "planted", 0, &d) == WR_OK);
    return d;
}

/* Central differences of the batch loss against the analytic gradient, on every parameter the
 * batch touches (and a few it does not, which must have zero gradient). */
static void gradient_check(const char *loss, int labelled) {
    char *text = planted();
    wr_data *d = load(text);
    if (labelled) CHECK(wr_data_label(d, "rating>=4", NULL) == WR_OK);
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "mf", 3, &m) == WR_OK);
    CHECK(wr_model_set(m, "dim", "4") == WR_OK);
    CHECK(wr_model_set(m, "loss", loss) == WR_OK);
    CHECK(wr_model_set(m, "n_neg", "2") == WR_OK);
    CHECK(wr_model_set(m, "reg", "0.01") == WR_OK);
    CHECK(wr_model_set(m, "init", "0.5") == WR_OK);
    double p[WR_PROGRESS_N];
    CHECK(wr_train_begin(m, d, NULL, p) == WR_OK);
    int32_t users[3] = {0, 5, 25}, items[3] = {1, 2, 12}, negs[6] = {3, 4, 15, 0, 17, 13};
    float y[3];
    int mse = !strcmp(loss, "mse");
    for (int b = 0; b < 3; b++) y[b] = mse ? (float)(1 + 2 * b) : (float)(b % 2);
    const float *yy = mse || labelled ? y : NULL;
    const float *g;
    wr__mf_loss_grad(m, users, items, yy, negs, 3, &g);
    float *grad = malloc(m->n_params * sizeof *grad);
    memcpy(grad, g, m->n_params * sizeof *grad);
    int bad = 0, checked = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        float keep = m->params[i];
        double h = 1e-3;
        m->params[i] = keep + (float)h;
        double up = wr__mf_loss_grad(m, users, items, yy, negs, 3, &g);
        m->params[i] = keep - (float)h;
        double down = wr__mf_loss_grad(m, users, items, yy, negs, 3, &g);
        m->params[i] = keep;
        double num = (up - down) / (2 * h);
        if (fabs(num - grad[i]) > 2e-3 + 2e-2 * fabs(num)) {
            if (bad++ < 3) printf("mf %s: param %zu analytic %.6g numeric %.6g\n", loss, i, grad[i], num);
        }
        checked += grad[i] != 0;
    }
    CHECK(bad == 0);
    CHECK(checked > 10);
    free(grad);
    wr_train_end(m);
    wr_model_free(m);
    wr_data_free(d);
    free(text);
}

static void planted_problem(void) {
    char *text = planted();
    wr_data *d = load(text);
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "mf", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "dim", "8") == WR_OK);
    CHECK(wr_model_set(m, "lr", "0.05") == WR_OK);
    CHECK(wr_model_set(m, "epochs", "60") == WR_OK);
    CHECK(wr_model_set(m, "batch", "64") == WR_OK);
    CHECK(wr_model_fit(m, d) == WR_OK);
    CHECK(wr_model_n_users(m) == 40);
    int hits = 0, items[10], got = 0;
    float sc[10];
    for (int u = 0; u < 40; u++) {
        char id[16], want[16];
        snprintf(id, sizeof id, "u%d", u);
        snprintf(want, sizeof want, "i%d_%d", u / 20, u % 10);
        int user = wr_model_user_index(m, id);
        CHECK(user >= 0);
        /* no history given: the user's own vector; their rated items are excluded by hand */
        CHECK(wr_model_recommend(m, user, NULL, 0, 10, WR_SEEN_KEEP, items, sc, &got) == WR_OK);
        int first_unrated = -1;
        for (int k = 0; k < got && first_unrated < 0; k++) {
            const char *it = wr_model_item_id(m, items[k]);
            int own = it[1] - '0' == u / 20;
            if (!own || !strcmp(it, want)) first_unrated = k;
        }
        hits += first_unrated >= 0 && !strcmp(wr_model_item_id(m, items[first_unrated]), want);
    }
    CHECK(hits >= 36); /* the skipped item of the user's own group beats the other group's */
    /* users saved and restored; scores the same after the round trip */
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "mf.safetensors", &back) == WR_OK);
    if (back) {
        CHECK(wr_model_n_users(back) == 40);
        float a[20], b2[20];
        int h[2] = {0, 1};
        CHECK(wr_model_score(m, 7, h, 2, a) == WR_OK);
        CHECK(wr_model_score(back, 7, h, 2, b2) == WR_OK);
        CHECK(memcmp(a, b2, sizeof a) == 0);
        /* an unknown user with a history of group 1's items: group 1 ranks above group 0 */
        int hist[3], n = 0;
        for (int i = 0; i < 3; i++) {
            char id[16];
            snprintf(id, sizeof id, "i1_%d", i);
            hist[n++] = wr_model_item_index(back, id);
        }
        CHECK(wr_model_score(back, -1, hist, n, a) == WR_OK);
        double g0 = 0, g1 = 0;
        for (int i = 0; i < 20; i++) {
            if (wr_model_item_id(back, i)[1] == '0') g0 += a[i];
            else g1 += a[i];
        }
        CHECK(g1 > g0);
        CHECK(wr_model_score(back, 40, hist, n, a) == WR_ERR_ARG);
        wr_model_free(back);
    }
    /* a file without its users is refused */
    wr_free(bytes);
    wr_model_free(m);
    /* mse needs ratings */
    const char *seq = "a x\na y\nb x\nb y\n";
    wr_data *s = NULL;
    CHECK(wr_data_load(ctx, seq, strlen(seq), "seq", "s", 0, &s) == WR_OK);
    CHECK(wr_model_new(ctx, "mf", 1, &m) == WR_OK);
    CHECK(wr_model_set(m, "loss", "mse") == WR_OK);
    CHECK(wr_model_fit(m, s) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "needs ratings");
    wr_model_free(m);
    wr_data_free(s);
    wr_data_free(d);
    free(text);
}

static void splits(void) {
    char *text = planted();
    wr_data *d = load(text);
    int64_t n = wr_data_n_events(d);
    static const char *const kinds[] = {"random", "temporal", "cold-users", "cold-items"};
    for (int k = 0; k < 4; k++) {
        wr_split *s = NULL;
        CHECK(wr_split_new(d, kinds[k], "0.6,0.2,0.2", 5, &s) == WR_OK);
        if (!s) continue;
        CHECK(s->n_part[0] + s->n_part[1] + s->n_part[2] == n);
        if (k < 2) CHECK(s->n_part[0] == (int64_t)(0.6 * n + 0.5) && s->n_part[2] == n - (int64_t)(0.8 * n + 0.5));
        int64_t latest_train = INT64_MIN, earliest_test = INT64_MAX;
        int user_in[40][3] = {{0}}, item_in[20][3] = {{0}};
        for (int u = 0; u < d->users.n; u++)
            for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++) {
                int p = s->part[e];
                user_in[u][p] = 1, item_in[d->seq[e]][p] = 1;
                if (p == 0 && d->ts[e] > latest_train) latest_train = d->ts[e];
                if (p == 2 && d->ts[e] < earliest_test) earliest_test = d->ts[e];
            }
        if (k == 1) CHECK(latest_train <= earliest_test);
        int both = 0;
        for (int u = 0; k == 2 && u < 40; u++) both += user_in[u][0] && user_in[u][2];
        for (int i = 0; k == 3 && i < 20; i++) both += item_in[i][0] && item_in[i][2];
        CHECK(both == 0);
        /* the same seed gives the same split */
        wr_split *again = NULL;
        CHECK(wr_split_new(d, kinds[k], "0.6,0.2,0.2", 5, &again) == WR_OK);
        if (again) CHECK(memcmp(s->part, again->part, (size_t)n) == 0);
        wr_split_free(again);
        /* holding validation out of a split without one: only training units move, and (for the
         * cold kinds) whole users or items; the test part is untouched */
        wr_split *nov = NULL, *held = NULL;
        CHECK(wr_split_new(d, kinds[k], "0.8,0,0.2", 5, &nov) == WR_OK);
        CHECK(nov && nov->n_part[1] == 0);
        CHECK(nov && wr__split_hold_out(nov, 0.25, &held) == WR_OK);
        if (nov && held) {
            int moved_ok = 1, mixed = 0, valid_users[40] = {0}, train_users[40] = {0}, valid_items[20] = {0}, train_items[20] = {0};
            for (int u = 0; u < d->users.n; u++)
                for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++) {
                    if (held->part[e] != nov->part[e] && !(nov->part[e] == 0 && held->part[e] == 1)) moved_ok = 0;
                    if (held->part[e] == 1) valid_users[u] = 1, valid_items[d->seq[e]] = 1;
                    if (held->part[e] == 0) train_users[u] = 1, train_items[d->seq[e]] = 1;
                }
            for (int u = 0; k == 2 && u < 40; u++) mixed += valid_users[u] && train_users[u];
            for (int i = 0; k == 3 && i < 20; i++) mixed += valid_items[i] && train_items[i];
            CHECK(moved_ok);
            CHECK(mixed == 0);
            CHECK(held->n_part[2] == nov->n_part[2]);
            CHECK(held->n_part[1] > 0 && held->n_part[0] + held->n_part[1] == nov->n_part[0]);
            if (k < 2) CHECK(held->n_part[1] == (int64_t)(0.25 * nov->n_part[0] + 0.5));
            if (k == 1) { /* temporal: the latest training events */
                int64_t latest = INT64_MIN, earliest_valid = INT64_MAX;
                for (int64_t e = 0; e < n; e++) {
                    if (held->part[e] == 0 && d->ts[e] > latest) latest = d->ts[e];
                    if (held->part[e] == 1 && d->ts[e] < earliest_valid) earliest_valid = d->ts[e];
                }
                CHECK(latest <= earliest_valid);
            }
        }
        wr_split_free(held), wr_split_free(nov);
        wr_split_free(s);
    }
    wr_split *s = NULL;
    CHECK(wr_split_new(d, "random", "0.6,0.2", 1, &s) == WR_ERR_ARG);
    CHECK(wr_split_new(d, "random", "0.6,0.6,0.2", 1, &s) == WR_ERR_ARG);
    CHECK(wr_split_new(d, "later", NULL, 1, &s) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "cold-users");
    /* labels and drops */
    int64_t count = -1;
    CHECK(wr_data_label(d, "score>=4", &count) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "unknown column \"score\"");
    CHECK(wr_data_label(d, "rating=>4", &count) == WR_ERR_ARG);
    CHECK(wr_data_label(d, "rating>=four", &count) == WR_ERR_ARG);
    CHECK(wr_data_drop(d, "rating==1", &count) == WR_OK);
    CHECK(count == n / 2); /* even-numbered items were rated 1: 4 or 5 per user, 180 in all */
    CHECK(wr_data_label(d, "rating >= 4", &count) == WR_OK);
    CHECK(count == wr_data_n_events(d));
    CHECK(wr_split_new(d, "loo", NULL, 1, &s) == WR_ERR_ARG); /* labelled data: held-out events */
    wr_data_free(d);
    free(text);
    const char *seq = "a x\na y\n";
    CHECK(wr_data_load(ctx, seq, strlen(seq), "seq", "s", 0, &d) == WR_OK);
    CHECK(wr_data_drop(d, "rating==1", &count) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "no rating or label column");
    wr_data_free(d);
    const char *csv = "user,item,rating\na,x,4\na,y,abc\n";
    CHECK(wr_data_load(ctx, csv, strlen(csv), "csv", "r.csv", 0, &d) == WR_ERR_PARSE);
    CHECK_CONTAINS(wr_last_error(ctx), "r.csv:3: field 3 (rating): not a number");
}

static void auc(void) {
    /* by hand: positives 0.9, 0.5 (tied with a negative), negatives 0.5, 0.1: (1 + 1 + 0.5 + 1) / 4 */
    float s1[4] = {0.9f, 0.5f, 0.5f, 0.1f};
    uint8_t y1[4] = {1, 1, 0, 0};
    double a = -1;
    CHECK(wr__auc(s1, y1, 4, &a) == 0);
    CHECK_CLOSE(a, 0.875, 1e-12, 0);
    uint8_t all[4] = {1, 1, 1, 1};
    CHECK(wr__auc(s1, all, 4, &a) == 1);
    /* random scores with many ties against the pair count */
    wr_rng r;
    wr__rng_seed(&r, 9);
    enum { N = 500 };
    float s[N];
    uint8_t y[N];
    for (int i = 0; i < N; i++) s[i] = (float)wr__rng_below(&r, 20), y[i] = wr__rng_float(&r) < 0.3f + 0.02f * s[i];
    double pairs = 0, wins = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            if (y[i] && !y[j]) pairs++, wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
    CHECK(wr__auc(s, y, N, &a) == 0);
    CHECK_CLOSE(a, wins / pairs, 1e-12, 0);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    gradient_check("bpr", 0);
    gradient_check("bce", 0);
    gradient_check("bce", 1);
    gradient_check("mse", 0);
    planted_problem();
    splits();
    auc();
    wr_ctx_free(ctx);
    TEST_END("mf");
}
