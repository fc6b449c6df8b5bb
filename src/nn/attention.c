/* attention.c: multi-head scaled dot-product self-attention, causal (SASRec) or bidirectional
 * (BERT4Rec), over a batch packed without padding rows: sequence b owns rows off[b] ..
 * off[b+1] - 1, so no work is spent on padding and no key mask is needed. The probabilities are
 * a forward output (backward needs them, and the demo page shows them). */
#include <math.h>
#include <string.h>

#include "../kernels/kernels.h"
#include "nn.h"

void wr_attention_forward(float *out, float *att, const float *qkv, const int *off, int causal,
                          int B, int T, int C, int H) {
    // out (N,C), att (B,H,T,T), qkv (N,3C), off (B+1)
    int D = C / H;
    float scale = 1.0f / sqrtf((float)D);
    for (int b = 0; b < B; b++) {
        const float *base = qkv + (size_t)off[b] * 3 * C;
        int n = off[b + 1] - off[b];
        for (int h = 0; h < H; h++)
            for (int i = 0; i < n; i++) {
                float *p = att + (((size_t)b * H + h) * T + i) * T;
                const float *q = base + (size_t)i * 3 * C + h * D;
                int keys = causal ? i + 1 : n; // every query sees at least itself
                float mx = -INFINITY, sum = 0.0f;
                for (int j = 0; j < keys; j++) {
                    p[j] = wr_dot(q, base + (size_t)j * 3 * C + C + h * D, D) * scale;
                    if (p[j] > mx) mx = p[j];
                }
                for (int j = 0; j < keys; j++) {
                    p[j] = wr_expf(p[j] - mx);
                    sum += p[j];
                }
                memset(p + keys, 0, (size_t)(T - keys) * sizeof(float));
                float *o = out + ((size_t)off[b] + i) * C + h * D;
                memset(o, 0, (size_t)D * sizeof(float));
                for (int j = 0; j < keys; j++) {
                    p[j] /= sum;
                    wr_axpy(o, p[j], base + (size_t)j * 3 * C + 2 * C + h * D, D);
                }
            }
    }
}

void wr_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv,
                           const float *att, const int *off, int causal, int B, int T, int C,
                           int H) {
    // dqkv (N,3C), scratch (T), dout (N,C), qkv (N,3C), att (B,H,T,T), off (B+1)
    int D = C / H;
    float scale = 1.0f / sqrtf((float)D), *dp = scratch;
    for (int b = 0; b < B; b++) {
        const float *base = qkv + (size_t)off[b] * 3 * C;
        float *dbase = dqkv + (size_t)off[b] * 3 * C;
        int n = off[b + 1] - off[b];
        for (int h = 0; h < H; h++)
            for (int i = 0; i < n; i++) {
                const float *p = att + (((size_t)b * H + h) * T + i) * T;
                const float *dout_i = dout + ((size_t)off[b] + i) * C + h * D;
                const float *q = base + (size_t)i * 3 * C + h * D;
                float *dq = dbase + (size_t)i * 3 * C + h * D;
                int keys = causal ? i + 1 : n;
                // out = sum p v: dp = dout . v, dv += p dout; softmax: dscore = p (dp - sum p dp)
                float pdp = 0.0f;
                for (int j = 0; j < keys; j++) {
                    dp[j] = wr_dot(dout_i, base + (size_t)j * 3 * C + 2 * C + h * D, D);
                    pdp += p[j] * dp[j];
                }
                for (int j = 0; j < keys; j++) {
                    float ds = p[j] * (dp[j] - pdp) * scale;
                    wr_axpy(dq, ds, base + (size_t)j * 3 * C + C + h * D, D);
                    wr_axpy(dbase + (size_t)j * 3 * C + C + h * D, ds, q, D);
                    wr_axpy(dbase + (size_t)j * 3 * C + 2 * C + h * D, p[j], dout_i, D);
                }
            }
    }
}
