/* test_nomem.c: out of memory in every allocation (issue "Hardening", item 3). A scenario is a
 * sequence of public calls (load data of every format, side tables and titles, create, fit,
 * recommend, score, explain, vectors, add a session, save, load back, split, evaluate, compare,
 * run an experiment, build and search an index). It runs once clean, counting its allocations
 * with the context's fault hook, then once for every k with the k-th allocation failing. The call
 * that made that allocation must return WR_ERR_NOMEM with an "out of memory" message; the same
 * call is then made again without the fault and must succeed (the objects it was given are still
 * usable); the scenario goes on, and frees everything at the end, so ASan's leak check sees any
 * allocation a failure path forgot. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "check.h"

static wr_ctx *ctx;

/* The state of one run of a scenario. */
static int64_t fail_at;              /* 0: the clean run */
static int step_no;                  /* the calls made so far in this run */
static unsigned char clean_ok[256];  /* per call: did it succeed in the clean run */
static int runs_failed;              /* runs whose injected failure went wrong */

/* Called on every wrong answer: `break wrong_answer` in a debugger, with `break wr__fault`
 * to see where the allocation failed. */
__attribute__((noinline)) static void wrong_answer(void) { runs_failed++; }

/* One public call of a scenario (an expression giving a wr_status). In the clean run it records
 * whether the call succeeds; in a faulty run a call that failed in the clean run is skipped. */
#define CALL(expr)                                                                                   \
    do {                                                                                             \
        const int s_ = step_no++;                                                                    \
        if (s_ >= (int)sizeof clean_ok) {                                                            \
            CHECK(!"scenario too long for clean_ok");                                                \
            break;                                                                                   \
        }                                                                                            \
        if (fail_at && !clean_ok[s_]) break;                                                         \
        const int64_t before_ = wr__ctx_alloc_count(ctx);                                            \
        const int rc_ = (expr);                                                                      \
        if (!fail_at) {                                                                              \
            clean_ok[s_] = rc_ == WR_OK;                                                             \
            break;                                                                                   \
        }                                                                                            \
        const int hit_ = before_ < fail_at && wr__ctx_alloc_count(ctx) >= fail_at;                   \
        if (!hit_ && rc_ == WR_OK) break;                                                            \
        if (rc_ != WR_ERR_NOMEM || !strstr(wr_last_error(ctx), "out of memory")) {                   \
            wrong_answer();                                                                          \
            if (runs_failed < 20)                                                                    \
                printf("%s:%d: allocation %lld of the run failed inside %s: status %d (%s), \"%s\"\n",  \
                       __FILE__, __LINE__, (long long)fail_at, #expr, rc_, wr_status_str(rc_),        \
                       rc_ == WR_OK ? "the failure was swallowed" : wr_last_error(ctx));             \
            CHECK(rc_ == WR_ERR_NOMEM);                                                              \
        }                                                                                            \
        wr__ctx_fail_alloc(ctx, 0);                                                                  \
        const int again_ = (expr);                                                                   \
        if (again_ != WR_OK) printf("  and again without the fault: %s\n", wr_last_error(ctx));     \
        CHECK(again_ == WR_OK);                                                                      \
    } while (0)

/* Runs scenario once clean and then with every allocation failing in turn. NOMEM_ONLY=label in
 * the environment runs that scenario alone (for a debugger). */
static void every_allocation(const char *label, void (*scenario)(void)) {
    const char *only = getenv("NOMEM_ONLY");
    if (only && strcmp(only, label)) return;
    fail_at = 0;
    step_no = 0;
    memset(clean_ok, 0, sizeof clean_ok);
    wr__ctx_fail_alloc(ctx, INT64_MAX); /* counts, never fails */
    scenario();
    const int64_t total = wr__ctx_alloc_count(ctx);
    int ok = 0;
    for (int s = 0; s < step_no; s++) ok += clean_ok[s];
    const int before = runs_failed;
    for (fail_at = 1; fail_at <= total; fail_at++) {
        step_no = 0;
        wr__ctx_fail_alloc(ctx, fail_at);
        scenario();
    }
    wr__ctx_fail_alloc(ctx, 0);
    printf("  %-10s %3d calls (%d succeed clean), %lld allocations, %d wrong\n", label, step_no, ok, (long long)total,
           runs_failed - before);
    CHECK(total > 0 && ok > 0);
}

/* ---- data ---- */

static const char csv[] = "session,item,timestamp,rating\na,x,1,5\na,y,2,3\nb,x,3,4\nb,z,4,1\nc,y,5,2\nc,z,6,5\n";
static const char udata[] = "1\t10\t5\t100\n1\t20\t3\t101\n2\t10\t4\t102\n2\t30\t1\t103\n3\t20\t2\t104\n";
static const char seq[] = "u1 a\nu1 b\nu1 c\nu2 b\nu2 c\nu3 a\nu3 c\n";
static const char otto[] = "{\"session\":1,\"events\":[{\"aid\":5,\"ts\":1,\"type\":\"clicks\"},{\"aid\":7,\"ts\":2,\"type\":\"carts\"}]}\n"
                           "{\"session\":2,\"events\":[{\"aid\":7,\"ts\":3,\"type\":\"clicks\"},{\"aid\":9,\"ts\":4,\"type\":\"orders\"}]}\n";
static const char uuser[] = "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|32067\n";
static const char uitem[] = "10|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                            "20|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n";
static const char items_csv[] = "item,price,tags\nx,1.5,a|b\ny,2,b\nz,7.25,c|a\n";

static void data_scenario(void) {
    wr_data *d[5] = {0};
    int64_t n = 0;
    CALL(wr_data_load(ctx, csv, strlen(csv), "auto", "e.csv", 0, &d[0]));
    CALL(wr_data_load(ctx, udata, strlen(udata), "movielens", "u.data", 0, &d[1]));
    CALL(wr_data_load(ctx, seq, strlen(seq), "seq", "s.txt", 0, &d[2]));
    CALL(wr_data_load(ctx, otto, strlen(otto), "otto", "o.jsonl", 0, &d[3]));
    CALL(wr_data_load(ctx, "session,item\na,x\nb\n", 19, "csv", "bad.csv", 1, &d[4])); /* skips a bad line */
    if (d[0]) {
        CALL(wr_data_time_context(d[0], "hour,weekday"));
        CALL(wr_data_load_side(d[0], 1, items_csv, strlen(items_csv), "items.csv"));
        CALL(wr_data_drop(d[0], "rating==3", &n));
        CALL(wr_data_label(d[0], "rating>=4", &n));
    }
    if (d[1]) {
        CALL(wr_data_time_context(d[1], "weekday"));
        CALL(wr_data_load_side(d[1], 0, uuser, strlen(uuser), "u.user"));
        CALL(wr_data_load_side(d[1], 1, uitem, strlen(uitem), "u.item"));
        CALL(wr_data_load_titles(d[1], uitem, strlen(uitem), "u.item"));
        char *fields = NULL;
        CALL(wr_data_fields(d[1], &fields));
        wr_free(fields);
        for (int side = 0; side < 2; side++) {
            fields = NULL;
            CALL(wr_data_side_features(d[1], side, &fields));
            wr_free(fields);
        }
    }
    for (int i = 0; i < 5; i++) wr_data_free(d[i]);
}

static void gen_scenario(void) {
    char *a = NULL, *b = NULL, *c = NULL, *json = NULL;
    CALL(wr_gen(ctx, 12, 20, 1, &a, NULL));
    CALL(wr_gen_features(ctx, 12, 20, 1, &b, &c, NULL));
    wr_free(a), wr_free(b), wr_free(c);
    a = b = c = NULL;
    CALL(wr_gen_features(ctx, 12, 20, 1, &a, &b, &c));
    CALL(wr_model_info(ctx, "sasrec", &json));
    wr_free(a), wr_free(b), wr_free(c), wr_free(json);
}

/* ---- models ---- */

/* The demo store, small: 16 sessions over 20 items with purchase labels and both side tables. */
static wr_data *store;
static const char *model_name;

static void tiny(wr_model *m) {
    static const char *const kv[][2] = {{"epochs", "1"}, {"dim", "4"}, {"hidden", "4"}, {"max_len", "4"}, {"batch", "8"},
                                        {"layers", "1"}, {"blocks", "1"}, {"heads", "1"}, {"n_sample", "0"}, {"patience", "1"},
                                        /* a pipeline's stages */
                                        {"retrieve.epochs", "1"}, {"retrieve.dim", "4"}, {"rank.epochs", "1"}, {"rank.dim", "4"},
                                        {"rank.hidden", "4"}, {"candidates", "5"}, {"M", "4"}, {"ef_construction", "8"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) CALL(wr_model_set(m, kv[i][0], kv[i][1])); /* a key the model lacks fails clean: skipped */
}

static void model_scenario(void) {
    wr_model *m = NULL, *back = NULL;
    wr_split *sp = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    char *json = NULL;
    CALL(wr_model_new(ctx, model_name, 7, &m));
    if (!m) return;
    tiny(m);
    CALL(wr_model_fit(m, store));
    const int n = wr_model_n_items(m), dim = wr_model_vector_dim(m);
    int h[3] = {0, 1 % n, 2 % n}, items[5], out_n = 0;
    float *sc = calloc((size_t)n + 1, sizeof *sc), *w = calloc(64 + 2 * (size_t)n, sizeof *w);
    float *v = calloc((size_t)(n + 1) * (size_t)(dim + 1), sizeof *v), explained[2];
    int blocks = 0;
    CALL(wr_model_recommend(m, -1, h, 3, 5, WR_SEEN_EXCLUDE, items, sc, &out_n));
    CALL(wr_model_recommend(m, 0, h, 2, 5, WR_SEEN_AUTO, items, sc, &out_n));
    CALL(wr_model_score(m, 0, h, 3, sc));
    CALL(wr_model_explain(m, h, 2, 0, w));
    CALL(wr_model_attention(m, h, 3, w, &blocks));
    CALL(wr_model_item_map(m, w, explained));
    if (dim > 0) {
        CALL(wr_model_item_vectors(m, v));
        CALL(wr_model_query_vector(m, 0, h, 2, v));
    }
    CALL(wr_model_save(m, &bytes, &len));
    if (bytes) CALL(wr_model_load(ctx, bytes, len, "m.safetensors", &back));
    if (back) CALL(wr_model_recommend(back, -1, h, 2, 5, WR_SEEN_KEEP, items, sc, &out_n));
    CALL(wr_eval_loo(m, store, WR_SPLIT_TEST, 5, WR_SEEN_AUTO, 0, 1, &json));
    wr_free(json);
    json = NULL;
    CALL(wr_split_new(store, "random", NULL, 1, &sp));
    if (sp) CALL(wr_eval(m, sp, WR_SPLIT_TEST, 5, WR_SEEN_KEEP, 0, 1, &json));
    wr_free(json);
    CALL(wr_model_add_session(m, h, 3));
    double p[WR_PROGRESS_N];
    CALL(wr_train_continue(m, store, 0, p));
    CALL(wr_train_steps(m, 2, p));
    (void)wr_train_end(m);
    free(sc), free(w), free(v);
    wr_free(bytes);
    wr_split_free(sp);
    wr_model_free(back);
    wr_model_free(m);
}

static void compare_scenario(void) {
    wr_model *m[2] = {0};
    wr_split *sp = NULL;
    char *json = NULL;
    CALL(wr_model_new(ctx, "pop", 1, &m[0]));
    CALL(wr_model_new(ctx, "markov", 1, &m[1]));
    if (m[0] && m[1]) {
        CALL(wr_model_fit(m[0], store));
        CALL(wr_model_fit(m[1], store));
        CALL(wr_split_new(store, "loo", NULL, 1, &sp));
        if (sp) CALL(wr_compare(m, 2, sp, 5, WR_SEEN_AUTO, 1, &json, NULL));
        wr_free(json);
        json = NULL;
        CALL(wr_experiment(m[0], m[1], store, 5, WR_SEEN_AUTO, 0, 1, &json));
        wr_free(json);
    }
    wr_split_free(sp);
    wr_model_free(m[0]), wr_model_free(m[1]);
}

static void index_scenario(void) {
    wr_index *ix = NULL, *back = NULL;
    float vec[40 * 4];
    for (int i = 0; i < 40 * 4; i++) vec[i] = (float)((i * 37) % 11) - 5;
    int ids[6];
    float sc[6];
    uint8_t *bytes = NULL;
    size_t len = 0;
    CALL(wr_index_new(ctx, 4, "M=4,ef_construction=8", &ix));
    if (!ix) return;
    CALL(wr_index_add(ix, vec, 40));
    CALL(wr_index_search(ix, vec, 2, 3, 8, ids, sc));
    CALL(wr_index_save(ix, &bytes, &len));
    if (bytes) CALL(wr_index_load(ctx, bytes, len, "i.safetensors", &back));
    if (back) CALL(wr_index_search(back, vec + 4, 1, 3, 8, ids, sc));
    wr_free(bytes);
    wr_index_free(back);
    wr_index_free(ix);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (wr_ctx_new(&ctx) != WR_OK) return 1;
    every_allocation("data", data_scenario);
    every_allocation("gen", gen_scenario);
    char *ev = NULL, *us = NULL, *it = NULL;
    int64_t pos = 0;
    CHECK(wr_gen_features(ctx, 16, 20, 3, &ev, &us, &it) == WR_OK);
    if (!ev) printf("%s\n", wr_last_error(ctx));
    CHECK(wr_data_load(ctx, ev, strlen(ev), "csv", "store.csv", 0, &store) == WR_OK);
    CHECK(wr_data_label(store, "label>=1", &pos) == WR_OK);
    CHECK(wr_data_load_side(store, 0, us, strlen(us), "users.csv") == WR_OK);
    CHECK(wr_data_load_side(store, 1, it, strlen(it), "items.csv") == WR_OK);
    wr_free(ev), wr_free(us), wr_free(it);
    char names[512];
    snprintf(names, sizeof names, "%s", wr_model_names());
    for (char *name = strtok(names, ","); name; name = strtok(NULL, ",")) {
        model_name = name;
        every_allocation(name, model_scenario);
    }
    every_allocation("compare", compare_scenario);
    every_allocation("index", index_scenario);
    wr_data_free(store);
    wr_ctx_free(ctx);
    TEST_END("nomem");
}
