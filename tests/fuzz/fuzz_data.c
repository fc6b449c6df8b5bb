/* fuzz_data.c: wr_data_load in every format, then what loaded: every accessor, and (when the
 * first byte asks and the data is small) a fit of a cheap model, a leave-one-out evaluation and
 * a held-out split evaluated.
 * Input: one byte of choices, then the file's bytes.
 *   bits 0-2: the format (auto, csv, movielens, seq, otto; 5-7: auto), bit 3: skip_bad,
 *   bit 4: fit and evaluate, bits 5-7: the model and the split's protocol. */
#include "fuzz.h"

static const char *const formats[8] = {"auto", "csv", "movielens", "seq", "otto", "auto", "auto", "auto"};
static const char *const models[8] = {"pop", "markov", "itemknn", "sknn", "vstan", "ease", "mf", "gru4rec"};
static const char *const protocols[8] = {"loo", "random", "temporal", "cold-users", "cold-items", "random", "loo", "temporal"};

static void check_data(const wr_data *d) {
    const int nu = wr_data_n_users(d), ni = wr_data_n_items(d);
    const int64_t ne = wr_data_n_events(d);
    FZ_CHECK(nu >= 1 && ni >= 1 && ne >= 1);
    int64_t sum = 0;
    for (int u = 0; u < nu; u++) {
        int64_t l = wr_data_user_length(d, u);
        FZ_CHECK(l >= 1);
        sum += l;
    }
    FZ_CHECK(sum == ne && wr_data_user_length(d, nu) == -1 && wr_data_user_length(d, -1) == -1);
    for (int i = 0; i < ni; i++) {
        const char *id = wr_data_item_id(d, i);
        FZ_CHECK(id && *id && wr_data_item_index(d, id) == i);
        FZ_CHECK(wr_data_item_title(d, i) && wr_data_item_category(d, i));
    }
    int titled = wr_data_n_titled(d);
    FZ_CHECK(titled >= 0 && titled <= ni);
    FZ_CHECK(wr_data_skipped(d) >= 0 && wr_data_first_skip_reason(d));
    const char *f = wr_data_format(d);
    FZ_CHECK(!strcmp(f, "csv") || !strcmp(f, "movielens") || !strcmp(f, "seq") || !strcmp(f, "otto"));
    /* features only from a CSV's context columns, which the note then names */
    const char *note = wr_data_context_note(d);
    FZ_CHECK(note && !wr_data_has_labels(d));
    FZ_CHECK(wr_data_n_features(d) == 0 || (!strcmp(f, "csv") && !strncmp(note, "context: ", 9)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const unsigned b = data[0];
    wr_ctx *ctx = fz_ctx();
    wr_data *d = NULL;
    int rc = fz_status(wr_data_load(ctx, (const char *)data + 1, size - 1, formats[b & 7], "fuzz.txt", (b >> 3) & 1, &d));
    FZ_CHECK((rc == WR_OK) == (d != NULL));
    fz_note("load", rc);
    if (rc == WR_OK) FZ_CHECK(wr_data_skipped(d) == 0 || ((b >> 3) & 1));
    if (rc != WR_OK) return 0;
    check_data(d);
    if (((b >> 4) & 1) && wr_data_n_events(d) <= 3000 && wr_data_n_items(d) <= 400) {
        wr_model *m = NULL;
        FZ_CHECK(fz_status(wr_model_new(ctx, models[b >> 5], 1, &m)) == WR_OK);
        (void)wr_model_set(m, "epochs", "1");
        (void)wr_model_set(m, "dim", "4");
        wr_split *sp = NULL;
        if (fz_status(wr_split_new(d, protocols[b >> 5], NULL, 7, &sp)) == WR_OK) {
            double p[WR_PROGRESS_N];
            if (fz_status(wr_train_begin(m, d, sp, p)) == WR_OK) {
                for (int s = 0; s < 64 && !p[WR_PROGRESS_DONE]; s++)
                    if (fz_status(wr_train_steps(m, 8, p)) != WR_OK) break;
                fz_status(wr_train_end(m));
                char *json = NULL;
                if (fz_status(wr_eval(m, sp, WR_SPLIT_TEST, 10, WR_SEEN_AUTO, 0, 1, &json)) == WR_OK) FZ_CHECK(json && *json == '{');
                wr_free(json);
            }
            wr_split_free(sp);
        }
        wr_model_free(m);
        FZ_CHECK(fz_status(wr_model_new(ctx, models[b >> 5], 1, &m)) == WR_OK);
        (void)wr_model_set(m, "epochs", "1");
        (void)wr_model_set(m, "dim", "4");
        if (fz_status(wr_model_fit(m, d)) == WR_OK) {
            char *json = NULL;
            if (fz_status(wr_eval_loo(m, d, WR_SPLIT_TEST, 10, WR_SEEN_AUTO, 3, 1, &json)) == WR_OK) FZ_CHECK(json && *json == '{');
            wr_free(json);
            int h = 0, items[5], n = -1;
            float sc[5];
            if (fz_status(wr_model_recommend(m, -1, &h, 1, 5, WR_SEEN_AUTO, items, sc, &n)) == WR_OK) fz_check_topk(items, sc, n, 5, wr_model_n_items(m));
        }
        wr_model_free(m);
    }
    wr_data_free(d);
    return 0;
}
