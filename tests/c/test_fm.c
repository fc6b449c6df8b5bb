/* test_fm.c: logistic regression and factorisation machines: finite-difference gradients (labels,
 * sampled negatives, ratings), a planted feature cross (user segment x item category, the label
 * is their XOR) that FM learns from side features and LR cannot, the side tables' parsing and
 * errors, and the model file (features travel with it; hostile feature ids are refused). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/eval/metrics.h"
#include "../../src/eval/split.h"
#include "../../src/models/model.h"
#include "check.h"

static wr_ctx *ctx;

/* 40 users (segment A or B) x 20 items (category X or Y); label 1 when segment A meets X or B
 * meets Y; each pair once, in a random order of time. */
static wr_data *planted(int with_side) {
    wr_buf b = {0}, users = {0}, items = {0};
    wr__buf_puts(&b, "user,item,label,timestamp\n");
    wr_rng r;
    wr__rng_seed(&r, 11);
    for (int u = 0; u < 40; u++)
        for (int i = 0; i < 20; i++)
            wr__buf_printf(&b, "u%d,i%d,%d,%u\n", u, i, (u % 2) == (i % 2), wr__rng_below(&r, 100000));
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "csv", "planted.csv", 0, &d) == WR_OK);
    CHECK(wr_data_label(d, "label==1", NULL) == WR_OK);
    wr__buf_puts(&users, "user_id,segment\n");
    for (int u = 0; u < 40; u++) wr__buf_printf(&users, "u%d,%s\n", u, u % 2 ? "A" : "B");
    wr__buf_puts(&items, "item_id;category;tags\n");
    for (int i = 0; i < 20; i++) wr__buf_printf(&items, "i%d;%s;t%d|t%d\n", i, i % 2 ? "X" : "Y", i % 3, 3 + i % 2);
    if (with_side) {
        CHECK(wr_data_load_side(d, 0, users.data, users.len, "users.csv") == WR_OK);
        CHECK(wr_data_load_side(d, 1, items.data, items.len, "items.csv") == WR_OK);
        CHECK(wr_data_side_matched(d, 0) == 40 && wr_data_side_matched(d, 1) == 20);
        CHECK(wr_data_n_features(d) == 2 + 2 + 5); /* segments, categories, tags t0..t4 */
    }
    wr__buf_free(&b), wr__buf_free(&users), wr__buf_free(&items);
    return d;
}

/* 60 users x 20 items, each event in a context (device mobile or desktop): label 1 when a mobile
 * event meets an odd item or a desktop one an even item: only the context x item cross tells.
 * The CSV's extra columns: device (the context), order (a different value on every event: left
 * out), hour (numeric). */
static wr_data *planted_context(void) {
    wr_buf b = {0};
    wr__buf_puts(&b, "user,item,label,timestamp,device,order,hour\n");
    wr_rng r;
    wr__rng_seed(&r, 12);
    for (int u = 0; u < 60; u++)
        for (int i = 0; i < 20; i++) {
            int mobile = (int)wr__rng_below(&r, 2);
            wr__buf_printf(&b, "u%d,i%d,%d,%u,%s,o%d,%u\n", u, i, mobile == (i % 2), wr__rng_below(&r, 100000), mobile ? "mobile" : "desktop", u * 20 + i,
                           wr__rng_below(&r, 24));
        }
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "csv", "context.csv", 0, &d) == WR_OK);
    CHECK(wr_data_label(d, "label==1", NULL) == WR_OK);
    wr__buf_free(&b);
    return d;
}

static wr_model *make(const char *name, const char *const *sets) {
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, name, 5, &m) == WR_OK);
    for (int i = 0; sets && sets[i]; i += 2) CHECK(wr_model_set(m, sets[i], sets[i + 1]) == WR_OK);
    return m;
}

static void gradient_check(const char *name, const char *loss, int labelled) {
    wr_data *d = labelled == 2 ? planted_context() : planted(1);
    if (!labelled) {
        wr_data_free(d);
        const char *seq = "a x\na y\nb y\nb z\nc x\nc z\n";
        CHECK(wr_data_load(ctx, seq, strlen(seq), "seq", "s", 0, &d) == WR_OK);
    }
    const char *sets[] = {"loss", loss, "n_neg", "2", "reg", "0.01", "init", "0.5", "dim", "3", NULL};
    if (!strcmp(name, "lr")) sets[6] = NULL; /* lr has no factors */
    wr_model *m = make(name, sets);
    double p[WR_PROGRESS_N];
    CHECK(wr_train_begin(m, d, NULL, p) == WR_OK);
    /* some steps first, so the weights are not all zero */
    for (int s = 0; s < 3; s++) CHECK(wr_train_steps(m, 1, p) == WR_OK);
    int32_t users[3] = {0, 1, 2}, items[3] = {1, 2, 0}, negs[6] = {2, 0, 0, 1, 1, 2};
    float y[3] = {1, 0, 1};
    if (!strcmp(loss, "mse")) y[0] = 0.4f, y[1] = 0.2f, y[2] = 0.5f; /* small, so the float loss keeps its digits */
    const float *yy = labelled ? y : NULL, *g;
    /* with a context: the events at positions 0, 5 and 9 of the data lend theirs */
    wr_seqs seqs;
    int32_t *lens = NULL;
    int64_t at[3] = {0, 5, 9};
    CHECK(wr__seqs_from_data(d, 0, &seqs, &lens) == WR_OK);
    const wr_seqs *tr = labelled == 2 ? &seqs : NULL;
    if (tr) {
        const int32_t *cf;
        CHECK(wr__seq_context(tr, 0, &cf) == 2); /* device and hour */
    }
    wr__fm_loss_grad(m, users, items, yy, negs, 3, tr, at, &g);
    float *grad = malloc(m->n_params * sizeof *grad);
    memcpy(grad, g, m->n_params * sizeof *grad);
    int bad = 0, nonzero = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        float keep = m->params[i];
        double num = 0;
        /* central differences; where a step crosses a relu kink (deepfm's tower) the two sides
         * disagree, so a mismatch is retried with a step four times smaller before it counts */
        for (float h = 3e-4f; h > 1e-5f; h /= 4) {
            m->params[i] = keep + h;
            double up = wr__fm_loss_grad(m, users, items, yy, negs, 3, tr, at, &g);
            m->params[i] = keep - h;
            double down = wr__fm_loss_grad(m, users, items, yy, negs, 3, tr, at, &g);
            m->params[i] = keep;
            num = (up - down) / (2.0 * h);
            if (fabs(num - grad[i]) <= 2e-3 + 2e-2 * fabs(num) || h < 3e-5f) break;
        }
        if (fabs(num - grad[i]) > 2e-3 + 2e-2 * fabs(num) && bad++ < 3) printf("%s %s: param %zu analytic %.6g numeric %.6g\n", name, loss, i, grad[i], num);
        nonzero += grad[i] != 0;
    }
    CHECK(bad == 0);
    CHECK(nonzero > 3);
    free(grad);
    free(lens);
    wr_train_end(m);
    wr_model_free(m);
    wr_data_free(d);
}

/* AUC of the model's scores over every (user, item) pair against the planted label. */
static double pair_auc(wr_model *m, int by_user) {
    float s[40 * 20], sc[20];
    uint8_t y[40 * 20];
    for (int u = 0; u < 40; u++) {
        char id[16];
        snprintf(id, sizeof id, "u%d", u);
        CHECK(wr_model_score(m, by_user ? wr_model_user_index(m, id) : -1, NULL, 0, sc) == WR_OK);
        for (int i = 0; i < 20; i++) {
            int it = wr_model_item_index(m, (snprintf(id, sizeof id, "i%d", i), id));
            s[u * 20 + i] = sc[it], y[u * 20 + i] = (u % 2) == (i % 2);
        }
    }
    double auc = 0;
    CHECK(wr__auc(s, y, 40 * 20, &auc) == 0);
    return auc;
}

static void planted_cross(void) {
    wr_data *d = planted(1);
    const char *side_only[] = {"ids", "0", "epochs", "60", "lr", "0.05", "batch", "64", NULL};
    wr_model *lr = make("lr", side_only), *fm = make("fm", side_only), *ffm = make("ffm", side_only), *dfm = make("deepfm", side_only);
    CHECK(wr_model_fit(lr, d) == WR_OK);
    CHECK(wr_model_fit(fm, d) == WR_OK);
    CHECK(wr_model_fit(ffm, d) == WR_OK);
    CHECK(wr_model_fit(dfm, d) == WR_OK);
    double a_lr = pair_auc(lr, 1), a_fm = pair_auc(fm, 1), a_ffm = pair_auc(ffm, 1), a_dfm = pair_auc(dfm, 1);
    printf("planted cross: AUC lr %.3f, fm %.3f, ffm %.3f, deepfm %.3f\n", a_lr, a_fm, a_ffm, a_dfm);
    CHECK(a_lr < 0.6);   /* additive weights cannot express an XOR */
    CHECK(a_fm > 0.95);  /* the segment x category factors can */
    CHECK(a_ffm > 0.95); /* and the field-aware ones */
    CHECK(a_dfm > 0.95); /* and the deep part */
    wr_model *two[2] = {ffm, dfm};
    double want[2] = {a_ffm, a_dfm};
    for (int k = 0; k < 2; k++) { /* the file, with its feature fields */
        uint8_t *fbytes;
        size_t flen;
        CHECK(wr_model_save(two[k], &fbytes, &flen) == WR_OK);
        wr_model *fback = NULL;
        CHECK(wr_model_load(ctx, fbytes, flen, "fielded.safetensors", &fback) == WR_OK);
        if (fback) CHECK(fabs(pair_auc(fback, 1) - want[k]) < 1e-12);
        wr_model_free(fback);
        wr_free(fbytes);
        wr_model_free(two[k]);
    }
    /* the memory budget refuses before allocating, saying what to change */
    const char *tiny[] = {"memory_mb", "1", "dim", "1024", NULL};
    ffm = make("ffm", tiny);
    CHECK(wr_model_fit(ffm, d) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "over memory_mb 1");
    wr_model_free(ffm);
    /* the model file: features travel with it, scores are the same */
    uint8_t *bytes;
    size_t len;
    CHECK(wr_model_save(fm, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "fm.safetensors", &back) == WR_OK);
    if (back) CHECK(fabs(pair_auc(back, 1) - a_fm) < 1e-12);
    wr_model_free(back);
    /* a feature id past the table is refused, naming the tensor */
    const char *key = "fm.item_features";
    uint8_t *hit = NULL;
    for (size_t i = 0; i + strlen(key) < len && !hit; i++)
        if (!memcmp(bytes + i, key, strlen(key))) hit = bytes + i;
    CHECK(hit != NULL);
    /* the data offsets of that tensor, from its header entry: corrupt its first value */
    if (hit) {
        const char *off = strstr((const char *)hit, "data_offsets\":[");
        long a = off ? strtol(off + 15, NULL, 10) : -1;
        uint64_t hl;
        memcpy(&hl, bytes, 8);
        if (a >= 0) {
            int32_t huge = 1 << 30;
            memcpy(bytes + 8 + hl + a, &huge, 4);
            CHECK(wr_model_load(ctx, bytes, len, "bad.safetensors", &back) == WR_ERR_FORMAT);
            CHECK_CONTAINS(wr_last_error(ctx), "fm.item_features");
        }
    }
    wr_free(bytes);
    wr_model_free(lr);
    wr_model_free(fm);
    /* no side features and ids=0: nothing to learn from, a clear error */
    wr_data *plain = planted(0);
    wr_model *m = make("fm", side_only);
    CHECK(wr_model_fit(m, plain) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "--users FILE");
    wr_model_free(m);
    wr_data_free(plain);
    wr_data_free(d);
}

static void side_tables(void) {
    const char *udata = "1\t10\t5\t100\n1\t11\t3\t101\n2\t10\t4\t102\n2\t12\t1\t103\n";
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, udata, strlen(udata), "movielens", "u.data", 0, &d) == WR_OK);
    const char *uuser = "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|32067\n";
    CHECK(wr_data_load_side(d, 0, uuser, strlen(uuser), "u.user") == WR_OK);
    CHECK(wr_data_side_matched(d, 0) == 2); /* user 3 has no ratings here */
    CHECK(wr_data_load_side(d, 0, uuser, strlen(uuser), "u.user") == WR_ERR_ARG); /* once per side */
    const char *uitem = "10|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                        "11|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n"
                        "12|Four Rooms (1995)|01-Jan-1995||http://x|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n";
    CHECK(wr_data_load_side(d, 1, uitem, strlen(uitem), "u.item") == WR_OK);
    const wr_features *F = &d->features;
    CHECK(F->n_fields == 6);
    /* Toy Story: Animation, Children's, Comedy and its year: all its genres, not only the first */
    int toy = wr_data_item_index(d, "10");
    int n = (int)(F->start[1][toy + 1] - F->start[1][toy]), found = 0;
    for (int k = 0; k < n; k++) {
        const char *key = F->values.keys[F->feat[1][F->start[1][toy] + k]];
        found += !strcmp(key, "item.genre=Animation") + !strcmp(key, "item.genre=Children's") + !strcmp(key, "item.genre=Comedy") +
                 !strcmp(key, "item.year=1995");
    }
    CHECK(n == 4 && found == 4);
    wr_data_free(d);
    CHECK(wr_data_load(ctx, udata, strlen(udata), "movielens", "u.data", 0, &d) == WR_OK);
    const char *bad = "10|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|yes\n";
    CHECK(wr_data_load_side(d, 1, bad, strlen(bad), "u.item") == WR_ERR_PARSE);
    CHECK_CONTAINS(wr_last_error(ctx), "u.item:1: field 24 (genre Western): expected 0 or 1");
    const char *noid = "name,age\nx,3\n";
    CHECK(wr_data_load_side(d, 0, noid, strlen(noid), "people.csv") == WR_ERR_PARSE);
    CHECK_CONTAINS(wr_last_error(ctx), "people.csv:1: the header has no user id column");
    CHECK(wr_data_load_side(d, 0, "", 0, "empty.csv") == WR_ERR_PARSE);
    /* numeric columns: more than 20 distinct values are bucketed into 10 quantiles */
    wr_buf b = {0};
    wr__buf_puts(&b, "user,age\n");
    for (int u = 0; u < 30; u++) wr__buf_printf(&b, "%d,%d\n", u, 10 + u);
    CHECK(wr_data_load_side(d, 0, b.data, b.len, "ages.csv") == WR_OK);
    CHECK(d->features.kind[0] == 'n');
    CHECK(wr_data_n_features(d) <= 10);
    wr__buf_free(&b);
    wr_data_free(d);
}

/* Whether data has the feature key. */
static int has_key(const wr_data *d, const char *key) { return wr__vocab_find(&d->features.values, key, strlen(key)) >= 0; }

/* wr_data_feature_kinds: detected kinds overridden, and every wrong spec refused by name. */
static void feature_kinds(void) {
    const char *udata = "1\t10\t5\t100\n1\t11\t3\t101\n2\t10\t4\t102\n2\t12\t1\t103\n";
    wr_buf users = {0};
    wr__buf_puts(&users, "user,age,tags,code\n");
    for (int u = 1; u <= 30; u++) wr__buf_printf(&users, "%d,%d,%s,%d\n", u, 10 + u, u % 2 ? "a|b" : "c", u % 3);
    const char *items = "item,year\n10,1990\n11,1995\n12,1990\n";
    wr_data *d = NULL;
    /* detected: age numeric (30 distinct), tags multi, code categorical */
    CHECK(wr_data_load(ctx, udata, strlen(udata), "movielens", "u.data", 0, &d) == WR_OK);
    CHECK(wr_data_load_side(d, 0, users.data, users.len, "users.csv") == WR_OK);
    CHECK(d->features.kind[0] == 'n' && d->features.kind[1] == 'm' && d->features.kind[2] == 'c');
    CHECK(has_key(d, "user.tags=a") && has_key(d, "user.code=2") && !has_key(d, "user.age=11"));
    /* wr_data_fields: what each field became, counted over the data's users (1: age 11, a|b,
     * code 1; 2: age 12, c, code 2); the age buckets cut at the table's deciles (11..40) */
    char *fields = NULL;
    CHECK(wr_data_fields(d, &fields) == WR_OK);
    CHECK_CONTAINS(fields, "[{\"field\":\"user.age\",\"side\":\"users\",\"kind\":\"numeric\",\"values\":1,\"rows\":2,\"counts\":[[\"q0\",2]],"
                           "\"cuts\":[14,17,20,23,26,29,32,35,38],\"range\":[11,40]}");
    CHECK_CONTAINS(fields, "{\"field\":\"user.tags\",\"side\":\"users\",\"kind\":\"multi\",\"values\":3,\"rows\":2,\"counts\":[[\"a\",1],[\"b\",1],[\"c\",1]],\"cuts\":null,\"range\":null}");
    CHECK_CONTAINS(fields, "{\"field\":\"user.code\",\"side\":\"users\",\"kind\":\"categorical\",\"values\":2,\"rows\":2,\"counts\":[[\"1\",1],[\"2\",1]],");
    wr_free(fields);
    /* wr_data_side_features: each user's values, as the counts name them; no item table: none */
    CHECK(wr_data_side_features(d, 0, &fields) == WR_OK);
    printf("side features: %s\n", fields);
    CHECK(!strcmp(fields, "{\"1\":[[\"user.age\",\"q0\"],[\"user.tags\",\"a\"],[\"user.tags\",\"b\"],[\"user.code\",\"1\"]],"
                          "\"2\":[[\"user.age\",\"q0\"],[\"user.tags\",\"c\"],[\"user.code\",\"2\"]]}"));
    wr_free(fields);
    CHECK(wr_data_side_features(d, 1, &fields) == WR_OK && !strcmp(fields, "{}"));
    wr_free(fields);
    CHECK(wr_data_side_features(d, 2, &fields) == WR_ERR_ARG && !fields);
    CHECK_CONTAINS(wr_last_error(ctx), "side must be 0 (users) or 1 (items), got 2");
    wr_data_free(d);
    /* overridden: age categorical (a feature per age), tags one value "a|b", code numeric
     * (bucketed although it has 3 distinct values), the items' year numeric */
    CHECK(wr_data_load(ctx, udata, strlen(udata), "movielens", "u.data", 0, &d) == WR_OK);
    CHECK(wr_data_feature_kinds(d, " user.age = categorical, user.tags=categorical,user.code=numeric,item.year=numeric,") == WR_OK);
    CHECK(wr_data_feature_kinds_applied(d) == WR_ERR_ARG); /* no table loaded yet */
    CHECK_CONTAINS(wr_last_error(ctx), "user.age: no user table was loaded (--users FILE)");
    CHECK(wr_data_load_side(d, 0, users.data, users.len, "users.csv") == WR_OK);
    CHECK(d->features.kind[0] == 'c' && d->features.kind[1] == 'c' && d->features.kind[2] == 'n');
    CHECK(has_key(d, "user.age=11") && has_key(d, "user.tags=a|b") && !has_key(d, "user.tags=a") && !has_key(d, "user.code=2"));
    CHECK(wr_data_feature_kinds_applied(d) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "item.year: no item table was loaded (--items FILE)");
    CHECK(wr_data_feature_kinds(d, "user.age=numeric") == WR_ERR_ARG); /* its table is in */
    CHECK_CONTAINS(wr_last_error(ctx), "user.age: the user table is already loaded; set the kinds before loading it");
    CHECK(wr_data_load_side(d, 1, items, strlen(items), "items.csv") == WR_OK);
    CHECK(d->features.kind[3] == 'n' && !has_key(d, "item.year=1990"));
    CHECK(wr_data_feature_kinds_applied(d) == WR_OK);
    wr_data_free(d);
    /* the specs and tables refused, each naming what is wrong */
    static const char *const bad[][2] = {
        {"user.age=num", "user.age: unknown kind \"num\" (the kinds: categorical, multi, numeric)"},
        {"age=numeric", "\"age=numeric\" is not field=kind with the field named user.<column>, item.<column> or ctx.<column>"},
        {"user.age", "\"user.age\" is not field=kind"},
        {"user.=numeric", "is not field=kind"},
        {"user.age=numeric,user.age=multi", "user.age is given twice"},
    };
    CHECK(wr_data_load(ctx, udata, strlen(udata), "movielens", "u.data", 0, &d) == WR_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(wr_data_feature_kinds(d, bad[i][0]) == WR_ERR_ARG);
        CHECK_CONTAINS(wr_last_error(ctx), bad[i][1]);
    }
    CHECK(wr_data_feature_kinds(d, "user.agee=numeric") == WR_OK);
    CHECK(wr_data_load_side(d, 0, users.data, users.len, "users.csv") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "user.agee: the user table (users.csv) has no column \"agee\"; its columns: age, tags, code");
    CHECK(d->features.start[0] == NULL); /* nothing of the refused table stays */
    CHECK(wr_data_feature_kinds(d, "user.tags=numeric") == WR_OK);
    CHECK(wr_data_load_side(d, 0, users.data, users.len, "users.csv") == WR_ERR_PARSE);
    CHECK_CONTAINS(wr_last_error(ctx), "users.csv: user \"1\", column tags: \"a|b\" is not a number (its kind is set to numeric: user.tags=numeric)");
    CHECK(wr_data_feature_kinds(d, "") == WR_OK); /* an empty spec clears the kinds */
    CHECK(wr_data_load_side(d, 0, users.data, users.len, "users.csv") == WR_OK && d->features.kind[1] == 'm');
    wr_data_free(d);
    wr__buf_free(&users);
}

/* The context columns: parsed, encoded, learned by fm (not without them), carried by a query,
 * kept by the model file, and settable kinds. */
static void context_features(void) {
    wr_data *d = planted_context();
    CHECK_CONTAINS(wr_data_context_note(d), "context: device (categorical), hour (numeric, bucketed); left out: order (a different value on 100% of the events;");
    CHECK(d->features.n_fields == 2 && wr_data_n_features(d) == 2 + 10);
    /* --drop keeps each event's context with it */
    const char *dropcsv = "user,item,rating,timestamp,device\nu1,a,5,1,m\nu1,b,1,2,d\nu1,c,4,3,t\nu2,a,4,4,d\nu2,b,2,5,m\n";
    wr_data *dd = NULL;
    CHECK(wr_data_load(ctx, dropcsv, strlen(dropcsv), "csv", "drop.csv", 0, &dd) == WR_OK);
    CHECK(wr_data_drop(dd, "rating<3", NULL) == WR_OK);
    wr_seqs sq;
    int32_t *ln = NULL;
    CHECK(wr__seqs_from_data(dd, 0, &sq, &ln) == WR_OK);
    const char *want[3] = {"ctx.device=m", "ctx.device=t", "ctx.device=d"}; /* u1: a, c; u2: a */
    for (int k = 0; k < 3; k++) {
        const int32_t *cf;
        CHECK(wr__seq_context(&sq, k, &cf) == 1 && !strcmp(dd->features.values.keys[cf[0]], want[k]));
    }
    free(ln);
    char *fields = NULL; /* counted over the events kept */
    CHECK(wr_data_fields(dd, &fields) == WR_OK);
    CHECK_CONTAINS(fields, "[{\"field\":\"ctx.device\",\"side\":\"context\",\"kind\":\"categorical\",\"values\":3,\"rows\":3,\"counts\":[[\"d\",1],[\"m\",1],[\"t\",1]],");
    wr_free(fields);
    /* kinds: ctx columns set as categorical (the order kept), before side tables only */
    CHECK(wr_data_feature_kinds(dd, "ctx.device=numeric") == WR_ERR_PARSE);
    CHECK_CONTAINS(wr_last_error(ctx), "drop.csv: line 2, column device: \"m\" is not a number (its kind is set to numeric: ctx.device=numeric)");
    CHECK(dd->features.start[2] && wr_data_n_features(dd) == 3); /* the detected encoding is back */
    CHECK(wr_data_feature_kinds(dd, "ctx.devices=multi") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "has no column \"devices\"; its columns: device");
    wr_data_free(dd);
    wr_data *kept = planted_context();
    CHECK(wr_data_feature_kinds(kept, "ctx.order=categorical,ctx.hour=categorical") == WR_OK);
    CHECK(kept->features.n_fields == 3 && wr_data_n_features(kept) == 2 + 1200 + 24);
    const char *users = "user,segment\nu1,A\n";
    CHECK(wr_data_load_side(kept, 0, users, strlen(users), "users.csv") == WR_OK);
    CHECK(wr_data_feature_kinds(kept, "ctx.hour=numeric") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "set the context's kinds (ctx.<column>) before loading side tables");
    wr_data_free(kept);
    const char *plain = "user,item\na,x\na,y\n";
    CHECK(wr_data_load(ctx, plain, strlen(plain), "csv", "plain.csv", 0, &dd) == WR_OK);
    CHECK(!strcmp(wr_data_context_note(dd), "") && wr_data_feature_kinds(dd, "ctx.device=categorical") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "the data has no context columns");
    wr_data_free(dd);

    /* fm learns the context x item cross: held-out AUC near 1 with the context, ~0.5 for lr */
    wr_split *sp = NULL;
    CHECK(wr_split_new(d, "random", "0.7,0.1,0.2", 3, &sp) == WR_OK);
    const char *sets[] = {"epochs", "30", "lr", "0.05", "batch", "64", NULL};
    double auc[2];
    for (int f = 0; f < 2; f++) {
        wr_model *m = make(f ? "fm" : "lr", sets);
        double p[WR_PROGRESS_N];
        CHECK(wr_train_begin(m, d, sp, p) == WR_OK);
        while (wr_train_steps(m, 1000, p) == WR_OK && !p[WR_PROGRESS_DONE]) {
        }
        wr_train_end(m);
        wr_split_metrics r = {0};
        CHECK(wr__eval_split(m, sp, WR_PART_TEST, 10, 0, &r) == WR_OK);
        auc[f] = r.auc;
        if (f) { /* a query's context decides: mobile puts odd items first, desktop even ones */
            int dev[2] = {wr_model_feature_index(m, "ctx.device=mobile"), wr_model_feature_index(m, "ctx.device=desktop")}, top[3], got;
            float sc[3];
            CHECK(dev[0] >= 0 && dev[1] >= 0 && wr_model_feature_index(m, "ctx.order=o1") < 0);
            int u = wr_model_user_index(m, "u3");
            for (int c = 0; c < 2; c++) {
                CHECK(wr_model_context(m, &dev[c], 1) == WR_OK);
                CHECK(wr_model_recommend(m, u, NULL, 0, 3, WR_SEEN_KEEP, top, sc, &got) == WR_OK && got == 3);
                int odd = 0;
                for (int j = 0; j < 3; j++) odd += atoi(wr_model_item_id(m, top[j]) + 1) % 2;
                CHECK(odd == (c ? 0 : 3));
            }
            /* the file keeps the context's keys: the loaded model answers the same */
            uint8_t *bytes = NULL;
            size_t len = 0;
            CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
            wr_model *back = NULL;
            CHECK(wr_model_load(ctx, bytes, len, "fm.safetensors", &back) == WR_OK);
            CHECK(wr_model_feature_index(back, "ctx.device=desktop") == dev[1]);
            int top2[3];
            float sc2[3];
            CHECK(wr_model_context(back, &dev[1], 1) == WR_OK);
            CHECK(wr_model_recommend(back, u, NULL, 0, 3, WR_SEEN_KEEP, top2, sc2, &got) == WR_OK);
            CHECK(!memcmp(top, top2, sizeof top) && !memcmp(sc, sc2, sizeof sc));
            int bad = 99;
            CHECK(wr_model_context(back, &bad, 1) == WR_ERR_ARG);
            CHECK_CONTAINS(wr_last_error(ctx), "wr_model_context: feature 99 is not a feature index");
            wr_free(bytes);
            wr_model_free(back);
        }
        wr_model_free(m);
    }
    printf("context cross: AUC lr %.3f, fm %.3f\n", auc[0], auc[1]);
    CHECK(auc[1] > 0.95 && auc[0] < 0.6);
    /* leave-one-out: each user's held-out last event is scored in its own context (mobile
     * events take odd items, desktop ones even), so fm's top 10 of 20 is the target's half */
    wr_buf lb = {0}, bare = {0}; /* bare: the same events without their context column */
    wr__buf_puts(&lb, "user,item,timestamp,device\n");
    wr__buf_puts(&bare, "user,item,timestamp\n");
    wr_rng lr;
    wr__rng_seed(&lr, 4);
    for (int u = 0; u < 60; u++)
        for (int t = 0; t < 20; t++) {
            int mobile = (int)wr__rng_below(&lr, 2), item = 2 * (int)wr__rng_below(&lr, 10) + mobile;
            wr__buf_printf(&lb, "u%d,i%d,%d,%s\n", u, item, 1000 + t, mobile ? "mobile" : "desktop");
            wr__buf_printf(&bare, "u%d,i%d,%d\n", u, item, 1000 + t);
        }
    wr_data *ld = NULL;
    CHECK(wr_data_load(ctx, lb.data, lb.len, "csv", "loo.csv", 0, &ld) == WR_OK);
    wr__buf_free(&lb);
    wr_split *loo = NULL;
    CHECK(wr_split_new(ld, "loo", NULL, 1, &loo) == WR_OK);
    wr_model *lm = make("fm", sets);
    double lp[WR_PROGRESS_N];
    CHECK(wr_train_begin(lm, ld, loo, lp) == WR_OK);
    while (wr_train_steps(lm, 1000, lp) == WR_OK && !lp[WR_PROGRESS_DONE]) {
    }
    wr_train_end(lm);
    wr_metrics full = {0}, samp = {0};
    double cov;
    CHECK(wr__eval_loo(lm, ld, WR_SPLIT_TEST, 10, WR_SEEN_KEEP, 0, 1, &full, &samp, &cov) == WR_OK);
    printf("loo with context: fm HR@10 %.3f over %lld users\n", full.hr / (double)full.users, (long long)full.users);
    CHECK(full.users == 60 && full.hr / (double)full.users > 0.95);
    /* the same events without the context the model was trained with: refused, not scored without it */
    wr_data *bd = NULL;
    CHECK(wr_data_load(ctx, bare.data, bare.len, "csv", "bare.csv", 0, &bd) == WR_OK);
    CHECK(wr__eval_loo(lm, bd, WR_SPLIT_TEST, 10, WR_SEEN_KEEP, 0, 1, &full, &samp, &cov) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "fm was trained with the context field ctx.device, which the data does not have");
    wr_data_free(bd);
    wr__buf_free(&bare);
    wr_model_free(lm);
    wr_split_free(loo);
    wr_data_free(ld);
    /* the time context: hour and weekday from Unix seconds (or milliseconds), UTC, beside the
     * CSV's own context columns; 1700000000 is Tuesday 2023-11-14 22:13:20 */
    const char *timed[2] = {"user,item,timestamp,device\nu1,a,1700000000,m\nu1,b,1700003600,d\nu2,a,1700090000,m\n",
                            "user,item,timestamp\nu1,a,1700000000000\nu1,b,1700003600000\nu2,a,1700090000000\n"};
    for (int ms = 0; ms < 2; ms++) {
        CHECK(wr_data_load(ctx, timed[ms], strlen(timed[ms]), "csv", "timed.csv", 0, &dd) == WR_OK);
        CHECK(wr_data_time_context(dd, "hour, weekday") == WR_OK);
        CHECK(wr__seqs_from_data(dd, 0, &sq, &ln) == WR_OK);
        const char *keys[3][3] = {{"ctx.device=m", "ctx.hour=22", "ctx.weekday=Tue"}, {"ctx.device=d", "ctx.hour=23", "ctx.weekday=Tue"},
                                  {"ctx.device=m", "ctx.hour=23", "ctx.weekday=Wed"}};
        for (int k = 0; k < 3; k++) {
            const int32_t *cf;
            int nc = wr__seq_context(&sq, k, &cf);
            CHECK(nc == 3 - ms);
            for (int j = 0; j < nc; j++) CHECK(!strcmp(dd->features.values.keys[cf[j]], keys[k][j + ms]));
        }
        CHECK_CONTAINS(wr_data_context_note(dd), "hour (categorical), weekday (categorical)");
        free(ln);
        wr_data_free(dd);
    }
    const char *seqtxt = "a x\na y\n", *hourcol = "user,item,timestamp,hour\nu1,a,5,1\nu1,b,6,2\n";
    CHECK(wr_data_load(ctx, seqtxt, strlen(seqtxt), "seq", "s.txt", 0, &dd) == WR_OK);
    CHECK(wr_data_time_context(dd, "hour") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "time context: the data has no timestamps");
    wr_data_free(dd);
    CHECK(wr_data_load(ctx, hourcol, strlen(hourcol), "csv", "h.csv", 0, &dd) == WR_OK);
    CHECK(wr_data_time_context(dd, "hour") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "the data already has a column named hour");
    CHECK(wr_data_time_context(dd, "minute") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "\"minute\" is not hour or weekday");
    CHECK(wr_data_time_context(dd, "weekday") == WR_OK && wr_data_time_context(dd, "") == WR_OK);
    wr_data_free(dd);
    wr_model *sas = make("sasrec", NULL);
    int one = 0;
    CHECK(wr_model_context(sas, &one, 1) == WR_ERR_STATE);
    wr_model_free(sas);
    wr_split_free(sp);
    wr_data_free(d);
}

/* Events "user,item,timestamp,price" for model_buckets: 40 of 10 users, with the prices lo .. lo + 39
 * (numeric, bucketed). */
static wr_data *priced(int lo) {
    wr_buf b = {0};
    wr__buf_puts(&b, "user,item,timestamp,price\n");
    for (int e = 0; e < 40; e++) wr__buf_printf(&b, "u%d,i%d,%d,%d\n", e % 10, e % 7, e, lo + e);
    wr_data *d = NULL;
    CHECK(wr_data_load(ctx, b.data, b.len, "csv", "priced.csv", 0, &d) == WR_OK);
    wr__buf_free(&b);
    return d;
}

/* A model keeps its numeric fields' bucket edges; data for it is encoded with them, not with its
 * own quantiles (else "ctx.price=q9" would mean another range to the model); hostile edges in a
 * file are refused. */
static void model_buckets(void) {
    wr_data *d = priced(1);
    wr_buf users = {0};
    wr__buf_puts(&users, "user,age\n");
    for (int e = 0; e < 40; e++) wr__buf_printf(&users, "u%d,%d\n", e, 11 + e);
    CHECK(wr_data_load_side(d, 0, users.data, users.len, "users.csv") == WR_OK);
    wr_buf others = {0}; /* numeric, but of items the data lacks: no keys, so no edges kept */
    wr__buf_puts(&others, "item,year\n");
    for (int e = 0; e < 30; e++) wr__buf_printf(&others, "z%d,%d\n", e, 1960 + e);
    CHECK(wr_data_load_side(d, 1, others.data, others.len, "others.csv") == WR_OK && d->features.kind[2] == 'n');
    wr__buf_free(&others);
    wr_model *m = make("lr", (const char *const[]){"epochs", "1", NULL});
    CHECK(wr_model_fit(m, d) == WR_OK);
    CHECK(m->n_buckets == 2 && !strcmp(m->buckets[0].field, "ctx.price") && !strcmp(m->buckets[1].field, "user.age"));
    CHECK(m->buckets[0].cuts[0] == 5 && m->buckets[0].cuts[8] == 37 && m->buckets[1].cuts[8] == 47); /* prices 1..40, ages 11..50 */
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(wr_model_save(m, &bytes, &len) == WR_OK);
    wr_model *back = NULL;
    CHECK(wr_model_load(ctx, bytes, len, "lr.safetensors", &back) == WR_OK);
    CHECK(back->n_buckets == 2 && !memcmp(back->buckets, m->buckets, 2 * sizeof *m->buckets));
    char *json = NULL; /* what the edges are, for labels: the same from the trained and the loaded model */
    CHECK(wr_model_buckets(back, &json) == WR_OK && json && !strncmp(json, "{\"ctx.price\":[5,", 16) && strstr(json, "\"user.age\":[") &&
          strstr(json, ",47]}"));
    wr_free(json);
    wr_model *plain = make("pop", NULL);
    CHECK(wr_model_fit(plain, d) == WR_OK && wr_model_buckets(plain, &json) == WR_OK && !strcmp(json, "{}"));
    wr_free(json), wr_model_free(plain);
    CHECK(wr_model_buckets(back, NULL) == WR_ERR_ARG);
    /* later data, all prices 101..140 and ages 61..100: by its own deciles they spread over q0..q9;
     * by the model's edges they are all above its largest: q9 */
    wr_buf later = {0};
    wr__buf_puts(&later, "user,age\n");
    for (int e = 0; e < 40; e++) wr__buf_printf(&later, "u%d,%d\n", e, 61 + e);
    for (int like = 0; like < 2; like++) {
        wr_data *d2 = priced(101);
        if (like) CHECK(wr_data_model_buckets(d2, back) == WR_OK);
        CHECK(wr_data_load_side(d2, 0, later.data, later.len, "later.csv") == WR_OK && wr_data_feature_kinds_applied(d2) == WR_OK);
        CHECK(has_key(d2, "ctx.price=q9") && has_key(d2, "user.age=q9") == like); /* its users u0..u9: ages 61..70 */
        CHECK(has_key(d2, "ctx.price=q0") == !like && has_key(d2, "user.age=q0") == !like && wr_data_n_features(d2) == (like ? 2 : 10 + 3));
        wr_data_free(d2);
    }
    /* a field the data lacks is no error; a kind set against the model's, or a non-number, is */
    const char *bare = "user,item\nu1,i1\nu1,i2\nu2,i1\nu2,i2\n";
    wr_data *d3 = NULL;
    CHECK(wr_data_load(ctx, bare, strlen(bare), "csv", "bare.csv", 0, &d3) == WR_OK);
    CHECK(wr_data_model_buckets(d3, back) == WR_OK && wr_data_feature_kinds_applied(d3) == WR_OK);
    CHECK(wr_data_feature_kinds(d3, "user.age=numeric") == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "set them before the model's bucket edges");
    wr_data_free(d3);
    wr_data *d4 = priced(101);
    CHECK(wr_data_feature_kinds(d4, "user.age=categorical") == WR_OK);
    CHECK(wr_data_model_buckets(d4, back) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "feature kinds: user.age=categorical, but the lr model was trained with user.age numeric");
    CHECK(wr_data_feature_kinds(d4, "") == WR_OK && wr_data_model_buckets(d4, back) == WR_OK);
    const char *odd = "user,age\nu1,40\nu2,old\n";
    CHECK(wr_data_load_side(d4, 0, odd, strlen(odd), "odd.csv") == WR_ERR_PARSE);
    CHECK_CONTAINS(wr_last_error(ctx), "odd.csv: user \"u2\", column age: \"old\" is not a number (the model was trained with user.age numeric)");
    CHECK(wr_data_load_side(d4, 0, later.data, later.len, "later.csv") == WR_OK);
    CHECK(wr_data_model_buckets(d4, back) == WR_ERR_ARG);
    CHECK_CONTAINS(wr_last_error(ctx), "user.age: the user table is already loaded; give the model's bucket edges before loading it");
    wr_data_free(d4);
    /* hostile "buckets" metadata */
    static const char *const bad[][2] = {
        {"[1,2]", "metadata \"buckets\" is not a JSON object"},
        {"{}", "metadata \"buckets\" is not a JSON object"},
        {"{\"user.height\":[1,2,3,4,5,6,7,8,9]}", "\"user.height\" is not a numeric field of the model's features"},
        {"{\"user.age\":[1,2,3,4,5,6,7,8]}", "user.age is not an array of 9 rising numbers"},
        {"{\"user.age\":[1,2,3,4,5,6,7,9,8]}", "user.age is not an array of 9 rising numbers"},
        {"{\"user.age\":[1,2,3,4,5,6,7,8,\"9\"]}", "user.age is not an array of 9 rising numbers"},
        {"{\"user.age\":[1,2,3,4,5,6,7,8,1e999]}", "user.age is not an array of 9 rising numbers"},
        {"{\"user.age\":[1,2,3,4,5,6,7,8,9],\"user.age\":[1,2,3,4,5,6,7,8,9]}", "user.age appears twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wr_st_file f;
        CHECK(wr__st_parse(ctx, bytes, len, "lr.safetensors", &f) == WR_OK);
        int at = -1; /* the file's own "buckets" replaced */
        for (int k = 0; k < f.n_meta; k++)
            if (!strcmp(f.meta[2 * k], "buckets")) at = k;
        CHECK(at >= 0);
        free(f.meta[2 * at + 1]);
        f.meta[2 * at + 1] = wr__strdup(bad[i][0]);
        uint8_t *b2 = NULL;
        size_t l2 = 0;
        CHECK(wr__st_serialize(&f, &b2, &l2) == 0);
        wr__st_free(&f);
        wr_model *h = NULL;
        CHECK(wr_model_load(ctx, b2, l2, "hostile.safetensors", &h) == WR_ERR_FORMAT && !h);
        CHECK_CONTAINS(wr_last_error(ctx), bad[i][1]);
        free(b2);
    }
    wr_free(bytes);
    wr_model_free(back);
    wr_model_free(m);
    wr_data_free(d);
    wr__buf_free(&users);
    wr__buf_free(&later);
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    gradient_check("lr", "bce", 1);
    gradient_check("fm", "bce", 1);
    gradient_check("fm", "bce", 0);
    gradient_check("fm", "mse", 1);
    gradient_check("lr", "mse", 1);
    gradient_check("ffm", "bce", 1);
    gradient_check("ffm", "bce", 0);
    gradient_check("ffm", "mse", 1);
    gradient_check("deepfm", "bce", 1);
    gradient_check("deepfm", "bce", 0);
    gradient_check("deepfm", "mse", 1);
    planted_cross();
    side_tables();
    feature_kinds();
    gradient_check("lr", "bce", 2);
    gradient_check("fm", "bce", 2);
    gradient_check("ffm", "bce", 2);
    gradient_check("deepfm", "bce", 2);
    context_features();
    model_buckets();
    wr_ctx_free(ctx);
    TEST_END("fm");
}
