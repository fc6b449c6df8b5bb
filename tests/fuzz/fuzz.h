/* fuzz.h: what the libFuzzer targets (tests/fuzz/fuzz_*.c, `make fuzz`) share: one context, the
 * small data sets inputs are loaded against or models are used on, and one routine that uses a
 * model every way the public API allows and checks what it answers.
 *
 * A clean error return (a wr_status with a message) is fine; anything else that goes wrong is
 * a finding: a sanitizer report, a leak, a timeout, an out-of-memory, or FZ_CHECK aborting on a
 * broken promise of src/wasmrec.h (a status that is no wr_status, an index out of range, a model
 * that saves but does not load back the same). Everything goes through the public API. */
#ifndef WR_FUZZ_H
#define WR_FUZZ_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/wasmrec.h"

#define FZ_CHECK(cond)                                                                           \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: FZ_CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    wr_last_error(fz_ctx()));                                                    \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

/* The context of every target, with a memory budget of 512 MB: settings and files that ask for
 * more must be refused by the budget check, within libFuzzer's 2 GB limit (run.sh). */
static inline wr_ctx *fz_ctx(void) {
    static wr_ctx *ctx;
    if (!ctx && (wr_ctx_new(&ctx) != WR_OK || wr_ctx_set_memory_mb(ctx, 512) != WR_OK)) abort();
    return ctx;
}

/* FZ_VERBOSE=1 in the environment prints each refused input's message (to check that seeds get
 * as far as they should: build/fuzz/bin/fuzz_model -runs=0 tests/fuzz/corpus/model). */
static inline void fz_note(const char *what, int rc) {
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("FZ_VERBOSE") != NULL;
    if (verbose && rc != WR_OK) fprintf(stderr, "fuzz: %s: %s: %s\n", what, wr_status_str(rc), wr_last_error(fz_ctx()));
}

/* A status is WR_OK or one of the wr_status codes; an error comes with a message. */
static inline int fz_status(int rc) {
    if (rc > 0 || rc < WR_ERR_IO) {
        fprintf(stderr, "status %d is not a wr_status\n", rc);
        abort();
    }
    return rc;
}

/* The demo store (30 sessions, 20 items, seed 3): the same bytes as `wasmrec gen --sessions 30
 * --items 20 --seed 3 --users-out u.csv --items-out i.csv`, from which tests/fuzz/make_seeds.sh
 * trains the seed models, so their item and user ids match. A new data set each call (the
 * caller frees it): labelled = 1 adds its purchase labels ("label>=1"), sides (bit 0: users,
 * bit 1: items) its side tables. */
static inline wr_data *fz_store(int labelled, int sides) {
    char *ev = NULL, *us = NULL, *it = NULL;
    wr_ctx *ctx = fz_ctx();
    wr_data *d = NULL;
    int64_t pos = 0;
    if (wr_gen_features(ctx, 30, 20, 3, &ev, &us, &it) != WR_OK || wr_data_load(ctx, ev, strlen(ev), "csv", "store.csv", 0, &d) != WR_OK ||
        (labelled && wr_data_label(d, "label>=1", &pos) != WR_OK) || ((sides & 1) && wr_data_load_side(d, 0, us, strlen(us), "sessions.csv") != WR_OK) ||
        ((sides & 2) && wr_data_load_side(d, 1, it, strlen(it), "items.csv") != WR_OK))
        abort();
    wr_free(ev), wr_free(us), wr_free(it);
    return d;
}

/* The same store, kept for the whole run: labelled with both side tables (1), or plain (0). */
static inline wr_data *fz_data(int labelled) {
    static wr_data *d[2];
    if (!d[labelled]) d[labelled] = fz_store(labelled, labelled ? 3 : 0);
    return d[labelled];
}

/* MovieLens-shaped data with numeric ids (users 1..20, items 1..30, ratings 1..5), which u.user,
 * u.item, users.dat and movies.dat rows match. A new data set each call. */
static inline wr_data *fz_movielens(void) {
    char text[16384];
    size_t n = 0;
    for (int u = 1; u <= 20; u++)
        for (int k = 0; k < 6; k++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%d\t%d\t%d\t%d\n", u, 1 + (u * 7 + k * 5) % 30, 1 + (u + k) % 5, 880000000 + u * 100 + k);
    wr_data *d = NULL;
    if (wr_data_load(fz_ctx(), text, n, "movielens", "u.data", 0, &d) != WR_OK) abort();
    return d;
}

/* Copies fuzz bytes into a NUL-terminated string (the API's text parameters). */
static inline char *fz_strndup(const uint8_t *p, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

/* A copy of a safetensors file whose 8-byte header length says where its header's JSON object
 * ends (and the spaces padding it), for the *_header targets: inserting and removing bytes in
 * the header then keeps a file the parser reads past its first check. */
static inline uint8_t *fz_fix_header(const uint8_t *data, size_t size) {
    const uint8_t *h = data + 8;
    size_t n = size - 8, end = n;
    int depth = 0, str = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t c = h[i];
        if (str) {
            if (c == '\\') i++;
            else if (c == '"') str = 0;
        } else if (c == '"') {
            str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth <= 0) {
            for (i++; i < n && h[i] == ' '; i++) {
            }
            end = i;
            break;
        }
    }
    uint8_t *copy = malloc(size);
    if (!copy) abort();
    memcpy(copy, data, size);
    for (int i = 0; i < 8; i++) copy[i] = (uint8_t)((uint64_t)end >> (8 * i));
    return copy;
}

/* Checks a recommendation list: n <= k, every item an index, no item twice, best first. */
static inline void fz_check_topk(const int *items, const float *scores, int n, int k, int n_items) {
    FZ_CHECK(n >= 0 && n <= k && n <= n_items);
    for (int i = 0; i < n; i++) {
        FZ_CHECK(items[i] >= 0 && items[i] < n_items);
        for (int j = 0; j < i; j++) FZ_CHECK(items[j] != items[i]);
        if (i && !isnan(scores[i]) && !isnan(scores[i - 1])) FZ_CHECK(scores[i] <= scores[i - 1]);
    }
}

/* Saves m, loads the bytes back, saves that again: the two files are the same bytes, and the
 * two models score a history the same. */
static inline void fz_roundtrip(wr_model *m, const int *h, int len) {
    wr_ctx *ctx = fz_ctx();
    uint8_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    if (fz_status(wr_model_save(m, &a, &na)) != WR_OK) return;
    wr_model *back = NULL;
    int rc = fz_status(wr_model_load(ctx, a, na, "saved.safetensors", &back));
    if (rc != WR_OK) fprintf(stderr, "a saved %s model does not load: %s\n", wr_model_name(m), wr_last_error(ctx));
    FZ_CHECK(rc == WR_OK);
    FZ_CHECK(wr_model_n_items(back) == wr_model_n_items(m) && wr_model_n_users(back) == wr_model_n_users(m));
    FZ_CHECK(fz_status(wr_model_save(back, &b, &nb)) == WR_OK);
    FZ_CHECK(nb == na && !memcmp(a, b, na));
    int n = wr_model_n_items(m);
    float *s1 = malloc((size_t)n * sizeof *s1), *s2 = malloc((size_t)n * sizeof *s2);
    int r1 = fz_status(wr_model_score(m, -1, h, len, s1)), r2 = fz_status(wr_model_score(back, -1, h, len, s2));
    FZ_CHECK(r1 == r2);
    if (r1 == WR_OK) FZ_CHECK(!memcmp(s1, s2, (size_t)n * sizeof *s1));
    free(s1), free(s2);
    wr_free(a), wr_free(b);
    wr_model_free(back);
}

/* Uses a trained (fitted or loaded) model every way the API offers, on d for the evaluations:
 * its vocabulary, scores and recommendations with and without a user and a history, the
 * explanations and maps it may have, its vectors, a visitor's features, its stages, leave-one-out
 * and held-out evaluation, save and reload, and then (flags & 1) adding a session and
 * (flags & 2) fine-tuning on d. */
static inline void fz_use_model(wr_model *m, const wr_data *d, unsigned flags, int depth) {
    const int n = wr_model_n_items(m), nu = wr_model_n_users(m);
    FZ_CHECK(n >= 1 && nu >= 0);
    for (int i = 0; i < n; i++) {
        const char *id = wr_model_item_id(m, i);
        FZ_CHECK(id && *id && wr_model_item_index(m, id) == i);
        FZ_CHECK(wr_model_item_title(m, i) != NULL);
    }
    FZ_CHECK(*wr_model_item_id(m, n) == 0 && *wr_model_item_id(m, -1) == 0);
    FZ_CHECK(wr_model_params_json(m)[0] == '{');
    char *edges = NULL; /* the bucket edges as JSON: an object, whatever the file held */
    if (fz_status(wr_model_buckets(m, &edges)) == WR_OK) FZ_CHECK(edges && edges[0] == '{' && edges[strlen(edges) - 1] == '}');
    wr_free(edges);
    double share = wr_model_repeat_share(m);
    FZ_CHECK(share == -1 || (share >= 0 && share <= 1));
    const char *why = NULL;
    for (int mode = 0; mode < 3; mode++) FZ_CHECK(wr_model_seen_policy(m, mode, &why) >= 0 && why);
    FZ_CHECK(wr_model_seen_policy(m, 3, NULL) == -1);
    int known = wr_model_known_items(m, d);
    FZ_CHECK(known >= 0 && known <= n && known <= wr_data_n_items(d));

    int h[4] = {0, n - 1, n / 2, 0}, len = 4;
    enum { k = 10 };
    float *scores = malloc(((size_t)n + 4) * sizeof *scores), *w = malloc(16 * 4 * sizeof *w + 2 * ((size_t)n + 1) * sizeof *w);
    int items[k + 1], out_n = -1;
    float top[k + 1];
    FZ_CHECK(scores && w);
    for (int user = -1; user < (nu ? 1 : 0); user++)
        for (int l = 0; l <= len; l += 2) {
            fz_status(wr_model_score(m, user, h, l, scores));
            for (int ex = 0; ex < 3; ex++)
                if (fz_status(wr_model_recommend(m, user, h, l, k, ex, items, top, &out_n)) == WR_OK) fz_check_topk(items, top, out_n, k, n);
        }
    if (nu) fz_status(wr_model_score(m, nu - 1, h, 1, scores));
    FZ_CHECK(fz_status(wr_model_score(m, nu, h, 1, scores)) == WR_ERR_ARG);
    int bad = n;
    FZ_CHECK(fz_status(wr_model_score(m, -1, &bad, 1, scores)) == WR_ERR_ARG);
    FZ_CHECK(fz_status(wr_model_recommend(m, -1, h, 1, 0, 0, items, top, &out_n)) == WR_ERR_ARG);
    int *all = malloc(((size_t)n + 1) * sizeof *all);
    float *alls = malloc(((size_t)n + 1) * sizeof *alls);
    if (fz_status(wr_model_recommend(m, -1, h, 2, n + 1, WR_SEEN_EXCLUDE, all, alls, &out_n)) == WR_OK) fz_check_topk(all, alls, out_n, n + 1, n);
    free(all), free(alls);

    /* looking inside */
    for (int i = 0; i < 2; i++) fz_status(wr_model_explain(m, h, 2, i ? n - 1 : 0, w));
    int blocks = -1;
    if (fz_status(wr_model_attention(m, h, len, w, &blocks)) == WR_OK) FZ_CHECK(blocks >= 1 && blocks <= 16);
    float explained[2];
    if (fz_status(wr_model_item_map(m, w, explained)) == WR_OK) FZ_CHECK(!(explained[0] < 0) && !(explained[1] < 0));

    /* vectors */
    int dim = wr_model_vector_dim(m);
    FZ_CHECK(dim >= 0);
    if (dim > 0) {
        float *v = malloc((size_t)n * (size_t)dim * sizeof *v + sizeof *v);
        FZ_CHECK(v);
        fz_status(wr_model_item_vectors(m, v));
        fz_status(wr_model_query_vector(m, -1, h, 2, v));
        if (nu) fz_status(wr_model_query_vector(m, 0, NULL, 0, v));
        int f0 = 0;
        fz_status(wr_model_feature_item_vector(m, &f0, 1, v));
        free(v);
    } else {
        float v[1];
        FZ_CHECK(fz_status(wr_model_item_vectors(m, v)) != WR_OK);
    }
    int f[2] = {0, 1};
    if (fz_status(wr_model_visitor(m, f, 2)) == WR_OK || fz_status(wr_model_visitor(m, f, 1)) == WR_OK) {
        fz_status(wr_model_score(m, -1, NULL, 0, scores));
        if (fz_status(wr_model_recommend(m, -1, h, 1, k, WR_SEEN_AUTO, items, top, &out_n)) == WR_OK) fz_check_topk(items, top, out_n, k, n);
        FZ_CHECK(fz_status(wr_model_visitor(m, NULL, 0)) == WR_OK);
    }
    FZ_CHECK(wr_model_feature_index(m, "no.such=feature") == -1);

    /* a pipeline's stages */
    for (int s = 0; s < 2; s++) {
        wr_model *st = wr_model_stage(m, s);
        if (st && depth == 0) fz_use_model(st, d, 0, 1);
    }

    /* evaluation on the small data set */
    char *json = NULL;
    if (fz_status(wr_eval_loo(m, d, WR_SPLIT_TEST, k, WR_SEEN_AUTO, 5, 1, &json)) == WR_OK) FZ_CHECK(json && json[0] == '{');
    wr_free(json);
    json = NULL;
    wr_split *sp = NULL;
    static const char *const protocols[] = {"random", "temporal", "cold-users"};
    if (fz_status(wr_split_new(d, protocols[(flags >> 2) % 3], NULL, 1, &sp)) == WR_OK) {
        if (fz_status(wr_eval(m, sp, WR_SPLIT_TEST, k, WR_SEEN_KEEP, 0, 1, &json)) == WR_OK) FZ_CHECK(json && json[0] == '{');
        wr_free(json);
        wr_split_free(sp);
    }

    if (depth == 0) {
        fz_roundtrip(m, h, 2);
        if (flags & 1) {
            int s2[3] = {0, n - 1, n / 2};
            if (fz_status(wr_model_add_session(m, s2, 3)) == WR_OK) fz_status(wr_model_score(m, -1, h, 2, scores));
        }
        if (flags & 2) {
            double p[WR_PROGRESS_N];
            (void)wr_model_set(m, "epochs", "1");
            if (fz_status(wr_train_continue(m, d, (flags >> 4) & 1, p)) == WR_OK) {
                for (int steps = 0; steps < 64 && !p[WR_PROGRESS_DONE]; steps++)
                    if (fz_status(wr_train_steps(m, 4, p)) != WR_OK) break;
                fz_status(wr_train_end(m));
                if (fz_status(wr_model_score(m, -1, h, 2, scores)) == WR_OK) fz_roundtrip(m, h, 2);
            }
        }
    }
    free(scores), free(w);
}

#endif
