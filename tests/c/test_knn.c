/* test_knn.c: every scoring rule of the session-kNN family (src/models/sknn.c, whose header
 * comment states them) on a second tiny data set worked out by hand: sknn, vsknn, stan, vstan,
 * the k and sample_size caps, the popularity fallback and tie-break, wr_model_add_session, and
 * model files (round trip, tampered files).
 *
 * The CSV lists s4 first although it is the most recent session, so index order must come from
 * the timestamps, not from the file. Sessions as the index holds them (distinct items in order of
 * last occurrence; t = time of the last event; index = time order):
 *   N0 = g f    (s0 = f g f, t 12)       N1 = a b c (t 102)     N2 = b d (t 201)
 *   N3 = a d e  (s3 = d a d e, t 303)    N4 = c b e (t 402)     t_now = 402
 * Event counts (popularity): a2 b3 c2 d3 e2 f2 g1, max 3.
 * Sessions containing: a2 b3 c2 d2 e2 f1 g1 of 5, so idf(a,c,d,e) = log 2.5 = 0.916291,
 * idf(b) = log(5/3) = 0.510826, idf(f,g) = log 5.
 * Popularity fallback: unscored item i gets pop(i) * 0.5 * min(1, smallest vote) / (3 + 1).
 * Popularity tie-break (wr__break_ties): of items with equal votes v, each gets
 * v + 0.5 gap (pop(i) - lo) / (3 + 1), gap = next larger vote - v (v for the largest), lo = the
 * group's smallest pop; so an equal vote of a more popular item is raised, the least popular
 * keeps v, and equal votes of equally popular items (sknn S = a b: a, c) stay equal. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/core.h"
#include "../../src/io/safetensors.h"
#include "check.h"

static wr_ctx *ctx;
static const char *csv = "session,item,timestamp\n"
                         "s4,c,400\ns4,b,401\ns4,e,402\n"
                         "s0,f,10\ns0,g,11\ns0,f,12\n"
                         "s1,a,100\ns1,b,101\ns1,c,102\n"
                         "s2,b,200\ns2,d,201\n"
                         "s3,d,300\ns3,a,301\ns3,d,302\ns3,e,303\n";
static wr_data *data;
static const char *ids = "abcdefg";
#define NI 7

static wr_model *fit_on(wr_data *d, const char *name, const char *const *sets) {
    wr_model *m = NULL;
    CHECK(wr_model_new(ctx, name, 1, &m) == WR_OK);
    for (int i = 0; m && sets && sets[i]; i += 2) CHECK(wr_model_set(m, sets[i], sets[i + 1]) == WR_OK);
    CHECK(m && wr_model_fit(m, d) == WR_OK);
    return m;
}
static wr_model *fit(const char *name, const char *const *sets) { return fit_on(data, name, sets); }

static int idx(wr_model *m, char c) {
    char id[2] = {c, 0};
    return wr_model_item_index(m, id);
}

/* Scores of items a..g (out[0..6]) after a history of item letters ("ab"). */
static void score(wr_model *m, const char *hist, double *out) {
    int h[32], n = 0;
    float s[NI];
    for (const char *p = hist; *p; p++) h[n++] = idx(m, *p);
    CHECK(wr_model_score(m, -1, h, n, s) == WR_OK);
    for (int i = 0; i < NI; i++) out[i] = s[idx(m, ids[i])];
}

/* Checks scores a..e (or a..g when n = 7) against want. */
static void expect(const double *got, const double *want, int n, int line) {
    for (int i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= 1e-6 + 1e-5 * fabs(want[i])))
            printf("  (line %d) item %c: got %.9g want %.9g\n", line, ids[i], got[i], want[i]);
    for (int i = 0; i < n; i++) CHECK_CLOSE(got[i], want[i], 1e-6, 1e-5);
}
#define EXPECT(got, want, n) expect(got, want, n, __LINE__)

static void test_sknn(void) {
    /* S = a b, |S| = 2. sim = |S n N| / sqrt(2 |N|):
     *   N1 2/sqrt6 = 0.816497   N2 1/sqrt4 = 0.5   N3 1/sqrt6 = 0.408248   N4 1/sqrt6
     *   N0 shares nothing: not a candidate. Each neighbour votes its sim for each of its items:
     *   a = N1 + N3 = 3/sqrt6 = 1.224745   b = N1 + N2 + N4 = 3/sqrt6 + 0.5 = 1.724745
     *   c = N1 + N4 = 1.224745   d = N2 + N3 = 0.908248   e = N3 + N4 = 2/sqrt6 = 0.816497
     *   smallest vote 0.816497: f = 2 * 0.5 * 0.816497 / 4 = 0.204124, g = 0.102062 */
    double r6 = 1 / sqrt(6.0), sc = 0.5 * 2 * r6 / 4;
    double want[NI] = {3 * r6, 3 * r6 + 0.5, 3 * r6, 0.5 + r6, 2 * r6, 2 * sc, 1 * sc}, got[NI];
    wr_model *m = fit("sknn", NULL);
    score(m, "ab", got);
    EXPECT(got, want, NI);
    /* a repeated item counts once in S (|S| is distinct items) */
    score(m, "aba", got);
    EXPECT(got, want, NI);
    score(m, "bab", got);
    EXPECT(got, want, NI);
    /* an empty history: the training counts, as from every model */
    score(m, "", got);
    double pop[NI] = {2, 3, 2, 3, 2, 2, 1};
    for (int i = 0; i < NI; i++) CHECK_CLOSE(got[i], pop[i], 0, 0);
    /* S = f: only N0 = g f votes, sim 1 / sqrt(1 * 2), for both; f (2 events) is more popular
     * than g (1): the largest vote, so gap = v, and f = v (1 + 0.5 * 1 / 4) */
    score(m, "f", got);
    CHECK_CLOSE(got[5], 1.125 / sqrt(2.0), 1e-6, 1e-5);
    CHECK_CLOSE(got[6], 1 / sqrt(2.0), 1e-6, 1e-5);
    CHECK_CLOSE(got[3], 3 * 0.5 * (1 / sqrt(2.0)) / 4, 1e-6, 1e-5); /* d: fallback, count 3 */
    wr_model_free(m);
}

static void test_caps(void) {
    double r6 = 1 / sqrt(6.0), got[NI];
    /* k = 2, S = a b: N1 (0.816) and N2 (0.5) vote; N3, N4 (0.408) do not.
     *   a = c = N1 = 0.816497   b = N1 + N2 = 1.316497   d = N2 = 0.5
     *   e, f, g fall back: smallest vote 0.5, scale 0.5 * 0.5 / 4 = 0.0625: e 0.125 f 0.125 g 0.0625 */
    const char *k2[] = {"k", "2", NULL};
    wr_model *m = fit("sknn", k2);
    score(m, "ab", got);
    double w2[NI] = {2 * r6, 2 * r6 + 0.5, 2 * r6, 0.5, 0.125, 0.125, 0.0625};
    EXPECT(got, w2, NI);
    wr_model_free(m);
    /* k = 3: N3 and N4 tie at 1/sqrt6; the more recent (N4) wins the last place.
     *   a = N1   b = N1 + N2 + N4   c = N1 + N4   d = N2   e = N4 */
    const char *k3[] = {"k", "3", NULL};
    m = fit("sknn", k3);
    score(m, "ab", got);
    double w3[5] = {2 * r6, 3 * r6 + 0.5, 3 * r6, 0.5, r6};
    EXPECT(got, w3, 5);
    wr_model_free(m);

    /* sample_size = 2, S = a b: sessions sharing a or b are N1..N4; the 2 most recent by time
     * are N4 and N3 (N4 is first in the file, N1 is not a candidate although the most similar).
     *   a = N3 = 0.408248   b = N4   c = N4   d = N3   e = N3 + N4 = 0.816497
     *   f, g: smallest vote 0.408248, scale 0.5 * 0.408248 / 4 = 0.051031: f 0.102062 g 0.051031
     *   tie-break of a b c d (pop 2 3 2 3, lo 2, gap to e r6): b, d = r6 + 0.5 r6 / 4 */
    const char *m2[] = {"sample_size", "2", NULL};
    m = fit("sknn", m2);
    score(m, "ab", got);
    double sc = 0.5 * r6 / 4, ws2[NI] = {r6, 1.125 * r6, r6, 1.125 * r6, 2 * r6, 2 * sc, sc};
    EXPECT(got, ws2, NI);
    wr_model_free(m);
    /* sample_size = 1: N4 alone votes (b, c, e = 0.408248; b pop 3 is raised to 1.125 r6, the
     * largest vote's gap being r6); a, d fall back: a 2 sc, d 3 sc */
    const char *m1[] = {"sample_size", "1", NULL};
    m = fit("sknn", m1);
    score(m, "ab", got);
    double ws1[NI] = {2 * sc, 1.125 * r6, r6, 3 * sc, r6, 2 * sc, sc};
    EXPECT(got, ws1, NI);
    /* sample_size = 1, S = d: N3 is the most recent session with d (N2 is older) */
    score(m, "d", got);
    CHECK_CLOSE(got[4], 1 / sqrt(3.0), 1e-6, 1e-5);                      /* e: N3 votes */
    CHECK(got[1] < got[4] && got[1] < got[0]);                            /* b: not from N2 */
    wr_model_free(m);

    /* the fallback stays below every vote even when votes exceed 1 (sknn S = a b: b 1.72) and
     * for every model */
    const char *names[] = {"sknn", "vsknn", "stan", "vstan"};
    for (int k = 0; k < 4; k++) {
        m = fit(names[k], NULL);
        score(m, "ab", got);
        double minvote = 1e30;
        for (int i = 0; i < 5; i++) minvote = got[i] < minvote ? got[i] : minvote;
        CHECK(minvote > 0);
        CHECK(got[5] < minvote && got[6] < minvote);
        CHECK(got[5] > got[6]); /* f (2 events) above g (1) */
        wr_model_free(m);
    }
}

static void test_vsknn(void) {
    double got[NI];
    /* idf = 0, S = a b (L = 2): a(p) = max(0, 1 - 0.1 (2 - p)): a 0.9, b 1; sim = sum / 2;
     * step(N) = 1 + how far back the most recent item of S in N is; vote = sim / step.
     *   N1 (0.9 + 1)/2 = 0.95, b is in N1: step 1, vote 0.95
     *   N2 1/2 = 0.5 step 1       N3 0.9/2 = 0.45, only a (one back): step 2, vote 0.225
     *   N4 0.5 step 1
     *   a = N1 + N3 = 1.175   b = N1 + N2 + N4 = 1.95   c = N1 + N4 = 1.45
     *   d = N2 + N3 = 0.725   e = N3 + N4 = 0.725
     *   tie-break: d (pop 3) above e (2) by 0.5 (1.175 - 0.725) / 4 = 0.05625 */
    const char *noidf[] = {"idf", "0", NULL};
    wr_model *m = fit("vsknn", noidf);
    score(m, "ab", got);
    double w[5] = {1.175, 1.95, 1.45, 0.78125, 0.725};
    EXPECT(got, w, 5);
    /* S = a f f f f f f f f f (L = 10): a(a) = 1 - 0.9 = 0.1, a(f) = 1; |S| = 2.
     *   N0 (g f): sim 1/2, step 1 -> f, g 0.5
     *   N1, N3 share a only: sim 0.1/2 = 0.05, a is 9 back: step 10, vote 0.005
     *   a = N1 + N3 = 0.01, b = c = N1 = 0.005, d = e = N3 = 0.005
     *   tie-break: b, d (pop 3) over c, e (2) by 0.5 * 0.005 / 4; f (2) over g (1) by
     *   0.5 * 0.5 / 4 (the largest vote: gap = v) */
    score(m, "afffffffff", got);
    double wl[NI] = {0.01, 0.005625, 0.005, 0.005625, 0.005, 0.5625, 0.5};
    EXPECT(got, wl, NI);
    /* one more f (L = 11): a's weight is max(0, 1 - 1) = 0, so N1, N3 are not neighbours and
     * a..e fall back to popularity: smallest vote 0.5, scale 0.0625 (f over g as above) */
    score(m, "affffffffff", got);
    double wz[NI] = {2 * 0.0625, 3 * 0.0625, 2 * 0.0625, 3 * 0.0625, 2 * 0.0625, 0.5625, 0.5};
    EXPECT(got, wz, NI);
    /* S = b a: weights b 0.9, a 1. N1 (0.9 + 1)/2 = 0.95 step 1 (a in N1); N3 1/2 step 1;
     * N2, N4 share b only, one back: sim 0.45, step 2, vote 0.225.
     *   a = N1 + N3 = 1.45   b = N1 + N2 + N4 = 1.4   c = N1 + N4 = 1.175
     *   d = N2 + N3 = 0.725  e = N3 + N4 = 0.725; d over e by 0.5 (1.175 - 0.725) / 4 */
    score(m, "ba", got);
    double wba[5] = {1.45, 1.4, 1.175, 0.78125, 0.725};
    EXPECT(got, wba, 5);
    wr_model_free(m);

    /* idf = 1 (default), S = a b: weights a 0.9 idf(a) = 0.824662, b idf(b) = 0.510826.
     *   N1 (0.824662 + 0.510826)/2 = 0.667744 step 1   N2 0.510826/2 = 0.255413 step 1
     *   N3 0.824662/2 = 0.412331, step 2: 0.206165    N4 0.255413 step 1
     *   a = 0.873909   b = 1.178569   c = 0.923156   d = 0.461578   e = 0.461578
     *   tie-break: d (pop 3) over e (2) by 0.5 (a - d) / 4 = 0.5 (n1 - n2) / 4 */
    m = fit("vsknn", NULL);
    score(m, "ab", got);
    double ia = log(2.5), ib = log(5.0 / 3);
    double n1 = (0.9 * ia + ib) / 2, n2 = ib / 2, n3 = 0.9 * ia / 2 / 2, n4 = ib / 2;
    double wi[5] = {n1 + n3, n1 + n2 + n4, n1 + n4, n2 + n3 + 0.125 * (n1 - n2), n3 + n4};
    EXPECT(got, wi, 5);
    CHECK_CLOSE(got[0], 0.873909, 1e-6, 1e-5);
    CHECK_CLOSE(got[1], 1.178569, 1e-6, 1e-5);
    wr_model_free(m);
}

/* The popularity tie-break on its own: equal votes go by popularity (pop a2 b3 c2 d3 e2 f2 g1),
 * unequal votes keep their order even where popularity disagrees, equal votes of equally popular
 * items stay equal, and every vote stays above the fallback. */
static void test_tie_break(void) {
    double got[NI];
    wr_model *m = fit("sknn", NULL);
    /* S = f: f and g get the same vote from N0; f has 2 events, g 1 */
    score(m, "f", got);
    CHECK(got[5] > got[6]);
    for (int i = 0; i < 5; i++) CHECK(got[6] > got[i]); /* a..e: fallback */
    /* S = a b: a = c = 3/sqrt6 (both 2 events) stay equal; d = 0.5 + 1/sqrt6 is below them
     * although d has 3 events */
    score(m, "ab", got);
    CHECK(got[0] == got[2]);
    CHECK(got[0] > got[3] && got[1] > got[0] && got[3] > got[4]);
    wr_model_free(m);
    /* vsknn, idf = 0, S = a b: d = e = 0.725, d (3 events) above e (2), both below a (1.175,
     * 2 events), and S = b a: b (1.4, 3 events) stays below a (1.45, 2 events) */
    const char *noidf[] = {"idf", "0", NULL};
    m = fit("vsknn", noidf);
    score(m, "ab", got);
    CHECK(got[3] > got[4] && got[0] > got[3]);
    CHECK(got[4] > got[5] && got[4] > got[6]); /* f, g: fallback */
    score(m, "ba", got);
    CHECK(got[0] > got[1] && got[3] > got[4]);
    wr_model_free(m);
}

/* STAN / VSTAN for S = a b (L = 2) with the given lambdas (lipw = INFINITY and lidf = 0 is
 * STAN). Position weights: a e^(-1/lspw), b 1; f(i) = 1 + lidf idf(i); ages from t_now = 402:
 * N1 300, N2 201, N3 99, N4 0.
 *   sim1 = (e^(-1/lspw) f(a) + f(b)) / sqrt6 * e^(-300/lsnh)
 *   sim2 = f(b) / sqrt4 * e^(-201/lsnh)
 *   sim3 = e^(-1/lspw) f(a) / sqrt6 * e^(-99/lsnh)
 *   sim4 = f(b) / sqrt6
 * The item shared with S that is latest in S: N1 b (q* = 1), N2 b (0), N3 a (0, one step back
 * in S: vote also * e^(-1/lipw)), N4 b (1). Each item i of N gets vote e^(-|q - q*|/linh) f(i):
 *   a = sim1 e^(-1/linh) f(a) + sim3 ipw f(a)
 *   b = (sim1 + sim2 + sim4) f(b)
 *   c = (sim1 + sim4) e^(-1/linh) f(c)
 *   d = (sim2 + sim3 ipw) e^(-1/linh) f(d)
 *   e = (sim3 ipw e^(-2/linh) + sim4 e^(-1/linh)) f(e)
 * With (1, 100, 1): sim = 0.027803, 0.066994, 0.055806, 0.408248 and
 *   a 0.066034  b 0.503045  c 0.160414  d 0.045176  e 0.157739;
 * VSTAN with (1, 100, 1, 1, 1): a 0.107138 b 1.152829 c 0.466566 d 0.099088 e 0.445019. */
static void stan_ab(double lspw, double lsnh, double linh, double lipw, double lidf, double *out) {
    double ia = log(2.5), ib = log(5.0 / 3);
    double fa = 1 + lidf * ia, fb = 1 + lidf * ib, fc = fa, fd = fa, fe = fa;
    double sp = exp(-1 / lspw), ipw = exp(-1 / lipw), h1 = exp(-1 / linh), h2 = exp(-2 / linh), r6 = 1 / sqrt(6.0);
    double s1 = (sp * fa + fb) * r6 * exp(-300 / lsnh), s2 = fb / 2 * exp(-201 / lsnh), s3 = sp * fa * r6 * exp(-99 / lsnh),
           s4 = fb * r6;
    out[0] = (s1 * h1 + s3 * ipw) * fa;
    out[1] = (s1 + s2 + s4) * fb;
    out[2] = (s1 + s4) * h1 * fc;
    out[3] = (s2 + s3 * ipw) * h1 * fd;
    out[4] = (s3 * ipw * h2 + s4 * h1) * fe;
}

static void test_stan(void) {
    double got[NI], want[5];
    const char *set[] = {"lambda_spw", "1", "lambda_snh", "100", "lambda_inh", "1", NULL};
    wr_model *m = fit("stan", set);
    score(m, "ab", got);
    stan_ab(1, 100, 1, INFINITY, 0, want);
    EXPECT(got, want, 5);
    double hand[5] = {0.0660338, 0.503045, 0.160414, 0.0451756, 0.157739};
    EXPECT(got, hand, 5);
    /* each decay on its own, through wr_model_set on the fitted model */
    CHECK(wr_model_set(m, "lambda_spw", "2.5") == WR_OK);
    score(m, "ab", got);
    stan_ab(2.5, 100, 1, INFINITY, 0, want);
    EXPECT(got, want, 5);
    CHECK(wr_model_set(m, "lambda_snh", "1000") == WR_OK);
    score(m, "ab", got);
    stan_ab(2.5, 1000, 1, INFINITY, 0, want);
    EXPECT(got, want, 5);
    CHECK(wr_model_set(m, "lambda_inh", "0.5") == WR_OK);
    score(m, "ab", got);
    stan_ab(2.5, 1000, 0.5, INFINITY, 0, want);
    EXPECT(got, want, 5);
    /* no decays at all (huge lambdas): STAN is SKNN */
    CHECK(wr_model_set(m, "lambda_spw", "1e9") == WR_OK);
    CHECK(wr_model_set(m, "lambda_snh", "1e18") == WR_OK);
    CHECK(wr_model_set(m, "lambda_inh", "1e9") == WR_OK);
    score(m, "ab", got);
    double r6 = 1 / sqrt(6.0), sk[5] = {3 * r6, 3 * r6 + 0.5, 3 * r6, 0.5 + r6, 2 * r6};
    EXPECT(got, sk, 5);
    wr_model_free(m);
}

static void test_vstan(void) {
    double got[NI], want[5];
    const char *set[] = {"lambda_spw", "1", "lambda_snh", "100", "lambda_inh", "1", "lambda_ipw", "1", "lambda_idf", "1", NULL};
    wr_model *m = fit("vstan", set);
    score(m, "ab", got);
    stan_ab(1, 100, 1, 1, 1, want);
    EXPECT(got, want, 5);
    double hand[5] = {0.107138, 1.152829, 0.466566, 0.0990881, 0.445019};
    EXPECT(got, hand, 5);
    /* lambda_ipw alone */
    CHECK(wr_model_set(m, "lambda_ipw", "0.4") == WR_OK);
    score(m, "ab", got);
    stan_ab(1, 100, 1, 0.4, 1, want);
    EXPECT(got, want, 5);
    /* lambda_idf alone */
    CHECK(wr_model_set(m, "lambda_idf", "0.3") == WR_OK);
    score(m, "ab", got);
    stan_ab(1, 100, 1, 0.4, 0.3, want);
    EXPECT(got, want, 5);
    /* lambda_idf = 0 and no ipw decay: VSTAN is STAN */
    CHECK(wr_model_set(m, "lambda_idf", "0") == WR_OK);
    CHECK(wr_model_set(m, "lambda_ipw", "1e9") == WR_OK);
    score(m, "ab", got);
    stan_ab(1, 100, 1, INFINITY, 0, want);
    EXPECT(got, want, 5);
    wr_model_free(m);
}

/* Compares every score of a and b (a's and b's item ids may be in another order). */
static void same_scores(wr_model *a, wr_model *b, const char *hist, double atol) {
    double x[NI], y[NI];
    score(a, hist, x);
    score(b, hist, y);
    for (int i = 0; i < NI; i++) CHECK_CLOSE(x[i], y[i], atol, atol ? 1e-6 : 0);
}

static void test_add_session(void) {
    const char *names[] = {"sknn", "vsknn", "stan", "vstan"};
    /* The new session f a f (distinct: a f; f counts twice) after N4. Refit on the data plus the
     * same session at t 500..502: for sknn and vsknn time only orders sessions, so the scores
     * must be equal; stan and vstan must at least see the new neighbour. */
    char more[1024];
    snprintf(more, sizeof more, "%ss5,f,500\ns5,a,501\ns5,f,502\n", csv);
    wr_data *d2 = NULL;
    CHECK(wr_data_load(ctx, more, strlen(more), "csv", "more.csv", 0, &d2) == WR_OK);
    for (int k = 0; k < 4; k++) {
        wr_model *m = fit(names[k], NULL), *r = fit_on(d2, names[k], NULL);
        double before[NI], after[NI];
        score(m, "f", before);
        int h[3] = {idx(m, 'f'), idx(m, 'a'), idx(m, 'f')};
        CHECK(wr_model_add_session(m, h, 3) == WR_OK);
        score(m, "f", after);
        /* before: only N0 votes for f; a falls back. After: the new session votes for a. */
        CHECK(after[0] > before[0] && after[0] > after[1]);
        if (k < 2) {
            const char *hists[] = {"", "f", "a", "ab", "fa", "abcde", "dgb"};
            for (int q = 0; q < 7; q++) same_scores(m, r, hists[q], 1e-7);
        }
        /* an empty session is not a session: nothing changes (idf counts sessions) */
        double x[NI], y[NI];
        score(m, "ab", x);
        CHECK(wr_model_add_session(m, h, 0) == WR_OK);
        score(m, "ab", y);
        for (int i = 0; i < NI; i++) CHECK(x[i] == y[i]);
        /* an unknown item index is an argument error, and the index is unchanged */
        int bad[2] = {idx(m, 'a'), 99};
        CHECK(wr_model_add_session(m, bad, 2) == WR_ERR_ARG);
        CHECK_CONTAINS(wr_last_error(ctx), "history[1] = 99");
        score(m, "ab", y);
        for (int i = 0; i < NI; i++) CHECK(x[i] == y[i]);
        wr_model_free(m);
        wr_model_free(r);
    }
    wr_data_free(d2);

    /* sknn by hand: S = f after adding "f a f": N0 (g f) 1/sqrt2, N5 (a f) 1/sqrt2; a (now 3
     * events) ties with g (1): raised by 0.5 (2/sqrt2 - 1/sqrt2) (3 - 1) / (4 + 1) */
    wr_model *m = fit("sknn", NULL);
    int h[3] = {idx(m, 'f'), idx(m, 'a'), idx(m, 'f')};
    CHECK(wr_model_add_session(m, h, 3) == WR_OK);
    double got[NI];
    score(m, "f", got);
    CHECK_CLOSE(got[0], 1.2 / sqrt(2.0), 1e-6, 1e-5);
    CHECK_CLOSE(got[5], 2 / sqrt(2.0), 1e-6, 1e-5);
    CHECK_CLOSE(got[6], 1 / sqrt(2.0), 1e-6, 1e-5);
    /* the popularity fallback counts the new events: f 4 (now max), so b = 3 * 0.5 * 0.707107 / 5 */
    CHECK_CLOSE(got[1], 3 * 0.5 * (1 / sqrt(2.0)) / 5, 1e-6, 1e-5);
    wr_model_free(m);

    /* models that are not session-kNN refuse; an unfitted kNN model too */
    const char *others[] = {"pop", "itemknn", "markov"};
    for (int k = 0; k < 3; k++) {
        wr_model *o = fit(others[k], NULL);
        int one[1] = {0};
        CHECK(wr_model_add_session(o, one, 1) == WR_ERR_STATE);
        CHECK_CONTAINS(wr_last_error(ctx), others[k]);
        wr_model_free(o);
    }
    wr_model *u = NULL;
    CHECK(wr_model_new(ctx, "stan", 1, &u) == WR_OK);
    int one[1] = {0};
    CHECK(wr_model_add_session(u, one, 1) == WR_ERR_STATE);
    wr_model_free(u);
}

/* Overwrites element i of tensor name in a saved file with v (4-byte elements). */
static void poke(uint8_t *bytes, size_t len, const char *name, int i, int32_t v) {
    wr_st_file f;
    CHECK(wr__st_parse(ctx, bytes, len, "x", &f) == WR_OK);
    int found = 0;
    for (int t = 0; t < f.n; t++)
        if (!strcmp(f.t[t].name, name)) {
            memcpy(bytes + ((const uint8_t *)f.t[t].data - bytes) + 4 * (size_t)i, &v, 4);
            found = 1;
        }
    CHECK(found);
    wr__st_free(&f);
}

static void load_fails(const uint8_t *orig, size_t len, const char *tensor, int i, int32_t v, const char *msg) {
    uint8_t *b = malloc(len);
    memcpy(b, orig, len);
    poke(b, len, tensor, i, v);
    wr_model *c = (wr_model *)1;
    CHECK(wr_model_load(ctx, b, len, "tampered.safetensors", &c) == WR_ERR_FORMAT);
    CHECK_CONTAINS(wr_last_error(ctx), "tampered.safetensors");
    CHECK_CONTAINS(wr_last_error(ctx), msg);
    CHECK(c == NULL);
    free(b);
}

static void test_files(void) {
    const char *names[] = {"sknn", "vsknn", "stan", "vstan"};
    const char *sets[] = {"k", "3", "sample_size", "4", NULL};
    const char *hists[] = {"", "a", "ab", "ba", "ce", "bdc", "fg", "afffffffff", "edcba"};
    for (int k = 0; k < 4; k++) {
        wr_model *a = fit(names[k], sets), *b = NULL;
        if (k >= 2) CHECK(wr_model_set(a, "lambda_snh", "150") == WR_OK);
        /* a session added before saving is part of the file (items and counts) */
        int h[3] = {idx(a, 'g'), idx(a, 'e'), idx(a, 'g')};
        CHECK(wr_model_add_session(a, h, 3) == WR_OK);
        uint8_t *bytes = NULL;
        size_t len = 0;
        CHECK(wr_model_save(a, &bytes, &len) == WR_OK);
        CHECK(wr_model_load(ctx, bytes, len, "knn.safetensors", &b) == WR_OK);
        CHECK(b != NULL);
        if (!b) continue;
        CHECK_STR(wr_model_name(b), names[k]);
        CHECK_STR(wr_model_params_json(b), wr_model_params_json(a));
        for (int q = 0; q < 9; q++) same_scores(a, b, hists[q], 0);
        /* both keep learning the same way */
        CHECK(wr_model_add_session(a, h, 2) == WR_OK);
        CHECK(wr_model_add_session(b, h, 2) == WR_OK);
        for (int q = 0; q < 9; q++) same_scores(a, b, hists[q], 0);

        /* 6 sessions, 15 distinct items stored: ptr = 0 2 5 7 10 13 15 */
        load_fails(bytes, len, "knn.session_items", 0, 7, "knn.session_items[0] = 7 is not an item index");
        load_fails(bytes, len, "knn.session_items", 14, -1, "knn.session_items[14] = -1 is not an item index");
        load_fails(bytes, len, "knn.session_ptr", 2, 1, "knn.session_ptr is not monotonic at 1");
        load_fails(bytes, len, "knn.session_ptr", 3, 100, "knn.session_ptr is not monotonic at 3");
        load_fails(bytes, len, "knn.session_ptr", 6, 14, "knn.session_ptr does not span knn.session_items");
        load_fails(bytes, len, "knn.session_ptr", 0, -2, "knn.session_ptr does not span knn.session_items");
        /* session_time is int64: make session 1 older than session 0 (low word, little endian) */
        load_fails(bytes, len, "knn.session_time", 2, 0, "knn.session_time is not in time order at 1");
        /* truncated */
        wr_model *c = (wr_model *)1;
        CHECK(wr_model_load(ctx, bytes, len - 9, "cut.safetensors", &c) == WR_ERR_FORMAT);
        CHECK_CONTAINS(wr_last_error(ctx), "cut.safetensors");
        CHECK(c == NULL);
        wr_free(bytes);
        wr_model_free(a);
        wr_model_free(b);
    }
}

int main(void) {
    CHECK(wr_ctx_new(&ctx) == WR_OK);
    CHECK(wr_data_load(ctx, csv, strlen(csv), "csv", "tiny.csv", 0, &data) == WR_OK);
    CHECK(wr_data_n_events(data) == 15 && wr_data_n_items(data) == NI);
    test_sknn();
    test_caps();
    test_vsknn();
    test_tie_break();
    test_stan();
    test_vstan();
    test_add_session();
    test_files();
    wr_data_free(data);
    wr_ctx_free(ctx);
    TEST_END("knn");
}
