/* gen.c: the synthetic demo store (wr_gen). CSV "session,item,category,title,timestamp".
 *
 * The catalogue: main-product categories (Cameras, Laptops, Phones, ...) each paired with
 * accessory categories (Lenses and Tripods for Cameras, ...). Item popularity is Zipf-like,
 * 1/(rank + 10) over a random ranking, so a few items are popular but most-popular is far from
 * the whole story. Planted structure, from shallow to deep:
 *  - first order (a Markov model sees it): after a main product come its own 1-3 accessories
 *    (each main product has specific ones) or a similar product (a neighbour in the category);
 *    after an accessory, a similar accessory;
 *  - beyond the last item (a Markov model cannot see it): a detour is a random popular item
 *    (a promotion, a curious click). Most shoppers then resume where they were: the next item
 *    follows from the last item before the detour, not from the detour itself.
 * Everything comes from wr_rng and exact arithmetic (+,-,*,/ on doubles, no libm): the same seed
 * gives the same bytes natively and in wasm.
 *
 * With features (wr_gen_features), a second stream (so the sessions are the same bytes) draws a
 * side table per session ("session,device,region") and per item ("item,category,group,price"),
 * and a purchase label per event ("...,timestamp,label"): P(label) = s(-1 + 0.6 quality + 1.5
 * cross) with the sigmoid-like s(x) = 1/2 + x / (2 (1 + |x|)) (no libm), cross = +1 when a mobile shopper looks at an accessory or a desktop shopper at a
 * main product, else -1. Device and group alone say little (half the shoppers are mobile): a
 * device x group cross (FM, FFM, DeepFM; not LR) sees the planted effect. */
#include <stdlib.h>
#include <string.h>

#include "data.h"

typedef struct {
    const char *name, *prefix;
    int main; /* index of the main category this one accessorises, or -1 for a main category */
    const char *nouns[3];
} cat_def;

static const cat_def cats[] = {
    {"Cameras", "cam", -1, {"compact camera", "mirrorless camera", "DSLR camera"}},
    {"Laptops", "lap", -1, {"ultrabook", "gaming laptop", "14-inch laptop"}},
    {"Phones", "phone", -1, {"smartphone", "5G phone", "compact phone"}},
    {"Headphones", "hp", -1, {"over-ear headphones", "earbuds", "noise-cancelling headphones"}},
    {"Consoles", "con", -1, {"game console", "handheld console", "console bundle"}},
    {"Books", "book", -1, {"novel", "cookbook", "travel guide"}},
    {"Bikes", "bike", -1, {"city bike", "e-bike", "gravel bike"}},
    {"TVs", "tv", -1, {"55-inch TV", "OLED TV", "4K TV"}},
    {"Lenses", "lens", 0, {"50mm prime lens", "zoom lens", "wide-angle lens"}},
    {"Tripods", "tri", 0, {"travel tripod", "carbon tripod", "tabletop tripod"}},
    {"Laptop bags", "bag", 1, {"laptop sleeve", "laptop backpack", "messenger bag"}},
    {"Mice", "mouse", 1, {"wireless mouse", "ergonomic mouse", "travel mouse"}},
    {"Phone cases", "case", 2, {"silicone case", "leather case", "rugged case"}},
    {"Chargers", "chg", 2, {"fast charger", "wireless charger", "power bank"}},
    {"Headphone stands", "stand", 3, {"headphone stand", "wooden stand", "aluminium stand"}},
    {"Games", "game", 4, {"racing game", "puzzle game", "adventure game"}},
    {"Book lights", "light", 5, {"clip-on book light", "reading lamp", "neck light"}},
    {"Helmets", "helm", 6, {"bike helmet", "commuter helmet", "MIPS helmet"}},
    {"Soundbars", "snd", 7, {"soundbar", "compact soundbar", "Dolby Atmos soundbar"}},
};
#define N_CATS ((int)(sizeof cats / sizeof cats[0]))

static const char *const brands[] = {"Aurora", "Nimbus", "Vertex", "Kestrel", "Orion", "Lumen",
                                     "Cobalt", "Zephyr", "Atlas", "Nova", "Pioneer", "Summit",
                                     "Halcyon", "Tessera", "Meridian", "Quartz"};
static const char series[] = "XSMRTQ";

/* Tunables of the session process (probabilities). */
#define P_ACCESSORY 0.50 /* main product -> one of its accessories */
#define P_SIMILAR 0.30   /* main product -> a neighbour in its category (else a detour) */
#define P_ACC_SIMILAR 0.45 /* accessory -> a neighbour accessory (else a detour) */
#define P_RESUME 0.80    /* after a detour, continue from the item before it */
#define MEAN_EXTRA 6.0   /* session length = 3 + geometric extra, mean ~9 */

typedef struct {
    int n;
    int *cat, *pos;       /* category and position within it */
    int *cat_start, *cat_n;
    int *acc, *n_acc;     /* up to 3 accessories per item (main items only) */
    double *cum_all;      /* cumulative popularity over all items */
    double *cum_main;     /* over main items only (0 weight for accessories) */
    char **title;
} store;

static void store_free(store *s) {
    free(s->cat);
    free(s->pos);
    free(s->cat_start);
    free(s->cat_n);
    free(s->acc);
    free(s->n_acc);
    free(s->cum_all);
    free(s->cum_main);
    if (s->title)
        for (int i = 0; i < s->n; i++) free(s->title[i]);
    free(s->title);
}

/* Index i with cum[i-1] <= u*total < cum[i]. */
static int pick(const double *cum, int n, wr_rng *rng) {
    double u = (double)wr__rng_float(rng) * cum[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cum[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static int build_store(store *s, int n, wr_rng *rng) {
    memset(s, 0, sizeof *s);
    s->n = n;
    s->cat = wr__calloc((size_t)n, sizeof(int));
    s->pos = wr__calloc((size_t)n, sizeof(int));
    s->cat_start = wr__calloc(N_CATS, sizeof(int));
    s->cat_n = wr__calloc(N_CATS, sizeof(int));
    s->acc = wr__calloc((size_t)n * 3, sizeof(int));
    s->n_acc = wr__calloc((size_t)n, sizeof(int));
    s->cum_all = wr__calloc((size_t)n, sizeof(double));
    s->cum_main = wr__calloc((size_t)n, sizeof(double));
    s->title = wr__calloc((size_t)n, sizeof(char *));
    int *perm = wr__calloc((size_t)n, sizeof(int));
    if (!s->cat || !s->pos || !s->cat_start || !s->cat_n || !s->acc || !s->n_acc ||
        !s->cum_all || !s->cum_main || !s->title || !perm) {
        free(perm);
        return -1;
    }
    /* category sizes: main categories weigh 3, accessory categories 2; at least 1 item each */
    int wsum = 0;
    for (int c = 0; c < N_CATS; c++) wsum += cats[c].main < 0 ? 3 : 2;
    int given = 0;
    for (int c = 0; c < N_CATS; c++) {
        int k = (int)((int64_t)n * (cats[c].main < 0 ? 3 : 2) / wsum);
        s->cat_n[c] = k < 1 ? 1 : k;
        given += s->cat_n[c];
    }
    for (int c = 0; given < n; c = (c + 1) % N_CATS, given++) s->cat_n[c]++;
    for (int c = N_CATS - 1; given > n; c = (c + N_CATS - 1) % N_CATS)
        if (s->cat_n[c] > 1) s->cat_n[c]--, given--;
    for (int c = 0, at = 0; c < N_CATS; c++) {
        s->cat_start[c] = at;
        for (int k = 0; k < s->cat_n[c]; k++, at++) s->cat[at] = c, s->pos[at] = k;
    }
    /* popularity 1/(rank + 10) over a random ranking (Fisher-Yates) */
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)wr__rng_below(rng, (uint32_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    double *w = s->cum_main; /* scratch for the weights */
    for (int r = 0; r < n; r++) w[perm[r]] = 1.0 / (r + 10.0);
    double ta = 0, tm = 0;
    for (int i = 0; i < n; i++) {
        double wi = w[i];
        ta += wi;
        if (cats[s->cat[i]].main < 0) tm += wi;
        s->cum_all[i] = ta;
        w[i] = tm; /* cum_main reuses the array in place: w[i] is read before it is written */
    }
    free(perm);
    for (int i = 0; i < n; i++) {
        int c = s->cat[i];
        /* specific accessories of a main product, drawn from its accessory categories */
        if (cats[c].main < 0) {
            int acc_cats[2], na = 0;
            for (int a = 0; a < N_CATS; a++)
                if (cats[a].main == c && na < 2) acc_cats[na++] = a;
            int k = 1 + (int)wr__rng_below(rng, 3);
            for (int j = 0; j < k && na; j++) {
                int a = acc_cats[wr__rng_below(rng, (uint32_t)na)];
                int item = s->cat_start[a] + (int)wr__rng_below(rng, (uint32_t)s->cat_n[a]);
                int dup = 0;
                for (int q = 0; q < s->n_acc[i]; q++) dup |= s->acc[i * 3 + q] == item;
                if (!dup) s->acc[i * 3 + s->n_acc[i]++] = item;
            }
        }
        /* "Aurora X3 compact camera" */
        const char *brand = brands[wr__rng_below(rng, sizeof brands / sizeof brands[0])];
        char model = series[wr__rng_below(rng, sizeof series - 1)];
        int num = 1 + (int)wr__rng_below(rng, 9);
        const char *noun = cats[c].nouns[wr__rng_below(rng, 3)];
        wr_buf t = {0};
        wr__buf_printf(&t, "%s %c%d %s", brand, model, num, noun);
        s->title[i] = wr__buf_take(&t, NULL);
        if (!s->title[i]) return -1;
    }
    return 0;
}

/* A neighbour in the same category: the "next/previous model" a shopper compares. */
static int similar(const store *s, int item, wr_rng *rng) {
    int c = s->cat[item], k = s->cat_n[c];
    if (k < 2) return item;
    float u = wr__rng_float(rng);
    int off = u < 0.5f ? 1 : u < 0.8f ? k - 1 : 2; /* +1, -1, +2 (mod k) */
    return s->cat_start[c] + (s->pos[item] + off) % k;
}

/* The item after cur; *detour is set when it is a random popular item rather than one that
 * follows from cur. */
static int next_item(const store *s, int cur, wr_rng *rng, int *detour) {
    float u = wr__rng_float(rng);
    *detour = 0;
    if (cats[s->cat[cur]].main < 0) {
        if (u < P_ACCESSORY && s->n_acc[cur]) {
            /* the first accessory is the usual companion */
            int na = s->n_acc[cur];
            int j = wr__rng_float(rng) < 0.6f ? 0 : (int)wr__rng_below(rng, (uint32_t)na);
            return s->acc[cur * 3 + j];
        }
        if (u < P_ACCESSORY + P_SIMILAR) return similar(s, cur, rng);
    } else if (u < P_ACC_SIMILAR) {
        return similar(s, cur, rng);
    }
    *detour = 1;
    return pick(s->cum_all, s->n, rng);
}

static void emit(wr_buf *b, const store *s, int session, int item, int64_t ts, int label) {
    int c = s->cat[item];
    wr__buf_printf(b, "%d,%s-%03d,", session, cats[c].prefix, s->pos[item]);
    wr__buf_csv(b, cats[c].name);
    wr__buf_append(b, ",", 1);
    wr__buf_csv(b, s->title[item]);
    wr__buf_printf(b, label < 0 ? ",%lld\n" : ",%lld,%d\n", (long long)ts, label);
}

/* sigmoid without libm: a rational approximation, exact arithmetic (same bits everywhere) */
static double soft_step(double x) { return 0.5 + 0.5 * x / (1.0 + (x < 0 ? -x : x)); }

static int generate(wr_ctx *ctx, int sessions, int items, uint64_t seed, char **out_text, size_t *out_len, char **users_csv,
                    char **items_csv) {
    if (out_text) *out_text = NULL;
    if (out_len) *out_len = 0;
    if (!out_text) return wr__err(ctx, WR_ERR_ARG, "wr_gen: out_text must not be NULL");
    if (sessions < 1 || sessions > 10000000)
        return wr__err(ctx, WR_ERR_ARG, "gen: sessions must be between 1 and 10000000, got %d", sessions);
    if (items < 20 || items > 1000000)
        return wr__err(ctx, WR_ERR_ARG,
                       "gen: items must be between 20 and 1000000 (the store needs at least one "
                       "item in each of its %d categories), got %d",
                       N_CATS, items);
    wr_rng rng;
    wr__rng_seed(&rng, seed);
    store s;
    if (build_store(&s, items, &rng) < 0) {
        store_free(&s);
        return wr__oom(ctx, "building the store catalogue");
    }
    int side = users_csv != NULL;
    wr_rng srng; /* the features' own stream */
    wr__rng_seed(&srng, seed ^ 0x5eed5eed5eedULL);
    double *quality = side ? wr__malloc((size_t)s.n * sizeof *quality + 1) : NULL;
    wr_buf b = {0}, ub = {0}, ib = {0};
    if (side && !quality) {
        store_free(&s);
        return wr__oom(ctx, "generating features");
    }
    static const char *const prices[] = {"budget", "mid", "premium"};
    if (side) {
        wr__buf_puts(&ib, "item,category,group,price\n");
        for (int i = 0; i < s.n; i++) {
            quality[i] = (double)wr__rng_normal(&srng);
            int c = s.cat[i];
            wr__buf_printf(&ib, "%s-%03d,", cats[c].prefix, s.pos[i]);
            wr__buf_csv(&ib, cats[c].name);
            wr__buf_printf(&ib, ",%s,%s\n", cats[c].main < 0 ? "main" : "accessory", prices[wr__rng_below(&srng, 3)]);
        }
        wr__buf_puts(&ub, "session,device,region\n");
    }
    static const char *const regions[] = {"north", "south", "east", "west"};
    wr__buf_puts(&b, side ? "session,item,category,title,timestamp,label\n" : "session,item,category,title,timestamp\n");
    int64_t t = 1700000000; /* 2023-11-14, seconds */
    int seq[50];
    for (int sess = 1; sess <= sessions && !b.failed; sess++) {
        int len = 3;
        while (len < 50 && (double)wr__rng_float(&rng) < MEAN_EXTRA / (MEAN_EXTRA + 1.0)) len++;
        /* anchor: the last item that was not a detour, where a shopper resumes */
        int anchor = seq[0] = pick(s.cum_main, s.n, &rng), detour = 0;
        for (int k = 1; k < len; k++) {
            int from = detour && (double)wr__rng_float(&rng) < P_RESUME ? anchor : seq[k - 1];
            seq[k] = next_item(&s, from, &rng, &detour);
            if (!detour) anchor = seq[k];
        }
        t += 1 + (int64_t)wr__rng_below(&rng, 120);
        int64_t ts = t;
        int mobile = side ? wr__rng_float(&srng) < 0.5f : 0;
        if (side) wr__buf_printf(&ub, "%d,%s,%s\n", sess, mobile ? "mobile" : "desktop", regions[wr__rng_below(&srng, 4)]);
        for (int k = 0; k < len; k++) {
            int label = -1;
            if (side) {
                int accessory = cats[s.cat[seq[k]]].main >= 0;
                double cross = mobile == accessory ? 1.0 : -1.0;
                label = (double)wr__rng_float(&srng) < soft_step(-1.0 + 0.6 * quality[seq[k]] + 1.5 * cross);
            }
            emit(&b, &s, sess, seq[k], ts, label);
            ts += 5 + (int64_t)wr__rng_below(&rng, 240);
        }
    }
    store_free(&s);
    free(quality);
    if (b.failed || ub.failed || ib.failed) {
        wr__buf_free(&b), wr__buf_free(&ub), wr__buf_free(&ib);
        return wr__oom(ctx, "writing the generated store");
    }
    if (side) {
        *users_csv = wr__buf_take(&ub, NULL);
        *items_csv = wr__buf_take(&ib, NULL);
        if (!*users_csv || !*items_csv) {
            wr__buf_free(&b);
            return wr__oom(ctx, "writing the generated store");
        }
    }
    size_t n = 0;
    *out_text = wr__buf_take(&b, &n);
    if (!*out_text) return wr__oom(ctx, "writing the generated store");
    if (out_len) *out_len = n;
    return WR_OK;
}

int wr_gen(wr_ctx *ctx, int sessions, int items, uint64_t seed, char **out_text, size_t *out_len) {
    return generate(ctx, sessions, items, seed, out_text, out_len, NULL, NULL);
}

int wr_gen_features(wr_ctx *ctx, int sessions, int items, uint64_t seed, char **events_csv, char **users_csv, char **items_csv) {
    if (!users_csv || !items_csv) return wr__err(ctx, WR_ERR_ARG, "wr_gen_features: the outputs must not be NULL");
    *users_csv = *items_csv = NULL;
    int rc = generate(ctx, sessions, items, seed, events_csv, NULL, users_csv, items_csv);
    if (rc) {
        free(*users_csv), free(*items_csv);
        *users_csv = *items_csv = NULL;
    }
    return rc;
}
