/* fuzz_label.c: the rating conditions of wr_data_drop and wr_data_label ("rating>=4",
 * "label==1", a CSV column by its name) on fuzzed data, then what they left: the event counts,
 * and (when the first byte asks) a held-out split with a labelled evaluation (AUC, GAUC,
 * logloss) of lr and of pop.
 * Input: one byte of choices, a line with the drop condition, a line with the label condition
 * (an empty line: none), then the data's bytes (format auto).
 *   bit 0: label before drop, bit 1: fit and evaluate, bit 2: the MovieLens-shaped data
 *   instead of the input's (the conditions alone are fuzzed), bit 3: skip_bad. */
#include "fuzz.h"

static const uint8_t *line(const uint8_t *p, const uint8_t *end, char **out) {
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    *out = fz_strndup(p, (size_t)((nl ? nl : end) - p));
    return nl ? nl + 1 : end;
}

static int apply(wr_data *d, int label, const char *cond) {
    if (!*cond) return WR_OK;
    int64_t n = -1, before = wr_data_n_events(d);
    int rc = fz_status(label ? wr_data_label(d, cond, &n) : wr_data_drop(d, cond, &n));
    if (rc == WR_OK) {
        FZ_CHECK(n >= 0 && n <= before);
        if (label) FZ_CHECK(wr_data_has_labels(d) && wr_data_n_events(d) == before);
        else FZ_CHECK(wr_data_n_events(d) == before - n);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const unsigned b = data[0];
    const uint8_t *p = data + 1, *end = data + size;
    char *drop = NULL, *label = NULL;
    p = line(p, end, &drop);
    p = line(p, end, &label);
    wr_ctx *ctx = fz_ctx();
    wr_data *d = NULL;
    if ((b >> 2) & 1) d = fz_movielens();
    else if (fz_status(wr_data_load(ctx, (const char *)p, (size_t)(end - p), "auto", "rated.csv", (b >> 3) & 1, &d)) != WR_OK) d = NULL;
    if (d) {
        int rc = b & 1 ? apply(d, 1, label) : apply(d, 0, drop);
        if (rc == WR_OK) rc = b & 1 ? apply(d, 0, drop) : apply(d, 1, label);
        fz_note("condition", rc);
        if (!wr_data_has_ratings(d)) FZ_CHECK(wr_data_n_events(d) >= 0);
        int64_t sum = 0;
        for (int u = 0; u < wr_data_n_users(d); u++) sum += wr_data_user_length(d, u);
        FZ_CHECK(sum == wr_data_n_events(d));
        if (rc == WR_OK && ((b >> 1) & 1) && wr_data_n_events(d) <= 3000) {
            wr_split *sp = NULL;
            if (fz_status(wr_split_new(d, "random", "0.6,0.2,0.2", 5, &sp)) == WR_OK) {
                static const char *const names[2] = {"lr", "pop"};
                for (int k = 0; k < 2; k++) {
                    wr_model *m = NULL;
                    double pr[WR_PROGRESS_N];
                    FZ_CHECK(wr_model_new(ctx, names[k], 1, &m) == WR_OK);
                    (void)wr_model_set(m, "epochs", "2");
                    if (fz_status(wr_train_begin(m, d, sp, pr)) == WR_OK) {
                        for (int s = 0; s < 64 && !pr[WR_PROGRESS_DONE]; s++)
                            if (fz_status(wr_train_steps(m, 8, pr)) != WR_OK) break;
                        fz_status(wr_train_end(m));
                        char *json = NULL;
                        if (fz_status(wr_eval(m, sp, WR_SPLIT_TEST, 10, WR_SEEN_AUTO, 0, 1, &json)) == WR_OK) FZ_CHECK(json && *json == '{');
                        wr_free(json);
                    }
                    wr_model_free(m);
                }
                wr_split_free(sp);
            }
        }
        wr_data_free(d);
    }
    free(drop), free(label);
    return 0;
}
