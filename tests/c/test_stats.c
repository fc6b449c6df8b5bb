/* test_stats.c: src/stats against scipy.stats (tests/stats/scipy_ref.py wrote stats_ref.h):
 * paired and Welch t-tests, Wilcoxon signed-rank and Mann-Whitney U with ties, the t and normal
 * tails, the incomplete beta, Holm's adjustment; and the bootstrap interval on a case whose answer
 * is known. */
#include <math.h>
#include <stdlib.h>

#include "../../src/stats/stats.h"
#include "check.h"
#include "stats_ref.h"

#define REL(x, want) CHECK_CLOSE((x), (want), 1e-9, 1e-9)

int main(void) {
    /* mSPRT ratio: z = 3, n_eff = 100, tau = 0.1 (so n_eff tau^2 = 1) is sqrt(1/2) e^(9/4); no
     * evidence (z = 0) gives less than 1, and it grows with z */
    REL(wr__msprt_ratio(3, 100, 0.1), 6.70884234799573);
    CHECK(wr__msprt_ratio(0, 100, 0.1) < 1);
    CHECK(wr__msprt_ratio(4, 100, 0.1) > wr__msprt_ratio(3, 100, 0.1));
    double work[600];
    for (size_t c = 0; c < sizeof ref_cases / sizeof ref_cases[0]; c++) {
        const ref_case *r = &ref_cases[c];
        wr_test t = wr__ttest_paired(r->a, r->b, r->n);
        REL(t.statistic, r->t);
        REL(t.p, r->t_p);
        wr_test w = wr__ttest_welch(r->a, r->n, r->b, r->n);
        REL(w.statistic, r->welch);
        REL(w.p, r->welch_p);
        REL(w.df, r->welch_df);
        wr_test x = wr__wilcoxon(r->a, r->b, r->n, work);
        REL(x.statistic, r->wilcoxon);
        REL(x.p, r->wilcoxon_p);
        wr_test u = wr__mannwhitney(r->a, r->n, r->b, r->n, work);
        REL(u.statistic, r->mwu);
        REL(u.p, r->mwu_p);
    }
    for (size_t i = 0; i < sizeof ref_t_sf / sizeof ref_t_sf[0]; i++) REL(wr__t_sf(ref_t_sf[i][0], ref_t_sf[i][1]), ref_t_sf[i][2]);
    for (size_t i = 0; i < sizeof ref_norm_sf / sizeof ref_norm_sf[0]; i++) REL(wr__normal_sf(ref_norm_sf[i][0]), ref_norm_sf[i][1]);
    for (size_t i = 0; i < sizeof ref_betainc / sizeof ref_betainc[0]; i++)
        REL(wr__betainc(ref_betainc[i][0], ref_betainc[i][1], ref_betainc[i][2]), ref_betainc[i][3]);
    double p[5];
    for (int i = 0; i < 5; i++) p[i] = ref_holm_in[i];
    wr__holm(p, 5);
    for (int i = 0; i < 5; i++) REL(p[i], ref_holm_out[i]);

    /* identical samples: no difference to test */
    double same[3] = {1, 2, 3};
    wr_test z = wr__ttest_paired(same, same, 3);
    CHECK(z.p == 1 && z.statistic == 0);
    CHECK(isnan(wr__wilcoxon(same, same, 3, work).p));

    /* bootstrap: a constant sample has a zero-width interval; 0/1 values with mean 0.3 over 2000
     * users have the binomial interval 0.3 +- 1.96 sqrt(0.21 / 2000) = [0.280, 0.320] */
    static double x01[2000], boot[2000];
    wr_rng rng;
    wr__rng_seed(&rng, 1);
    double lo, hi;
    for (int i = 0; i < 2000; i++) x01[i] = 0.25;
    wr__bootstrap_ci95(x01, 2000, 500, &rng, boot, &lo, &hi);
    CHECK(lo == 0.25 && hi == 0.25);
    for (int i = 0; i < 2000; i++) x01[i] = i % 10 < 3;
    wr__bootstrap_ci95(x01, 2000, 2000, &rng, boot, &lo, &hi);
    CHECK_CLOSE(lo, 0.3 - 1.96 * sqrt(0.21 / 2000), 0.003, 0);
    CHECK_CLOSE(hi, 0.3 + 1.96 * sqrt(0.21 / 2000), 0.003, 0);
    TEST_END("stats");
}
