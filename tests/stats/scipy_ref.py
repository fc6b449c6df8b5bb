#!/usr/bin/python3
"""Writes tests/c/stats_ref.h: inputs and scipy.stats's answers for src/stats (test_stats.c
checks them). Needs Debian's python3-scipy; the header is committed so the tests run without it.
Run from the repo root: /usr/bin/python3 tests/stats/scipy_ref.py > tests/c/stats_ref.h"""
import numpy as np
import scipy
from scipy import special, stats

rng = np.random.default_rng(7)
# per-user metric values look like this: many zeros, a few distinct levels, so ties everywhere
levels = np.array([0, 0, 0, 0, 1 / np.log2(3), 0.5, 1 / np.log2(5), 1])
cases = [
    ("ties", rng.choice(levels, 300), rng.choice(levels, 300)),
    ("shift", rng.normal(0.3, 1, 40), rng.normal(0, 1, 40)),
    ("small", np.array([1.0, 2, 3, 4, 5, 6, 7]), np.array([1.5, 2, 2, 5, 9, 6, 8])),
    ("skewed", rng.exponential(1, 120), rng.exponential(1.4, 120)),
]

def arr(name, x):
    return "static const double %s[%d] = {%s};" % (name, len(x), ", ".join(repr(float(v)) for v in x))

print("/* stats_ref.h: written by tests/stats/scipy_ref.py with scipy %s; do not edit. */" % scipy.__version__)
rows = []
for name, a, b in cases:
    print(arr("ref_%s_a" % name, a))
    print(arr("ref_%s_b" % name, b))
    t = stats.ttest_rel(a, b)
    w = stats.ttest_ind(a, b, equal_var=False)
    welch_df = (a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)) ** 2 / (
        (a.var(ddof=1) / len(a)) ** 2 / (len(a) - 1) + (b.var(ddof=1) / len(b)) ** 2 / (len(b) - 1))
    x = stats.wilcoxon(a, b, zero_method="wilcox", correction=False, mode="approx")
    u = stats.mannwhitneyu(a, b, use_continuity=True, alternative="two-sided", method="asymptotic")
    rows.append('{"%s", ref_%s_a, ref_%s_b, %d, %r, %r, %r, %r, %r, %r, %r, %r, %r}' % (
        name, name, name, len(a), t.statistic, t.pvalue, w.statistic, w.pvalue, welch_df,
        x.statistic, x.pvalue, u.statistic, u.pvalue))
print("typedef struct { const char *name; const double *a, *b; int n; double t, t_p, welch, welch_p, welch_df, "
      "wilcoxon, wilcoxon_p, mwu, mwu_p; } ref_case;")
print("static const ref_case ref_cases[] = {\n    %s,\n};" % ",\n    ".join(rows))
# distributions
dist = []
for tv, df in [(0.5, 3), (2.0, 10), (-1.3, 7.5), (4.0, 299), (8.0, 40), (0.0, 1)]:
    dist.append("{%r, %r, %r}" % (tv, df, stats.t.sf(tv, df)))
print("static const double ref_t_sf[][3] = {%s};" % ", ".join(dist))
norm = ["{%r, %r}" % (z, stats.norm.sf(z)) for z in [-2.0, 0.0, 1.959963984540054, 5.0, 9.0]]
print("static const double ref_norm_sf[][2] = {%s};" % ", ".join(norm))
beta = ["{%r, %r, %r, %r}" % (aa, bb, xx, special.betainc(aa, bb, xx))
        for aa, bb, xx in [(0.5, 0.5, 0.3), (2, 3, 0.4), (10, 0.5, 0.9), (150, 0.5, 0.99)]]
print("static const double ref_betainc[][4] = {%s};" % ", ".join(beta))
# Holm from its definition (statsmodels' multipletests("holm") is not on Debian 12's python3)
p = np.array([0.01, 0.04, 0.03, 0.005, 0.2])
order = np.argsort(p)
adj = np.empty_like(p)
running = 0
for i, j in enumerate(order):
    running = max(running, (len(p) - i) * p[j])
    adj[j] = min(1, running)
print(arr("ref_holm_in", p))
print(arr("ref_holm_out", adj))
