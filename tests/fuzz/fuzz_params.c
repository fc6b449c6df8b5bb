/* fuzz_params.c: wr_model_set with fuzzed key=value pairs (a pipeline's "retrieve.dim=8" too),
 * then a small fit on the demo store and everything fz_use_model does with the model.
 * Input: one byte of choices, then "key=value" lines (a line without '=' is a key with an empty
 * value).
 *   bits 0-4: the family (wr_model_names, modulo their number), bit 5: the labelled store with
 *   side tables, or the plain one, bits 6-7: wr_model_fit, wr_model_fit_loo, or wr_train_begin
 *   on a held-out split (random, or cold-users).
 * The fit is kept small, not the parsing: after the fuzzed settings, every setting that makes a
 * fit long (epochs, dim, ...; the table below) and is past the table's bound, a default too, is
 * set to the bound, so what the fuzzer finds is a wrong value taken, not a slow one. */
#include "fuzz.h"

static const struct {
    const char *key;
    double most;
    const char *set;
} bounds[] = {{"epochs", 2, "2"},     {"dim", 16, "16"},      {"hidden", 16, "16"},   {"max_len", 16, "16"}, {"blocks", 2, "2"},
              {"batch", 256, "256"},  {"n_neg", 8, "8"},      {"label_neg", 8, "8"},  {"negatives", 32, "32"}, {"history", 32, "32"},
              {"n_uniform", 32, "32"}, {"layers", 2, "2"},    {"sample_size", 500, "500"}};

static char names[32][16];
static int n_names;

/* A setting's value in wr_model_params_json (a stage's only once set), or NAN when absent. */
static double param(wr_model *m, const char *key) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(wr_model_params_json(m), pat);
    if (!p) return NAN;
    p += strlen(pat);
    return strtod(p + (*p == '"'), NULL);
}

/* Every bounded setting past its bound (the defaults too: sasrec's 200 epochs) set to it; a
 * pipeline's stages get theirs whatever their family (a family without the key refuses it).
 * 0 when a bound could not be set (dim=16 with heads=3): then there is no fit. */
static int bound_all(wr_model *m) {
    static const char *const prefixes[3] = {"", "retrieve.", "rank."};
    int ok = 1;
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
            char key[80];
            snprintf(key, sizeof key, "%s%s", prefixes[s], bounds[i].key);
            double v = param(m, key);
            if (s == 0 ? v > bounds[i].most : !(v <= bounds[i].most))
                if (fz_status(wr_model_set(m, key, bounds[i].set)) != WR_OK && s == 0) ok = 0;
        }
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!n_names)
        for (const char *p = wr_model_names(); *p && n_names < 32; n_names++) {
            size_t n = strcspn(p, ",");
            snprintf(names[n_names], sizeof names[0], "%.*s", (int)n, p);
            p += n + (p[n] == ',');
        }
    const unsigned b = data[0];
    wr_ctx *ctx = fz_ctx();
    wr_model *m = NULL;
    FZ_CHECK(wr_model_new(ctx, names[(b & 31) % n_names], b, &m) == WR_OK);
    char *text = fz_strndup(data + 1, size - 1);
    int sets = 0;
    for (char *p = text; p < text + (size - 1) && sets < 64; sets++) {
        char *nl = memchr(p, '\n', (size_t)(text + (size - 1) - p));
        if (nl) *nl = 0;
        char *eq = strchr(p, '='), *value = "";
        if (eq) *eq = 0, value = eq + 1;
        const char *before = wr_model_params_json(m);
        char *was = strdup(before);
        int rc = fz_status(wr_model_set(m, p, value));
        fz_note("set", rc);
        if (rc != WR_OK) FZ_CHECK(!strcmp(was, wr_model_params_json(m))); /* a refused setting changes nothing */
        free(was);
        if (!nl) break;
        p = nl + 1;
    }
    free(text);
    const wr_data *d = fz_data((b >> 5) & 1);
    int rc = WR_ERR_STATE;
    if (bound_all(m)) switch (b >> 6) {
    case 0: rc = fz_status(wr_model_fit(m, d)); break;
    case 1: rc = fz_status(wr_model_fit_loo(m, d)); break;
    default: {
        wr_split *sp = NULL;
        double p[WR_PROGRESS_N];
        if (fz_status(wr_split_new(d, b >> 6 == 2 ? "random" : "cold-users", NULL, 3, &sp)) != WR_OK) break;
        if ((rc = fz_status(wr_train_begin(m, d, sp, p))) == WR_OK) {
            for (int s = 0; s < 256 && !p[WR_PROGRESS_DONE] && rc == WR_OK; s++) rc = fz_status(wr_train_steps(m, 16, p));
            int end = fz_status(wr_train_end(m));
            if (rc == WR_OK) rc = end;
        }
        wr_split_free(sp);
    }
    }
    fz_note("fit", rc);
    if (rc == WR_OK) fz_use_model(m, d, b, 0);
    wr_model_free(m);
    return 0;
}
