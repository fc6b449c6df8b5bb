/* experiment.c: comparing trained models offline (wr_compare: intervals, paired tests, Holm)
 * and in a simulated online test (wr_experiment: A/B, interleaving, A/A with peeking). What the
 * CLI's compare and experiment commands print, and the binding's engine.compare/experiment. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../models/model.h"
#include "../stats/stats.h"
#include "metrics.h"
#include "split.h"

/* compare (wasmrec.h): per model each metric's mean with a bootstrap 95% interval over the test
 * queries, per pair the mean paired difference with its interval, the paired t-test and Wilcoxon
 * signed-rank p-values, and Holm's correction across the pairs (per metric). */
int wr_compare(wr_model *const *m, int n_models, const wr_split *split, int K, int exclude_seen, uint64_t seed, char **out_json,
               char **out_csv) {
    wr_ctx *ctx = n_models > 0 && m && m[0] ? m[0]->ctx : NULL;
    if (out_json) *out_json = NULL;
    if (out_csv) *out_csv = NULL;
    if (!m || !split || !out_json || n_models < 2 || n_models > WR_MAX_ARMS)
        return wr__err(ctx, WR_ERR_ARG, "wr_compare: two to %d trained models, a split and out_json are required", WR_MAX_ARMS);
    if (K < 1) return wr__err(ctx, WR_ERR_ARG, "k must be a positive integer, got %d", K);
    const wr_data *d = split->data;
    double *per[WR_MAX_ARMS] = {NULL};
    int32_t *users[WR_MAX_ARMS] = {NULL};
    int64_t nq[WR_MAX_ARMS] = {0};
    int rc = WR_OK, B = 1000;
    int64_t cap = split->part ? split->n_part[WR_PART_TEST] : d->users.n;
    for (int a = 0; rc == WR_OK && a < n_models; a++) {
        if (!m[a] || !m[a]->fitted) {
            rc = wr__err(ctx, WR_ERR_STATE, "compare: model %d is not trained", a);
            break;
        }
        per[a] = wr__malloc((size_t)cap * 3 * sizeof(double) + 8), users[a] = wr__malloc((size_t)cap * sizeof(int32_t) + 4);
        if (!per[a] || !users[a]) {
            rc = wr__oom(ctx, "comparing");
            break;
        }
        wr_metrics full = {.per = per[a], .per_user = users[a], .per_cap = cap};
        int seen = wr__resolve_seen(m[a], exclude_seen, -1, NULL, 0);
        if ((rc = wr__eval_ranking(m[a], split, WR_SPLIT_TEST, K, seen, &full))) break;
        nq[a] = full.users < cap ? full.users : cap;
        if (a && (nq[a] != nq[0] || memcmp(users[a], users[0], (size_t)nq[0] * sizeof(int32_t))))
            rc = wr__err(ctx, WR_ERR_STATE, "compare: %s was evaluated on other queries than %s", wr_model_name(m[a]), wr_model_name(m[0]));
    }
    wr_buf b = {0};
    int64_t n = nq[0];
    double *x = rc == WR_OK ? wr__malloc((size_t)(n + 1) * 3 * sizeof(double)) : NULL, *work = rc == WR_OK ? wr__malloc((size_t)(n + B + 1) * sizeof(double)) : NULL;
    if (rc == WR_OK && (!x || !work)) rc = wr__oom(ctx, "comparing");
    static const char *const names[3] = {"HR", "NDCG", "MRR"};
    if (rc == WR_OK) {
        wr_rng rng;
        wr__rng_seed(&rng, seed);
        wr__buf_printf(&b, "{\"eval\":\"%s\",\"queries\":%lld,\"bootstrap\":{\"resamples\":%d,\"seed\":%lld},\"models\":[", wr__split_name(split->kind), (long long)n, B, (long long)seed);
        for (int a = 0; a < n_models; a++) {
            wr__buf_printf(&b, "%s{\"model\":\"%s\",\"arm\":%d,\"test\":{", a ? "," : "", wr_model_name(m[a]), a);
            for (int k = 0; k < 3; k++) {
                double sum = 0, lo, hi;
                for (int64_t i = 0; i < n; i++) x[i] = per[a][3 * i + k], sum += x[i];
                wr__bootstrap_ci95(x, n, B, &rng, work, &lo, &hi);
                wr__buf_printf(&b, "%s\"%s@%d\":{\"mean\":", k ? "," : "", names[k], K);
                wr__buf_json_num(&b, n ? sum / n : 0);
                wr__buf_puts(&b, ",\"ci95\":[");
                wr__buf_json_num(&b, lo), wr__buf_puts(&b, ","), wr__buf_json_num(&b, hi);
                wr__buf_puts(&b, "]}");
            }
            wr__buf_puts(&b, "}}");
        }
        wr__buf_puts(&b, "],\"pairs\":[");
        int npairs = n_models * (n_models - 1) / 2;
        double holm[3][WR_MAX_ARMS * WR_MAX_ARMS];
        for (int k = 0; k < 3; k++) { /* Holm across the pairs, per metric */
            int q = 0;
            for (int a = 0; a < n_models; a++)
                for (int c = a + 1; c < n_models; c++, q++) {
                    double *xa = x, *xc = x + n;
                    for (int64_t i = 0; i < n; i++) xa[i] = per[a][3 * i + k], xc[i] = per[c][3 * i + k];
                    holm[k][q] = wr__ttest_paired(xa, xc, n).p;
                }
            wr__holm(holm[k], npairs);
        }
        int first = 1;
        for (int k = 0; k < 3; k++) {
            int q = 0;
            for (int a = 0; a < n_models; a++)
                for (int c = a + 1; c < n_models; c++, q++) {
                    double *xa = x, *xc = x + n, *dd = x + 2 * n, sum = 0, lo, hi;
                    for (int64_t i = 0; i < n; i++) xa[i] = per[a][3 * i + k], xc[i] = per[c][3 * i + k], dd[i] = xa[i] - xc[i], sum += dd[i];
                    wr_test t = wr__ttest_paired(xa, xc, n), w = wr__wilcoxon(xa, xc, n, work);
                    wr__bootstrap_ci95(dd, n, B, &rng, work, &lo, &hi);
                    wr__buf_printf(&b, "%s{\"a\":\"%s\",\"b\":\"%s\",\"metric\":\"%s@%d\",\"diff\":", first ? "" : ",", wr_model_name(m[a]), wr_model_name(m[c]), names[k], K);
                    first = 0;
                    wr__buf_json_num(&b, n ? sum / n : 0);
                    wr__buf_puts(&b, ",\"ci95\":[");
                    wr__buf_json_num(&b, lo), wr__buf_puts(&b, ","), wr__buf_json_num(&b, hi);
                    wr__buf_puts(&b, "],\"paired_t_p\":");
                    if (t.p == t.p) wr__buf_json_num(&b, t.p);
                    else wr__buf_puts(&b, "null");
                    wr__buf_puts(&b, ",\"wilcoxon_p\":");
                    if (w.p == w.p) wr__buf_json_num(&b, w.p);
                    else wr__buf_puts(&b, "null");
                    wr__buf_puts(&b, ",\"holm_p\":");
                    if (holm[k][q] == holm[k][q]) wr__buf_json_num(&b, holm[k][q]);
                    else wr__buf_puts(&b, "null");
                    wr__buf_puts(&b, "}");
                }
        }
        wr__buf_puts(&b, "]}\n");
        if (b.failed) rc = wr__oom(ctx, "comparing");
    }
    if (rc == WR_OK && out_csv) { /* user,arm,HR@10,NDCG@10,MRR@10 */
        wr_buf c = {0};
        wr__buf_printf(&c, "user,arm,HR@%d,NDCG@%d,MRR@%d\n", K, K, K);
        for (int a = 0; a < n_models; a++)
            for (int64_t i = 0; i < n; i++) {
                wr__buf_csv(&c, d->users.keys[users[a][i]]);
                wr__buf_printf(&c, ",%d,%.9g,%.9g,%.9g\n", a, per[a][3 * i], per[a][3 * i + 1], per[a][3 * i + 2]);
            }
        if (c.failed) {
            wr__buf_free(&c);
            rc = wr__oom(ctx, "writing per-user values");
        } else {
            *out_csv = wr__buf_take(&c, NULL);
        }
    }
    if (rc == WR_OK && !(*out_json = wr__buf_take(&b, NULL))) rc = wr__oom(ctx, "comparing");
    wr__buf_free(&b);
    free(x), free(work);
    for (int a = 0; a < n_models; a++) free(per[a]), free(users[a]);
    if (rc && out_csv) {
        free(*out_csv);
        *out_csv = NULL;
    }
    return rc;
}

/* Does the user click the target at 0-based position r of a list? next: whenever it is there;
 * position: with probability 1/log2(r + 2), the usual examination discount. */
static int clicks(int r, int position, wr_rng *rng) {
    if (r < 0) return 0;
    return !position || wr__rng_float(rng) < (float)(0.69314718055994530942 / wr__log((double)r + 2.0));
}

/* Two-proportion sample size per arm for 80% power at alpha 0.05 (two-sided); -1 without effect. */
static double ab_users(double p1, double p2) {
    double d = p1 - p2, za = 1.959963984540054, zb = 0.8416212335729143;
    return d == 0 ? -1 : (za + zb) * (za + zb) * (p1 * (1 - p1) + p2 * (1 - p2)) / (d * d);
}

/* Two-sided sign test on w wins against l losses (exact binomial, ties dropped). */
static double sign_test(int64_t w, int64_t l) {
    int64_t n = w + l, k = w < l ? w : l;
    if (n == 0) return 1;
    double tail = k == n ? 1 : wr__betainc((double)(n - k), (double)k + 1, 0.5); /* P(X <= k), X ~ Bin(n, 1/2) */
    return tail * 2 > 1 ? 1 : tail * 2;
}

/* Welch's p of two 0/1 samples from their click counts s and sizes n (the mean s/n, the
 * variance s(1-m)^2 + (n-s)m^2 over n-1): NaN when both variances are 0, as wr__ttest_welch. */
static double welch_p01(double s0, int64_t n0, double s1, int64_t n1) {
    const double m0 = s0 / (double)n0, m1 = s1 / (double)n1;
    const double v0 = (s0 * (1 - m0) * (1 - m0) + ((double)n0 - s0) * m0 * m0) / (double)(n0 - 1);
    const double v1 = (s1 * (1 - m1) * (1 - m1) + ((double)n1 - s1) * m1 * m1) / (double)(n1 - 1);
    return wr__welch_moments(m0, v0, n0, m1, v1, n1).p;
}

static void json_p(wr_buf *b, const char *key, double p) {
    wr__buf_printf(b, ",\"%s\":", key);
    if (p == p) wr__buf_json_num(b, p);
    else wr__buf_puts(b, "null");
}

/* One user's team-draft interleaving of lists la and lb (k each, -1 = none): mix and the team
 * (0 or 1) of each position; returns the length. The team with fewer picks goes next, a coin flip
 * when even; each takes its best item not yet in the mix. */
static int team_draft(const int *la, const int *lb, int k, wr_rng *rng, int *mix, int *team) {
    int nm = 0, at[2] = {0, 0}, picks[2] = {0, 0};
    const int *lists[2] = {la, lb};
    while (nm < k) {
        int turn = picks[0] < picks[1] ? 0 : picks[1] < picks[0] ? 1 : (int)wr__rng_below(rng, 2), added = 0;
        for (int tries = 0; tries < 2 && !added; tries++, turn ^= 1)
            while (at[turn] < k && lists[turn][at[turn]] >= 0 && !added) {
                int it = lists[turn][at[turn]++], dup = 0;
                for (int j = 0; j < nm; j++) dup |= mix[j] == it;
                if (!dup) mix[nm] = it, team[nm++] = turn, picks[turn]++, added = 1;
            }
        if (!added) break;
    }
    return nm;
}

/* experiment (wasmrec.h): a and b trained on data's leave-one-out training part; each held-out
 * user's history is every event before their last, the last is what they want next, and each
 * model serves its top k. (a) A/B: users to arms at random, a click when the target is in the
 * arm's list (position: examined by rank, with probability 1/log2(rank + 2)), and Welch's p
 * after every 100 arrivals (p_by_users, from the click counts; no random draws); (b) team-draft
 * interleaving on every user; (c) A/A: model a in both arms over 1000 random splits, a
 * fixed-horizon test against a look after every 100 users that stops at the first p < 0.05. */
int wr_experiment(wr_model *ma, wr_model *mb, const wr_data *d, int K, int exclude_seen, int position, uint64_t seed, char **out_json) {
    wr_ctx *ctx = ma ? ma->ctx : NULL;
    if (out_json) *out_json = NULL;
    if (!ma || !mb || !d || !out_json) return wr__err(ctx, WR_ERR_ARG, "wr_experiment: two trained models, data and out_json are required");
    if (!ma->fitted || !mb->fitted) return wr__err(ctx, WR_ERR_STATE, "experiment: both models must be trained");
    if (K < 1) return wr__err(ctx, WR_ERR_ARG, "k must be a positive integer, got %d", K);
    wr_model *m[2] = {ma, mb};
    /* each test user's two lists and the target's position in each (-1: not there) */
    int nu = d->users.n, n = 0, rc = WR_OK;
    int64_t maxlen = 0;
    for (int u = 0; u < nu; u++) maxlen = d->user_start[u + 1] - d->user_start[u] > maxlen ? d->user_start[u + 1] - d->user_start[u] : maxlen;
    int *pos[2] = {wr__malloc((size_t)nu * sizeof(int) + 4), wr__malloc((size_t)nu * sizeof(int) + 4)};
    int *lists = wr__malloc((size_t)nu * 2 * K * sizeof(int) + 4), *hist = wr__malloc((size_t)maxlen * sizeof(int) + 4);
    int *target = wr__malloc((size_t)nu * sizeof(int) + 4), *mix = wr__malloc((size_t)K * sizeof(int) + 4), *team = wr__malloc((size_t)K * sizeof(int) + 4);
    float *sc = wr__malloc((size_t)K * sizeof(float) + 4);
    double *x[2] = {wr__malloc((size_t)nu * sizeof(double) + 8), wr__malloc((size_t)nu * sizeof(double) + 8)};
    double *work = wr__malloc((size_t)2 * nu * sizeof(double) + 8);
    if (rc == WR_OK && (!pos[0] || !pos[1] || !lists || !hist || !target || !mix || !team || !sc || !x[0] || !x[1] || !work))
        rc = wr__oom(ctx, "the experiment");
    for (int u = 0; rc == WR_OK && u < nu; u++) {
        int64_t b = d->user_start[u], len = d->user_start[u + 1] - b;
        if (len < 3) continue;
        for (int64_t t = 0; t < len - 1; t++) hist[t] = d->seq[b + t];
        target[n] = d->seq[b + len - 1];
        for (int a = 0; rc == WR_OK && a < 2; a++) {
            int got = 0, *l = lists + ((size_t)n * 2 + a) * K;
            int mu = wr_model_n_users(m[a]) ? wr_model_user_index(m[a], d->users.keys[u]) : -1;
            rc = wr_model_recommend(m[a], mu, hist, (int)(len - 1), K, exclude_seen, l, sc, &got);
            for (int r = got; r < K; r++) l[r] = -1;
            pos[a][n] = -1;
            for (int r = 0; r < got; r++)
                if (l[r] == target[n]) pos[a][n] = r;
        }
        n++;
    }
    wr_buf b = {0};
    if (rc == WR_OK) {
        wr_rng rng;
        wr__rng_seed(&rng, seed);
        /* (a) A/B */
        int64_t cnt[2] = {0, 0};
        double clk[2] = {0, 0}, ctr[2];
        wr_buf pb = {0}; /* "p_by_users": Welch's p after every 100 arrivals (the peeking view) */
        for (int i = 0; i < n; i++) {
            int a = (int)wr__rng_below(&rng, 2), c = clicks(pos[a][i], position, &rng);
            x[a][cnt[a]++] = c, clk[a] += c;
            if ((i + 1) % 100 || cnt[0] < 2 || cnt[1] < 2) continue;
            double p = i + 1 == n ? wr__ttest_welch(x[0], cnt[0], x[1], cnt[1]).p : welch_p01(clk[0], cnt[0], clk[1], cnt[1]);
            wr__buf_printf(&pb, "%s[%d,", pb.len ? "," : "", i + 1);
            if (p == p) wr__buf_json_num(&pb, p);
            else wr__buf_puts(&pb, "null");
            wr__buf_puts(&pb, "]");
        }
        wr__buf_printf(&b, "{\"users\":%d,\"click\":\"%s\",\"k\":%d,\"seed\":%lld,\"ab\":{\"arms\":[", n, position ? "position" : "next", K, (long long)seed);
        for (int a = 0; a < 2; a++) {
            ctr[a] = cnt[a] ? clk[a] / (double)cnt[a] : 0;
            double half = cnt[a] ? 1.959963984540054 * sqrt(ctr[a] * (1 - ctr[a]) / (double)cnt[a]) : 0;
            wr__buf_printf(&b, "%s{\"model\":\"%s\",\"users\":%lld,\"clicks\":%.0f,\"ctr\":", a ? "," : "", wr_model_name(m[a]), (long long)cnt[a], clk[a]);
            wr__buf_json_num(&b, ctr[a]);
            wr__buf_puts(&b, ",\"ci95\":[");
            wr__buf_json_num(&b, ctr[a] - half > 0 ? ctr[a] - half : 0), wr__buf_puts(&b, ","), wr__buf_json_num(&b, ctr[a] + half < 1 ? ctr[a] + half : 1);
            wr__buf_puts(&b, "]}");
        }
        wr__buf_puts(&b, "]");
        json_p(&b, "welch_p", wr__ttest_welch(x[0], cnt[0], x[1], cnt[1]).p);
        json_p(&b, "mannwhitney_p", wr__mannwhitney(x[0], cnt[0], x[1], cnt[1], work).p);
        double need = ab_users(ctr[0], ctr[1]);
        wr__buf_puts(&b, ",\"users_for_80_power\":");
        if (need > 0) wr__buf_printf(&b, "%.0f", 2 * ceil(need));
        else wr__buf_puts(&b, "null");
        wr__buf_puts(&b, ",\"p_by_users\":[");
        if (pb.len) wr__buf_append(&b, pb.data, pb.len);
        wr__buf_puts(&b, "]");
        if (pb.failed) b.failed = 1;
        wr__buf_free(&pb);
        /* (b) team-draft interleaving: the team of the clicked item wins the user */
        int64_t wins[2] = {0, 0}, ties = 0;
        for (int i = 0; i < n; i++) {
            const int *la = lists + (size_t)i * 2 * K;
            int nm = team_draft(la, la + K, K, &rng, mix, team), r = -1;
            for (int j = 0; j < nm; j++)
                if (mix[j] == target[i]) r = j;
            if (clicks(r, position, &rng)) wins[team[r]]++;
            else ties++;
        }
        int64_t decided = wins[0] + wins[1];
        double pw = decided ? (double)wins[0] / (double)decided : 0.5, tie_share = n ? (double)ties / n : 1;
        wr__buf_printf(&b, "},\"interleaving\":{\"wins_a\":%lld,\"wins_b\":%lld,\"ties\":%lld", (long long)wins[0], (long long)wins[1], (long long)ties);
        json_p(&b, "p", sign_test(wins[0], wins[1]));
        wr__buf_puts(&b, ",\"users_for_80_power\":");
        if (pw != 0.5 && tie_share < 1) { /* a one-sample proportion test on the decided users, over the ties */
            double za = 1.959963984540054, zb = 0.8416212335729143, e = pw - 0.5;
            double nd = pow((za * 0.5 + zb * sqrt(pw * (1 - pw))) / e, 2);
            wr__buf_printf(&b, "%.0f", ceil(nd / (1 - tie_share)));
        } else {
            wr__buf_puts(&b, "null");
        }
        /* (c) A/A with peeking: Welch's test checked after every 100 users, against the same checks
         * of an always-valid test (mSPRT, a prior of 0.1 standard deviations on the effect). */
        int runs = 1000, fixed = 0, peek = 0, seq = 0;
        for (int run = 0; run < runs; run++) {
            int64_t c2[2] = {0, 0};
            double clicked[2] = {0, 0};
            int stopped = 0, seq_stopped = 0;
            for (int i = 0; i < n; i++) {
                int a = (int)wr__rng_below(&rng, 2);
                clicked[a] += x[a][c2[a]++] = clicks(pos[0][i], position, &rng);
                if ((i + 1) % 100 || c2[0] < 2 || c2[1] < 2) continue;
                if (!stopped && wr__ttest_welch(x[0], c2[0], x[1], c2[1]).p < 0.05) stopped = 1;
                double m0 = clicked[0] / c2[0], m1 = clicked[1] / c2[1], pooled = (clicked[0] + clicked[1]) / (c2[0] + c2[1]);
                double n_eff = 1 / (1.0 / c2[0] + 1.0 / c2[1]), var = pooled * (1 - pooled); /* clicks are 0/1 */
                if (!seq_stopped && var > 0 && wr__msprt_ratio((m1 - m0) * sqrt(n_eff / var), n_eff, 0.1) >= 1 / 0.05) seq_stopped = 1;
            }
            double p = wr__ttest_welch(x[0], c2[0], x[1], c2[1]).p;
            fixed += p < 0.05;
            peek += stopped || p < 0.05;
            seq += seq_stopped;
        }
        wr__buf_printf(&b, "},\"aa\":{\"runs\":%d,\"fixed_horizon_rejections\":", runs);
        wr__buf_json_num(&b, (double)fixed / runs);
        wr__buf_puts(&b, ",\"peeking_every_100_rejections\":");
        wr__buf_json_num(&b, (double)peek / runs);
        wr__buf_puts(&b, ",\"msprt_every_100_rejections\":");
        wr__buf_json_num(&b, (double)seq / runs);
        wr__buf_puts(&b, "}}\n");
        if (b.failed) rc = wr__oom(ctx, "the experiment");
    }
    if (rc == WR_OK && !(*out_json = wr__buf_take(&b, NULL))) rc = wr__oom(ctx, "the experiment");
    wr__buf_free(&b);
    free(pos[0]), free(pos[1]), free(lists), free(hist), free(target), free(mix), free(team), free(sc), free(x[0]), free(x[1]), free(work);
    return rc;
}
