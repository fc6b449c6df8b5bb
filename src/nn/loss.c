/* loss.c: the training losses of the sequence models. Each scores rows independently, returns
 * the sum of its rows' losses (in double) and accumulates scale * d(sum)/d(logits) into dlogits
 * (when not NULL), so callers can chunk rows and choose the mean (scale = 1 / rows). */
#include <math.h>

#include "../core/core.h"
#include "../kernels/kernels.h"
#include "nn.h"

// ----------------------------------------------------------------------------
// softmax cross-entropy (full, and sampled with the log-Q correction)

/* Softmax of z (J) times scale into p (p may be z: scale is then the gradient's) and
 * -log softmax(z)[target], from that probability itself unless it underflowed (a logit ~70 below
 * the best): then lse - z[target] with lse = max z - log max p, exact because max p >= 1/J never
 * underflows. */
static double softmax_nll(float *p, const float *z, int target, int J, float scale) {
    const double zt = z[target]; // read before an in-place softmax overwrites it
    float pt, pmax;
    const double zmax = wr_softmax_scaled(p, z, J, scale, target, &pt, &pmax);
    if (pt >= 1e-30f) return -wr__log((double)pt);
    return zmax - wr__log((double)pmax) - zt;
}

typedef struct {
    float *dlogits, *probs;
    const float *logits;
    const int32_t *target;
    int ignore, J;
    float scale;
    double *loss; /* per row of the block */
} ce_job;

static void ce_rows(void *arg, int lo, int hi) {
    const ce_job *c = arg;
    const int J = c->J;
    for (int i = lo; i < hi; i++) {
        if (c->target[i] == c->ignore) continue;
        const float *z = c->logits + (size_t)i * J;
        float *p = c->probs + (size_t)i * J, *dz = c->dlogits ? c->dlogits + (size_t)i * J : NULL;
        // d/dz (-log softmax(z)[y]) = p - onehot(y); in place, the row becomes its gradient
        c->loss[i] = softmax_nll(p, z, c->target[i], J, dz == p ? c->scale : 1.0f);
        if (dz && dz != p) wr_axpy(dz, c->scale, p, J);
        if (dz) dz[c->target[i]] -= c->scale;
    }
}

/* Rows in blocks: the threads take a block's rows, then its losses are summed in row order, so
 * the total has the same bits for every number of threads. */
#define CE_BLOCK 256

double wr_ce_loss(float *dlogits, float *probs, const float *logits, const int32_t *target,
                  int ignore, float scale, int N, int J) {
    // dlogits (N,J) or NULL, probs (N,J), logits (N,J), target (N)
    double total = 0.0, loss[CE_BLOCK];
    for (int i0 = 0; i0 < N; i0 += CE_BLOCK) {
        const int n = N - i0 < CE_BLOCK ? N - i0 : CE_BLOCK;
        const size_t off = (size_t)i0 * J;
        ce_job c = {dlogits ? dlogits + off : NULL, probs + off, logits + off, target + i0, ignore, J, scale, loss};
        wr__parallel_for(n, 1, 8.0 * n * J, ce_rows, &c);
        for (int i = 0; i < n; i++)
            if (target[i0 + i] != ignore) total += loss[i];
    }
    return total;
}

/* Why SUBTRACT log q: the sampled softmax stands in for the full one, whose denominator sums
 * exp(s_j) over all items. Negatives drawn with probability q_j appear in the sample about
 * K q_j times, so popular items are over-represented; weighting each sampled term by 1 / (K q_j)
 * (importance sampling) makes the sampled denominator an unbiased estimate of the full sum, and
 * exp(s_j) / (K q_j) = exp(s_j - log(K q_j)). Adding log q instead (the sign one published
 * library shipped) squares the bias: popular negatives get pushed down even harder, and the
 * model learns to under-score popular items. The test checks the direction against the full
 * softmax by Monte Carlo. */
double wr_sampled_softmax_loss(float *dlogits, float *probs, const float *logits,
                               const float *logq, const unsigned char *skip,
                               const unsigned char *valid, float scale, int N, int K) {
    // dlogits, probs, logits, logq, skip (N,1+K); valid (N)
    int J = 1 + K;
    double total = 0.0;
    for (int i = 0; i < N; i++) {
        if (valid && !valid[i]) continue;
        const float *z = logits + (size_t)i * J;
        float *p = probs + (size_t)i * J;
        const unsigned char *sk = skip ? skip + (size_t)i * J : NULL;
        // corrected logits into p, then softmax in place; skipped columns get probability 0
        float mx = -INFINITY;
        for (int j = 0; j < J; j++) {
            p[j] = z[j] - (logq ? logq[(size_t)i * J + j] : 0.0f);
            if (!(sk && j > 0 && sk[j]) && p[j] > mx) mx = p[j];
        }
        float sum = 0.0f;
        for (int j = 0; j < J; j++) {
            p[j] = (sk && j > 0 && sk[j]) ? 0.0f : wr_expf(p[j] - mx);
            sum += p[j];
        }
        wr_scale(p, 1.0f / sum, J);
        // -log p0 = log(sum) + mx - corrected z0, and p0's corrected logit is p's source
        double z0 = (double)z[0] - (logq ? (double)logq[(size_t)i * J] : 0.0);
        total += wr__log((double)sum) + (double)mx - z0;
        if (dlogits) {
            float *dz = dlogits + (size_t)i * J;
            wr_axpy(dz, scale, p, J);
            dz[0] -= scale;
        }
    }
    return total;
}

// ----------------------------------------------------------------------------
// binary cross-entropy with sampled negatives, and gBCE

/* log sigmoid(x) = -softplus(-x) without overflow; wr_ (not libm) so native and wasm report the
 * same loss bits, float because it runs on every sampled column. */
static double log_sigmoid(float x) {
    return x >= 0 ? -wr_logf(1.0f + wr_expf(-x)) : x - wr_logf(1.0f + wr_expf(x));
}

static float sigmoidf(float x) {
    return 1.0f / (1.0f + wr_expf(-x));
}

double wr_bce_logit(float z, float t, float *dz) {
    *dz = sigmoidf(z) - t;
    return -(t > 0 ? t * log_sigmoid(z) : 0) - (t < 1 ? (1 - t) * log_sigmoid(-z) : 0);
}

/* gSASRec (Petrov & Macdonald, RecSys 2023). Sampling K of the V - 1 non-target items makes
 * BCE's model overconfident: at the optimum sigmoid(s) overstates the positive's probability.
 * gBCE raises the positive's predicted probability to a power beta:
 *   L = -log(sigmoid(s+)^beta) - sum_k log(1 - sigmoid(s-_k)),
 *   alpha = K / (V - 1) (the negative sampling rate), beta = alpha (t (1 - 1/alpha) + 1/alpha),
 * t in [0,1]: t = 0 gives beta = 1 (plain BCE), t = 1 gives beta = alpha (fully calibrated);
 * the paper recommends t = 0.75 with 256 negatives. Simplified, beta = 1 - t (1 - alpha). */
float wr_gbce_beta(int K, int V, float t) {
    double alpha = V > 1 ? (double)K / (double)(V - 1) : 1.0;
    if (alpha > 1.0) alpha = 1.0;
    return (float)(1.0 - t * (1.0 - alpha)); // the paper's form, without its 1/alpha (K = 0)
}

double wr_bce_loss(float *dlogits, const float *logits, const unsigned char *valid, float beta,
                   float scale, int N, int K) {
    // dlogits, logits (N,1+K); valid (N)
    int J = 1 + K;
    double total = 0.0;
    for (int i = 0; i < N; i++) {
        if (valid && !valid[i]) continue;
        const float *z = logits + (size_t)i * J;
        total -= beta * log_sigmoid(z[0]);
        for (int k = 1; k < J; k++) total -= log_sigmoid(-z[k]); // log(1 - sigmoid(s))
        if (dlogits) {
            float *dz = dlogits + (size_t)i * J;
            dz[0] += scale * beta * (sigmoidf(z[0]) - 1.0f);
            for (int k = 1; k < J; k++) dz[k] += scale * sigmoidf(z[k]);
        }
    }
    return total;
}

// ----------------------------------------------------------------------------
// BPR-max (Hidasi & Karatzoglou 2018, GRU4Rec)

double wr_bpr_max_loss(float *dlogits, float *w, const float *logits, const int32_t *pos,
                       float bpreg, float scale, int N, int J) {
    // dlogits, w, logits (N,J); pos (N)
    double total = 0.0;
    for (int i = 0; i < N; i++) {
        int P = pos[i];
        if (P < 0) continue;
        const float *r = logits + (size_t)i * J;
        float *w_i = w + (size_t)i * J;
        // w = softmax over the negatives (the positive's column excluded, as GRU4Rec's softmax_neg)
        float mx = -INFINITY;
        for (int j = 0; j < J; j++)
            if (j != P && r[j] > mx) mx = r[j];
        float sum = 0.0f;
        for (int j = 0; j < J; j++) {
            w_i[j] = j == P ? 0.0f : wr_expf(r[j] - mx);
            sum += w_i[j];
        }
        if (sum == 0.0f) continue; // no negative in the row
        wr_scale(w_i, 1.0f / sum, J);
        // A = sum w_j sigmoid(r_P - r_j);  Rg = sum w_j r_j^2
        double A = 0.0, Rg = 0.0;
        for (int j = 0; j < J; j++) {
            if (j == P) continue;
            A += (double)w_i[j] * sigmoidf(r[P] - r[j]);
            Rg += (double)w_i[j] * r[j] * r[j];
        }
        double Ae = A + 1e-24;
        total += -wr__log(Ae) + bpreg * Rg;
        if (!dlogits) continue;
        // dA/dr_P = sum w_j s_j (1 - s_j); dA/dr_k = w_k (s_k^2 - A) through sigmoid and softmax;
        // dRg/dr_k = w_k (2 r_k + r_k^2 - Rg)
        float *dr = dlogits + (size_t)i * J;
        double dP = 0.0;
        for (int j = 0; j < J; j++) {
            if (j == P) continue;
            double s = sigmoidf(r[P] - r[j]);
            dP += w_i[j] * s * (1.0 - s);
            double g = -w_i[j] * (s * s - A) / Ae +
                       bpreg * w_i[j] * (2.0 * r[j] + (double)r[j] * r[j] - Rg);
            dr[j] += (float)(scale * g);
        }
        dr[P] += (float)(scale * (-dP / Ae));
    }
    return total;
}
