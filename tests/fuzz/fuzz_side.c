/* fuzz_side.c: wr_data_load_side (u.user, users.dat, u.item, movies.dat, CSV/TSV tables) on a
 * data set whose ids the rows can match, then what loaded: the feature counts, and (when the
 * first byte asks) a fit of a model that reads side features, used as fz_use_model does (which
 * saves the feature keys in the model file and loads them back).
 * Input: one byte of choices, then the table's bytes.
 *   bit 0: users (0) or items (1), bit 1: the MovieLens-shaped data (numeric ids) or the demo
 *   store (sessions 1..30, items like "lap-000"), bit 2: load the table twice (the second
 *   replaces the first), bits 3-4: fit nothing, lr, fm or twotower, bit 5: on the store, first
 *   load the store's own table of the other side, bits 6-7: no feature kinds set, or one of three
 *   specs forcing the side's MovieLens columns to other kinds (a table without them is refused). */
#include "fuzz.h"

static const char *const models[4] = {NULL, "lr", "fm", "twotower"};
static const char *const kinds[2][4] = {{NULL, "user.age=categorical", "user.gender=numeric", "user.zip=multi,user.age=numeric"},
                                        {NULL, "item.genre=categorical", "item.year=numeric", "item.year=multi,item.genre=numeric"}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const unsigned b = data[0];
    const int side = b & 1, movielens = (b >> 1) & 1;
    wr_ctx *ctx = fz_ctx();
    wr_data *d = movielens ? fz_movielens() : fz_store(0, (b >> 5) & 1 ? (side ? 1 : 2) : 0);
    const char *bytes = (const char *)data + 1;
    if (kinds[side][b >> 6]) FZ_CHECK(wr_data_feature_kinds(d, kinds[side][b >> 6]) == WR_OK);
    int rc = fz_status(wr_data_load_side(d, side, bytes, size - 1, side ? "items.csv" : "users.csv"));
    if ((b >> 2) & 1) rc = fz_status(wr_data_load_side(d, side, bytes, size - 1, side ? "items.csv" : "users.csv"));
    fz_note("side", rc);
    int matched = wr_data_side_matched(d, side);
    FZ_CHECK(matched >= 0 && matched <= (side ? wr_data_n_items(d) : wr_data_n_users(d)));
    FZ_CHECK(wr_data_n_features(d) >= 0);
    /* the fields' values add up to the feature count (inside a JSON string a quote is escaped,
     * so ,"values": only ever starts a key) */
    char *fields = NULL;
    if (fz_status(wr_data_fields(d, &fields)) == WR_OK) {
        long sum = 0;
        for (const char *p = strstr(fields, ",\"values\":"); p; p = strstr(p + 1, ",\"values\":")) sum += strtol(p + 10, NULL, 10);
        FZ_CHECK(fields[0] == '[' && sum == wr_data_n_features(d));
    }
    wr_free(fields);
    const char *name = models[(b >> 3) & 3];
    if (rc == WR_OK && name) {
        wr_model *m = NULL;
        FZ_CHECK(wr_model_new(ctx, name, 1, &m) == WR_OK);
        (void)wr_model_set(m, "epochs", "2");
        (void)wr_model_set(m, "dim", "4");
        (void)wr_model_set(m, "hidden", "8");
        int fit = fz_status(wr_model_fit(m, d));
        fz_note("fit", fit);
        if (fit == WR_OK) fz_use_model(m, d, 0, 0);
        wr_model_free(m);
    }
    wr_data_free(d);
    return 0;
}
