/* layernorm.c: per-row layer normalisation; forward keeps mean and rstd for backward.
 * Threads take rows, and for the weights' gradients columns (wr__parallel_for): each output is
 * the same sum in the same row order as on one thread. */
#include "../core/core.h"
#include "../kernels/kernels.h"
#include "nn.h"

typedef struct {
    float *out, *mean, *rstd, *dinp, *dw, *db;
    const float *inp, *w, *b, *dout, *cmean, *crstd;
    int N, C;
} ln_job;

static void forward_rows(void *arg, int lo, int hi) {
    const ln_job *j = arg;
    const size_t C = (size_t)j->C;
    for (int i = lo; i < hi; i++)
        wr_layernorm(j->out + i * C, j->mean + i, j->rstd + i, j->inp + i * C, j->w, j->b, j->C);
}

void wr_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int N, int C) {
    // out (N,C), mean (N), rstd (N), inp (N,C), w (C), b (C)
    ln_job j = {.out = out, .mean = mean, .rstd = rstd, .inp = inp, .w = w, .b = b, .N = N, .C = C};
    wr__parallel_for(N, 8, 4.0 * N * C, forward_rows, &j);
}

static void backward_rows(void *arg, int lo, int hi) {
    const ln_job *j = arg;
    const int C = j->C;
    const float *w = j->w;
    for (int i = lo; i < hi; i++) {
        const float *dout_i = j->dout + (size_t)i * C, *inp_i = j->inp + (size_t)i * C;
        float *dinp_i = j->dinp + (size_t)i * C;
        float m = j->cmean[i], s = j->crstd[i];
        // xhat = (inp - m) s; dxhat = dout w. Two reductions: mean(dxhat), mean(dxhat xhat)
        float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
        for (int c = 0; c < C; c++) {
            float xhat = (inp_i[c] - m) * s, dxhat = dout_i[c] * w[c];
            dnorm_mean += dxhat;
            dnorm_norm_mean += dxhat * xhat;
        }
        dnorm_mean /= (float)C;
        dnorm_norm_mean /= (float)C;
        for (int c = 0; c < C; c++) {
            float xhat = (inp_i[c] - m) * s, dxhat = dout_i[c] * w[c];
            dinp_i[c] += s * (dxhat - dnorm_mean - xhat * dnorm_norm_mean);
        }
    }
}

/* columns c0..c1 of dw and db, summed over the rows in order: in registers (local arrays the
 * compiler keeps apart from the inputs), a block of columns at a time */
static void weight_grads(void *arg, int c0, int c1) {
    const ln_job *j = arg;
    const int C = j->C;
    for (int b0 = c0; b0 < c1; b0 += 64) {
        const int nb = c1 - b0 < 64 ? c1 - b0 : 64;
        float dw[64], db[64];
        for (int c = 0; c < nb; c++) dw[c] = j->dw[b0 + c], db[c] = j->db[b0 + c];
        for (int i = 0; i < j->N; i++) {
            const float *dout_i = j->dout + (size_t)i * C + b0, *inp_i = j->inp + (size_t)i * C + b0;
            const float m = j->cmean[i], s = j->crstd[i];
            for (int c = 0; c < nb; c++) {
                db[c] += dout_i[c];
                dw[c] += (inp_i[c] - m) * s * dout_i[c];
            }
        }
        for (int c = 0; c < nb; c++) j->dw[b0 + c] = dw[c], j->db[b0 + c] = db[c];
    }
}

void wr_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *mean, const float *rstd, const float *w, int N, int C) {
    // dinp (N,C), dw (C), db (C), dout (N,C), inp (N,C), mean (N), rstd (N), w (C)
    ln_job j = {.dinp = dinp, .dw = dw, .db = db, .dout = dout, .inp = inp, .cmean = mean, .crstd = rstd,
                .w = w, .N = N, .C = C};
    wr__parallel_for(N, 8, 8.0 * N * C, backward_rows, &j);
    wr__parallel_for(C, 64, 3.0 * N * C, weight_grads, &j); /* 64 columns a part at least: see linear.c */
}
