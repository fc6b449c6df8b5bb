/* layernorm.c: per-row layer normalisation; forward keeps mean and rstd for backward. */
#include "../kernels/kernels.h"
#include "nn.h"

void wr_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int N, int C) {
    // out (N,C), mean (N), rstd (N), inp (N,C), w (C), b (C)
    for (int i = 0; i < N; i++)
        wr_layernorm(out + (size_t)i * C, mean + i, rstd + i, inp + (size_t)i * C, w, b, C);
}

void wr_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *mean, const float *rstd, const float *w, int N, int C) {
    // dinp (N,C), dw (C), db (C), dout (N,C), inp (N,C), mean (N), rstd (N), w (C)
    for (int i = 0; i < N; i++) {
        const float *dout_i = dout + (size_t)i * C, *inp_i = inp + (size_t)i * C;
        float *dinp_i = dinp + (size_t)i * C;
        float m = mean[i], s = rstd[i];
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
            db[c] += dout_i[c];
            dw[c] += xhat * dout_i[c];
            dinp_i[c] += s * (dxhat - dnorm_mean - xhat * dnorm_norm_mean);
        }
    }
}
