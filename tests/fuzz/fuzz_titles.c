/* fuzz_titles.c: wr_data_load_titles (u.item "id|title|date|...", movies.dat "id::title::genres")
 * on a data set whose ids the rows can match, then what loaded: every item's title and
 * category, the count of titled items, and the titles kept through a model file (fit, save,
 * load: the same title for every item).
 * Input: one byte of choices, then the titles file's bytes.
 *   bit 0: the MovieLens-shaped data (numeric ids) or the demo store (its own titles, ids like
 *   "lap-000"), bit 1: load the titles twice, bit 2: fit, save and reload. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const unsigned b = data[0];
    wr_ctx *ctx = fz_ctx();
    wr_data *d = b & 1 ? fz_movielens() : fz_store(0, 0);
    int rc = fz_status(wr_data_load_titles(d, (const char *)data + 1, size - 1, "u.item"));
    if ((b >> 1) & 1) rc = fz_status(wr_data_load_titles(d, (const char *)data + 1, size - 1, "movies.dat"));
    fz_note("titles", rc);
    const int ni = wr_data_n_items(d);
    int titled = 0;
    for (int i = 0; i < ni; i++) {
        const char *t = wr_data_item_title(d, i), *c = wr_data_item_category(d, i);
        FZ_CHECK(t && c);
        titled += *t != 0;
    }
    FZ_CHECK(wr_data_n_titled(d) == titled);
    if (rc == WR_OK && ((b >> 2) & 1)) {
        wr_model *m = NULL, *back = NULL;
        FZ_CHECK(wr_model_new(ctx, "pop", 1, &m) == WR_OK);
        FZ_CHECK(fz_status(wr_model_fit(m, d)) == WR_OK);
        uint8_t *bytes = NULL;
        size_t len = 0;
        FZ_CHECK(fz_status(wr_model_save(m, &bytes, &len)) == WR_OK);
        rc = fz_status(wr_model_load(ctx, bytes, len, "titled.safetensors", &back));
        if (rc) fprintf(stderr, "a model with these titles does not load back: %s\n", wr_last_error(ctx));
        FZ_CHECK(rc == WR_OK);
        for (int i = 0; i < ni; i++) {
            const char *t = wr_data_item_title(d, wr_data_item_index(d, wr_model_item_id(back, i)));
            FZ_CHECK(!strcmp(wr_model_item_title(back, i), t));
            FZ_CHECK(!strcmp(wr_model_item_title(m, i), t));
        }
        wr_free(bytes);
        wr_model_free(back);
        wr_model_free(m);
    }
    wr_data_free(d);
    return 0;
}
