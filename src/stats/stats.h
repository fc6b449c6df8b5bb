/* stats.h: the significance tests an offline comparison or a simulated experiment needs, as
 * scipy.stats computes them (tests/stats/scipy_ref.py writes the expected values the C tests
 * check). Every p-value is two-sided. */
#ifndef WR_STATS_H
#define WR_STATS_H

#include <stdint.h>

#include "../core/core.h"

/* Standard normal CDF and its upper tail (accurate in the far tail too). */
double wr__normal_cdf(double x);
double wr__normal_sf(double x);
/* Student's t upper tail P(T > t) with df degrees of freedom (df > 0, not necessarily whole). */
double wr__t_sf(double t, double df);
/* Regularised incomplete beta I_x(a, b). */
double wr__betainc(double a, double b, double x);

typedef struct {
    double statistic, p, df; /* df: the t tests only */
} wr_test;

/* Paired t-test of a[i] - b[i] (scipy.stats.ttest_rel). n < 2 or zero variance: p = NaN, or 1
 * when every difference is 0. */
wr_test wr__ttest_paired(const double *a, const double *b, int64_t n);
/* Welch's t-test of two independent samples (scipy.stats.ttest_ind(equal_var=False)). */
wr_test wr__ttest_welch(const double *a, int64_t na, const double *b, int64_t nb);
/* The same test from each sample's mean, variance (n - 1 in the denominator) and size. */
wr_test wr__welch_moments(double ma, double va, int64_t na, double mb, double vb, int64_t nb);
/* Wilcoxon signed-rank test of a[i] - b[i]: zero differences dropped, average ranks for ties,
 * the normal approximation with the tie correction and no continuity correction
 * (scipy.stats.wilcoxon(mode="approx")); the statistic is the smaller rank sum. Needs n scratch
 * doubles. */
wr_test wr__wilcoxon(const double *a, const double *b, int64_t n, double *work);
/* Mann-Whitney U test of two independent samples: average ranks for ties, the normal
 * approximation with the tie correction and the continuity correction
 * (scipy.stats.mannwhitneyu(method="asymptotic")); the statistic is U of a. Needs na + nb
 * scratch doubles. */
wr_test wr__mannwhitney(const double *a, int64_t na, const double *b, int64_t nb, double *work);
/* Holm's step-down adjustment of m p-values in place (statsmodels' multipletests("holm")). */
void wr__holm(double *p, int m);
/* Percentile bootstrap 95% interval of the mean of x (n values, resampled B times with rng);
 * lo = hi = the mean when n < 2. Needs B scratch doubles. */
void wr__bootstrap_ci95(const double *x, int64_t n, int B, wr_rng *rng, double *work, double *lo, double *hi);

/* The mixture sequential probability ratio of a difference of two means (Johari et al., "Always
 * valid inference", 2017): z = diff / its standard error, n_eff = 1 / (1/na + 1/nb), and a
 * N(0, tau^2) prior on the effect in units of the per-observation standard deviation:
 * sqrt(1 / (1 + n_eff tau^2)) exp(z^2 n_eff tau^2 / (2 (1 + n_eff tau^2))). Rejecting the first
 * time it reaches 1/alpha keeps the false-positive rate under alpha however often it is checked. */
double wr__msprt_ratio(double z, double n_eff, double tau);

#endif
