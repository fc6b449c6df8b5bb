/* test_twotower.c: the two-tower model: finite-difference gradients of the in-batch softmax
 * (features, history, uniform negatives, a learned temperature), the log-Q correction's sign,
 * a planted segment x category problem that cold users and cold items (features only) must get
 * right, the query vector against the scores, and the model file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/eval/metrics.h"
#include "../../src/eval/split.h"
#include "../../src/models/model.h"
#include "check.h"

static wr_ctx *ctx;

/* 60 users (segment A or B) x 24 items (category X or Y): each user takes 8 items of their
 * segment's category (A: X, B: Y), in a random order of time. */
static wr_data *planted(int with_ctx) {
    wr_buf b = {0}, users = {0}, items = {0};
    wr__buf_puts(&b, with_ctx ? "user,item,timestamp,device\n" : "user,item,timestamp\n");
    wr_rng r;
    wr__rng_seed(&r, 5);
    for (int u = 0; u < 60; u++)
        for (int k = 0; k < 8; k++) {
            wr__buf_printf(&b, "u%d,i%d,%d", u, 2 * (int)wr__rng_below(&r, 12) + (u % 2), 1000 + u * 100 + k);
            wr__buf_puts(&b, !with_ctx ? "\n" : k % 3 ? ",mobile\n" : ",desktop\n");
        }
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "csv", "planted.csv", 0, &d) == WR_OK);
    wr__buf_puts(&users, "user_id,segment\n");
    for (int u = 0; u < 60; u++) wr__buf_printf(&users, "u%d,%s\n", u, u % 2 ? "B" : "A");
    wr__buf_puts(&items, "item_id,category\n");
    for (int i = 0; i < 24; i++) wr__buf_printf(&items, "i%d,%s\n", i, i % 2 ? "Y" : "X");
    CHECK(wr_data_load_side(d, 0, users.data, users.len, "users.csv") == WR_OK);
    CHECK(wr_data_load_side(d, 1, items.data, items.len, "items.csv") == WR_OK);
    wr__buf_free(&b), wr__buf_free(&users), wr__buf_free(&items);
    return d;
}

static wr_model *make(const char *const *sets) {
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "twotower", 3, &m) == WR_OK);
    for (int i = 0; sets && sets[i]; i += 2) CHECK(wr_model_set(m, sets[i], sets[i + 1]) == WR_OK);
    return m;
}

static void gradient_check(int layers, int with_ctx, const char *pool) {
    wr_data *d = planted(with_ctx);
    char L[8];
    snprintf(L, sizeof L, "%d", layers);
    const char *sets[] = {"dim", "3", "hidden", "5", "layers", L, "reg", "0.01", "init", "0.5", "history", "3", "learn_temperature", "1",
                          "temperature", "0.5", "n_uniform", "2", "batch", "32", "pool", pool, NULL};
    wr_model *m = make(sets);
    double p[WR_PROGRESS_N];
    CHECK(wr_train_begin(m, d, NULL, p) == WR_OK);
    CHECK(wr_train_steps(m, 5, p) == WR_OK); /* off the initial point (a learned temperature, nonzero rows) */
    /* three events of three users, at positions with histories of 0, 2 and 5 items */
    int32_t users[3] = {0, 7, 12}, items[3], negs[2] = {3, 8};
    int64_t at[3];
    int pos[3] = {0, 2, 5};
    for (int b = 0; b < 3; b++) {
        int u = wr_model_user_index(m, users[b] == 0 ? "u0" : users[b] == 7 ? "u7" : "u12");
        users[b] = u;
    }
    /* the events' indices come from the data (training is every event here) */
    for (int b = 0; b < 3; b++) {
        at[b] = d->user_start[users[b]] + pos[b];
        items[b] = d->seq[at[b]];
    }
    const float *g;
    unsigned char drop[8] = {0, 1, 0, 0, 0, 1, 0, 0}; /* the second query and the third item column see features alone */
    double l0 = wr__twotower_loss_grad(m, users, items, at, 3, negs, 2, drop, &g);
    CHECK(l0 > 0);
    float *grad = malloc(m->n_params * sizeof *grad);
    memcpy(grad, g, m->n_params * sizeof *grad);
    int bad = 0, nonzero = 0, kinks = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        float keep = m->params[i];
        m->params[i] = keep + 3e-4f;
        double up = wr__twotower_loss_grad(m, users, items, at, 3, negs, 2, drop, &g);
        m->params[i] = keep - 3e-4f;
        double down = wr__twotower_loss_grad(m, users, items, at, 3, negs, 2, drop, &g);
        m->params[i] = keep;
        double num = (up - down) / 6e-4;
        nonzero += grad[i] != 0;
        /* a step that crosses a ReLU kink (a unit whose input is exactly 0 there) has one-sided
         * slopes that disagree: not a point where the derivative exists */
        if (fabs((up - l0) - (l0 - down)) > 0.2 * fabs(up - down) + 1e-7) {
            kinks++;
            continue;
        }
        if (fabs(num - grad[i]) > 2e-3 + 2e-2 * fabs(num) && bad++ < 5) printf("twotower layers %d: param %zu analytic %.6g numeric %.6g\n", layers, i, grad[i], num);
    }
    printf("twotower layers %d%s, pool %s: %zu weights, %d with a gradient, %d at a kink\n", layers, with_ctx ? " with a context" : "", pool, m->n_params, nonzero, kinks);
    if (!strcmp(pool, "attention")) { /* the last views: the query (dim 3) and the 3 recency biases, each padded to 4 floats */
        int attn = 0;
        for (size_t i = m->n_params - 8; i < m->n_params; i++) attn += i % 4 != 3 && grad[i] != 0;
        CHECK(attn == 6);
        /* the file keeps them: the loaded model answers the same */
        uint8_t *bytes = NULL;
        size_t len = 0;
        wr_model *back = NULL;
        int top[2][5], got[2], hist[4] = {3, 5, 7, 1};
        float sc[2][5];
        CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
        CHECK(wr_model_load(ctx, bytes, len, "attention.safetensors", &back) == WR_OK);
        CHECK(wr_model_recommend(m, -1, hist, 4, 5, WR_SEEN_KEEP, top[0], sc[0], &got[0]) == WR_OK);
        CHECK(back && wr_model_recommend(back, -1, hist, 4, 5, WR_SEEN_KEEP, top[1], sc[1], &got[1]) == WR_OK);
        CHECK(got[0] == 5 && got[1] == 5 && !memcmp(top[0], top[1], sizeof top[0]) && !memcmp(sc[0], sc[1], sizeof sc[0]));
        /* a user queried with no history at all (NULL: nothing to pool) */
        float q[64];
        CHECK(wr_model_vector_dim(back) <= 64 && wr_model_query_vector(back, 0, NULL, 0, q) == WR_OK && isfinite(q[0]));
        wr_free(bytes);
        wr_model_free(back);
    }
    if (with_ctx) { /* the context is among the features whose rows the check covered */
        int f = wr_model_feature_index(m, "ctx.device=mobile");
        CHECK(f >= 0);
    }
    CHECK(kinks * 20 < (int)m->n_params);
    CHECK(bad == 0);
    CHECK(nonzero > 50);
    free(grad);
    wr_train_end(m);
    wr_model_free(m);
    wr_data_free(d);
}

/* The log-Q correction's sign. In-batch negatives are drawn by popularity, so without the
 * correction a popular item is a negative most often and is pushed below where its frequency
 * puts it; subtracting log q (Yi et al. 2019) gives that back. With the sign flipped (adding
 * log q) the popular item would sink further. So: trained with logq on, the popular item ranks
 * higher (on average over the users) than trained with it off. */
static void logq_sign(void) {
    wr_buf b = {0};
    wr__buf_puts(&b, "user,item,timestamp\n");
    wr_rng r;
    wr__rng_seed(&r, 9);
    for (int u = 0; u < 80; u++)
        for (int k = 0; k < 6; k++) { /* i0 is half of all events, the other 30 items share the rest */
            int i = wr__rng_below(&r, 2) ? 0 : 1 + (int)wr__rng_below(&r, 30);
            wr__buf_printf(&b, "u%d,i%d,%d\n", u, i, u * 10 + k);
        }
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "csv", "pop.csv", 0, &d) == WR_OK);
    wr__buf_free(&b);
    double mean_rank[2];
    for (int q = 0; q < 2; q++) {
        const char *sets[] = {"dim", "8", "logq", q ? "1" : "0", "history", "0", "epochs", "30", "batch", "64", "lr", "0.01", NULL};
        wr_model *m = make(sets);
        CHECK(wr_model_fit(m, d) == WR_OK);
        int V = wr_model_n_items(m), i0 = wr_model_item_index(m, "i0");
        float *sc = malloc((size_t)V * sizeof *sc);
        double sum = 0;
        for (int u = 0; u < 80; u++) {
            CHECK(wr_model_score(m, u, NULL, 0, sc) == WR_OK);
            int above = 0;
            for (int i = 0; i < V; i++) above += sc[i] > sc[i0];
            sum += above;
        }
        mean_rank[q] = sum / 80;
        free(sc);
        wr_model_free(m);
    }
    printf("logq: the popular item's mean rank without the correction %.2f, with it %.2f\n", mean_rank[0], mean_rank[1]);
    CHECK(mean_rank[1] < mean_rank[0]);
    CHECK(mean_rank[1] < 1.0); /* half of all events: first for nearly every user */
    wr_data_free(d);
}

/* Of the users (data indices) whose flag is set, how many get an item of their own category
 * first among the items (data indices) whose flag is set. */
static int category_hits(wr_model *m, const wr_data *d, const unsigned char *user_in, const unsigned char *item_in) {
    int hits = 0, V = wr_model_n_items(m);
    float *sc = malloc((size_t)V * sizeof *sc);
    for (int u = 0; u < d->users.n; u++) {
        if (!user_in[u]) continue;
        CHECK(wr_model_score(m, wr_model_user_index(m, d->users.keys[u]), NULL, 0, sc) == WR_OK);
        int best = -1;
        for (int i = 0; i < d->items.n; i++) {
            int k = wr_model_item_index(m, d->items.keys[i]);
            if (item_in[i] && (best < 0 || sc[k] > sc[wr_model_item_index(m, d->items.keys[best])])) best = i;
        }
        int item_no = atoi(d->items.keys[best] + 1), user_no = atoi(d->users.keys[u] + 1);
        hits += item_no % 2 == user_no % 2;
    }
    free(sc);
    return hits;
}

/* Trains on a cold-users or cold-items split of the planted data; the held-out users (or items)
 * have no training event, so the towers see only their features. */
static wr_model *train_cold(wr_data *d, const char *protocol, unsigned char *user_in, unsigned char *item_in, int *n_cold) {
    const char *sets[] = {"dim", "8", "epochs", "40", "lr", "0.01", "batch", "64", "history", "0", "patience", "0", NULL};
    wr_model *m = make(sets);
    wr_split *sp = NULL;
    CHECK(wr_split_new(d, protocol, "0.8,0,0.2", 3, &sp) == WR_OK);
    double p[WR_PROGRESS_N];
    CHECK(wr_train_begin(m, d, sp, p) == WR_OK);
    while (!p[WR_PROGRESS_DONE]) CHECK(wr_train_steps(m, 1 << 20, p) == WR_OK);
    wr_train_end(m);
    int cold_users = !strcmp(protocol, "cold-users");
    memset(user_in, !cold_users, (size_t)d->users.n), memset(item_in, cold_users, (size_t)d->items.n);
    *n_cold = 0;
    for (int u = 0; u < d->users.n; u++)
        for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++)
            if (sp->part[e] != WR_PART_TRAIN) {
                if (cold_users) *n_cold += !user_in[u], user_in[u] = 1;
                else *n_cold += !item_in[d->seq[e]], item_in[d->seq[e]] = 1;
            }
    if (!cold_users) /* warm users only: those with a training event */
        for (int u = 0; u < d->users.n; u++) {
            int any = 0;
            for (int64_t e = d->user_start[u]; e < d->user_start[u + 1]; e++) any |= sp->part[e] == WR_PART_TRAIN;
            user_in[u] = (unsigned char)any;
        }
    wr_split_free(sp);
    return m;
}

static void planted_cold_start(void) {
    wr_data *d = planted(0);
    unsigned char user_in[60], item_in[24];
    int n_cold;
    wr_model *m = train_cold(d, "cold-users", user_in, item_in, &n_cold);
    int cu = category_hits(m, d, user_in, item_in);
    printf("planted: cold users %d/%d first get an item of their category\n", cu, n_cold);
    CHECK(n_cold >= 8);
    CHECK(cu >= n_cold - 1);
    /* a visitor described by the features of a cold user is scored as that user */
    for (int u = 0; u < 60; u++) {
        if (!user_in[u] || d->user_start[u + 1] == d->user_start[u]) continue;
        int V0 = wr_model_n_items(m), seg = wr_model_feature_index(m, u % 2 ? "user.segment=B" : "user.segment=A");
        CHECK(seg >= 0);
        CHECK(wr_model_feature_index(m, "user.segment=Z") == -1);
        float *a = malloc((size_t)V0 * sizeof *a), *b = malloc((size_t)V0 * sizeof *b);
        CHECK(wr_model_score(m, wr_model_user_index(m, d->users.keys[u]), NULL, 0, a) == WR_OK);
        CHECK(wr_model_visitor(m, &seg, 1) == WR_OK);
        CHECK(wr_model_score(m, -1, NULL, 0, b) == WR_OK);
        CHECK(memcmp(a, b, (size_t)V0 * sizeof *a) == 0);
        CHECK(wr_model_visitor(m, NULL, 0) == WR_OK);
        CHECK(wr_model_score(m, -1, NULL, 0, b) == WR_OK); /* no visitor: the training counts */
        CHECK(memcmp(a, b, (size_t)V0 * sizeof *a) != 0);
        int bad = 99;
        CHECK(wr_model_visitor(m, &bad, 1) == WR_ERR_ARG);
        free(a), free(b);
        break;
    }
    /* the query vector ranks the items as the scores do: score = q . v / temperature */
    int V = wr_model_n_items(m), D = wr_model_vector_dim(m);
    CHECK(D == 8);
    float *vecs = malloc((size_t)V * D * sizeof *vecs), q[8], *sc = malloc((size_t)V * sizeof *sc);
    int hist[2] = {0, 1};
    CHECK(wr_model_item_vectors(m, vecs) == WR_OK);
    CHECK(wr_model_query_vector(m, 3, hist, 2, q) == WR_OK);
    CHECK(wr_model_score(m, 3, hist, 2, sc) == WR_OK);
    double worst = 0;
    for (int i = 0; i < V; i++) {
        double dot = 0;
        for (int c = 0; c < D; c++) dot += (double)q[c] * vecs[(size_t)i * D + c];
        worst = fmax(worst, fabs(dot / 0.05 - sc[i]));
    }
    CHECK(worst < 1e-3);
    /* the model file: features travel with it, the same scores */
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "twotower.safetensors", &back) == WR_OK);
    if (back) {
        float *sb = malloc((size_t)V * sizeof *sb);
        CHECK(wr_model_score(back, 3, hist, 2, sb) == WR_OK);
        CHECK(memcmp(sc, sb, (size_t)V * sizeof *sb) == 0);
        CHECK(category_hits(back, d, user_in, item_in) == cu);
        free(sb);
        wr_model_free(back);
    }
    wr_free(bytes);
    free(vecs), free(sc);
    wr_model_free(m);
    /* cold items: warm users over the held-out items */
    m = train_cold(d, "cold-items", user_in, item_in, &n_cold);
    int ci = category_hits(m, d, user_in, item_in), warm = 0;
    for (int u = 0; u < 60; u++) warm += user_in[u];
    printf("planted: %d warm users of %d first get a cold item (of %d) of their category\n", ci, warm, n_cold);
    CHECK(n_cold >= 2);
    CHECK(ci >= warm - 2);
    /* a new item from its features alone lands where a cold item with those features is */
    for (int i = 0; i < 24; i++) {
        if (!item_in[i]) continue;
        int k = wr_model_item_index(m, d->items.keys[i]), V1 = wr_model_n_items(m), D1 = wr_model_vector_dim(m);
        int cat = wr_model_feature_index(m, atoi(d->items.keys[i] + 1) % 2 ? "item.category=Y" : "item.category=X");
        float *all = malloc((size_t)V1 * D1 * sizeof *all), *one = malloc((size_t)D1 * sizeof *one);
        CHECK(cat >= 0);
        CHECK(wr_model_item_vectors(m, all) == WR_OK);
        CHECK(wr_model_feature_item_vector(m, &cat, 1, one) == WR_OK);
        CHECK(memcmp(one, all + (size_t)k * D1, (size_t)D1 * sizeof *one) == 0);
        int bad = -1;
        CHECK(wr_model_feature_item_vector(m, &bad, 1, one) == WR_ERR_ARG);
        free(all), free(one);
        break;
    }
    wr_model_free(m);
    /* a tower that reads nothing: a clear error */
    const char *none[] = {"user_id", "0", "history", "0", NULL};
    wr_model *n = make(none);
    wr_data *plain = NULL;
    const char *seq = "a x\na y\nb y\n";
    CHECK(wr_data_load(ctx, seq, strlen(seq), "seq", "s", 0, &plain) == WR_OK);
    CHECK(wr_model_fit(n, plain) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "query tower reads nothing");
    wr_model_free(n);
    wr_data_free(plain);
    wr_data_free(d);
}

/* The query tower reads the context: users take odd items on mobile and even ones on desktop,
 * whoever they are; a query's context decides, and the model file keeps the context part. */
static void context_query(void) {
    wr_buf b = {0};
    wr__buf_puts(&b, "user,item,timestamp,device\n");
    wr_rng r;
    wr__rng_seed(&r, 9);
    for (int u = 0; u < 80; u++)
        for (int k = 0; k < 10; k++) {
            int mobile = (int)wr__rng_below(&r, 2);
            wr__buf_printf(&b, "u%d,i%d,%d,%s\n", u, 2 * (int)wr__rng_below(&r, 10) + mobile, u * 100 + k, mobile ? "mobile" : "desktop");
        }
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "csv", "ctx.csv", 0, &d) == WR_OK);
    const char *sets[] = {"dim", "16", "epochs", "40", "patience", "0", "history", "0", "batch", "64", NULL};
    wr_model *m = make(sets);
    CHECK(wr_model_fit(m, d) == WR_OK);
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "tt.safetensors", &back) == WR_OK);
    int u = wr_model_user_index(m, "u5");
    for (int c = 0; c < 2; c++) {
        int f = wr_model_feature_index(m, c ? "ctx.device=desktop" : "ctx.device=mobile"), top[5], top2[5], got, got2;
        float sc[5], sc2[5];
        CHECK(f >= 0 && wr_model_context(m, &f, 1) == WR_OK && wr_model_context(back, &f, 1) == WR_OK);
        CHECK(wr_model_recommend(m, u, NULL, 0, 5, WR_SEEN_KEEP, top, sc, &got) == WR_OK && got == 5);
        CHECK(wr_model_recommend(back, u, NULL, 0, 5, WR_SEEN_KEEP, top2, sc2, &got2) == WR_OK);
        CHECK(!memcmp(top, top2, sizeof top) && !memcmp(sc, sc2, sizeof sc));
        int odd = 0;
        for (int j = 0; j < 5; j++) odd += atoi(wr_model_item_id(m, top[j]) + 1) % 2;
        printf("twotower context %s: %d of the top 5 odd\n", c ? "desktop" : "mobile", odd);
        CHECK(odd == (c ? 0 : 5));
    }
    wr_free(bytes);
    wr_model_free(back);
    wr_model_free(m);
    wr_data_free(d);
    wr__buf_free(&b);
}

/* cold-items: the held-out items are ranked among the items with no training event (against the
 * warm catalogue a cold item is never reached). pop scores every candidate 0, so with ties
 * counted against it each target sits at rank n_cold - 1; the baseline scores a cold item by the
 * mean training events of the warm items of its category. */
static void cold_items_protocol(void) {
    wr_data *d = planted(0);
    wr_split *sp = NULL;
    CHECK(wr_split_new(d, "cold-items", "0.7,0,0.3", 3, &sp) == WR_OK);
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, "pop", 1, &m) == WR_OK);
    double p[WR_PROGRESS_N];
    CHECK(wr_train_begin(m, d, sp, p) == WR_OK);
    while (!p[WR_PROGRESS_DONE]) CHECK(wr_train_steps(m, 1 << 20, p) == WR_OK);
    wr_train_end(m);
    wr_split_metrics r = {0};
    CHECK(wr__eval_split(m, sp, WR_PART_TEST, 10, 1, &r) == WR_OK);
    int V = d->items.n, count[24] = {0}, warm[24] = {0}, n_cold = 0;
    CHECK(V == 24);
    for (int64_t e = 0; e < d->n_events; e++)
        if (sp->part[e] == WR_PART_TRAIN) count[d->seq[e]]++, warm[d->seq[e]] = 1;
    double cat_sum[2] = {0}, cat_n[2] = {0}, g[24], hr = 0, ndcg = 0;
    for (int i = 0; i < V; i++) {
        int c = atoi(d->items.keys[i] + 1) % 2;
        n_cold += !warm[i];
        if (warm[i]) cat_sum[c] += count[i], cat_n[c] += 1;
    }
    for (int i = 0; i < V; i++) g[i] = cat_sum[atoi(d->items.keys[i] + 1) % 2] / cat_n[atoi(d->items.keys[i] + 1) % 2];
    int64_t targets = 0;
    for (int64_t e = 0; e < d->n_events; e++) {
        if (sp->part[e] != WR_PART_TEST) continue;
        int t = d->seq[e], rank = 0;
        for (int j = 0; j < V; j++) rank += !warm[j] && j != t && g[j] >= g[t];
        targets++, hr += rank < 10, ndcg += rank < 10 ? 1 / log2(rank + 2.0) : 0;
    }
    printf("cold-items: %d cold items, %lld test events\n", n_cold, (long long)targets);
    CHECK(n_cold >= 3 && n_cold < 10 && r.rank.users == targets && r.group_ok);
    CHECK_CLOSE(r.rank.hr / targets, 1.0, 1e-12, 0);
    CHECK_CLOSE(r.rank.ndcg / targets, 1 / log2(n_cold + 1.0), 1e-9, 0);
    CHECK(r.pop_group.users == targets);
    CHECK_CLOSE(r.pop_group.hr / targets, hr / targets, 1e-12, 0);
    CHECK_CLOSE(r.pop_group.ndcg / targets, ndcg / targets, 1e-9, 0);
    wr_model_free(m);
    wr_split_free(sp);
    wr_data_free(d);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    gradient_check(0, 0, "mean_last");
    gradient_check(2, 0, "mean");
    gradient_check(1, 1, "mean_last");
    gradient_check(1, 0, "attention");
    context_query();
    logq_sign();
    planted_cold_start();
    cold_items_protocol();
    wr_ctx_free(ctx);
    TEST_END("twotower");
}
