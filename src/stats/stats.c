/* stats.c: significance tests (see stats.h). Ranks with ties are found on a sorted copy by
 * binary search (the average of a tie group's positions), so no index sort is needed. */
#include <math.h>
#include <stdlib.h>

#include "stats.h"

double wr__normal_sf(double x) { return 0.5 * erfc(x / sqrt(2.0)); }
double wr__normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

/* The continued fraction of I_x(a, b) (modified Lentz), for x < (a + 1) / (a + b + 2). */
static double betacf(double a, double b, double x) {
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 1000; m++) {
        double m2 = 2.0 * m, aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + aa * d, c = 1 + aa / c;
        if (fabs(d) < tiny) d = tiny;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d, h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + aa * d, c = 1 + aa / c;
        if (fabs(d) < tiny) d = tiny;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    return h;
}

double wr__betainc(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1) / (a + b + 2)) return front * betacf(a, b, x) / a;
    return 1 - front * betacf(b, a, 1 - x) / b;
}

double wr__t_sf(double t, double df) {
    double tail = 0.5 * wr__betainc(df / 2, 0.5, df / (df + t * t));
    return t >= 0 ? tail : 1 - tail;
}

static double two_sided_t(double t, double df) {
    double p = 2 * wr__t_sf(fabs(t), df);
    return p > 1 ? 1 : p;
}

wr_test wr__ttest_paired(const double *a, const double *b, int64_t n) {
    wr_test r = {NAN, NAN, (double)n - 1};
    if (n < 2) return r;
    double mean = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) mean += a[i] - b[i];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++) ss += (a[i] - b[i] - mean) * (a[i] - b[i] - mean);
    double se = sqrt(ss / (double)(n - 1) / (double)n);
    if (se == 0) {
        if (mean == 0) r.statistic = 0, r.p = 1;
        return r;
    }
    r.statistic = mean / se;
    r.p = two_sided_t(r.statistic, r.df);
    return r;
}

static void mean_var(const double *x, int64_t n, double *mean, double *var) {
    double m = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) m += x[i];
    m /= (double)n;
    for (int64_t i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = n > 1 ? ss / (double)(n - 1) : 0;
}

wr_test wr__ttest_welch(const double *a, int64_t na, const double *b, int64_t nb) {
    if (na < 2 || nb < 2) return (wr_test){NAN, NAN, NAN};
    double ma, va, mb, vb;
    mean_var(a, na, &ma, &va);
    mean_var(b, nb, &mb, &vb);
    return wr__welch_moments(ma, va, na, mb, vb, nb);
}

wr_test wr__welch_moments(double ma, double va, int64_t na, double mb, double vb, int64_t nb) {
    wr_test r = {NAN, NAN, NAN};
    if (na < 2 || nb < 2) return r;
    double qa = va / (double)na, qb = vb / (double)nb, se = sqrt(qa + qb);
    if (se == 0) return r;
    r.statistic = (ma - mb) / se;
    r.df = (qa + qb) * (qa + qb) / (qa * qa / (double)(na - 1) + qb * qb / (double)(nb - 1));
    r.p = two_sided_t(r.statistic, r.df);
    return r;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* The average 1-based rank of v among the n sorted values s. */
static double avg_rank(const double *s, int64_t n, double v) {
    int64_t lo = 0, hi = n;
    while (lo < hi) { /* first index with s >= v */
        int64_t mid = lo + (hi - lo) / 2;
        if (s[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    int64_t first = lo;
    hi = n;
    while (lo < hi) { /* first index with s > v */
        int64_t mid = lo + (hi - lo) / 2;
        if (s[mid] <= v) lo = mid + 1;
        else hi = mid;
    }
    return (double)(first + 1 + lo) / 2; /* positions first+1 .. lo, 1-based */
}

/* Sum over tie groups of t^3 - t in the sorted values s. */
static double tie_term(const double *s, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && s[j] == s[i]) j++;
        double t = (double)(j - i);
        sum += t * t * t - t;
        i = j;
    }
    return sum;
}

wr_test wr__wilcoxon(const double *a, const double *b, int64_t n, double *work) {
    wr_test r = {NAN, NAN, NAN};
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (a[i] != b[i]) work[m++] = fabs(a[i] - b[i]);
    if (m == 0) return r;
    qsort(work, (size_t)m, sizeof *work, cmp_double);
    double plus = 0, minus = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = a[i] - b[i];
        if (d > 0) plus += avg_rank(work, m, d);
        else if (d < 0) minus += avg_rank(work, m, -d);
    }
    double N = (double)m, mean = N * (N + 1) / 4, var = (N * (N + 1) * (2 * N + 1) - 0.5 * tie_term(work, m)) / 24;
    r.statistic = plus < minus ? plus : minus;
    if (var <= 0) return r;
    double p = 2 * wr__normal_sf(fabs((r.statistic - mean) / sqrt(var)));
    r.p = p > 1 ? 1 : p;
    return r;
}

wr_test wr__mannwhitney(const double *a, int64_t na, const double *b, int64_t nb, double *work) {
    wr_test r = {NAN, NAN, NAN};
    if (na < 1 || nb < 1) return r;
    int64_t n = na + nb;
    for (int64_t i = 0; i < na; i++) work[i] = a[i];
    for (int64_t i = 0; i < nb; i++) work[na + i] = b[i];
    qsort(work, (size_t)n, sizeof *work, cmp_double);
    double R1 = 0;
    for (int64_t i = 0; i < na; i++) R1 += avg_rank(work, n, a[i]);
    double n1 = (double)na, n2 = (double)nb, N = (double)n, U1 = R1 - n1 * (n1 + 1) / 2, U2 = n1 * n2 - U1;
    double U = U1 > U2 ? U1 : U2, mu = n1 * n2 / 2;
    double var = n1 * n2 / 12 * ((N + 1) - tie_term(work, n) / (N * (N - 1)));
    r.statistic = U1;
    if (var <= 0) return r;
    double p = 2 * wr__normal_sf((U - mu - 0.5) / sqrt(var));
    r.p = p > 1 ? 1 : p < 0 ? 0 : p;
    return r;
}

void wr__holm(double *p, int m) {
    /* order by p (insertion sort: m is the number of model pairs) */
    int order[256];
    if (m > 256) m = 256;
    for (int i = 0; i < m; i++) order[i] = i;
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && p[order[j]] < p[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double running = 0, adj[256];
    for (int i = 0; i < m; i++) {
        double v = (double)(m - i) * p[order[i]];
        if (v > running) running = v;
        adj[order[i]] = running > 1 ? 1 : running;
    }
    for (int i = 0; i < m; i++) p[i] = adj[i];
}

void wr__bootstrap_ci95(const double *x, int64_t n, int B, wr_rng *rng, double *work, double *lo, double *hi) {
    double mean = 0;
    for (int64_t i = 0; i < n; i++) mean += x[i];
    mean = n ? mean / (double)n : 0;
    *lo = *hi = mean;
    if (n < 2 || B < 2) return;
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int64_t i = 0; i < n; i++) s += x[wr__rng_below(rng, (uint32_t)n)];
        work[b] = s / (double)n;
    }
    qsort(work, (size_t)B, sizeof *work, cmp_double);
    double q[2] = {0.025, 0.975}, *out[2] = {lo, hi};
    for (int k = 0; k < 2; k++) { /* numpy's linear interpolation between order statistics */
        double pos = q[k] * (B - 1);
        int i = (int)pos;
        *out[k] = i + 1 < B ? work[i] + (pos - i) * (work[i + 1] - work[i]) : work[i];
    }
}

double wr__msprt_ratio(double z, double n_eff, double tau) {
    double v = n_eff * tau * tau;
    return sqrt(1 / (1 + v)) * exp(z * z * v / (2 * (1 + v)));
}
